/* test_history.c: the SQLite history: what it records from the app's events, what it
 * answers, and that a damaged, foreign, newer or locked file is reported and left alone. */
#include "history.h"
#include "strutil.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static char path[128];
static int serial;

/* A fresh file name in the test's folder. */
static const char *fresh_path(void)
{
	snprintf(path, sizeof(path), "%s/h%d/history.sqlite", dir, ++serial);
	return path;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void spit(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");

	fwrite(data, 1, len, f);
	fclose(f);
}

static long long scalar(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void text_of(const char *db_path, const char *sql, char *out, size_t size)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static int record(struct history *h, const char *json)
{
	char why[1400];
	int rc = history_record(h, json, why, sizeof(why));

	if (rc)
		fprintf(stderr, "  history_record: %s\n", why);
	return rc;
}

static struct history *open_ok(const char *p)
{
	struct history *h = NULL;
	char why[1400];
	int rc = history_open(&h, p, 200, why, sizeof(why));

	if (rc)
		fprintf(stderr, "  history_open: %s\n", why);
	CHECK_INT(rc, 0);
	return h;
}

static void test_a_call_is_recorded_from_its_events(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	char text[256];

	if (!h)
		return;
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"calling\",\"peer\":\"sip:bob@"
			 "Example.org\",\"direction\":\"out\",\"account\":\"alice\",\"code\":0,"
			 "\"reason\":\"\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"ringing\",\"peer\":\"sip:bob@"
			 "example.org\",\"direction\":\"out\",\"code\":180,\"reason\":\"Ringing\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"media\",\"id\":1,\"codec\":\"opus\",\"rate\":48000}"), 0);
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"established\",\"code\":200}"), 0);
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"held\",\"code\":200}"), 0);
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"ended\",\"code\":200,"
			 "\"reason\":\"Hung up\"}"), 0);
	/* an incoming call that was never answered */
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":2,\"state\":\"incoming\",\"peer\":\"sip:carol@"
			 "example.org\",\"direction\":\"in\",\"code\":0,\"reason\":\"\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"call\",\"id\":2,\"state\":\"ended\",\"code\":487,"
			 "\"reason\":\"Request Terminated\"}"), 0);
	/* events about other things are not recorded, nor messages that are not text */
	CHECK_INT(record(h, "{\"event\":\"message\",\"from\":\"sip:bob@example.org\","
			 "\"content_type\":\"application/im-iscomposing+xml\",\"body\":\"<x/>\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"reg\",\"account\":\"alice\",\"state\":\"registered\"}"), 0);
	CHECK_INT(record(h, "not json at all"), 0);
	history_close(h);

	CHECK_INT(scalar(p, "SELECT count(*) FROM calls"), 2);
	CHECK_INT(scalar(p, "SELECT count(*) FROM messages"), 0);
	text_of(p, "SELECT direction || ' ' || peer || ' ' || account || ' ' || codec || ' ' || "
		"code || ' ' || reason FROM calls WHERE id = 1", text, sizeof(text));
	CHECK_STR(text, "out sip:bob@Example.org alice opus 200 Hung up");
	text_of(p, "SELECT peer_key FROM calls WHERE id = 1", text, sizeof(text));
	CHECK_STR(text, "sip:bob@example.org");
	CHECK_INT(scalar(p, "SELECT answered IS NOT NULL AND ended >= answered AND answered >= started"
			 " FROM calls WHERE id = 1"), 1);
	CHECK_INT(scalar(p, "SELECT answered IS NULL AND ended IS NOT NULL FROM calls WHERE id = 2"), 1);
	CHECK_INT(scalar(p, "SELECT code FROM calls WHERE id = 2"), 487);
}

