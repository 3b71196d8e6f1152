/* fuzz_commands.c: a line on the headless control stream or socket, or the TUI's ":" line.
 *
 * The input is the line (cut at a NUL, as the reader hands over C strings). command_parse
 * must either name a command of the table with an argument count inside its usage, every
 * argument a NUL-terminated word without blanks (the message text excepted), or refuse
 * with a reason that is safe to print on a terminal. */
#include "fuzz.h"
#include "commands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct command_line cl;
	char *line = fuzz_cstr(data, size);
	char why[256] = "";

	if (command_parse(line, &cl, why, sizeof(why)) == 0) {
		FUZZ_ASSERT(cl.def >= command_table && cl.def < command_table + CMD_COUNT);
		FUZZ_ASSERT(command_find(cl.def->name) == cl.def);
		FUZZ_ASSERT(cl.argc >= cl.def->min_args && cl.argc <= cl.def->max_args);
		for (unsigned i = 0; i < cl.argc; i++) {
			const char *a = cl.argv[i];
			bool rest = cl.def->rest && i == cl.def->max_args - 1;

			FUZZ_ASSERT(memchr(a, '\0', CMD_ARG_LEN) != NULL);
			FUZZ_ASSERT(a[0] != '\0');
			FUZZ_ASSERT(!strpbrk(a, "\r\n"));
			if (!rest)
				FUZZ_ASSERT(!strpbrk(a, " \t"));
		}
	} else {
		FUZZ_ASSERT(why[0] && memchr(why, '\0', sizeof(why)));
		/* The reason quotes the command word: escaped, never a raw control byte. */
		for (const char *p = why; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	free(line);
	return 0;
}
