forgather_add_plugin(early_stopping SOURCES early_stopping.c monitor.c)
