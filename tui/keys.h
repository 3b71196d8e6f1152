/* keys.h: every key of the terminal UI in ONE table (tig's REQ_* X-macro). The table makes
 * the request enum, drives dispatch (keys_lookup) and writes the help overlay, so the keys a
 * user reads about are the keys that work.
 *
 * X(request, scope, key, alternative key, label, help)
 *   scope: where the key applies; a view accepts a set of scopes (struct view_ops.scopes)
 *   and the first matching row wins, so a letter may mean different things in different
 *   views (q quits on the main screen and closes a sub-view).
 *   key: a character, TK_CTRL('x'), TK_FN(KEY_x) for curses function keys, or TK_DIGITS for
 *   the DTMF digits 0-9 * #. 0 as the alternative key means none. */
#ifndef TTY_TUI_KEYS_H
#define TTY_TUI_KEYS_H

#include <stdbool.h>

/* Keys are ints: a Unicode code point, or a curses function key code with TK_FN_BIT set
 * (wget_wch returns both kinds, and KEY_DOWN (0402) is also the code point U+0102). */
#define TK_FN_BIT 0x40000000
#define TK_FN(k) ((k) | TK_FN_BIT)
#define TK_CTRL(c) ((c) & 0x1f)
#define TK_ESC 0x1b
#define TK_DIGITS (-2)

enum key_scope {
	SC_GLOBAL,    /* everywhere (except while typing in a prompt) */
	SC_MAIN,      /* the main screen, whichever pane has the focus */
	SC_MOVE,      /* lists and scrollable views */
	SC_CONTACTS,  /* contacts pane */
	SC_CALLS,     /* call panel */
	SC_LOG,       /* SIP log pane */
	SC_SUBVIEW,   /* every full-screen view (detail, ladder, chat, history, help) */
	SC_DETAIL,    /* message detail */
	SC_LADDER,    /* call ladder */
	SC_CHAT,      /* chat view */
	SC_HISTORY,   /* call and message history */
	SC_POPUP,     /* incoming call popup */
	SC_CONFIRM,   /* yes/no question */
	SC_COUNT
};
#define SCOPE(s) (1u << (s))

