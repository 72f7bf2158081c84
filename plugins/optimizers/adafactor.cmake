forgather_add_plugin(adafactor SOURCES adafactor.c LIBRARIES OpenMP::OpenMP_C)