static void test_messages_are_recorded_with_their_delivery(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	char text[256];

	if (!h)
		return;
	CHECK_INT(record(h, "{\"event\":\"message\",\"from\":\"sip:bob@example.org\",\"display\":\"Bob\","
			 "\"account\":\"alice\",\"content_type\":\"text/plain\",\"body\":\"hi \\u00e9\\n"
			 "line 2\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"message_sent\",\"msg\":1,\"to\":\"bob\",\"body\":\"hello "
			 "'; DROP TABLE messages; --\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"message_sent\",\"msg\":2,\"to\":\"sip:nobody@example.org\","
			 "\"body\":\"lost\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"message_status\",\"msg\":1,\"to\":\"sip:bob@example.org\","
			 "\"code\":202,\"reason\":\"Accepted\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"message_status\",\"msg\":2,\"to\":\"sip:nobody@example.org\","
			 "\"code\":404,\"reason\":\"Not Found\"}"), 0);
	/* a status that arrives before its message_sent still makes one row */
	CHECK_INT(record(h, "{\"event\":\"message_status\",\"msg\":3,\"to\":\"sip:bob@example.org\","
			 "\"code\":408,\"reason\":\"Timeout\"}"), 0);
	CHECK_INT(record(h, "{\"event\":\"message_sent\",\"msg\":3,\"to\":\"sip:bob@example.org\","
			 "\"body\":\"late\"}"), 0);
	/* with no status yet, "carol" is already recorded as the address it goes to */
	history_set_domain(h, "example.org:5060;transport=tcp");
	CHECK_INT(record(h, "{\"event\":\"message_sent\",\"msg\":4,\"to\":\"carol\","
			 "\"body\":\"pending\"}"), 0);
	history_close(h);

	CHECK_INT(scalar(p, "SELECT count(*) FROM messages"), 5);
	text_of(p, "SELECT peer || '|' || peer_key || '|' || state FROM messages WHERE id = 5", text,
		sizeof(text));
	CHECK_STR(text, "sip:carol@example.org:5060|sip:carol@example.org:5060|sending");
	text_of(p, "SELECT direction || '|' || peer || '|' || display || '|' || body || '|' || state "
		"FROM messages WHERE id = 1", text, sizeof(text));
	CHECK_STR(text, "in|sip:bob@example.org|Bob|hi \xc3\xa9\nline 2|received");
	text_of(p, "SELECT peer || '|' || body || '|' || state || '|' || code FROM messages "
		"WHERE id = 2", text, sizeof(text));
	CHECK_STR(text, "sip:bob@example.org|hello '; DROP TABLE messages; --|delivered|202");
	text_of(p, "SELECT state || '|' || code || '|' || reason FROM messages WHERE id = 3", text,
		sizeof(text));
	CHECK_STR(text, "failed|404|Not Found");
	text_of(p, "SELECT body || '|' || state FROM messages WHERE id = 4", text, sizeof(text));
	CHECK_STR(text, "late|failed");
}

static void test_replies_list_calls_newest_first_and_messages_oldest_first(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	char why[1400], ev[256];
	const char *keys[] = { "sip:bob@example.org" };
	char *json;

	if (!h)
		return;
	for (int i = 1; i <= 5; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"call\",\"id\":%d,\"state\":\"calling\",\"peer\":"
			 "\"sip:n%d@example.org\",\"direction\":\"out\"}", i, i);
		record(h, ev);
		snprintf(ev, sizeof(ev), "{\"event\":\"message\",\"from\":\"sip:bob@example.org\","
			 "\"body\":\"m%d\"}", i);
		record(h, ev);
	}
	record(h, "{\"event\":\"message\",\"from\":\"sip:eve@example.org\",\"body\":\"other\"}");
	json = history_calls_json(h, 2, why, sizeof(why));
	CHECK(json != NULL);
	if (json) {
		CHECK(strstr(json, "{\"event\":\"history\",\"calls\":[{\"id\":5,") == json);
		CHECK(strstr(json, "\"id\":4,") != NULL);
		CHECK(strstr(json, "\"id\":3,") == NULL);
		CHECK(strstr(json, "\"ended\":null") != NULL);
		CHECK(strstr(json, "\"result\":\"unfinished\"") != NULL);
		free(json);
	}
	json = history_messages_json(h, "bob", keys, 1, 3, why, sizeof(why));
	CHECK(json != NULL);
	if (json) {
		const char *m3 = strstr(json, "\"body\":\"m3\""), *m5 = strstr(json, "\"body\":\"m5\"");
		CHECK(strstr(json, "{\"event\":\"messages\",\"peer\":\"bob\",\"messages\":[") == json);
		CHECK(m3 && m5 && m3 < m5);
		CHECK(strstr(json, "\"body\":\"m2\"") == NULL);
		CHECK(strstr(json, "other") == NULL);
		free(json);
	}
	history_close(h);
}

static void test_a_reply_too_big_lists_the_newest_and_says_so(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	const char *keys[] = { "sip:bob@example.org" };
	static char ev[4000];
	char why[1400], body[3001], *json;

	if (!h)
		return;
	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (int i = 0; i < 80; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"message\",\"from\":\"sip:bob@example.org\","
			 "\"body\":\"%03d%s\"}", i, body);
		record(h, ev);
	}
	json = history_messages_json(h, "bob", keys, 1, 80, why, sizeof(why));
	CHECK(json != NULL);
	if (json) {
		CHECK(strlen(json) < 128 * 1024);
		CHECK(strstr(json, "\"truncated\":true") != NULL);
		CHECK(strstr(json, "\"body\":\"079") != NULL);   /* the newest stay */
		CHECK(strstr(json, "\"body\":\"000") == NULL);
		free(json);
	}
	history_close(h);
}

