// Thin shim over libsndfile.
#ifndef CGAN_SNDFILE_SHIM_H
#define CGAN_SNDFILE_SHIM_H
#include <sndfile.h>
#endif
