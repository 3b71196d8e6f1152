/* test_media_pulse.c: the PulseAudio backend when the server comes and goes. With no server
 * the call goes on (packets keep flowing, paced by a timer) and EVQ_MEDIA_AUDIO_ERROR is
 * posted once; when a server appears, EVQ_MEDIA_AUDIO_OK follows and audio really passes
 * through it: the server itself plays a 1 kHz sine (module-sine) into a "mic" null sink,
 * the session captures its monitor and sends it to the peer, whose speaker file must hold
 * the tone; the peer's audio is played to a "spk" null sink. When the server dies, the error is posted again.
 * Needs pulseaudio for the second half (skipped without it). About 6 s. */
#include "unit.h"
#include "test_media_tone.h"
#include "media/media.h"
#include "media/pulse_client_conf.h"
#include "evq.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sndfile.h>

/* Why module-sine and not a client: pacat feeding the null sink underran on a loaded
 * machine (2 cores, the suite under ASan), the server filled the gap with zeros, and their
 * edges' ringing made the tone check read 1015-1040 Hz. A sine made inside the server has
 * no client to fall behind. (module-sine-source is no substitute: it renders ahead, 4 s
 * of audio in a new stream's first 3 s, a backlog that the capture guard then cuts.)
 * module-sine plays at half full scale. */
#define SINE_AMP 16384.0

static char tmpdir[64], server[128], tone[128], back[128];
static struct evq *q;
static struct media_session *a, *b;
static pid_t daemon_pid = -1;

