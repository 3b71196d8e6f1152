/* tui.c: placeholder until the curses front end lands: tells the user to use --headless. */
#include "tui.h"

#include <stdio.h>

int tui_run(struct app *a, struct loop *l)
{
	(void)a;
	(void)l;
	fprintf(stderr, "ttyphone: the terminal UI is not built yet; use --headless\n");
	return -1;
}