static void test_file_is_private_wal_and_versioned(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	struct stat st;
	char mode[16], folder[128];

	if (!h)
		return;
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(folder, sizeof(folder), "%s", p);
	*strrchr(folder, '/') = '\0';
	CHECK_INT(stat(folder, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	history_close(h);
	text_of(p, "PRAGMA journal_mode", mode, sizeof(mode));
	CHECK_STR(mode, "wal");
	CHECK_INT(scalar(p, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION);
	/* opening again keeps what is there */
	h = open_ok(p);
	if (h) {
		CHECK_INT(record(h, "{\"event\":\"message\",\"from\":\"sip:a@b\",\"body\":\"x\"}"), 0);
		history_close(h);
	}
	h = open_ok(p);
	if (h) {
		CHECK_INT(record(h, "{\"event\":\"message\",\"from\":\"sip:a@b\",\"body\":\"y\"}"), 0);
		history_close(h);
	}
	CHECK_INT(scalar(p, "SELECT count(*) FROM messages"), 2);
}

/* Open must fail with a message containing `says`, and leave the file byte for byte. */
static void check_refused(const char *p, const char *says)
{
	struct history *h = NULL;
	char why[1400];
	size_t before_len, after_len;
	char *before = slurp(p, &before_len), *after;
	int rc = history_open(&h, p, 200, why, sizeof(why));

	CHECK(rc != 0);
	CHECK(h == NULL);
	if (!strstr(why, says))
		fprintf(stderr, "  why: %s (wanted \"%s\")\n", why, says);
	CHECK(strstr(why, says) != NULL);
	CHECK(strstr(why, p) != NULL);
	after = slurp(p, &after_len);
	CHECK(before && after && before_len == after_len && !memcmp(before, after, before_len));
	free(before);
	free(after);
	if (h)
		history_close(h);
}

static void test_garbage_file_is_reported_not_replaced(void)
{
	const char *p = fresh_path();
	char folder[128], junk[8192];

	snprintf(folder, sizeof(folder), "%s", p);
	*strrchr(folder, '/') = '\0';
	mkdir(folder, 0700);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)("this is not a database\n"[i % 23]);
	spit(p, junk, sizeof(junk));
	check_refused(p, "not a SQLite database or it is damaged");
}

static void test_damaged_database_is_reported_not_replaced(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	char ev[256], *data;
	size_t len;

	if (!h)
		return;
	for (int i = 0; i < 400; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"message\",\"from\":\"sip:u%d@example.org\","
			 "\"body\":\"a message long enough to fill some pages, number %d\"}", i, i);
		record(h, ev);
	}
	history_close(h);
	data = slurp(p, &len);
	CHECK(len > 4096 * 4);
	if (data && len > 4096 * 4) {
		/* trash the pages after the first (the header stays valid) */
		for (size_t i = 4096; i < len; i++)
			data[i] = (char)(i * 7);
		spit(p, data, len);
		check_refused(p, "damaged");
	}
	free(data);
}

static void test_foreign_and_newer_databases_are_left_alone(void)
{
	const char *p = fresh_path();
	char folder[128];
	sqlite3 *db;

	snprintf(folder, sizeof(folder), "%s", p);
	*strrchr(folder, '/') = '\0';
	mkdir(folder, 0700);
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE photos (x); INSERT INTO photos VALUES (1)", NULL,
			       NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	check_refused(p, "not a ttyphone history");
	CHECK_INT(scalar(p, "SELECT count(*) FROM photos"), 1);

	p = fresh_path();
	{
		struct history *h = open_ok(p);
		history_close(h);
	}
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	check_refused(p, "newer ttyphone");
	CHECK_INT(scalar(p, "PRAGMA user_version"), 7);
}

static void test_locked_database_is_reported(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p), *h2 = NULL;
	sqlite3 *other;
	char why[1400];

	if (!h)
		return;
	/* Another program writing: our records wait, then fail with a clear message. */
	CHECK_INT(sqlite3_open(p, &other), SQLITE_OK);
	CHECK_INT(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO messages (direction, peer, "
			       "peer_key, body, time, state) VALUES ('in', 'x', 'x', 'x', 0, 'received')",
			       NULL, NULL, NULL), SQLITE_OK);
	CHECK(history_record(h, "{\"event\":\"message\",\"from\":\"sip:a@b\",\"body\":\"x\"}", why,
			     sizeof(why)) < 0);
	CHECK(strstr(why, "lock") != NULL);
	/* ... and a second ttyphone starting now says the same and keeps out */
	CHECK(history_open(&h2, p, 100, why, sizeof(why)) == EBUSY);
	CHECK(h2 == NULL);
	CHECK(strstr(why, "another program holds a lock") != NULL);
	CHECK_INT(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	/* once the lock is gone, recording goes on */
	CHECK_INT(record(h, "{\"event\":\"message\",\"from\":\"sip:a@b\",\"body\":\"y\"}"), 0);
	history_close(h);

	/* An exclusive lock that even blocks reading. */
	CHECK_INT(sqlite3_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
			       "DELETE FROM messages WHERE body = 'x'", NULL, NULL, NULL), SQLITE_OK);
	CHECK(history_open(&h2, p, 100, why, sizeof(why)) != 0);
	CHECK(h2 == NULL);
	CHECK(strstr(why, "another program holds a lock") != NULL);
	CHECK_INT(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	CHECK_INT(scalar(p, "SELECT count(*) FROM messages"), 2);
}

static void test_unwritable_place_is_reported(void)
{
	struct history *h = NULL;
	char why[1400], p[160], blocker[128];

	/* a file where the folder should be */
	snprintf(blocker, sizeof(blocker), "%s/blocker", dir);
	spit(blocker, "x", 1);
	snprintf(p, sizeof(p), "%s/sub/history.sqlite", blocker);
	CHECK(history_open(&h, p, 100, why, sizeof(why)) != 0);
	CHECK(h == NULL);
	CHECK(strstr(why, "cannot create the folder") != NULL);
}

static void test_default_path_follows_xdg(void)
{
	char out[256];

	setenv("XDG_DATA_HOME", "/x/data", 1);
	history_default_path(out, sizeof(out));
	CHECK_STR(out, "/x/data/ttyphone/history.sqlite");
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	history_default_path(out, sizeof(out));
	CHECK_STR(out, "/home/u/.local/share/ttyphone/history.sqlite");
}


/* ---- the view's rows: history_query ---- */

/* Run SQL on the file as another program would (rows with chosen times). */
static void exec_sql(const char *db_path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	CHECK_INT(sqlite3_open(db_path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "  sql: %s\n", err ? err : "?");
		CHECK(0);
	}
	sqlite3_free(err);
	sqlite3_close(db);
}

static int query(struct history *h, const struct history_filter *f, struct history_entry *out,
		 unsigned max, struct history_counts *c)
{
	char why[1400];
	int n = history_query(h, f, out, max, c, why, sizeof(why));

	if (n < 0)
		fprintf(stderr, "  history_query: %s\n", why);
	return n;
}

/* Times in the past, one minute apart: t(0) is the oldest. */
#define T0 1700000000LL
static const char seed_rows[] =
	"INSERT INTO calls (direction, peer, peer_key, display, account, started, answered, ended,"
	" code, reason, codec) VALUES"
	" ('out', 'sip:bob@example.org', 'sip:bob@example.org', '', 'work', 1700000000, 1700000004,"
	"  1700000196, 200, 'Hung up', 'opus'),"                                    /* t0 */
	" ('in', 'sip:carol@example.org', 'sip:carol@example.org', 'Carol', 'work', 1700000120,"
	"  NULL, 1700000130, 487, 'Cancelled by caller', ''),"                      /* t2: missed */
	" ('out', 'sip:dave@example.org', 'sip:dave@example.org', '', '', 1700000240, NULL,"
	"  1700000241, 486, 'Busy Here', ''),"                                       /* t4: busy */
	" ('in', 'sip:eve@example.org', 'sip:eve@example.org', '\xc3\x89mile', '', 1700000360,"
	"  NULL, 1700000365, 603, 'Decline', ''),"                                  /* t6: rejected */
	" ('out', 'sip:bob@example.org', 'sip:bob@example.org', '', 'work', 1700000480, NULL,"
	"  1700000490, 487, 'Cancelled', ''),"                                      /* t8: no answer */
	" ('in', 'sip:frank@example.org', 'sip:frank@example.org', '', '', 1700000600, 1700000601,"
	"  NULL, 200, 'OK', 'pcma');"                                                /* t10: unfinished */
	"INSERT INTO messages (direction, peer, peer_key, display, account, body, time, state, code,"
	" reason) VALUES"
	" ('in', 'sip:bob@example.org', 'sip:bob@example.org', 'Bob', 'work',"
	"  'first line\nsecond line with a Needle', 1700000060, 'received', 0, ''),"  /* t1 */
	" ('out', 'sip:carol@example.org', 'sip:carol@example.org', '', '', 'are you there?',"
	"  1700000180, 'failed', 404, 'Not Found'),"                                  /* t3 */
	" ('out', 'sip:dave@example.org', 'sip:dave@example.org', '', '', 'Gr\xc3\xbc\xc3\x9f"
	" \xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91', 1700000300, 'delivered', 202, 'Accepted');"; /* t5 */

static struct history *seeded(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);

	if (!h)
		return NULL;
	exec_sql(p, seed_rows);
	return h;
}

