/* history.c: the call and message history in SQLite (see history.h).
 *
 * What survives a crash, and why:
 * - Every recorded event is its own transaction, committed before history_on_event returns.
 *   main.c adds this listener before the headless one, so an event is committed before it
 *   is printed: whatever a script saw on stdout is in the file.
 * - journal_mode=WAL: a commit appends its pages to history.sqlite-wal with write(2) before
 *   sqlite3_step returns. Once write(2) returns, the bytes are in the kernel's page cache,
 *   which does not belong to the process: a SIGKILL, abort() or segfault of ttyphone loses
 *   nothing, and the next open (ours or the sqlite3 tool's) replays the WAL. So for a
 *   process crash WAL with synchronous=NORMAL would be enough.
 * - NORMAL does not fsync at commit, only at checkpoints: after a power cut or a kernel
 *   crash the last transactions can be gone (the file stays consistent). We use NORMAL
 *   anyway: FULL put one fsync per recorded event on the main thread, which runs the UI and
 *   the SIP stack, and made call set-up 2.4 times slower (tests/bench, 9.5 ms against
 *   3.9 ms); what the data issue asks, surviving a kill of ttyphone, NORMAL gives.
 * - A call is written when it starts, when it is answered, when its codec is known and when
 *   it ends; a call cut short by a crash keeps ended = NULL ("unfinished").
 *
 * Never destroyed: a file that is not a database, fails quick_check, belongs to a newer
 * ttyphone or to another program is reported and left untouched; the phone runs without
 * history. A lock held by another program is waited for (busy timeout), then reported. */
#include "history.h"
#include "contacts.h"
#include "json.h"
#include "jsonget.h"
#include "strutil.h"
#include "filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CALL_SLOTS 32        /* live calls we remember (app ids -> rows) */
#define MSG_SLOTS 256        /* sent messages awaiting their status (cookies -> rows) */
#define PEER_MAX 1024
#define BODY_MAX 16384       /* the app cuts bodies at 4000 bytes; room for any escaping */
/* A reply that does not fit lists fewer rows ("truncated"): it must also fit a control
 * socket's send buffer (about 200 KiB), or headless.c drops the client. */
#define REPLY_MAX (128u * 1024)

enum stmt_id {
	ST_CALL_INSERT, ST_CALL_ANSWERED, ST_CALL_CODEC, ST_CALL_ENDED,
	ST_MSG_INSERT, ST_MSG_STATUS, ST_MSG_BODY,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CALL_INSERT] = "INSERT INTO calls (direction, peer, peer_key, display, account, "
			   "started, code, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CALL_ANSWERED] = "UPDATE calls SET answered = ?2 WHERE id = ?1 AND answered IS NULL",
	[ST_CALL_CODEC] = "UPDATE calls SET codec = ?2 WHERE id = ?1",
	[ST_CALL_ENDED] = "UPDATE calls SET ended = ?2, code = ?3, reason = ?4 WHERE id = ?1",
	[ST_MSG_INSERT] = "INSERT INTO messages (direction, peer, peer_key, display, account, "
			  "body, time, state, code, reason) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_MSG_STATUS] = "UPDATE messages SET state = ?2, code = ?3, reason = ?4, "
			  "peer = ?5, peer_key = ?6 WHERE id = ?1",
	[ST_MSG_BODY] = "UPDATE messages SET body = ?2 WHERE id = ?1",
};

/* Schema migrations: step i takes user_version i to i + 1. Static text, run in one
 * transaction each; the last statement of each sets the version it produces. */
static const char *const migrations[HISTORY_SCHEMA_VERSION] = {
	"CREATE TABLE calls ("
	" id INTEGER PRIMARY KEY,"
	" direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	" peer TEXT NOT NULL,"
	" peer_key TEXT NOT NULL,"        /* contact_uri_key(peer), for lookups */
	" display TEXT NOT NULL DEFAULT '',"
	" account TEXT NOT NULL DEFAULT '',"
	" started INTEGER NOT NULL,"      /* Unix seconds */
	" answered INTEGER,"              /* NULL: never answered */
	" ended INTEGER,"                 /* NULL: unfinished (still up, or ttyphone died) */
	" code INTEGER NOT NULL DEFAULT 0,"  /* the ended event's SIP code */
	" reason TEXT NOT NULL DEFAULT '',"
	" codec TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX calls_peer ON calls (peer_key, id);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	" peer TEXT NOT NULL,"
	" peer_key TEXT NOT NULL,"
	" display TEXT NOT NULL DEFAULT '',"
	" account TEXT NOT NULL DEFAULT '',"
	" body TEXT NOT NULL,"
	" time INTEGER NOT NULL,"
	" state TEXT NOT NULL,"           /* received | sending | delivered | failed */
	" code INTEGER NOT NULL DEFAULT 0,"  /* the final SIP response to our MESSAGE */
	" reason TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX messages_peer ON messages (peer_key, id);"
	"PRAGMA user_version = 1;",
};

struct call_slot {
	long long app_id;    /* 0: free */
	sqlite3_int64 row;
	bool answered;
	char codec[16];
	unsigned long age;   /* for replacing the oldest when full */
};

struct msg_slot {
	long long cookie;    /* 0: free */
	sqlite3_int64 row;
};

