// Thin shim over OpenBLAS: cblas plus the few LAPACK routines we call
// (libopenblas-dev ships LAPACK inside libopenblas but no prototypes for it).
#ifndef CGAN_OPENBLAS_SHIM_H
#define CGAN_OPENBLAS_SHIM_H
#include <cblas.h>

// Fortran ABI: every argument by pointer.
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info, size_t uplo_len);
#endif