#define TUI_KEYS(X) \
	X(HELP,        SC_GLOBAL,   TK_FN(KEY_F(1)),  '?',   "F1 ?",     "show this help") \
	X(REDRAW,      SC_GLOBAL,   TK_CTRL('L'),     0,     "^L",       "redraw the screen") \
	X(COMMAND,     SC_GLOBAL,   ':',              0,     ":",        "command line (Tab completes commands and contacts)") \
	X(QUIT,        SC_MAIN,     'q',              0,     "q",        "quit (asks first while a call is up)") \
	X(NEXT_PANE,   SC_MAIN,     '\t',             0,     "Tab",      "next pane") \
	X(PREV_PANE,   SC_MAIN,     TK_FN(KEY_BTAB),  0,     "S-Tab",    "previous pane") \
	X(PANE_LEFT,   SC_MAIN,     TK_FN(KEY_LEFT),  0,     "Left",     "pane to the left (contacts)") \
	X(PANE_RIGHT,  SC_MAIN,     TK_FN(KEY_RIGHT), 0,     "Right",    "pane to the right (calls)") \
	X(ANSWER,      SC_MAIN,     'a',              0,     "a",        "answer the ringing call") \
	X(HANGUP,      SC_MAIN,     'h',              0,     "h",        "hang up (the selected or active call)") \
	X(HOLD,        SC_MAIN,     'H',              0,     "H",        "hold / resume") \
	X(TRANSFER,    SC_MAIN,     't',              0,     "t",        "transfer the call (asks for the target)") \
	X(MUTE,        SC_MAIN,     'M',              0,     "M",        "mute / unmute the microphone") \
	X(SWAP,        SC_MAIN,     'S',              0,     "S",        "swap: hold the active call, resume the held one") \
	X(RECORD,      SC_MAIN,     'R',              0,     "R",        "record the call to a WAV file (off stops)") \
	X(DTMF,        SC_MAIN,     TK_DIGITS,        0,     "0-9 * #",  "send DTMF during a call") \
	X(MESSAGE,     SC_MAIN,     'm',              0,     "m",        "chat with the selected contact (or the caller)") \
	X(HISTORY,     SC_MAIN,     'r',              0,     "r",        "recent calls and messages: the history (also :history)") \
	X(VOICEMAIL,   SC_MAIN,     'V',              0,     "V",        "call the voicemail ([account] voicemail = URI)") \
	X(UP,          SC_MOVE,     TK_FN(KEY_UP),    'k',   "Up k",     "move up") \
	X(DOWN,        SC_MOVE,     TK_FN(KEY_DOWN),  'j',   "Down j",   "move down") \
	X(PAGE_UP,     SC_MOVE,     TK_FN(KEY_PPAGE), TK_CTRL('B'), "PgUp ^B", "page up") \
	X(PAGE_DOWN,   SC_MOVE,     TK_FN(KEY_NPAGE), TK_CTRL('F'), "PgDn ^F", "page down") \
	X(FIRST,       SC_MOVE,     TK_FN(KEY_HOME),  'g',   "Home g",   "first line") \
	X(LAST,        SC_MOVE,     TK_FN(KEY_END),   'G',   "End G",    "last line (in the log: follow new messages)") \
	X(CALL,        SC_CONTACTS, '\r',             TK_FN(KEY_ENTER), "Enter", "call the selected contact") \
	X(FILTER,      SC_CONTACTS, '/',              0,     "/",        "filter contacts as you type (Esc clears)") \
	X(ADD_CONTACT, SC_CONTACTS, 'A',              0,     "A",        "add a contact: NAME URI[, URI] [account=A] [notes=TEXT]") \
	X(EDIT_CONTACT,SC_CONTACTS, 'E',              0,     "E",        "edit the selected contact (name, URIs, account, notes)") \
	X(DEL_CONTACT, SC_CONTACTS, 'D',              0,     "D",        "delete the selected contact") \
	X(SELECT_CALL, SC_CALLS,    '\r',             TK_FN(KEY_ENTER), "Enter", "make the selected call the active one (resumes it)") \
	X(OPEN,        SC_LOG,      '\r',             TK_FN(KEY_ENTER), "Enter", "show the whole message") \
	X(LADDER,      SC_LOG,      'l',              0,     "l",        "ladder of the selected message's call") \
	X(SEARCH,      SC_LOG,      '/',              0,     "/",        "search the messages' text") \
	X(SEARCH_NEXT, SC_LOG,      'n',              0,     "n",        "next match") \
	X(SEARCH_PREV, SC_LOG,      'N',              0,     "N",        "previous match") \
	X(FOLLOW,      SC_LOG,      'f',              0,     "f",        "follow new messages / pause") \
	X(FILTER_CALL, SC_LOG,      'c',              0,     "c",        "show only the selected message's call (again: all)") \
	X(FILTER_METHOD, SC_LOG,    'F',              0,     "F",        "show only a method (INVITE), or hide one (!OPTIONS)") \
	X(SAVE,        SC_LOG,      's',              0,     "s",        "save the log (as filtered) to a file") \
	X(CLOSE,       SC_SUBVIEW,  'q',              TK_ESC, "q Esc",   "close this view") \
	X(DETAIL_LADDER, SC_DETAIL, 'l',              0,     "l",        "ladder of this message's call") \
	X(DETAIL_NEXT, SC_DETAIL,   'n',              0,     "n",        "next message") \
	X(DETAIL_PREV, SC_DETAIL,   'p',              0,     "p",        "previous message") \
	X(SAVE_DIALOG, SC_DETAIL,   's',              0,     "s",        "save this call's messages to a file") \
	X(LADDER_OPEN, SC_LADDER,   '\r',             TK_FN(KEY_ENTER), "Enter", "show the focused message whole") \
	X(LADDER_SAVE, SC_LADDER,   's',              0,     "s",        "save this call's messages to a file") \
	X(CHAT_CLOSE,  SC_CHAT,     TK_ESC,           0,     "Esc",      "close the chat (Enter sends the line)") \
	X(CHAT_UP,     SC_CHAT,     TK_FN(KEY_PPAGE), TK_FN(KEY_UP), "PgUp Up", "older messages") \
	X(CHAT_DOWN,   SC_CHAT,     TK_FN(KEY_NPAGE), TK_FN(KEY_DOWN), "PgDn Down", "newer messages") \
	X(HIST_OPEN,   SC_HISTORY,  '\r',             TK_FN(KEY_ENTER), "Enter", "call back (with the same account) / open the chat") \
	X(HIST_SEARCH, SC_HISTORY,  '/',              0,     "/",        "search as you type: name, address, text, result (Esc clears)") \
	X(HIST_CHAT,   SC_HISTORY,  'm',              0,     "m",        "chat with the selected row's peer") \
	X(HIST_MISSED, SC_HISTORY,  'M',              0,     "M",        "missed calls only (again: everything)") \
	X(POPUP_ANSWER, SC_POPUP,   'a',              0,     "a",        "answer") \
	X(POPUP_REJECT, SC_POPUP,   'r',              0,     "r",        "reject (486 Busy Here)") \
	X(POPUP_HIDE,  SC_POPUP,    TK_ESC,           0,     "Esc",      "hide the popup (keeps ringing; a answers later)") \
	X(YES,         SC_CONFIRM,  'y',              'Y',   "y",        "yes") \
	X(NO,          SC_CONFIRM,  'n',              TK_ESC, "n Esc",   "no")

enum request {
	REQ_NONE,
#define X(req, scope, key, alt, label, help) REQ_##req,
	TUI_KEYS(X)
#undef X
	REQ_COUNT
};

struct key_def {
	enum request req;
	enum key_scope scope;
	int key, alt;
	const char *label, *help;
};

extern struct key_def key_table[REQ_COUNT - 1];
/* [ui] key_ACTION = KEY from the config: ACTION is a request's name in lower case
 * ("hangup", "next_pane"), KEY a character, ^x, F1-F12, or Tab, Enter, Esc, Space, Up, Down,
 * Left, Right, PgUp, PgDn, Home, End. The new key replaces both of the action's keys.
 * Returns 0, or -1 with a reason (unknown action or key, or a key another action in the
 * same place already has). */
int keys_override(const char *action, const char *spec, char *why, size_t whylen);
/* The request key means in a view accepting the scopes in mask; REQ_NONE if none. */
enum request keys_lookup(unsigned scope_mask, int key);
/* Heading of a scope in the help overlay. */
const char *keys_scope_title(enum key_scope s);

#endif