struct history {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char path[1024];
	bool broken;                 /* damaged while running: recording stopped */
	bool wal;                    /* journal_mode is WAL (else the rollback journal) */
	int last_fail;               /* last error code reported, 0 after a success */
	struct call_slot calls[CALL_SLOTS];
	unsigned long clock;
	struct msg_slot msgs[MSG_SLOTS];
	unsigned next_msg;
	void (*notify)(void *arg, const char *line);
	void *notify_arg;
	char domain[256];            /* "bob" is sip:bob@domain (history_set_domain) */
	unsigned busy_ms;            /* the busy timeout writes wait (reads: less, see query) */
};

/* ---- paths and errors ---- */

void history_default_path(char *out, size_t size)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, size, "%s/ttyphone/history.sqlite", xdg);
	else
		snprintf(out, size, "%s/.local/share/ttyphone/history.sqlite",
			 home && *home ? home : ".");
}

/* A sentence for an SQLite failure, with what to do about it. */
static const char *advice(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another program holds a lock on it (another ttyphone? the sqlite3 tool?)";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "it is not a SQLite database or it is damaged";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		return "it cannot be written (permissions? a read-only file system?)";
	case SQLITE_FULL:
		return "the disk is full";
	case SQLITE_IOERR:
		return "the disk reported an error";
	default:
		return "SQLite failed";
	}
}

static void describe(struct history *h, int rc, const char *doing, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s: %s (%s)", h->path, doing, advice(rc),
		 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
}

