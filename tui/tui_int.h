/* tui_int.h: the terminal UI's insides, shared by its files. One struct tui holds the UI
 * state (never the application's: that is read through app.h on every draw). Every pane and
 * full-screen view is a struct view with an ops table (tig's view_ops, sngrep's ui_t):
 * draw it, give it a request from the key table, give it raw keys while it takes text. */
#ifndef TTY_TUI_INT_H
#define TTY_TUI_INT_H

#include "tui_curses.h"
#include "keys.h"
#include "editor.h"
#include "lines.h"
#include "chat.h"
#include "contacts.h"
#include "history.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct app;
struct loop;
struct loop_timer;
struct trace;
struct trace_msg;
struct tui;
struct view;

struct view_ops {
	const char *name;
	unsigned scopes;             /* SCOPE() bits of the key table rows this view takes */
	void (*draw)(struct tui *t, struct view *v);
	/* A request from the key table; false if the view has no use for it. */
	bool (*request)(struct tui *t, struct view *v, enum request req, int key);
	/* Optional: every key first, while the view takes text; true if it used the key. */
	bool (*input)(struct tui *t, struct view *v, int key);
	/* Optional: the view leaves the screen. */
	void (*close)(struct tui *t, struct view *v);
	/* Optional: a mouse click on window row `row` (0 is the box's top line): select what
	 * is drawn there; true if something was (a double click then acts as Enter). */
	bool (*click)(struct tui *t, struct view *v, int row);
};

struct view {
	const struct view_ops *ops;
	WINDOW *win;
	bool dirty;
};

enum pane { PANE_CONTACTS, PANE_CALLS, PANE_LOG, PANE_COUNT };

/* What needs drawing (tui_dirty). */
#define D_CONTACTS (1u << PANE_CONTACTS)
#define D_CALLS (1u << PANE_CALLS)
#define D_LOG (1u << PANE_LOG)
#define D_STATUS (1u << 3)
#define D_TOP (1u << 4)         /* the full-screen view on top, if any */
#define D_POPUP (1u << 5)
#define D_ALL 0xffu

/* ---- per-view state ---- */

enum row_kind { ROW_ECHO, ROW_CONTACT, ROW_PEER };
struct contact_row {
	enum row_kind kind;
	int index;                   /* into book.v (ROW_CONTACT) or chat.peers (ROW_PEER) */
};
#define CONTACT_ROWS_MAX (CONTACTS_MAX + CHAT_MAX_PEERS + 1)

struct contacts_state {
	int sel, top;                /* in the filtered rows */
	struct editor filter;
	bool typing;                 /* after '/': keys go to the filter */
};

#define METER_HIST 6
struct meter {
	unsigned call_id;
	unsigned char mic[METER_HIST], spk[METER_HIST];
	unsigned pos;
};

struct calls_state {
	unsigned sel_id;             /* selected call (0: none) */
	struct meter meters[4];
	/* the last call that ended, shown dimmed until the next one */
	char last_peer[256];
	char last_reason[128];
	int last_code;
	long last_secs;
	/* which call each window row showed in the last draw (mouse clicks); 0: none */
#define CALLS_ROW_IDS 128
	unsigned row_id[CALLS_ROW_IDS];
};

struct log_state {
	uint64_t sel, top;           /* trace seqs; 0 = none */
	bool follow;
	unsigned unseen;             /* new matching messages while paused */
	uint64_t seen_upto;
	char method[32];             /* only this method ("" = all)... */
	bool method_not;             /* ...or all but it */
	char call_id[128];           /* only this call ("" = all) */
	char search[128];
	char save_call[128];         /* the call a save prompt is about ("" = the log) */
	long long last_draw_ms;
	bool pending;                /* new messages not drawn yet (flood throttle) */
	uint64_t drawn_upto;         /* the newest message drawn so far */
	int fresh_rows, rows;        /* rows of new messages in the last draw, of the pane */
};

struct detail_state {
	uint64_t seq;
	struct lines rows;
	int width;                   /* rows are wrapped for this width */
	int scroll;
};

#define LADDER_MAX_PARTIES 6
#define LADDER_MAX_MSGS 500
struct ladder_state {
	char call_id[128];
	uint64_t seqs[LADDER_MAX_MSGS];
	unsigned n, focus;
	int scroll;                  /* first message row shown */
	char parties[LADDER_MAX_PARTIES][72];
	unsigned nparties;
	uint64_t scanned_upto;       /* trace seq up to which seqs is complete */
	struct lines side;           /* focused message's detail */
	uint64_t side_seq;
	int side_width;
};

