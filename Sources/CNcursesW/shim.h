// Thin shim over ncursesw. SwiftPM drops pkg-config's -D flags, so the wide-character API
// must be switched on here before curses.h is read.
#ifndef CGAN_NCURSES_SHIM_H
#define CGAN_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 600
#endif
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
#endif
