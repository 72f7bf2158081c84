forgather_add_plugin(model_checkpoint SOURCES model_checkpoint.c model_checkpoint_state.c
                     model_checkpoint_json.c checkpoint_rank.c checkpoint_files.c monitor.c)
