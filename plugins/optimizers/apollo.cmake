forgather_add_plugin(apollo SOURCES apollo.c apollo_projection.c LIBRARIES OpenMP::OpenMP_C PkgConfig::OPENBLAS)