static bool is_damage(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* ---- opening ---- */

static void finalize_all(struct history *h)
{
	for (int i = 0; i < ST_COUNT; i++) {
		/* sqlite3_finalize only repeats the statement's last error, already reported */
		(void)sqlite3_finalize(h->st[i]);
		h->st[i] = NULL;
	}
}

void history_close(struct history *h)
{
	if (!h)
		return;
	finalize_all(h);
	if (h->db && sqlite3_close(h->db) != SQLITE_OK && h->notify)
		h->notify(h->notify_arg, "history: closing the database failed");
	free(h);
}

/* Run one statement that returns at most one row; its first column (text) to out. */
static int query_text(struct history *h, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

	if (out && size)
		out[0] = '\0';
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		if (out && size)
			str_copy(out, size, t ? (const char *)t : "");
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	if (sqlite3_finalize(st) != SQLITE_OK && rc == SQLITE_OK)
		rc = sqlite3_errcode(h->db);
	return rc;
}

static int query_int(struct history *h, const char *sql, long long *out)
{
	char text[32];
	int rc = query_text(h, sql, text, sizeof(text));

	*out = rc == SQLITE_OK ? strtoll(text, NULL, 10) : 0;
	return rc;
}

static int errno_of(int rc)
{
	return is_damage(rc) ? EILSEQ : (rc & 0xff) == SQLITE_BUSY ? EBUSY : EIO;
}

/* Is this a history we can use? Only reads: a file that is not ours is not touched. */
static int check_schema(struct history *h, long long *version, char *why, size_t whylen)
{
	long long tables;
	int rc;

	if ((rc = query_int(h, "PRAGMA user_version", version)) != SQLITE_OK ||
	    (rc = query_int(h, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
			    &tables)) != SQLITE_OK) {
		describe(h, rc, "cannot read it", why, whylen);
		return errno_of(rc);
	}
	if (*version > HISTORY_SCHEMA_VERSION) {
		snprintf(why, whylen, "%s: written by a newer ttyphone (schema %lld; this one knows "
			 "up to %d): left as it is", h->path, *version, HISTORY_SCHEMA_VERSION);
		return EPROTO;
	}
	if (*version == 0 && tables > 0) {
		snprintf(why, whylen, "%s: a SQLite database, but not a ttyphone history (it has "
			 "other tables): left as it is", h->path);
		return EPROTO;
	}
	return 0;
}

/* Bring the schema to HISTORY_SCHEMA_VERSION, or say why it cannot be. */
static int migrate(struct history *h, char *why, size_t whylen)
{
	long long version;
	int rc, err;

	/* IMMEDIATE: two ttyphones starting together create the tables once. */
	if ((rc = sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
		describe(h, rc, "cannot write to it", why, whylen);
		return errno_of(rc);
	}
	/* again, inside the transaction: another ttyphone may have just done it */
	if ((err = check_schema(h, &version, why, whylen)) != 0)
		goto fail;
	for (long long v = version; v < HISTORY_SCHEMA_VERSION; v++) {
		if ((rc = sqlite3_exec(h->db, migrations[v], NULL, NULL, NULL)) != SQLITE_OK) {
			describe(h, rc, "cannot create its tables", why, whylen);
			err = errno_of(rc);
			goto fail;
		}
	}
	/* Committing even when nothing changed proves we can write (a lock, a read-only file). */
	if ((rc = sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		describe(h, rc, "cannot write to it", why, whylen);
		err = errno_of(rc);
		goto fail;
	}
	return 0;
fail:
	if (sqlite3_get_autocommit(h->db) == 0 &&
	    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK) {
		/* the transaction ends with the connection anyway */
	}
	return err;
}

int history_open(struct history **hp, const char *path, unsigned busy_ms, char *why,
		 size_t whylen)
{
	struct history *h = calloc(1, sizeof(*h));
	char mode[32], check[300];
	long long version;
	int fd, rc, err;

	*hp = NULL;
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	h->busy_ms = busy_ms;
	if (path) {
		if (str_copy(h->path, sizeof(h->path), path) < 0) {
			snprintf(why, whylen, "history path too long: %s", path);
			free(h);
			return ENAMETOOLONG;
		}
	} else {
		history_default_path(h->path, sizeof(h->path));
	}
	{
		char dir[sizeof(h->path)];

		file_dir_of(h->path, dir, sizeof(dir));
		errno = 0;
		if (file_make_dirs(dir, why, whylen) < 0) {
			err = errno ? errno : ENAMETOOLONG;
			free(h);
			return err;
		}
	}
	/* Create it ourselves so that it is 0600 (SQLite gives -wal and -shm the same mode);
	 * never O_TRUNC: an existing file is only ever read and appended to by SQLite. */
	fd = open(h->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = errno;
		snprintf(why, whylen, "%s: %s", h->path, strerror(err));
		free(h);
		return err;
	}
	close(fd);
	rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		describe(h, rc, "cannot open it", why, whylen);
		goto fail;
	}
	if ((rc = sqlite3_extended_result_codes(h->db, 1)) != SQLITE_OK ||
	    (rc = sqlite3_busy_timeout(h->db, (int)busy_ms)) != SQLITE_OK) {
		describe(h, rc, "cannot set it up", why, whylen);
		goto fail;
	}
	/* Reading the header first tells "not a database" from everything else. */
	if ((rc = query_text(h, "PRAGMA user_version", NULL, 0)) != SQLITE_OK) {
		describe(h, rc, "cannot read it", why, whylen);
		goto fail;
	}
	if ((rc = query_text(h, "PRAGMA quick_check(1)", check, sizeof(check))) != SQLITE_OK) {
		describe(h, rc, "cannot check it", why, whylen);
		goto fail;
	}
	if (strcmp(check, "ok")) {
		snprintf(why, whylen, "%s: the database is damaged (quick_check: %s): left as it is",
			 h->path, check);
		rc = SQLITE_CORRUPT;
		goto fail;
	}
	/* Before anything writes (even the switch to WAL changes the header). */
	if ((err = check_schema(h, &version, why, whylen)) != 0) {
		history_close(h);
		return err;
	}
	if ((rc = query_text(h, "PRAGMA journal_mode = WAL", mode, sizeof(mode))) != SQLITE_OK) {
		describe(h, rc, "cannot switch it to WAL mode", why, whylen);
		goto fail;
	}
	/* Not "wal" on a file system without shared memory (some network ones): the rollback
	 * journal survives a killed process just as well (see the top of this file). */
	h->wal = !strcmp(mode, "wal");
	if ((rc = sqlite3_exec(h->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL)) != SQLITE_OK) {
		describe(h, rc, "cannot set synchronous = NORMAL", why, whylen);
		goto fail;
	}
	if ((err = migrate(h, why, whylen)) != 0) {
		history_close(h);
		return err;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if ((rc = sqlite3_prepare_v3(h->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					     &h->st[i], NULL)) != SQLITE_OK) {
			describe(h, rc, "cannot prepare its statements", why, whylen);
			goto fail;
		}
	}
	*hp = h;
	return 0;
fail:
	err = errno_of(rc);
	history_close(h);
	return err;
}

void history_set_notify(struct history *h, void (*fn)(void *arg, const char *line), void *arg)
{
	h->notify = fn;
	h->notify_arg = arg;
}

void history_set_domain(struct history *h, const char *hostport)
{
	str_ncopy(h->domain, sizeof(h->domain), hostport, strcspn(hostport, ";>?"));
}

/* What `msg TO` sends to, as sipua completes it: "bob" -> "sip:bob@domain". */
static void complete_peer(const struct history *h, const char *to, char *out, size_t size)
{
	if (!strncasecmp(to, "sip:", 4) || !strncasecmp(to, "sips:", 5) ||
	    !strncasecmp(to, "tel:", 4) || !*to)
		str_copy(out, size, to);
	else if (strchr(to, '@') || !h->domain[0])
		snprintf(out, size, "sip:%s", to);
	else
		snprintf(out, size, "sip:%s@%s", to, h->domain);
}

/* ---- statements ---- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* Step a write statement and make it ready for the next use. */
static int run(struct history *h, sqlite3_stmt *st, int bind_rc, const char *doing, char *why,
	       size_t whylen)
{
	int rc = bind_rc;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (sqlite3_reset(st) != SQLITE_OK && rc == SQLITE_OK)
		rc = sqlite3_errcode(h->db);
	if (sqlite3_clear_bindings(st) != SQLITE_OK && rc == SQLITE_OK)
		rc = sqlite3_errcode(h->db);
	if (rc == SQLITE_OK) {
		h->last_fail = 0;
		return 0;
	}
	describe(h, rc, doing, why, whylen);
	if (is_damage(rc))
		h->broken = true;
	h->last_fail = rc;
	return -1;
}

/* ---- calls ---- */

static struct call_slot *call_slot(struct history *h, long long app_id, bool create)
{
	struct call_slot *oldest = &h->calls[0];

	for (int i = 0; i < CALL_SLOTS; i++)
		if (h->calls[i].app_id == app_id)
			return &h->calls[i];
	if (!create)
		return NULL;
	for (int i = 0; i < CALL_SLOTS; i++) {
		if (!h->calls[i].app_id)
			return &h->calls[i];
		if (h->calls[i].age < oldest->age)
			oldest = &h->calls[i];
	}
	return oldest; /* more live calls than slots: forget the oldest */
}

static int record_call(struct history *h, const char *json, char *why, size_t whylen)
{
	char state[16], dir[8], peer[PEER_MAX], key[PEER_MAX], display[256], account[128];
	char reason[256];
	long long id = 0, code = 0;
	struct call_slot *s;
	sqlite3_stmt *st;
	time_t now = time(NULL);
	int rc;

	if (!json_get_int(json, "id", &id) || id <= 0 ||
	    !json_get_str(json, "state", state, sizeof(state)))
		return 0;
	s = call_slot(h, id, false);
	if (!s) {
		/* First news of this call (or of one we forgot): its row. */
		json_get_str(json, "direction", dir, sizeof(dir));
		json_get_str(json, "peer", peer, sizeof(peer));
		json_get_str(json, "display", display, sizeof(display));
		json_get_str(json, "account", account, sizeof(account));
		json_get_str(json, "reason", reason, sizeof(reason));
		json_get_int(json, "code", &code);
		contact_uri_key(peer, key, sizeof(key));
		st = h->st[ST_CALL_INSERT];
		rc = bind_text(st, 1, strcmp(dir, "in") ? "out" : "in");
		if (rc == SQLITE_OK) rc = bind_text(st, 2, peer);
		if (rc == SQLITE_OK) rc = bind_text(st, 3, key);
		if (rc == SQLITE_OK) rc = bind_text(st, 4, display);
		if (rc == SQLITE_OK) rc = bind_text(st, 5, account);
		if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
		if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 7, code);
		if (rc == SQLITE_OK) rc = bind_text(st, 8, reason);
		if (run(h, st, rc, "cannot record a call", why, whylen) < 0)
			return -1;
		s = call_slot(h, id, true);
		memset(s, 0, sizeof(*s));
		s->app_id = id;
		s->row = sqlite3_last_insert_rowid(h->db);
	}
	s->age = ++h->clock;
	if ((!strcmp(state, "established") || !strcmp(state, "held")) && !s->answered) {
		st = h->st[ST_CALL_ANSWERED];
		rc = sqlite3_bind_int64(st, 1, s->row);
		if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if (run(h, st, rc, "cannot record an answered call", why, whylen) < 0)
			return -1;
		s->answered = true;
	}
	if (!strcmp(state, "ended")) {
		json_get_str(json, "reason", reason, sizeof(reason));
		json_get_int(json, "code", &code);
		st = h->st[ST_CALL_ENDED];
		rc = sqlite3_bind_int64(st, 1, s->row);
		if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, code);
		if (rc == SQLITE_OK) rc = bind_text(st, 4, reason);
		s->app_id = 0; /* done with it, whatever happens */
		if (run(h, st, rc, "cannot record the end of a call", why, whylen) < 0)
			return -1;
	}
	return 0;
}

