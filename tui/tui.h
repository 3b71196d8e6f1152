/* tui.h: the curses front end. A view of app state; it sends the app commands and never
 * talks to the SIP stack. */
#ifndef TTY_TUI_H
#define TTY_TUI_H

struct app;
struct loop;

/* Run the terminal UI until the user quits. Returns 0, or -1 if the terminal is unusable. */
int tui_run(struct app *a, struct loop *l);

#endif
