// Thin shim over libsamplerate.
#ifndef CGAN_SAMPLERATE_SHIM_H
#define CGAN_SAMPLERATE_SHIM_H
#include <samplerate.h>
#endif