static int record_media(struct history *h, const char *json, char *why, size_t whylen)
{
	char codec[16];
	long long id = 0;
	struct call_slot *s;
	sqlite3_stmt *st = h->st[ST_CALL_CODEC];
	int rc;

	if (!json_get_int(json, "id", &id) || !(s = call_slot(h, id, false)) ||
	    !json_get_str(json, "codec", codec, sizeof(codec)) || !strcmp(codec, s->codec))
		return 0;
	rc = sqlite3_bind_int64(st, 1, s->row);
	if (rc == SQLITE_OK) rc = bind_text(st, 2, codec);
	if (run(h, st, rc, "cannot record a call's codec", why, whylen) < 0)
		return -1;
	str_copy(s->codec, sizeof(s->codec), codec);
	return 0;
}

/* ---- messages ---- */

static struct msg_slot *msg_slot(struct history *h, long long cookie)
{
	for (int i = 0; i < MSG_SLOTS; i++)
		if (h->msgs[i].cookie == cookie)
			return &h->msgs[i];
	return NULL;
}

static void remember_msg(struct history *h, long long cookie, sqlite3_int64 row)
{
	struct msg_slot *s = &h->msgs[h->next_msg++ % MSG_SLOTS];

	s->cookie = cookie;
	s->row = row;
}

static const char *msg_state(long long code)
{
	return code < 200 ? "sending" : code < 300 ? "delivered" : "failed";
}

static int insert_msg(struct history *h, bool in, const char *peer, const char *display,
		      const char *account, const char *body, const char *state, long long code,
		      const char *reason, char *why, size_t whylen)
{
	sqlite3_stmt *st = h->st[ST_MSG_INSERT];
	char key[PEER_MAX];
	int rc;

	contact_uri_key(peer, key, sizeof(key));
	rc = bind_text(st, 1, in ? "in" : "out");
	if (rc == SQLITE_OK) rc = bind_text(st, 2, peer);
	if (rc == SQLITE_OK) rc = bind_text(st, 3, key);
	if (rc == SQLITE_OK) rc = bind_text(st, 4, display);
	if (rc == SQLITE_OK) rc = bind_text(st, 5, account);
	if (rc == SQLITE_OK) rc = bind_text(st, 6, body);
	if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK) rc = bind_text(st, 8, state);
	if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 9, code);
	if (rc == SQLITE_OK) rc = bind_text(st, 10, reason);
	return run(h, st, rc, "cannot record a message", why, whylen);
}

