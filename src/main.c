/* main.c: options, config, and the choice between the terminal UI and headless mode. */
#include "ttyconf.h"
#include "app.h"
#include "config.h"
#include "contacts.h"
#include "datacmd.h"
#include "headless.h"
#include "history.h"
#include "strutil.h"
#include "sip/loop.h"
#include "media/pulse_client_conf.h"
#include "vcard.h"
#include "../tui/tui.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ttyphone [options]\n"
		"  -c, --config FILE      config file (default: $XDG_CONFIG_HOME/ttyphone/config.ini)\n"
		"      --headless         no terminal UI: commands on stdin, JSON events on stdout\n"
		"      --ctl-socket PATH  also serve the headless protocol on a Unix socket\n"
		"      --sip-trace FILE   append every SIP message to FILE (secrets masked)\n"
		"      --check-config     report problems in the config and exit\n"
		"      --import-vcard FILE  add the people in a .vcf file to contacts.ini and exit\n"
		"  -V, --version          print the version\n"
		"  -h, --help             this help\n"
		"Headless commands: type \"help\" (see ttyphone(1)).\n");
}

static void print_diag(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static void default_config_path(char *out, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, size, "%s/ttyphone/config.ini", xdg);
	else
		snprintf(out, size, "%s/.config/ttyphone/config.ini", home && *home ? home : ".");
}

static void log_to_stderr(void *arg, const char *line)
{
	char safe[1024];

	(void)arg;
	str_escape_terminal(safe, sizeof(safe), line, strlen(line), false);
	fprintf(stderr, "ttyphone: %s\n", safe);
}

static void vcard_diag(void *arg, const char *line)
{
	char safe[1024];

	str_escape_terminal(safe, sizeof(safe), line, strlen(line), false);
	fprintf(stderr, "%s: %s\n", (const char *)arg, safe);
}

struct import_job {
	const char *file;
	struct vcard_import_result r;
};

/* A contacts_change_fn: the cards merged into the book as it is on disk now. */
static int import_into(struct contacts *book, void *arg, char *why, size_t whylen)
{
	struct import_job *job = arg;

	memset(&job->r, 0, sizeof(job->r));
	if (vcard_import_file(job->file, book, &job->r, vcard_diag, (void *)job->file, why,
			      whylen) < 0)
		return -1;
	return job->r.imported + job->r.updated ? 1 : 0;
}

/* --import-vcard: merge a .vcf into contacts.ini (asked for, so it may create the file).
 * Under contacts.ini's lock, so a ttyphone editing the book meanwhile loses nothing. */
static int import_vcard(const char *file)
{
	static struct contacts book;
	struct import_job job = { .file = file };
	char path[1024], why[1400];
	int rc = 0;

	contacts_init(&book);
	contacts_default_path(path, sizeof(path));
	str_copy(book.path, sizeof(book.path), path);
	if (contacts_change(&book, import_into, &job, print_diag, NULL, why, sizeof(why)) < 0) {
		fprintf(stderr, "ttyphone: %s: nothing imported\n", why);
		rc = 1;
	} else if (!job.r.cards) {
		fprintf(stderr, "ttyphone: %s: no vCard found (BEGIN:VCARD ... END:VCARD)\n", file);
		rc = 1;
	} else {
		printf("%s: %u cards: %u imported, %u updated, %u skipped (%u already in contacts, "
		       "%u without an address to call) into %s\n", file, job.r.cards, job.r.imported,
		       job.r.updated, job.r.duplicates + job.r.unusable, job.r.duplicates,
		       job.r.unusable, path);
	}
	contacts_free(&book);
	return rc;
}

static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	char c = (char)sig;
	got_signal = sig;
	/* The loop sees the pipe and quits in order (un-REGISTER, BYE). */
	if (write(signal_pipe[1], &c, 1) < 0) {
		/* nothing more can be done inside a signal handler */
	}
}

