// Thin shim over FFTW, single precision.
#ifndef CGAN_FFTW_SHIM_H
#define CGAN_FFTW_SHIM_H
#include <fftw3.h>
#endif