static int record_message(struct history *h, const char *json, const char *ev, char *why,
			  size_t whylen)
{
	static char body[BODY_MAX]; /* one thread: the loop's */
	char peer[PEER_MAX], key[PEER_MAX], display[256], account[128], reason[256];
	long long cookie = 0, code = 0;
	struct msg_slot *s;
	sqlite3_stmt *st;
	int rc;

	if (!strcmp(ev, "message")) {
		char ctype[128];
		/* Text only: "is typing" notices (RFC 3994) and the like are not conversation. */
		if (json_get_str(json, "content_type", ctype, sizeof(ctype)) && ctype[0] &&
		    strncasecmp(ctype, "text/", 5))
			return 0;
		json_get_str(json, "from", peer, sizeof(peer));
		json_get_str(json, "display", display, sizeof(display));
		json_get_str(json, "account", account, sizeof(account));
		json_get_str(json, "body", body, sizeof(body));
		return insert_msg(h, true, peer, display, account, body, "received", 0, "", why,
				  whylen);
	}
	if (!json_get_int(json, "msg", &cookie) || cookie <= 0)
		return 0;
	s = msg_slot(h, cookie);
	if (!strcmp(ev, "message_sent")) {
		char to[PEER_MAX];
		json_get_str(json, "to", to, sizeof(to));
		complete_peer(h, to, peer, sizeof(peer));
		json_get_str(json, "body", body, sizeof(body));
		if (s) {
			/* its status came first (a failure reported at once) */
			st = h->st[ST_MSG_BODY];
			rc = sqlite3_bind_int64(st, 1, s->row);
			if (rc == SQLITE_OK) rc = bind_text(st, 2, body);
			return run(h, st, rc, "cannot record a message", why, whylen);
		}
		if (insert_msg(h, false, peer, "", "", body, "sending", 0, "", why, whylen) < 0)
			return -1;
		remember_msg(h, cookie, sqlite3_last_insert_rowid(h->db));
		return 0;
	}
	/* message_status */
	json_get_str(json, "to", peer, sizeof(peer));
	json_get_str(json, "reason", reason, sizeof(reason));
	json_get_int(json, "code", &code);
	if (!s) {
		if (insert_msg(h, false, peer, "", "", "", msg_state(code), code, reason, why,
			       whylen) < 0)
			return -1;
		remember_msg(h, cookie, sqlite3_last_insert_rowid(h->db));
		return 0;
	}
	contact_uri_key(peer, key, sizeof(key));
	st = h->st[ST_MSG_STATUS];
	rc = sqlite3_bind_int64(st, 1, s->row);
	if (rc == SQLITE_OK) rc = bind_text(st, 2, msg_state(code));
	if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, code);
	if (rc == SQLITE_OK) rc = bind_text(st, 4, reason);
	/* the status names the address the MESSAGE really went to ("bob" -> "sip:bob@host") */
	if (rc == SQLITE_OK) rc = bind_text(st, 5, peer);
	if (rc == SQLITE_OK) rc = bind_text(st, 6, key);
	return run(h, st, rc, "cannot record a message's delivery", why, whylen);
}

int history_record(struct history *h, const char *json, char *why, size_t whylen)
{
	char ev[32];

	if (!json_get_str(json, "event", ev, sizeof(ev)))
		return 0;
	if (strcmp(ev, "call") && strcmp(ev, "media") && strcmp(ev, "message") &&
	    strcmp(ev, "message_sent") && strcmp(ev, "message_status"))
		return 0;
	if (h->broken) {
		snprintf(why, whylen, "%s: not recording: the database is damaged", h->path);
		return -1;
	}
	if (!strcmp(ev, "call"))
		return record_call(h, json, why, whylen);
	if (!strcmp(ev, "media"))
		return record_media(h, json, why, whylen);
	return record_message(h, json, ev, why, whylen);
}

void history_on_event(void *arg, const char *json)
{
	struct history *h = arg;
	bool was_broken = h->broken;
	int before = h->last_fail;
	char why[1400], line[1500];

	if (history_record(h, json, why, sizeof(why)) == 0 || was_broken)
		return;
	/* Say it once per kind of trouble, not once per event. */
	if (h->notify && (h->last_fail != before || h->broken)) {
		snprintf(line, sizeof(line), "history: %s%s", why,
			 h->broken ? "; recording stopped, the file is left as it is" : "");
		h->notify(h->notify_arg, line);
	}
}

/* ---- replies ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void col_time(struct jw *w, sqlite3_stmt *st, int i, const char *key)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		jw_null(w, key);
	else
		jw_int(w, key, sqlite3_column_int64(st, i));
}

/* Write rows of st into w as an array of objects; SQLITE_DONE when all went. */
typedef void (row_fn)(struct jw *w, sqlite3_stmt *st);

static void call_row(struct jw *w, sqlite3_stmt *st)
{
	jw_int(w, "id", sqlite3_column_int64(st, 0));
	jw_str(w, "direction", col_text(st, 1));
	jw_str(w, "peer", col_text(st, 2));
	if (*col_text(st, 3))
		jw_str(w, "display", col_text(st, 3));
	jw_str(w, "account", col_text(st, 4));
	col_time(w, st, 5, "started");
	col_time(w, st, 6, "answered");
	col_time(w, st, 7, "ended");
	jw_int(w, "code", sqlite3_column_int64(st, 8));
	jw_str(w, "reason", col_text(st, 9));
	jw_str(w, "codec", col_text(st, 10));
	jw_str(w, "result", sqlite3_column_type(st, 7) == SQLITE_NULL ? "unfinished" :
	       sqlite3_column_type(st, 6) != SQLITE_NULL ? "answered" :
	       !strcmp(col_text(st, 1), "in") ? "missed" : "not answered");
}

