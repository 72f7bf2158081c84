# GaLore-AdamW: SVD through OpenBLAS's LAPACK (dgesdd_), projections through cblas_sgemm.
forgather_add_plugin(galore SOURCES galore.c galore_projector.c
                     LIBRARIES OpenMP::OpenMP_C PkgConfig::OPENBLAS)
