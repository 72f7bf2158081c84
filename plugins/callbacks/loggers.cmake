# The json_logger and progress callbacks.
forgather_add_plugin(loggers SOURCES loggers.c json_logger.c progress_bar.c)