struct chat_state {
	char uri[CHAT_URI];
	struct editor input;
	int scroll;                  /* rows up from the newest */
};

#define HIST_NAME_KEYS 32          /* contacts whose name a search can find, their URIs */
struct histview_state {
	struct history *db;          /* NULL: no history this run (nohist says why) */
	char nohist[600];
	struct history_entry *rows;  /* HISTORY_PAGE_MAX of them while the view is open */
	int n;                       /* rows loaded: the newest that pass the filter */
	struct history_counts counts;
	int sel, top;
	int list_h;                  /* rows of the list in the last draw (mouse clicks) */
	struct editor search;
	bool typing;                 /* after '/': keys go to the search */
	bool missed_only;
	bool stale;                  /* the file changed or the filter did: read it again */
	char error[1400];            /* the last read failed: shown instead of the rows */
	enum history_kind sel_kind;  /* the selected row, found again after a reload */
	long long sel_id;
};

struct help_state {
	struct lines rows;
	int width;
	int scroll;
};

enum cmd_mode { CMD_OFF, CMD_COMMAND, CMD_PROMPT };
enum complete_kind { COMPLETE_NONE, COMPLETE_CONTACTS };
typedef void (prompt_fn)(struct tui *t, const char *text);
#define CMD_HIST 32
#define CMD_CANDS 48
struct cmdline_state {
	enum cmd_mode mode;
	struct editor ed;
	char prompt[96];
	prompt_fn *done;
	enum complete_kind complete;
	char hist[CMD_HIST][256];
	unsigned nhist, hpos;
	/* Tab completion: candidates for the word under the cursor, cycled by Tab */
	char cands[CMD_CANDS][CONTACT_NAME];
	unsigned ncands, cidx;
	bool cycling;
	size_t word_start;
};

struct popup_state {
	unsigned call_id;            /* incoming call shown (0: none) */
	unsigned hidden_id;          /* the user hid the popup for this call */
	long long last_ring_ms;
};

typedef void (confirm_fn)(struct tui *t);
struct confirm_state {
	bool open;
	char question[256];
	confirm_fn *yes;
	char arg[CONTACT_NAME];
};

struct tui {
	struct app *app;
	struct loop *loop;
	struct trace *trace;
	bool running;                /* the listener ignores events once false */
	bool utf8;
	/* screen */
	int rows, cols;
	bool too_small;
	bool need_layout;
	struct view panes[PANE_COUNT];
	int focus;                   /* enum pane */
	struct view detail, ladder, chat_view, help, hist_view;
	struct view *stack[4];       /* full-screen views, top last */
	unsigned depth;
	WINDOW *status_win, *popup_win, *menu_win;
	unsigned dirty;              /* D_* for what has no struct view */
	/* status line */
	char status_msg[512];
	bool status_err;
	/* wake-ups */
	struct loop_timer *redraw_timer, *tick_timer, *status_timer;
	bool redraw_armed;
	long long redraw_at_ms;      /* when the armed redraw timer fires */
	long long last_frame_ms;     /* the last doupdate, for the frame-rate cap */
	unsigned tick_ms;            /* 0: the tick timer is off */
	int stdin_watch, winch_watch;
	unsigned empty_reads;        /* stdin readable but nothing read: hung up? */
	/* data the UI owns */
	struct contacts book;        /* contacts.ini, kept in step with the file (book.c) */
	int book_fd, book_watch;     /* inotify on its folder and its loop watch; -1: none */
	char book_target[256];       /* the file's name where a symbolic link points ("": none) */
	struct chat chat;
	bool sending;                /* the chat's msg command is running (an error: not sent) */
	/* views */
	struct contacts_state cs;
	struct calls_state calls;
	struct log_state log;
	struct detail_state det;
	struct ladder_state lad;
	struct chat_state cv;
	struct help_state hs;
	struct histview_state hv;
	struct cmdline_state cmd;
	struct popup_state pop;
	struct confirm_state conf;
	struct {
		bool on;
		long long last_ms;   /* the last press, to tell a double click */
		int last_y, last_x;
		struct view *last_view;
	} mouse;
};

extern const struct view_ops contacts_ops, calls_ops, log_ops, detail_ops, ladder_ops,
	chat_ops, help_ops, history_ops;

