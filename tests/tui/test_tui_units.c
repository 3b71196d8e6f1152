/* test_tui_units.c: the parts of the terminal UI that need no terminal. */
#include "../unit/unit.h"

int main(void)
{
	return unit_done();
}
