// Thin shim over ALSA. The error handler is C-variadic, which Swift cannot write: the
// silent handler lives here so ALSA's diagnostics never reach a dashboard's terminal.
#ifndef CGAN_ALSA_SHIM_H
#define CGAN_ALSA_SHIM_H
#include <alsa/asoundlib.h>

static void cgan_alsa_silent_handler(const char *file, int line, const char *function, int err,
                                     const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void cgan_alsa_silence_errors(void) { snd_lib_error_set_handler(cgan_alsa_silent_handler); }
#endif
