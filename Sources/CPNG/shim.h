// Thin shim over libpng: only the simplified API (png_image_*), which needs no setjmp.
#ifndef CGAN_PNG_SHIM_H
#define CGAN_PNG_SHIM_H
#include <png.h>
#endif
