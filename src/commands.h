/* commands.h: the one table of commands, shared by the headless stream, the control socket,
 * the TUI's ":" line, its tab completion and its help overlay (tig's X-macro idea), so they
 * can never drift apart. X(name, usage, min args, max args, rest, help): with rest, the last
 * argument takes the rest of the line (message text). */
#ifndef TTY_COMMANDS_H
#define TTY_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#define TTY_COMMANDS(X) \
	X(register,   "[account]",            0, 1, false, "register an account (default: all)") \
	X(unregister, "[account]",            0, 1, false, "un-register an account (default: all)") \
	X(call,       "<uri|contact> [account]", 1, 2, false, "place a call (\"echo\" tests audio)") \
	X(answer,     "[id]",                 0, 1, false, "answer a ringing call") \
	X(reject,     "[id] [code]",          0, 2, false, "reject a ringing call (486 busy, 603 decline)") \
	X(hangup,     "[id]",                 0, 1, false, "hang up or cancel a call") \
	X(hold,       "[id]",                 0, 1, false, "put a call on hold") \
	X(resume,     "[id]",                 0, 1, false, "take a call off hold") \
	X(swap,       "",                     0, 0, false, "hold the active call, resume the other") \
	X(transfer,   "<uri> [id]",           1, 2, false, "blind transfer (REFER)") \
	X(atransfer,  "<id> <id>",            2, 2, false, "attended transfer: connect two calls") \
	X(dtmf,       "<digits> [id]",        1, 2, false, "send DTMF digits 0-9 * # A-D") \
	X(mute,       "[id]",                 0, 1, false, "mute or unmute the microphone") \
	X(record,     "<file.wav|off> [id]",  1, 2, false, "record a call to a WAV file") \
	X(msg,        "<uri|contact> <text>", 2, 2, true,  "send an instant message (SIP MESSAGE)") \
	X(presence,   "<online|away|busy|offline> [note]", 1, 2, true, "set our presence (PUBLISH)") \
	X(subscribe,  "<contact|uri> [presence|dialog]", 1, 2, false, "watch presence (default) or a busy lamp") \
	X(unsubscribe, "<contact|uri> [presence|dialog]", 1, 2, false, "stop watching (default: both)") \
	X(pickup,     "<contact>",            1, 1, false, "take the call ringing at a contact's phone") \
	X(calls,      "",                     0, 0, false, "list calls") \
	X(status,     "",                     0, 0, false, "show accounts and calls") \
	X(history,    "[n]",                  0, 1, false, "the call history (default: last 20)") \
	X(messages,   "<contact|uri> [n]",    1, 2, false, "messages with a contact (default: last 50)") \
	X(account,    "add <name> <uri> [password]", 2, 2, true, "add an account to the config file") \
	X(help,       "",                     0, 0, false, "list commands") \
	X(quit,       "",                     0, 0, false, "hang up, un-register and exit")

enum command_id {
#define X(name, usage, min, max, rest, help) CMD_##name,
	TTY_COMMANDS(X)
#undef X
	CMD_COUNT
};

struct command_def {
	enum command_id id;
	const char *name, *usage, *help;
	unsigned min_args, max_args;
	bool rest;
};

#define CMD_MAX_ARGS 2
#define CMD_ARG_LEN 1024

struct command_line {
	const struct command_def *def;
	unsigned argc;
	char argv[CMD_MAX_ARGS][CMD_ARG_LEN];
};

extern const struct command_def command_table[CMD_COUNT];
const struct command_def *command_find(const char *name);
/* Split a line into command and arguments; -1 with a reason a person can read. */
int command_parse(const char *line, struct command_line *out, char *why, size_t whylen);

#endif
