/* test_cfgwrite.c: `account add` writes a section that ttyphone reads back, keeps the rest
 * of the file, makes the file 0600 (and its folder if missing), refuses names that exist
 * and values the parser would read differently. */
#include "cfgwrite.h"
#include "config.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void spit(const char *p, const char *text, mode_t mode)
{
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static char *slurp(const char *p)
{
	static char buf[65536];
	FILE *f = fopen(p, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct config cfg;

static void test_first_account_creates_folder_and_file_0600(void)
{
	char path[160], why[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/new/ttyphone/config.ini", dir);
	CHECK_INT(config_add_account(path, "alice", "sip:alice@example.org", "s3cret pass", why,
				     sizeof(why)), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_STR(slurp(path), "[account alice]\nuri = sip:alice@example.org\n"
		  "password = s3cret pass\n");
	config_defaults(&cfg);
	CHECK_INT(config_load(&cfg, path), 0);
	CHECK_INT(cfg.ndiags, 0);
	CHECK_INT(cfg.naccounts, 1);
	CHECK_STR(cfg.accounts[0].password, "s3cret pass");
	*strrchr(path, '/') = '\0';
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
}

static void test_second_account_is_appended_keeping_the_rest(void)
{
	char path[160], why[512], expect[512];
	const char *old = "# my phone\n[sip]\nlisten = 127.0.0.1:0   ; a comment\n\n"
			  "[account work]\nuri = sip:me@work.example\npassword = x";
	struct stat st;

	snprintf(path, sizeof(path), "%s/config.ini", dir);
	spit(path, old, 0644);
	CHECK_INT(config_add_account(path, "home", "sips:me@home.example", NULL, why,
				     sizeof(why)), 0);
	snprintf(expect, sizeof(expect), "%s\n\n[account home]\nuri = sips:me@home.example\n", old);
	CHECK_STR(slurp(path), expect);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	config_defaults(&cfg);
	CHECK_INT(config_load(&cfg, path), 0);
	CHECK_INT(cfg.naccounts, 2);
	CHECK_STR(cfg.accounts[1].name, "home");

	/* a name that exists, whatever its case, is refused and nothing changes */
	CHECK(config_add_account(path, "WORK", "sip:x@y.example", NULL, why, sizeof(why)) < 0);
	CHECK(strstr(why, "already an account called \"work\"") != NULL);
	CHECK_STR(slurp(path), expect);
}

static void test_values_that_would_not_read_back_are_refused(void)
{
	char path[160], why[512];
	static const struct { const char *name, *uri, *pw, *says; } bad[] = {
		{ "", "sip:a@b", NULL, "needs a name" },
		{ "a b", "sip:a@b", NULL, "use letters" },
		{ "a]", "sip:a@b", NULL, "use letters" },
		{ "ok", "http://a@b", NULL, "sip:user@domain" },
		{ "ok", "sip:nodomain", NULL, "sip:user@domain" },
		{ "ok", "sip:a@b", "pass ;word", "starts a comment" },
		{ "ok", "sip:a@b", "line\nbreak", "control characters" },
		{ "ok", "sip:a@b", " padded", "start or end with a space" },
	};

	snprintf(path, sizeof(path), "%s/refused.ini", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(config_add_account(path, bad[i].name, bad[i].uri, bad[i].pw, why,
					 sizeof(why)) < 0);
		if (!strstr(why, bad[i].says))
			fprintf(stderr, "  case %zu: %s\n", i, why);
		CHECK(strstr(why, bad[i].says) != NULL);
	}
	CHECK(access(path, F_OK) != 0);
}

static void test_too_many_accounts(void)
{
	char path[160], why[512], name[16];

	snprintf(path, sizeof(path), "%s/many.ini", dir);
	for (int i = 0; i < CFG_MAX_ACCOUNTS; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		CHECK_INT(config_add_account(path, name, "sip:a@b.example", "p", why, sizeof(why)), 0);
	}
	CHECK(config_add_account(path, "one_more", "sip:a@b.example", "p", why, sizeof(why)) < 0);
	CHECK(strstr(why, "accounts") != NULL);
}

static void test_a_symlink_stays_a_symlink(void)
{
	char real[160], link[160], why[512];
	struct stat st;

	snprintf(real, sizeof(real), "%s/real.ini", dir);
	snprintf(link, sizeof(link), "%s/link.ini", dir);
	spit(real, "[sip]\n", 0600);
	CHECK_INT(symlink(real, link), 0);
	CHECK_INT(config_add_account(link, "x", "sip:x@y.example", NULL, why, sizeof(why)), 0);
	CHECK_INT(lstat(link, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(strstr(slurp(real), "[account x]") != NULL);
}

/* Several programs adding accounts to one file at once (two ttyphones, a script): each
 * reads, adds and replaces the file, so without a lock the last rename wins and the others'
 * sections are gone. Every round starts CFG_MAX_ACCOUNTS processes together. */
static void test_concurrent_adds_lose_nothing(void)
{
	char path[160], why[512], name[16];
	int lost = 0, failed = 0;

	for (int round = 0; round < 10; round++) {
		pid_t pids[CFG_MAX_ACCOUNTS];
		int gate[2];
		char go;

		snprintf(path, sizeof(path), "%s/race%d/config.ini", dir, round);
		CHECK_INT(pipe(gate), 0);
		for (int i = 0; i < CFG_MAX_ACCOUNTS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				close(gate[1]);
				/* wait for the gate to open: every child starts at once */
				if (read(gate[0], &go, 1) < 0)
					_exit(2);
				snprintf(name, sizeof(name), "p%d", i);
				_exit(config_add_account(path, name, "sip:p@race.example", "pw", why,
							 sizeof(why)) == 0 ? 0 : 1);
			}
		}
		close(gate[0]);
		close(gate[1]); /* opens the gate */
		for (int i = 0; i < CFG_MAX_ACCOUNTS; i++) {
			int st = 0;
			if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] &&
			    (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
				failed++;
		}
		config_defaults(&cfg);
		CHECK_INT(config_load(&cfg, path), 0);
		CHECK_INT(cfg.ndiags, 0);
		lost += CFG_MAX_ACCOUNTS - (int)cfg.naccounts;
	}
	if (lost || failed)
		fprintf(stderr, "  %d sections lost, %d adds failed in 10 rounds of %d\n", lost,
			failed, CFG_MAX_ACCOUNTS);
	CHECK_INT(lost, 0);
	CHECK_INT(failed, 0);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cfgwrite-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_first_account_creates_folder_and_file_0600);
	RUN(test_second_account_is_appended_keeping_the_rest);
	RUN(test_values_that_would_not_read_back_are_refused);
	RUN(test_too_many_accounts);
	RUN(test_a_symlink_stays_a_symlink);
	RUN(test_concurrent_adds_lose_nothing);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_done();
}
