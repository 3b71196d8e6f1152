/* tui_curses.h: the one place that includes curses, asking for the wide-character API. */
#ifndef TTY_TUI_CURSES_H
#define TTY_TUI_CURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#endif