static void on_signal_pipe(void *arg, int fd)
{
	char c;
	if (read(fd, &c, 1) > 0)
		app_exec(arg, "quit", NULL, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "headless", no_argument, NULL, 'H' },
		{ "ctl-socket", required_argument, NULL, 'S' },
		{ "sip-trace", required_argument, NULL, 'T' },
		{ "check-config", no_argument, NULL, 'K' },
		{ "import-vcard", required_argument, NULL, 'I' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *ctl = NULL, *trace_path = NULL, *vcf = NULL;
	bool headless = false, check = false, explicit_config, demo = false;
	static struct datacmd datacmd;
	struct history *hist = NULL;
	char nohist[600] = "";
	static struct config cfg;
	char path[CFG_PATH], why[512];
	struct loop *loop = NULL;
	struct app *app = NULL;
	struct headless *hl = NULL;
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'H': headless = true; break;
		case 'S': ctl = optarg; break;
		case 'T': trace_path = optarg; break;
		case 'K': check = true; break;
		case 'I': vcf = optarg; break;
		case 'V': printf("ttyphone %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ttyphone: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (vcf)
		return import_vcard(vcf);
	explicit_config = config_path != NULL;
	if (!config_path) {
		default_config_path(path, sizeof(path));
		config_path = path;
	}
	config_defaults(&cfg);
	if (!explicit_config && access(config_path, F_OK) != 0) {
		/* First run: the demo mode, on a loopback port so it disturbs nothing. */
		str_copy(cfg.sip.listen, sizeof(cfg.sip.listen), "127.0.0.1:0");
		demo = true;
		fprintf(stderr, "ttyphone: no config at %s: demo mode (call \"echo\")\n", config_path);
	} else if (config_load(&cfg, config_path) < 0) {
		config_report(&cfg, print_diag, NULL);
		fprintf(stderr, "ttyphone: cannot start with this config\n");
		return 1;
	}
	config_report(&cfg, print_diag, NULL);
	if (check)
		return cfg.ndiags ? 1 : 0;
	if (!headless && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "ttyphone: stdin is not a terminal: use --headless for scripts\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* before any thread: it sets PULSE_CLIENTCONFIG (pulse_client_conf.c says why) */
	if (cfg.audio.backend == AUDIO_PULSE &&
	    pulse_client_conf_no_shm(NULL, NULL, 0, why, sizeof(why)) < 0)
		fprintf(stderr, "ttyphone: PulseAudio without shared memory: %s (using libpulse's "
			"own settings)\n", why);
	if (pipe(signal_pipe) < 0 || loop_alloc(&loop) != 0) {
		fprintf(stderr, "ttyphone: cannot start the event loop\n");
		return 1;
	}
	if (app_alloc(&app, loop, &cfg, why, sizeof(why)) != 0) {
		fprintf(stderr, "ttyphone: %s\n", why);
		rc = 1;
		goto out;
	}
	if (trace_path && app_set_trace_file(app, trace_path, why, sizeof(why)) < 0) {
		fprintf(stderr, "ttyphone: %s\n", why);
		rc = 1;
		goto out;
	}
	/* History: not in demo mode, which writes nothing unasked. Its listener goes before the
	 * headless one, so every event is committed before it is printed (see history.c). */
	if (demo) {
		snprintf(nohist, sizeof(nohist), "demo mode (no config file): nothing is written "
			 "until you add an account (account add NAME URI PASSWORD)");
	} else if (history_open(&hist, NULL, HISTORY_BUSY_MS, why, sizeof(why)) != 0) {
		fprintf(stderr, "ttyphone: history: %s; running without history\n", why);
		str_copy(nohist, sizeof(nohist), why);
	} else {
		const struct account_cfg *acc = config_default_account(&cfg);
		if (acc && strchr(acc->uri, '@'))
			history_set_domain(hist, strchr(acc->uri, '@') + 1);
		app_add_listener(app, history_on_event, hist);
		if (headless)
			history_set_notify(hist, log_to_stderr, NULL);
	}
	datacmd_init(&datacmd, hist, nohist, config_path, &cfg);
	datacmd_set_app(&datacmd, app);
	app_set_extension(app, datacmd_exec, &datacmd);
	loop_watch_fd(loop, signal_pipe[0], on_signal_pipe, app);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (headless)
		app_set_logger(app, log_to_stderr, NULL);
	if (headless || ctl) {
		if (headless_alloc(&hl, app, loop, headless, ctl, why, sizeof(why)) != 0) {
			fprintf(stderr, "ttyphone: %s\n", why);
			rc = 1;
			goto out;
		}
	}
	if (app_start(app, why, sizeof(why)) != 0) {
		fprintf(stderr, "ttyphone: %s\n", why);
		rc = 1;
		goto stop;
	}
	if (hl && headless_start(hl) != 0) {
		fprintf(stderr, "ttyphone: cannot read commands\n");
		rc = 1;
		goto stop;
	}
	if (headless)
		loop_run(loop);
	else if (tui_run(app, loop, hist, nohist) < 0)
		rc = 1;
stop:
	app_stop(app);
out:
	headless_free(hl);
	app_free(app);
	history_close(hist); /* after app_free: the last calls ended on their way out */
	loop_free(loop);
	return rc;
}