static void msg_row(struct jw *w, sqlite3_stmt *st)
{
	jw_int(w, "id", sqlite3_column_int64(st, 0));
	jw_str(w, "direction", col_text(st, 1));
	jw_str(w, "peer", col_text(st, 2));
	if (*col_text(st, 3))
		jw_str(w, "display", col_text(st, 3));
	jw_str(w, "account", col_text(st, 4));
	jw_str(w, "body", col_text(st, 5));
	jw_int(w, "time", sqlite3_column_int64(st, 6));
	jw_str(w, "state", col_text(st, 7));
	jw_int(w, "code", sqlite3_column_int64(st, 8));
	jw_str(w, "reason", col_text(st, 9));
}

/* Run a prepared query (bound; ?limit is its parameter limit_param) into a reply object;
 * rows that do not fit in REPLY_MAX bytes are left off ("truncated": true). */
static char *reply(struct history *h, sqlite3_stmt *st, int limit_param, unsigned n,
		   const char *event, const char *label, const char *array, row_fn *fn,
		   char *why, size_t whylen)
{
	char *buf = malloc(REPLY_MAX);
	bool truncated = false;
	int rc = SQLITE_OK;

	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (;;) {
		struct jw w;

		jw_begin(&w, buf, REPLY_MAX);
		jw_str(&w, "event", event);
		if (label)
			jw_str(&w, "peer", label);
		jw_array_begin(&w, array);
		rc = sqlite3_bind_int64(st, limit_param, n);
		while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			jw_object_begin(&w, NULL);
			fn(&w, st);
			jw_object_end(&w);
			rc = SQLITE_OK;
		}
		if (sqlite3_reset(st) != SQLITE_OK && rc == SQLITE_DONE)
			rc = sqlite3_errcode(h->db);
		if (rc != SQLITE_DONE)
			break;
		jw_array_end(&w);
		if (truncated)
			jw_bool(&w, "truncated", true);
		if (jw_end(&w))
			return buf;
		if (n <= 1) {
			snprintf(why, whylen, "%s: a record too large to show", h->path);
			free(buf);
			return NULL;
		}
		n /= 2;
		truncated = true;
	}
	describe(h, rc, "cannot read it", why, whylen);
	free(buf);
	return NULL;
}

static sqlite3_stmt *prepare(struct history *h, const char *sql, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		describe(h, rc, "cannot read it", why, whylen);
		return NULL;
	}
	return st;
}

char *history_calls_json(struct history *h, unsigned n, char *why, size_t whylen)
{
	sqlite3_stmt *st = prepare(h, "SELECT id, direction, peer, display, account, started, "
				   "answered, ended, code, reason, codec FROM calls "
				   "ORDER BY id DESC LIMIT ?1", why, whylen);
	char *out;

	if (!st)
		return NULL;
	out = reply(h, st, 1, n > HISTORY_MAX_CALLS ? HISTORY_MAX_CALLS : n, "history", NULL,
		    "calls", call_row, why, whylen);
	(void)sqlite3_finalize(st); /* repeats a step error reply() already reported */
	return out;
}

char *history_messages_json(struct history *h, const char *label, const char *const *keys,
			    unsigned nkeys, unsigned n, char *why, size_t whylen)
{
	/* The last n, shown oldest first; up to CONTACT_MAX_URIS addresses of one contact. */
	sqlite3_stmt *st = prepare(h, "SELECT * FROM (SELECT id, direction, peer, display, "
				   "account, body, time, state, code, reason FROM messages "
				   "WHERE peer_key IN (?1, ?2, ?3, ?4) ORDER BY id DESC LIMIT ?5) "
				   "ORDER BY id", why, whylen);
	char *out = NULL;
	int rc = SQLITE_OK;

	if (!st)
		return NULL;
	if (!nkeys) {
		snprintf(why, whylen, "no address to look for");
		goto done;
	}
	for (int i = 0; i < 4 && rc == SQLITE_OK; i++)
		rc = bind_text(st, i + 1, keys[(unsigned)i < nkeys ? (unsigned)i : 0]);
	if (rc != SQLITE_OK) {
		describe(h, rc, "cannot read it", why, whylen);
		goto done;
	}
	out = reply(h, st, 5, n > HISTORY_MAX_MESSAGES ? HISTORY_MAX_MESSAGES : n, "messages",
		    label, "messages", msg_row, why, whylen);
done:
	(void)sqlite3_finalize(st); /* as above */
	return out;
}

/* ---- rows for the history view ---- */

bool history_missed(const struct history_entry *e)
{
	/* 487: the caller cancelled; < 300: it ended some other way before we picked up.
	 * Other codes are our own refusals (reject, hang-up while ringing). */
	return e->kind == HISTORY_CALL && e->incoming && !e->answered && !e->live && e->ended &&
	       (e->code == 487 || e->code < 300);
}

/* "busy" for 486: the few failures of an outgoing call a person recognises. */
static const char *failure_word(int code)
{
	switch (code) {
	case 486: case 600: return "busy";
	case 603: return "declined";
	case 480: return "unavailable";
	case 404: case 604: return "not found";
	case 408: return "no answer";
	case 401: case 403: case 407: return "refused";
	default: return "failed";
	}
}

