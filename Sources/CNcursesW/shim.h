// Thin shim over ncursesw. SwiftPM drops pkg-config's -D flags, so the wide-character API
// must be switched on here before curses.h is read. Only NCURSES_WIDECHAR: defining
// _XOPEN_SOURCE here changes glibc's own struct definitions (ucontext.h via signal.h), which
// then clash with the same headers in Dispatch's module and break a clean build.
#ifndef CGAN_NCURSES_SHIM_H
#define CGAN_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <curses.h>

// Globals and function-like macros that Swift cannot import.
static inline WINDOW *cgan_stdscr(void) { return stdscr; }
static inline int cgan_lines(void) { return LINES; }
static inline int cgan_cols(void) { return COLS; }
static inline int cgan_colors(void) { return COLORS; }
static inline int cgan_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t cgan_a_bold(void) { return A_BOLD; }
static inline attr_t cgan_a_reverse(void) { return A_REVERSE; }
static inline attr_t cgan_a_normal(void) { return A_NORMAL; }
static inline attr_t cgan_a_dim(void) { return A_DIM; }
int wcwidth(wchar_t c);

// Restoring the terminal on exit paths Swift cannot `defer` over: exit() from any thread
// (atexit) and crashes (a handler that calls endwin, puts back the previous handler, e.g.
// Swift's backtracer, and re-raises).
#include <signal.h>
#include <stdlib.h>
static void cgan_endwin_at_exit(void) { if (!isendwin()) endwin(); }
// (File-scope statics in an imported header are not emitted; function-local ones are.)
static inline struct sigaction *cgan_previous_crash_actions(void) { static struct sigaction a[65]; return a; }
static void cgan_crash_handler(int sig) {
    endwin();
    sigaction(sig, &cgan_previous_crash_actions()[sig], NULL);
    raise(sig);
}
static inline void cgan_restore_terminal_on_exit(void) {
    static int installed = 0;
    if (installed) return;
    installed = 1;
    atexit(cgan_endwin_at_exit);
    int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (unsigned i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
        struct sigaction sa;
        sa.sa_handler = cgan_crash_handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigaction(crashes[i], &sa, &cgan_previous_crash_actions()[crashes[i]]);
    }
}
#endif