/* ---- tui.c ---- */
void tui_dirty(struct tui *t, unsigned what);
/* Show a message on the status line for a while; it is escaped here, whatever its origin. */
void tui_status(struct tui *t, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Run a command line through the app; its reply or error goes to the status line. */
void tui_exec(struct tui *t, const char *line);
void tui_push(struct tui *t, struct view *v);
void tui_pop(struct tui *t);
struct view *tui_top(struct tui *t);
/* Focus one of the three panes (enum pane). */
void tui_focus(struct tui *t, int pane);
/* mouse.c: turn mouse reporting on or off; handle one KEY_MOUSE. */
void mouse_setup(struct tui *t, bool on);
void mouse_event(struct tui *t);
long long tui_now_ms(void);
/* The call a call key means: the selected one in the call panel, else the active one, else
 * the only one. 0 if none. */
unsigned tui_target_call(struct tui *t);
/* Start, speed up, slow down or stop the tick timer to match the calls there are. */
void tui_update_ticker(struct tui *t);
/* Open the chat with uri. */
void tui_open_chat(struct tui *t, const char *uri);

/* ---- book.c ---- */
/* Add, edit (name: which) or delete (name) one contact in contacts.ini, re-read under its
 * lock so that others' changes stay; t->book becomes the file's new list. false with why. */
bool tui_change_contacts(struct tui *t, enum contacts_op op, const char *name,
			 const struct contact *ct, char *why, size_t whylen);
/* Reload the book if contacts.ini changed on disk (one stat); before every redraw. */
void book_check(struct tui *t);
/* Watch contacts.ini's folder (inotify) so that an edit elsewhere redraws at once. */
void book_watch_start(struct tui *t);
void book_watch_stop(struct tui *t);

/* ---- events.c ---- */
void events_listener(void *arg, const char *json);
void events_reply(void *arg, const char *json);

/* ---- view_contacts.c ---- */
unsigned contacts_rows(struct tui *t, struct contact_row *rows, unsigned max, bool filtered);
/* A row's name and the URI Enter calls. */
void contacts_row_name(struct tui *t, const struct contact_row *r, char *name, size_t size);
const char *contacts_row_uri(struct tui *t, const struct contact_row *r);

/* ---- view_calls.c ---- */
void calls_sample_meters(struct tui *t);
void calls_note_ended(struct tui *t, const char *json);

/* ---- view_log.c ---- */
bool log_match(const struct tui *t, const struct trace_msg *m);
void log_new_messages(struct tui *t);
/* Open the detail view on seq / the ladder of seq's call. */
void detail_open(struct tui *t, uint64_t seq);
void ladder_open(struct tui *t, uint64_t seq);
/* Prompt for a file and save the messages of a call ("" = the log as filtered). */
void log_save_prompt(struct tui *t, const char *call_id);

/* ---- view_chat.c ---- */
/* Whose conversation a message with uri belongs to: a contact's first address (any of its
 * addresses maps there), else uri itself. Valid until the book changes. */
const char *chat_address(struct tui *t, const char *uri);
void chat_view_open(struct tui *t, const char *uri);
/* Merge the history's last messages with p's person into p, once; after a failure (shown
 * in the chat) only if retry. */
void chat_load_history(struct tui *t, struct chat_peer *p, bool retry);

/* ---- view_history.c ---- */
/* Open the history view, searching for search (NULL or "": everything). */
void history_view_open(struct tui *t, const char *search);
/* A call or a message was recorded: an open history view reads the file again. */
void history_view_changed(struct tui *t);

/* ---- view_help.c ---- */
void help_open(struct tui *t);

/* ---- cmdline.c ---- */
void cmdline_open(struct tui *t);
void cmdline_prompt(struct tui *t, const char *prompt, const char *initial, prompt_fn *done,
		    enum complete_kind complete);
bool cmdline_active(const struct tui *t);
/* The key while the command line is open. */
void cmdline_key(struct tui *t, int key);
/* Draw into the status window (and the candidates into menu_win). */
void cmdline_draw(struct tui *t);
void cmdline_close(struct tui *t);

/* ---- status.c ---- */
void status_draw(struct tui *t);

/* ---- popup.c ---- */
/* Which incoming call deserves the popup now (0: none); rings the bell when due. */
void popup_update(struct tui *t);
bool popup_visible(const struct tui *t);
void popup_draw(struct tui *t);
void popup_request(struct tui *t, enum request req);
void confirm_open(struct tui *t, const char *question, confirm_fn *yes, const char *arg);

/* ---- term.c ---- */
/* Bring curses up (0) or say why not; the terminal is restored on any exit after this. */
int term_start(char *why, size_t whylen);
void term_stop(void);
/* A pipe that becomes readable on SIGWINCH (-1 if none). */
int term_winch_fd(void);
/* Read what SIGWINCH wrote and tell curses the new size. */
void term_winch_drain(void);

#endif