static void test_query_merges_calls_and_messages_newest_first(void)
{
	struct history *h = seeded();
	static struct history_entry e[20];
	struct history_counts c = { 0, 0 };
	char result[64];
	int n;

	if (!h)
		return;
	n = query(h, NULL, e, 20, &c);
	CHECK_INT(n, 9);
	CHECK_INT(c.total, 9);
	CHECK_INT(c.matched, 9);
	if (n == 9) {
		/* t10 frank, t8 bob, t6 eve, t5 msg dave, t4 dave, t3 msg carol, t2 carol, t1 msg bob, t0 bob */
		const char *peers[9] = { "frank", "bob", "eve", "dave", "dave", "carol", "carol",
					 "bob", "bob" };
		const int kinds[9] = { 0, 0, 0, 1, 0, 1, 0, 1, 0 };
		for (int i = 0; i < 9; i++) {
			CHECK(strstr(e[i].peer, peers[i]) != NULL);
			CHECK_INT(e[i].kind, kinds[i] ? HISTORY_MESSAGE : HISTORY_CALL);
			if (i)
				CHECK(e[i].time <= e[i - 1].time);
		}
		CHECK_INT(e[0].time, T0 + 600);
		CHECK_STR(e[8].account, "work");
		CHECK_STR(e[8].codec, "opus");
		CHECK(!e[8].incoming);
		history_result(&e[8], result, sizeof(result));
		CHECK_STR(result, "3:12");
		history_result(&e[6], result, sizeof(result));
		CHECK_STR(result, "missed");
		CHECK(history_missed(&e[6]));
		CHECK_STR(e[6].display, "Carol");
		history_result(&e[4], result, sizeof(result));
		CHECK_STR(result, "busy 486");
		history_result(&e[2], result, sizeof(result));
		CHECK_STR(result, "rejected 603");
		CHECK(!history_missed(&e[2]));
		history_result(&e[1], result, sizeof(result));
		CHECK_STR(result, "no answer");
		history_result(&e[0], result, sizeof(result));
		CHECK_STR(result, "unfinished");     /* not a call of this run: ttyphone stopped */
		CHECK(!e[0].live);
		/* a message: its first line only, and its delivery */
		CHECK_STR(e[7].text, "first line");
		CHECK(e[7].incoming);
		history_result(&e[7], result, sizeof(result));
		CHECK_STR(result, "received");
		history_result(&e[5], result, sizeof(result));
		CHECK_STR(result, "failed 404");
		history_result(&e[3], result, sizeof(result));
		CHECK_STR(result, "delivered");
	}
	/* a page smaller than the file: the newest, and the counts of the whole file */
	n = query(h, NULL, e, 3, &c);
	CHECK_INT(n, 3);
	CHECK_INT(c.total, 9);
	CHECK_INT(c.matched, 9);
	if (n == 3)
		CHECK(strstr(e[2].peer, "eve") != NULL);
	history_close(h);
}

