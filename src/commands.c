/* commands.c: lookup and parsing for the command table. */
#include "commands.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

const struct command_def command_table[CMD_COUNT] = {
#define X(name, usage, min, max, rest, help) { CMD_##name, #name, usage, help, min, max, rest },
	TTY_COMMANDS(X)
#undef X
};

const struct command_def *command_find(const char *name)
{
	for (unsigned i = 0; i < CMD_COUNT; i++)
		if (!strcmp(command_table[i].name, name))
			return &command_table[i];
	return NULL;
}

int command_parse(const char *line, struct command_line *out, char *why, size_t whylen)
{
	const char *cur = line;
	char name[32];
	bool toolong;

	memset(out, 0, sizeof(*out));
	if (!str_next_word(&cur, name, sizeof(name), &toolong)) {
		snprintf(why, whylen, toolong ? "unknown command" : "empty command");
		return -1;
	}
	out->def = command_find(name);
	if (!out->def) {
		char safe[64];
		str_escape_terminal(safe, sizeof(safe), name, strlen(name), false);
		snprintf(why, whylen, "unknown command \"%s\" (try help)", safe);
		return -1;
	}
	while (out->argc < out->def->max_args) {
		if (out->def->rest && out->argc == out->def->max_args - 1) {
			char rest[CMD_ARG_LEN];
			while (*cur == ' ' || *cur == '\t')
				cur++;
			if (!*cur)
				break;
			if (str_copy(rest, sizeof(rest), cur) < 0) {
				snprintf(why, whylen, "%s: text too long (at most %d bytes)", name,
					 CMD_ARG_LEN - 1);
				return -1;
			}
			/* keep inner spaces, drop the line end */
			rest[strcspn(rest, "\r\n")] = '\0';
			if (!rest[0])
				break;   /* only a line end: the text is missing */
			memcpy(out->argv[out->argc++], rest, sizeof(rest));
			cur += strlen(cur);
			break;
		}
		if (!str_next_word(&cur, out->argv[out->argc], CMD_ARG_LEN, &toolong)) {
			if (toolong) {
				snprintf(why, whylen, "%s: argument too long", name);
				return -1;
			}
			break;
		}
		out->argc++;
	}
	{
		char extra[8];
		if (str_next_word(&cur, extra, sizeof(extra), &toolong) || toolong) {
			snprintf(why, whylen, "%s: too many arguments (usage: %s %s)", name, name,
				 out->def->usage);
			return -1;
		}
	}
	if (out->argc < out->def->min_args) {
		snprintf(why, whylen, "%s: missing argument (usage: %s %s)", name, name,
			 out->def->usage);
		return -1;
	}
	return 0;
}
