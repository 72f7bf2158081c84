forgather_add_plugin(lr_monitor SOURCES lr_monitor.c)
