/* tui.h: the curses front end. A view of app state; it sends the app commands and never
 * talks to the SIP stack. */
#ifndef TTY_TUI_H
#define TTY_TUI_H

struct app;
struct loop;
struct history;

/* Run the terminal UI until the user quits. hist is the history the app records into, for
 * the history view (NULL: none this run, and nohist says why). Returns 0, or -1 if the
 * terminal is unusable. */
int tui_run(struct app *a, struct loop *l, struct history *hist, const char *nohist);

#endif