static void msleep(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Count (and drop) the events of one kind waiting in q. */
static unsigned take(enum evq_kind kind)
{
	struct evq_event ev;
	unsigned n = 0;

	while (evq_take(q, &ev) == 1)
		if (ev.kind == kind)
			n++;
	return n;
}

/* Wait up to ms for an event of kind; returns how many arrived. */
static unsigned wait_for(enum evq_kind kind, unsigned ms)
{
	unsigned n = 0;

	for (unsigned t = 0; t < ms && n == 0; t += 50) {
		msleep(50);
		n += take(kind);
	}
	return n;
}

static int start_daemon(void)
{
	char pa[128], path[160];
	FILE *f;

	snprintf(pa, sizeof(pa), "%s/lab.pa", tmpdir);
	f = fopen(pa, "w");
	if (!f)
		return -1;
	fprintf(f, "load-module module-native-protocol-unix auth-anonymous=1 socket=%s/native\n"
		"load-module module-null-sink sink_name=spk\n"
		"load-module module-null-sink sink_name=mic\n"
		"load-module module-sine sink=mic frequency=1000\n", tmpdir);
	if (fclose(f) != 0)
		return -1;
	daemon_pid = fork();
	if (daemon_pid < 0)
		return -1;
	if (daemon_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY), log;

		snprintf(path, sizeof(path), "%s/daemon.log", tmpdir);
		log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (devnull >= 0)
			dup2(devnull, 1);
		if (log >= 0)
			dup2(log, 2);
		setenv("HOME", tmpdir, 1);
		snprintf(path, sizeof(path), "%s/run", tmpdir);
		setenv("XDG_RUNTIME_DIR", path, 1);
		setenv("PULSE_RUNTIME_PATH", path, 1);
		snprintf(path, sizeof(path), "%s/state", tmpdir);
		setenv("PULSE_STATE_PATH", path, 1);
		snprintf(path, sizeof(path), "--file=%s", pa);
		execlp("pulseaudio", "pulseaudio", "-n", path, "--exit-idle-time=-1",
		       "--daemonize=no", "--use-pid-file=no", "--system=false",
		       "--disallow-exit=yes", "--log-target=stderr", "--log-level=debug",
		       (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Wait for the server's socket: the session's helper retries every 3 s from then. */
static int wait_for_socket(void)
{
	char sock[160];

	snprintf(sock, sizeof(sock), "%s/native", tmpdir);
	for (int i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		msleep(50);
	return access(sock, F_OK);
}

static void stop_daemon(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
}

static bool have_pulseaudio(void)
{
	return system("command -v pulseaudio >/dev/null 2>&1") == 0;
}

static void write_tone(const char *path)
{
	SF_INFO info = { .samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	static int16_t pcm[10 * 48000];
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);

	tone_make(pcm, 10 * 48000, 48000, 1000, 8000, 0);
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(sf_writef_short(f, pcm, 10 * 48000), 10 * 48000);
		sf_close(f);
	}
}

static void start_sessions(void)
{
	struct media_cfg mc = { .codecs = { CODEC_PCMU }, .ncodecs = 1, .rtp_port_min = 41000,
				.rtp_port_max = 45000, .jitter_min_ms = 40, .jitter_max_ms = 200 };
	struct audio_cfg pulse = { .backend = AUDIO_PULSE }, file = { .backend = AUDIO_FILE };
	struct media_params pa = { .codec = CODEC_PCMU, .pt = 0, .te_pt = -1, .dir = MEDIA_SENDRECV },
			    pb;

	snprintf(pulse.server, sizeof(pulse.server), "%s", server);
	snprintf(pulse.capture, sizeof(pulse.capture), "mic.monitor");
	snprintf(pulse.playback, sizeof(pulse.playback), "spk");
	snprintf(file.input, sizeof(file.input), "%s", tone);
	snprintf(file.output, sizeof(file.output), "%s", back);
	CHECK_INT(media_session_alloc(&a, &mc, &pulse, 1, q, "127.0.0.1"), 0);
	CHECK_INT(media_session_alloc(&b, &mc, &file, 2, NULL, "127.0.0.1"), 0);
	snprintf(pa.remote_addr, sizeof(pa.remote_addr), "127.0.0.1");
	pb = pa;
	pa.remote_port = media_session_port(b);
	pb.remote_port = media_session_port(a);
	CHECK_INT(media_session_start(a, &pa), 0);
	CHECK_INT(media_session_start(b, &pb), 0);
}

static void test_pulse_unreachable_reports_once_and_call_goes_on(void)
{
	struct media_stats s0, s1;

	CHECK_INT(wait_for(EVQ_MEDIA_AUDIO_ERROR, 1000), 1);
	media_session_get_stats(a, &s0);
	msleep(1000);
	media_session_get_stats(a, &s1);
	CHECK_INT(take(EVQ_MEDIA_AUDIO_ERROR), 0);      /* once, not every retry */
	CHECK(!s1.audio_ok);
	printf("  no server: %llu packets sent in 1 s\n",
	       (unsigned long long)(s1.pkts_sent - s0.pkts_sent));
	CHECK(s1.pkts_sent - s0.pkts_sent >= 45 && s1.pkts_sent - s0.pkts_sent <= 55);
}

static void test_pulse_back_reports_ok_and_carries_audio(void)
{
	struct media_stats s0, s1;

	if (!have_pulseaudio()) {
		printf("  skipped: no pulseaudio\n");
		return;
	}
	CHECK_INT(start_daemon(), 0);
	CHECK_INT(wait_for_socket(), 0);
	/* The helper retries every 3 s. */
	CHECK_INT(wait_for(EVQ_MEDIA_AUDIO_OK, 4500), 1);
	media_session_get_stats(a, &s0);
	msleep(1500);
	media_session_get_stats(a, &s1);
	CHECK(s1.audio_ok);
	printf("  server up: %llu packets sent in 1.5 s (paced by PulseAudio)\n",
	       (unsigned long long)(s1.pkts_sent - s0.pkts_sent));
	CHECK(s1.pkts_sent - s0.pkts_sent >= 65 && s1.pkts_sent - s0.pkts_sent <= 85);
	printf("  capture queue %d ms, playback queue %d ms\n", s1.capture_ms, s1.playback_ms);
	CHECK(s1.spk_level > 0.1f);                   /* the peer's tone went to the sink */
	CHECK(s1.mic_level > 0.1f);                   /* the sine came from the source */
	{
		/* our client.conf took: no connection of ours shares memory with the server
		 * (pulse_client_conf.c: the deadlock when it vanishes mid-read) */
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "grep -q 'Negotiated SHM: no' %s/daemon.log", tmpdir);
		CHECK_INT(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "! grep -q 'Negotiated SHM: yes' %s/daemon.log", tmpdir);
		CHECK_INT(system(cmd), 0);
	}
}

static void test_client_conf_includes_libpulses_and_turns_shm_off(void)
{
	char path[4096], why[200], text[8192] = "";
	FILE *f;
	size_t n;

	CHECK_INT(pulse_client_conf_no_shm(tmpdir, path, sizeof(path), why, sizeof(why)), 0);
	CHECK_STR(getenv("PULSE_CLIENTCONFIG"), path);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	CHECK(strstr(text, "\nenable-shm = no\n") != NULL);
	if (access("/etc/pulse/client.conf", R_OK) == 0 && !getenv("XDG_CONFIG_HOME"))
		CHECK(strstr(text, ".include ") != NULL);
	CHECK_INT(pulse_client_conf_no_shm("/nonexistent-dir", NULL, 0, why, sizeof(why)), -1);
	CHECK_STR(getenv("PULSE_CLIENTCONFIG"), path);   /* a failure changes nothing */
}

static void test_pulse_gone_reports_error_again(void)
{
	struct media_stats s0, s1;

	if (daemon_pid < 0)
		return;
	stop_daemon();
	CHECK_INT(wait_for(EVQ_MEDIA_AUDIO_ERROR, 1000), 1);
	media_session_get_stats(a, &s0);
	msleep(500);
	media_session_get_stats(a, &s1);
	CHECK(s1.pkts_sent - s0.pkts_sent >= 20);     /* still sending, timer-paced */
}

static void test_audio_through_pulse_returns_the_tone(void)
{
	SF_INFO info = { 0 };
	SNDFILE *f;
	int16_t *pcm;
	double hz, db;

	if (!have_pulseaudio())
		return;
	f = sf_open(back, SFM_READ, &info);
	CHECK(f != NULL);
	if (!f)
		return;
	pcm = calloc((size_t)info.frames, sizeof(*pcm));
	CHECK(pcm && sf_readf_short(f, pcm, info.frames) == info.frames);
	sf_close(f);
	/* The tone went through the server for about 1.5 s: measure 0.5 s of it, 100 ms in. */
	{
		size_t n = pcm ? (size_t)info.frames : 0;
		size_t on = pcm ? tone_onset(pcm, n, 48000, 500) : 0;

		hz = on + 4800 + 24000 <= n ? tone_freq(pcm + on + 4800, 24000, 48000) : 0;
		db = hz ? tone_db(tone_rms(pcm + on + 4800, 24000), SINE_AMP / sqrt(2.0)) : -99;
	}
	printf("  tone through PulseAudio: %.2f Hz, level %+.2f dB\n", hz, db);
	CHECK(fabs(hz - 1000) < 10);
	CHECK(fabs(db) < 3);
	free(pcm);
}

int main(void)
{
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ttyphone-pulse-XXXXXX");
	if (!mkdtemp(tmpdir) || evq_alloc(&q, 64) != 0)
		return 1;
	snprintf(server, sizeof(server), "unix:%s/native", tmpdir);
	snprintf(tone, sizeof(tone), "%s/tone.wav", tmpdir);
	snprintf(back, sizeof(back), "%s/back.wav", tmpdir);
	write_tone(tone);
	RUN(test_client_conf_includes_libpulses_and_turns_shm_off);
	start_sessions();
	RUN(test_pulse_unreachable_reports_once_and_call_goes_on);
	RUN(test_pulse_back_reports_ok_and_carries_audio);
	RUN(test_pulse_gone_reports_error_again);
	media_session_free(a);
	media_session_free(b);
	RUN(test_audio_through_pulse_returns_the_tone);
	stop_daemon();
	evq_free(q);
	if (!getenv("TTY_KEEP_FILES")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	return unit_done();
}
