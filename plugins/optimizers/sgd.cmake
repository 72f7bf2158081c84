forgather_add_plugin(sgd SOURCES sgd.c LIBRARIES OpenMP::OpenMP_C)