static void test_query_searches_every_field_ignoring_case(void)
{
	struct history *h = seeded();
	static struct history_entry e[20];
	struct history_counts c = { 0, 0 };
	struct history_filter f;
	const char *keys[] = { "sip:frank@example.org" };

	if (!h)
		return;
	memset(&f, 0, sizeof(f));
	f.text = "CAROL";                    /* the URI and the display name */
	CHECK_INT(query(h, &f, e, 20, &c), 2);
	CHECK_INT(c.matched, 2);
	CHECK_INT(c.total, 9);
	f.text = "needle";                   /* the body past its first line */
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	CHECK_INT(e[0].kind, HISTORY_MESSAGE);
	f.text = "busy 486";                 /* what became of the call */
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	CHECK(strstr(e[0].peer, "dave") != NULL);
	f.text = "MISSED";
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	f.text = "\xc3\xa9mile";             /* émile finds Émile */
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	CHECK(strstr(e[0].peer, "eve") != NULL);
	f.text = "GR\xc3\x9c\xc3\x9f \xcf\x83\xce\xbf\xcf\x86";   /* GRÜß σοφ finds Grüß ΣΟΦΙΑ */
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	f.text = "\xc3";                     /* half a character matches nothing */
	CHECK_INT(query(h, &f, e, 20, &c), 0);
	f.text = "Sir Frank";                /* a contact's name, known to the caller only */
	f.keys = keys;
	f.nkeys = 1;
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	CHECK(strstr(e[0].peer, "frank") != NULL);
	/* missed calls only, and with a search that leaves none */
	memset(&f, 0, sizeof(f));
	f.missed_only = true;
	CHECK_INT(query(h, &f, e, 20, &c), 1);
	CHECK_INT(c.matched, 1);
	CHECK_INT(c.total, 9);
	CHECK(strstr(e[0].peer, "carol") != NULL);
	f.text = "bob";
	CHECK_INT(query(h, &f, e, 20, &c), 0);
	CHECK_INT(c.matched, 0);
	history_close(h);
}

