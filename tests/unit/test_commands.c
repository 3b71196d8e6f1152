/* Command parsing: the one table shared by headless mode and the TUI. */
#include "commands.h"
#include "unit.h"

#include <string.h>

static void test_parses_arguments_and_rest_of_line(void)
{
	struct command_line cl;
	char why[200];
	CHECK_INT(command_parse("msg sip:bob@x  hello there, bob ", &cl, why, sizeof(why)), 0);
	CHECK(cl.def && cl.def->id == CMD_msg);
	CHECK_INT(cl.argc, 2);
	CHECK_STR(cl.argv[0], "sip:bob@x");
	CHECK_STR(cl.argv[1], "hello there, bob ");
	CHECK_INT(command_parse("call echo", &cl, why, sizeof(why)), 0);
	CHECK_STR(cl.argv[0], "echo");
}

static void test_unknown_and_malformed_commands_say_why(void)
{
	struct command_line cl;
	char why[200];
	CHECK_INT(command_parse("dial bob", &cl, why, sizeof(why)), -1);
	CHECK(strstr(why, "unknown command \"dial\"") != NULL);
	CHECK_INT(command_parse("call", &cl, why, sizeof(why)), -1);
	CHECK(strstr(why, "missing argument (usage: call <uri|contact> [account])") != NULL);
	CHECK_INT(command_parse("hangup 1 2", &cl, why, sizeof(why)), -1);
	CHECK(strstr(why, "too many arguments") != NULL);
	CHECK_INT(command_parse("\x1b[2Jx", &cl, why, sizeof(why)), -1);
	CHECK(strstr(why, "\x1b") == NULL);
}

static void test_every_command_has_help(void)
{
	for (unsigned i = 0; i < CMD_COUNT; i++) {
		CHECK(command_table[i].help[0] != '\0');
		CHECK(command_find(command_table[i].name) == &command_table[i]);
	}
}

int main(void)
{
	RUN(test_parses_arguments_and_rest_of_line);
	RUN(test_unknown_and_malformed_commands_say_why);
	RUN(test_every_command_has_help);
	return unit_done();
}