void history_result(const struct history_entry *e, char *out, size_t size)
{
	if (e->kind == HISTORY_MESSAGE) {
		if (e->incoming)
			snprintf(out, size, "received");
		else if (!strcmp(e->state, "failed") && e->code)
			snprintf(out, size, "failed %d", e->code);
		else
			snprintf(out, size, "%s", e->state);
		return;
	}
	if (e->live) {
		snprintf(out, size, "%s", e->answered ? "in call" : "ringing");
	} else if (!e->ended) {
		snprintf(out, size, "unfinished");
	} else if (e->answered) {
		long secs = e->ended > e->answered ? (long)(e->ended - e->answered) : 0;
		if (secs >= 3600)
			snprintf(out, size, "%ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
		else
			snprintf(out, size, "%ld:%02ld", secs / 60, secs % 60);
	} else if (e->incoming) {
		if (history_missed(e))
			snprintf(out, size, "missed");
		else
			snprintf(out, size, "rejected %d", e->code);
	} else if (e->code == 487) {
		snprintf(out, size, "no answer"); /* we hung up while it rang */
	} else if (e->code >= 300) {
		snprintf(out, size, "%s %d", failure_word(e->code), e->code);
	} else {
		snprintf(out, size, "failed");
	}
}

static bool call_is_live(const struct history *h, long long row)
{
	for (int i = 0; i < CALL_SLOTS; i++)
		if (h->calls[i].app_id && h->calls[i].row == row)
			return true;
	return false;
}

static time_t col_time_t(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : (time_t)sqlite3_column_int64(st, i);
}

/* Column order of the two reads below. */
enum { Q_ID, Q_DIR, Q_PEER, Q_KEY, Q_DISPLAY, Q_ACCOUNT, Q_TIME, Q_CODE, Q_REASON,
       Q_ANSWERED, Q_ENDED, Q_CODEC,        /* calls */
       Q_BODY = Q_ANSWERED, Q_STATE };      /* messages */

/* What a row's result and the filter need: no text but the state. */
static void fill_head(const struct history *h, sqlite3_stmt *st, enum history_kind kind,
		      struct history_entry *e)
{
	e->kind = kind;
	e->id = sqlite3_column_int64(st, Q_ID);
	e->incoming = !strcmp(col_text(st, Q_DIR), "in");
	e->time = col_time_t(st, Q_TIME);
	e->code = sqlite3_column_int(st, Q_CODE);
	if (kind == HISTORY_CALL) {
		e->answered = col_time_t(st, Q_ANSWERED);
		e->ended = col_time_t(st, Q_ENDED);
		e->live = !e->ended && call_is_live(h, e->id);
		e->state[0] = '\0';
	} else {
		e->answered = e->ended = 0;
		e->live = false;
		str_copy(e->state, sizeof(e->state), col_text(st, Q_STATE));
	}
}

/* The rest, for a row that goes into the page. */
static void fill_text(sqlite3_stmt *st, struct history_entry *e)
{
	str_copy(e->peer, sizeof(e->peer), col_text(st, Q_PEER));
	str_copy(e->peer_key, sizeof(e->peer_key), col_text(st, Q_KEY));
	str_copy(e->display, sizeof(e->display), col_text(st, Q_DISPLAY));
	str_copy(e->account, sizeof(e->account), col_text(st, Q_ACCOUNT));
	str_copy(e->reason, sizeof(e->reason), col_text(st, Q_REASON));
	if (e->kind == HISTORY_CALL) {
		str_copy(e->codec, sizeof(e->codec), col_text(st, Q_CODEC));
		e->text[0] = '\0';
	} else {
		const char *body = col_text(st, Q_BODY);
		e->codec[0] = '\0';
		str_ncopy(e->text, sizeof(e->text), body, strcspn(body, "\r\n"));
	}
}

static bool has_key(const struct history_filter *f, const char *key)
{
	for (unsigned i = 0; i < f->nkeys; i++)
		if (!strcmp(f->keys[i], key))
			return true;
	return false;
}

/* e has its head (fill_head); the texts are read from st, the body whole. */
static bool passes(const struct history_filter *f, const struct history_entry *e,
		   sqlite3_stmt *st)
{
	char result[64];

	if (f->missed_only && !history_missed(e))
		return false;
	if (!f->text || !f->text[0])
		return true;
	if (str_casefind(col_text(st, Q_PEER), f->text) ||
	    str_casefind(col_text(st, Q_DISPLAY), f->text) || has_key(f, col_text(st, Q_KEY)) ||
	    (e->kind == HISTORY_MESSAGE && str_casefind(col_text(st, Q_BODY), f->text)))
		return true;
	history_result(e, result, sizeof(result));
	return str_casefind(result, f->text);
}

static int count_rows(struct history *h, unsigned *total)
{
	long long n = 0;
	int rc = query_int(h, "SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM messages)",
			   &n);

	*total = rc == SQLITE_OK && n > 0 ? (unsigned)n : 0;
	return rc;
}

int history_query(struct history *h, const struct history_filter *f, struct history_entry *out,
		  unsigned max, struct history_counts *counts, char *why, size_t whylen)
{
	static const struct history_filter all;
	sqlite3_stmt *calls = NULL, *msgs = NULL;
	int rc_c, rc_m, rc = SQLITE_OK;
	unsigned n = 0, matched = 0, total = 0;
	bool filtering;
	struct history_entry e;

	if (!f)
		f = &all;
	filtering = f->missed_only || (f->text && f->text[0]);
	if (max > HISTORY_PAGE_MAX)
		max = HISTORY_PAGE_MAX;
	/* A view waits a moment for a writer's lock, not the recorder's seconds. */
	(void)sqlite3_busy_timeout(h->db, (int)(h->busy_ms < HISTORY_QUERY_BUSY_MS ? h->busy_ms :
						 HISTORY_QUERY_BUSY_MS));
	calls = prepare(h, f->missed_only ?
			"SELECT id, direction, peer, peer_key, display, account, started, code, "
			"reason, answered, ended, codec FROM calls WHERE direction = 'in' AND "
			"answered IS NULL AND ended IS NOT NULL ORDER BY id DESC" :
			"SELECT id, direction, peer, peer_key, display, account, started, code, "
			"reason, answered, ended, codec FROM calls ORDER BY id DESC", why, whylen);
	if (!calls)
		goto out;
	if (!f->missed_only &&
	    !(msgs = prepare(h, "SELECT id, direction, peer, peer_key, display, account, time, "
			     "code, reason, body, state FROM messages ORDER BY id DESC", why, whylen)))
		goto out;
	/* A newest-first merge of two tables read backwards by rowid: no sort of the whole
	 * file. Without a filter it stops once the page is full (count(*) gives the totals);
	 * with one, every row is read to count the matches. */
	rc_c = sqlite3_step(calls);
	rc_m = msgs ? sqlite3_step(msgs) : SQLITE_DONE;
	while (rc_c == SQLITE_ROW || rc_m == SQLITE_ROW) {
		bool take_call = rc_c == SQLITE_ROW &&
				 (rc_m != SQLITE_ROW || sqlite3_column_int64(calls, Q_TIME) >=
							sqlite3_column_int64(msgs, Q_TIME));
		sqlite3_stmt *st = take_call ? calls : msgs;

		if (!filtering && n == max)
			break;
		fill_head(h, st, take_call ? HISTORY_CALL : HISTORY_MESSAGE, &e);
		total++;
		if (passes(f, &e, st)) {
			matched++;
			if (n < max) {
				fill_text(st, &e);
				out[n++] = e;
			}
		}
		if (take_call)
			rc_c = sqlite3_step(calls);
		else
			rc_m = sqlite3_step(msgs);
	}
	if (rc_c != SQLITE_ROW && rc_c != SQLITE_DONE)
		rc = rc_c;
	else if (rc_m != SQLITE_ROW && rc_m != SQLITE_DONE)
		rc = rc_m;
	if (rc == SQLITE_OK && (!filtering || f->missed_only))
		rc = count_rows(h, &total); /* rows not read, or only the calls were */
	if (rc != SQLITE_OK) {
		describe(h, rc, "cannot read it", why, whylen);
		if (is_damage(rc))
			h->broken = true;
		n = 0;
		goto out;
	}
	if (counts) {
		counts->matched = filtering ? matched : total;
		counts->total = total;
	}
	/* both were read to the end or stopped between rows: nothing left to report */
	(void)sqlite3_finalize(calls);
	(void)sqlite3_finalize(msgs);
	(void)sqlite3_busy_timeout(h->db, (int)h->busy_ms);
	return (int)n;
out:
	/* finalize repeats the step error described above */
	(void)sqlite3_finalize(calls);
	(void)sqlite3_finalize(msgs);
	(void)sqlite3_busy_timeout(h->db, (int)h->busy_ms); /* only fails on a NULL handle */
	return -1;
}

int history_conversation(struct history *h, const char *const *keys, unsigned nkeys,
			 long long before_id, unsigned max, history_message_fn *fn, void *arg,
			 char *why, size_t whylen)
{
	/* messages_peer (peer_key, id) serves it: the last max rows of each key, backwards */
	sqlite3_stmt *st;
	struct history_message m;
	int rc = SQLITE_OK, n = 0;

	if (!nkeys) {
		snprintf(why, whylen, "no address to look for");
		return -1;
	}
	(void)sqlite3_busy_timeout(h->db, (int)(h->busy_ms < HISTORY_QUERY_BUSY_MS ? h->busy_ms :
						 HISTORY_QUERY_BUSY_MS));
	st = prepare(h, "SELECT * FROM (SELECT id, direction, peer, display, body, time, state, "
		     "code, reason FROM messages WHERE peer_key IN (?1, ?2, ?3, ?4) AND id < ?5 "
		     "ORDER BY id DESC LIMIT ?6) ORDER BY id", why, whylen);
	if (!st)
		goto out;
	for (int i = 0; i < HISTORY_CONV_KEYS && rc == SQLITE_OK; i++)
		rc = bind_text(st, i + 1, keys[(unsigned)i < nkeys ? (unsigned)i : 0]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, before_id > 0 ? before_id : LLONG_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, max);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.id = sqlite3_column_int64(st, 0);
		m.incoming = !strcmp(col_text(st, 1), "in");
		m.peer = col_text(st, 2);
		m.display = col_text(st, 3);
		m.body = col_text(st, 4);
		m.time = (time_t)sqlite3_column_int64(st, 5);
		m.state = col_text(st, 6);
		m.code = sqlite3_column_int(st, 7);
		m.reason = col_text(st, 8);
		fn(arg, &m);
		n++;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		describe(h, rc, "cannot read it", why, whylen);
		if (is_damage(rc))
			h->broken = true;
		n = -1;
	}
	(void)sqlite3_finalize(st); /* repeats the step error described above */
out:
	(void)sqlite3_busy_timeout(h->db, (int)h->busy_ms); /* only fails on a NULL handle */
	return st ? n : -1;
}