static void test_query_shows_calls_of_this_run_as_live(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	struct history_entry e[4];
	char result[64], expect[16];

	if (!h)
		return;
	record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"calling\",\"peer\":\"sip:bob@x\","
	       "\"direction\":\"out\"}");
	CHECK_INT(query(h, NULL, e, 4, NULL), 1);
	CHECK(e[0].live);
	history_result(&e[0], result, sizeof(result));
	CHECK_STR(result, "ringing");
	record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"established\",\"code\":200}");
	CHECK_INT(query(h, NULL, e, 4, NULL), 1);
	history_result(&e[0], result, sizeof(result));
	CHECK_STR(result, "in call");
	record(h, "{\"event\":\"call\",\"id\":1,\"state\":\"ended\",\"code\":200,\"reason\":\"Hung up\"}");
	CHECK_INT(query(h, NULL, e, 4, NULL), 1);
	CHECK(!e[0].live);
	history_result(&e[0], result, sizeof(result));
	/* Its length as recorded: the two records may straddle a second (valgrind saw 0:01). */
	CHECK(e[0].answered > 0 && e[0].ended >= e[0].answered && e[0].ended - e[0].answered <= 5);
	snprintf(expect, sizeof(expect), "0:%02ld", (long)(e[0].ended - e[0].answered));
	CHECK_STR(result, expect);
	history_close(h);
}

static void test_query_of_a_damaged_file_says_why(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	struct history_entry e[4];
	char why[1400], ev[256];

	/* (A lock of another program does not block reading a WAL file: what the view shows
	 * then is the reason history_open gave, see test_locked_database_is_reported.) */
	/* damaged under a running phone: the query reports it */
	if (!h)
		return;
	for (int i = 0; i < 400; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"message\",\"from\":\"sip:u%d@example.org\","
			 "\"body\":\"a message long enough to fill some pages, number %d\"}", i, i);
		record(h, ev);
	}
	exec_sql(p, "PRAGMA wal_checkpoint(TRUNCATE)");
	{
		size_t len;
		char *data = slurp(p, &len);
		if (data && len > 4096 * 4) {
			for (size_t i = 4096; i < len; i++)
				data[i] = (char)(i * 7);
			spit(p, data, len);
		}
		free(data);
	}
	CHECK_INT(history_query(h, NULL, e, 4, NULL, why, sizeof(why)), -1);
	if (!strstr(why, "damaged"))
		fprintf(stderr, "  why: %s\n", why);
	CHECK(strstr(why, "damaged") != NULL);
	history_close(h);
}

/* Not a pass/fail on time: how long the view takes to read its page from a big file. */
static void test_query_of_ten_thousand_rows(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	static struct history_entry e[HISTORY_PAGE_MAX];
	struct history_counts c = { 0, 0 };
	struct history_filter f;
	struct timespec a, b;
	double ms[3];
	sqlite3 *db;
	int n[3];

	if (!h)
		return;
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
		"BEGIN;"
		"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 5000)"
		" INSERT INTO calls (direction, peer, peer_key, account, started, answered, ended,"
		" code, reason, codec) SELECT CASE i % 3 WHEN 0 THEN 'in' ELSE 'out' END,"
		" 'sip:user' || (i % 300) || '@example.org', 'sip:user' || (i % 300) || '@example.org',"
		" 'work', 1700000000 + i * 60, CASE i % 4 WHEN 0 THEN NULL ELSE 1700000000 + i * 60 + 5 END,"
		" 1700000000 + i * 60 + 50, CASE i % 4 WHEN 0 THEN 487 ELSE 200 END, 'x', 'opus' FROM k;"
		"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 5000)"
		" INSERT INTO messages (direction, peer, peer_key, body, time, state)"
		" SELECT CASE i % 2 WHEN 0 THEN 'in' ELSE 'out' END, 'sip:user' || (i % 300) ||"
		" '@example.org', 'sip:user' || (i % 300) || '@example.org',"
		" 'message number ' || i || ' with some words in it to search through', 1700000030 + i * 60,"
		" 'delivered' FROM k;"
		"COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	memset(&f, 0, sizeof(f));
	for (int k = 0; k < 3; k++) {
		f.text = k == 1 ? "USER17@" : NULL;
		f.missed_only = k == 2;
		clock_gettime(CLOCK_MONOTONIC, &a);
		n[k] = query(h, &f, e, HISTORY_PAGE_MAX, &c);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[k] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		CHECK_INT(c.total, 10000);
	}
	CHECK_INT(n[0], HISTORY_PAGE_MAX);
	CHECK(n[1] > 0 && n[1] < 200);
	CHECK(n[2] > 0);
	printf("  history_query over 10000 rows: newest %d in %.1f ms; search \"USER17@\" "
	       "(%d rows) in %.1f ms; missed only (%d) in %.1f ms\n", n[0], ms[0], n[1], ms[1], n[2],
	       ms[2]);
	history_close(h);
}

