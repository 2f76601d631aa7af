// Thin shim over libsoxr (the SoX resampler). Its quality recipes are macros built from other
// macros; named constants here import into Swift as plain values.
#ifndef CGAN_SOXR_SHIM_H
#define CGAN_SOXR_SHIM_H
#include <soxr.h>

static const unsigned long CGAN_SOXR_LQ = SOXR_LQ;
static const unsigned long CGAN_SOXR_HQ = SOXR_HQ;
static const unsigned long CGAN_SOXR_LINEAR_PHASE = SOXR_LINEAR_PHASE;
static const unsigned long CGAN_SOXR_STEEP_FILTER = SOXR_STEEP_FILTER;
#endif
