/* term.c: the terminal's life: curses up, curses down, and the terminal given back whatever
 * happens in between: a normal quit, SIGINT/SIGTERM (main.c turns them into "quit", the
 * loop ends, tui_run calls term_stop), exit() from anywhere (atexit), and crashes (SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGABRT).
 *
 * Given back means: the termios as we found it, and stdin's file flags too: the loop
 * (Sofia's su_wait) makes the descriptor it watches non-blocking, and the terminal's open
 * file is shared with the shell, which would then read with O_NONBLOCK (dash says "turning
 * off NDELAY mode", other programs get EAGAIN). A terminal without an alternate screen
 * (vt100, the linux console) is cleared on the way out: nothing of the shell's screen is
 * left to come back, and the prompt would otherwise land on the last frame's status line.
 *
 * In a crash handler the heap may be corrupt, so we do not call endwin (it allocates and
 * flushes curses' buffers); we do what it would do with async-signal-safe calls only:
 * write the terminfo reset strings prepared at start-up and put back the saved termios. Then
 * the previous handler (the default, or a sanitizer's) runs, so the crash still dumps core
 * and reports. SIGWINCH becomes a byte in a pipe the loop watches, so a resize is noticed
 * while we sleep in poll, with no polling.
 *
 * ^Z (SIGTSTP) goes through the same pipe instead of curses' own handler, which calls
 * endwin inside the signal handler and gives the shell back stdin still non-blocking. From
 * the loop we give the terminal back exactly as on quit, stop for real, and on fg put the
 * loop's flags back and repaint everything. A SIGCONT after someone else's SIGSTOP also
 * repaints: the shell may have drawn over us. */
#include "tui_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NCRASH (sizeof(crash_signals) / sizeof(crash_signals[0]))

static SCREEN *screen;
static volatile sig_atomic_t active;
static struct termios saved_tio;
static bool have_tio;
static int saved_fl = -1;           /* stdin's file status flags (O_NONBLOCK) */
static bool alt_screen;
static char reset_seq[512];
static size_t reset_len;
static struct sigaction old_crash[NCRASH], old_winch, old_tstp, old_cont;
static int winch_pipe[2] = { -1, -1 };
static bool atexit_done;
/* The crash handler's own stack, so a stack overflow can still restore the terminal. */
static char alt_stack[64 * 1024];

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof(reset_seq)) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

static void on_crash(int sig)
{
	if (active) {
		active = 0;
		if (write(STDOUT_FILENO, reset_seq, reset_len) < 0) {
			/* nothing to do about it here */
		}
		if (have_tio)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		if (saved_fl >= 0)
			fcntl(STDIN_FILENO, F_SETFL, saved_fl);
	}
	for (size_t i = 0; i < NCRASH; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &old_crash[i], NULL);
	/* Runs the previous handler once we return (the signal is blocked until then); for a
	 * fault, the faulting instruction runs again and faults into it too. */
	raise(sig);
}

static void on_winch(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(winch_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a resize is pending anyway */
	}
	errno = saved;
}

static void at_exit(void)
{
	term_stop();
}

int term_start(char *why, size_t whylen)
{
	struct sigaction sa;
	stack_t ss;
	const char *rmcup;

	have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	saved_fl = fcntl(STDIN_FILENO, F_GETFL);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		const char *term = getenv("TERM");
		snprintf(why, whylen, "cannot use the terminal (TERM=%s)", term ? term : "unset");
		return -1;
	}
	set_term(screen);
	/* What endwin would send, ready for the crash handler: attributes off, cursor on,
	 * keypad transmit off, leave the alternate screen (or clear the screen: see above). */
	rmcup = tigetstr("rmcup");
	alt_screen = rmcup && rmcup != (char *)-1 && rmcup[0];
	reset_len = 0;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmkx");
	add_cap(alt_screen ? "rmcup" : "clear");
	active = 1;
	cbreak();                   /* ^C stays a signal: main.c turns it into "quit" */
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);      /* the loop tells us when keys are there */
	set_escdelay(25);           /* a lone Esc is a key, not the start of a sequence */
	curs_set(0);
	if (!atexit_done) {
		atexit(at_exit);
		atexit_done = true;
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	ss.ss_sp = alt_stack;
	ss.ss_size = sizeof(alt_stack);
	ss.ss_flags = 0;
	sa.sa_flags = sigaltstack(&ss, NULL) == 0 ? SA_ONSTACK : 0;
	sa.sa_handler = on_crash;
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &sa, &old_crash[i]);

	if (winch_pipe[0] < 0 && pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		winch_pipe[0] = winch_pipe[1] = -1;
	} else {
		/* Ours replaces the handler curses installed: curses would only notice a resize
		 * at the next key, and we sleep in the loop's poll between keys. */
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = on_winch;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGWINCH, &sa, &old_winch);
		sigaction(SIGTSTP, &sa, &old_tstp);
		sigaction(SIGCONT, &sa, &old_cont);
	}
	return 0;
}

void term_stop(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
	if (!alt_screen && clear_screen)
		putp(clear_screen);
	if (winch_pipe[0] >= 0) {
		sigaction(SIGWINCH, &old_winch, NULL);
		sigaction(SIGTSTP, &old_tstp, NULL);
		sigaction(SIGCONT, &old_cont, NULL);
	}
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &old_crash[i], NULL);
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (saved_fl >= 0)
		fcntl(STDIN_FILENO, F_SETFL, saved_fl);
	fflush(stdout);
}

int term_winch_fd(void)
{
	return winch_pipe[0];
}

/* ^Z: the terminal as the shell wants it, a real stop, and back as we left it. */
static void suspend(void)
{
	int loop_fl = fcntl(STDIN_FILENO, F_GETFL);
	struct sigaction dfl, ours;
	sigset_t tstp, old_mask;

	endwin();                   /* curses' program modes are saved; refresh restores them */
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (saved_fl >= 0)
		fcntl(STDIN_FILENO, F_SETFL, saved_fl);
	fflush(stdout);

	memset(&dfl, 0, sizeof(dfl));
	sigemptyset(&dfl.sa_mask);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGTSTP, &dfl, &ours);
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	pthread_sigmask(SIG_UNBLOCK, &tstp, &old_mask);
	raise(SIGTSTP);             /* stops here until fg */
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGTSTP, &ours, NULL);

	if (loop_fl >= 0)
		fcntl(STDIN_FILENO, F_SETFL, loop_fl);
}

void term_winch_drain(void)
{
	struct winsize ws;
	bool stop = false, repaint = false;
	char buf[64];
	ssize_t n;

	while ((n = read(winch_pipe[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			stop |= buf[i] == (char)SIGTSTP;
			repaint |= buf[i] == (char)SIGCONT;
		}
	if (stop && active)
		suspend();
	if ((stop || repaint) && active) {
		clearok(curscr, TRUE);  /* the next update repaints every cell */
		ungetch(KEY_RESIZE);    /* and the UI lays out and draws everything again */
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col); /* also queues KEY_RESIZE for us */
}