static void test_search_ignores_case_in_utf8(void)
{
	CHECK(str_casefind("Bob Smith", "bob s"));
	CHECK(str_casefind("sip:BOB@example.org", "Bob@EX"));
	CHECK(str_casefind("anything", ""));
	CHECK(!str_casefind("bob", "bobby"));
	CHECK(str_casefind("\xc3\x89MILE Zola", "\xc3\xa9mile"));        /* ÉMILE / émile */
	CHECK(str_casefind("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2",
			   "\xd0\xbf\xd1\x80\xd0\xb8"));                  /* ПРИВЕТ / при */
	CHECK(str_casefind("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91", "\xcf\x83\xce\xbf\xcf\x86"));
	CHECK(str_casefind("\xc5\x81\xc3\xb3" "d\xc5\xba", "\xc5\x82\xc3\x93"));  /* Łódź / łÓ */
	/* never inside a character: "\xa9" is the second byte of é, not a character */
	CHECK(!str_casefind("\xc3\xa9", "\xa9"));
	/* invalid bytes match only themselves */
	CHECK(str_casefind("a\xff" "b", "\xff" "B"));
	CHECK(!str_casefind("a\xfe" "b", "\xff"));
	/* the prefix form, for Tab completion of names */
	CHECK(str_casestarts("J\xc3\x9crgen", "j\xc3\xbc"));             /* JÜrgen / jü */
	CHECK(str_casestarts("alice", ""));
	CHECK(str_casestarts("Alice", "ALI"));
	CHECK(!str_casestarts("Alice", "lice"));
	CHECK(!str_casestarts("al", "alice"));
	CHECK(!str_casestarts("\xc3\xa9", "\xc3"));   /* half a character is no prefix */
	CHECK_INT(str_fold('Q'), 'q');
	CHECK_INT(str_fold(0xD7), 0xD7);   /* the multiplication sign has no case */
}

/* ---- one conversation, for the chat ---- */

struct conv {
	int n;
	long long id[16];
	char line[16][96];
	size_t body_len[16];
};

static void conv_row(void *arg, const struct history_message *m)
{
	struct conv *c = arg;

	if (c->n >= 16)
		return;
	c->id[c->n] = m->id;
	c->body_len[c->n] = strlen(m->body);
	snprintf(c->line[c->n], sizeof(c->line[0]), "%s %.20s %s %d", m->incoming ? "<" : ">",
		 m->body, m->state, m->code);
	c->n++;
}

/* The chat reads one person's messages (all their addresses), the last n oldest first, whole
 * bodies and delivery states, then older pages before the oldest it has. */
static void test_conversation_reads_one_person_in_pages(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	const char *keys[] = { "sip:bob@example.org", "sip:+1555@example.org" };
	static char ev[4200];
	char why[1400], big[3501];
	struct conv c;

	if (!h)
		return;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	record(h, "{\"event\":\"message\",\"from\":\"sip:bob@example.org\",\"body\":\"one\"}");
	record(h, "{\"event\":\"message\",\"from\":\"sip:carol@example.org\",\"body\":\"not bob\"}");
	record(h, "{\"event\":\"message_sent\",\"msg\":1,\"to\":\"sip:bob@example.org\",\"body\":\"two\"}");
	record(h, "{\"event\":\"message_status\",\"msg\":1,\"to\":\"sip:bob@example.org\","
	       "\"code\":200,\"reason\":\"OK\"}");
	record(h, "{\"event\":\"message\",\"from\":\"<sip:+1555@Example.org>\",\"body\":\"three\"}");
	record(h, "{\"event\":\"message_sent\",\"msg\":2,\"to\":\"sip:+1555@example.org\",\"body\":\"four\"}");
	record(h, "{\"event\":\"message_status\",\"msg\":2,\"to\":\"sip:+1555@example.org\","
	       "\"code\":404,\"reason\":\"Not Found\"}");
	snprintf(ev, sizeof(ev), "{\"event\":\"message_sent\",\"msg\":3,\"to\":\"sip:bob@example.org\","
		 "\"body\":\"%s\"}", big);
	record(h, ev);   /* no answer yet: sending */

	memset(&c, 0, sizeof(c));
	CHECK_INT(history_conversation(h, keys, 2, 0, 3, conv_row, &c, why, sizeof(why)), 3);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.line[0], "< three received 0");
	CHECK_STR(c.line[1], "> four failed 404");
	CHECK_STR(c.line[2], "> xxxxxxxxxxxxxxxxxxxx sending 0");
	CHECK_INT(c.body_len[2], 3500);          /* whole, not the first line cut */
	CHECK(c.id[0] < c.id[1] && c.id[1] < c.id[2]);
	/* the page before the oldest one read */
	{
		long long oldest = c.id[0];
		memset(&c, 0, sizeof(c));
		CHECK_INT(history_conversation(h, keys, 2, oldest, 3, conv_row, &c, why, sizeof(why)),
			  2);
		CHECK_STR(c.line[0], "< one received 0");
		CHECK_STR(c.line[1], "> two delivered 200");
		oldest = c.id[0];
		memset(&c, 0, sizeof(c));
		CHECK_INT(history_conversation(h, keys, 2, oldest, 3, conv_row, &c, why, sizeof(why)),
			  0);
	}
	/* one address only: that address's rows */
	memset(&c, 0, sizeof(c));
	CHECK_INT(history_conversation(h, keys + 1, 1, 0, 10, conv_row, &c, why, sizeof(why)), 2);
	CHECK_STR(c.line[0], "< three received 0");
	CHECK_INT(history_conversation(h, keys, 0, 0, 10, conv_row, &c, why, sizeof(why)), -1);

	/* damaged under the running phone: said, not an empty conversation */
	for (int i = 0; i < 400; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"message\",\"from\":\"sip:bob@example.org\","
			 "\"body\":\"a message long enough to fill some pages, number %d\"}", i);
		record(h, ev);
	}
	exec_sql(p, "PRAGMA wal_checkpoint(TRUNCATE)");
	{
		size_t len;
		char *data = slurp(p, &len);
		if (data && len > 4096 * 4) {
			for (size_t i = 4096; i < len; i++)
				data[i] = (char)(i * 7);
			spit(p, data, len);
		}
		free(data);
	}
	memset(&c, 0, sizeof(c));
	CHECK_INT(history_conversation(h, keys, 2, 0, 200, conv_row, &c, why, sizeof(why)), -1);
	CHECK(strstr(why, "damaged") != NULL);
	history_close(h);
}

static void count_row(void *arg, const struct history_message *m)
{
	(void)m;
	(*(int *)arg)++;
}

/* Not a pass/fail on time: what opening a chat costs in a big file (one person's last 200
 * among 20 000 messages with 300 people, and a page further back). */
static void test_conversation_of_twenty_thousand_rows(void)
{
	const char *p = fresh_path();
	struct history *h = open_ok(p);
	const char *keys[] = { "sip:user17@example.org" };
	struct timespec a, b, c;
	char why[1400];
	sqlite3 *db;
	int n = 0, older = 0;

	if (!h)
		return;
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
		"BEGIN;"
		"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20000)"
		" INSERT INTO messages (direction, peer, peer_key, body, time, state)"
		" SELECT CASE i % 2 WHEN 0 THEN 'in' ELSE 'out' END, 'sip:user' || (i % 50) ||"
		" '@example.org', 'sip:user' || (i % 50) || '@example.org',"
		" 'message number ' || i || ' with some words in it', 1700000030 + i * 60,"
		" 'delivered' FROM k;"
		"COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(history_conversation(h, keys, 1, 0, 200, count_row, &n, why, sizeof(why)), 200);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK_INT(history_conversation(h, keys, 1, 10000, 200, count_row, &older, why,
				       sizeof(why)), 200);
	clock_gettime(CLOCK_MONOTONIC, &c);
	CHECK_INT(n, 200);
	printf("  history_conversation over 20000 messages: one person's %d in %.2f ms, "
	       "the %d before row 10000 in %.2f ms\n", n,
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, older,
	       (double)(c.tv_sec - b.tv_sec) * 1e3 + (double)(c.tv_nsec - b.tv_nsec) / 1e6);
	history_close(h);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_history-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_a_call_is_recorded_from_its_events);
	RUN(test_messages_are_recorded_with_their_delivery);
	RUN(test_replies_list_calls_newest_first_and_messages_oldest_first);
	RUN(test_a_reply_too_big_lists_the_newest_and_says_so);
	RUN(test_file_is_private_wal_and_versioned);
	RUN(test_garbage_file_is_reported_not_replaced);
	RUN(test_damaged_database_is_reported_not_replaced);
	RUN(test_foreign_and_newer_databases_are_left_alone);
	RUN(test_locked_database_is_reported);
	RUN(test_unwritable_place_is_reported);
	RUN(test_default_path_follows_xdg);
	RUN(test_query_merges_calls_and_messages_newest_first);
	RUN(test_query_searches_every_field_ignoring_case);
	RUN(test_query_shows_calls_of_this_run_as_live);
	RUN(test_query_of_a_damaged_file_says_why);
	RUN(test_query_of_ten_thousand_rows);
	RUN(test_search_ignores_case_in_utf8);
	RUN(test_conversation_reads_one_person_in_pages);
	RUN(test_conversation_of_twenty_thousand_rows);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (!getenv("KEEP") && system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_done();
}
