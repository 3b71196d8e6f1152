/* audio_pulse.c: PulseAudio through pa_simple. The blocking pa_simple_read paces the media
 * thread. Opening can block (a remote server, a server that is down), so a helper thread
 * opens the streams and hands them over; until they arrive, and whenever they fail, the
 * backend plays the null device (silence, timer-paced) so the call goes on. The first
 * failure is reported once as EVQ_MEDIA_AUDIO_ERROR, the recovery as EVQ_MEDIA_AUDIO_OK;
 * the helper retries every few seconds in between. */
#include "audio.h"
#include "audio_probe.h"
#include "capture_skip.h"
#include "evq.h"
#include "lib_pulse.h"
#include "play_level.h"
#include "rt_thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_S 3
#define WARMUP_DRAIN_MAX 100   /* frames of stale capture discarded at most (2 s) */
#define WARMUP_PLAY_MAX 10     /* frames of silence written at most before playback runs */
#define LATENCY_CHECK_TICKS 25 /* publish both queues twice a second (for the stats; the
				* playback queue as the mean over those frames) */
/* The capture backlog guard. Reading exactly one frame per frame's time never drains audio
 * that queued up while we (or libpulse's thread, or the server) were not running: it stays
 * as delay for the rest of the call. So before each read the guard looks at how much
 * capture is queued (pa_simple_get_latency: from timing data libpulse keeps, no round trip)
 * and takes the least of the last few ticks: a device that delivers two frames at a time
 * makes the figure swing, a backlog keeps it up. While that floor is over a frame and a bit,
 * 20 ms are left out (capture_skip.c joins across the cut): any quiet frame, a loud one only
 * one tick in five. */
#define BACKLOG_TICKS 4        /* the floor of this many ticks' measurements */
#define BACKLOG_US 30000       /* a frame and 10 ms of slack: more is delay to cut */
#define LOUD_SKIP_TICKS 5      /* at most one loud frame left out in so many ticks */

struct pulse_dev {
	/* Set at open, read-only afterwards. */
	char server[CFG_STR], source[CFG_STR], sink[CFG_STR];
	struct evq *evq;
	unsigned call_id;

	pthread_t opener;
	pthread_mutex_t lock;      /* never held across a PulseAudio call */
	pthread_cond_t cond;
	bool quit, want_open;      /* under lock */
	bool error_reported;       /* under lock: an AUDIO_ERROR awaits its AUDIO_OK */
	pa_simple *new_rec, *new_play;  /* under lock: opened, not yet taken */
	/* libpulse, loaded by the helper thread (the first call may read from disk). Written
	 * once, under lock, with the first streams; the media thread reads it only after it
	 * adopted those (under lock). */
	const struct lib_pulse *pa;
	atomic_bool ready;         /* new_rec/new_play are waiting: the cheap per-tick check */

	/* Media thread only. */
	pa_simple *rec, *play;
	struct pacer pacer;        /* paces the silence while there are no streams */
	unsigned ticks;
	int64_t queued_us[BACKLOG_TICKS]; /* capture queued before the last reads, -1: unknown */
	unsigned since_loud_skip;
	struct capture_skip skip;
	struct play_level level;   /* keeps the playback queue near its target */
	int64_t play_sum_us;       /* queued before each frame written since the last check */
	unsigned play_n;
	uint64_t play_dry;         /* playback found run dry, over all streams of the call */
	int rec_err;               /* the last capture read's PulseAudio error */
	int capture_ms, playback_ms; /* queued each way, as last measured (-1: unknown) */
};

static int64_t mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Bring new streams to a steady state before the media thread depends on them (it would
 * otherwise stall here). Measured with null sinks: the first capture read waited 1.5 s
 * and left ~0.5 s of audio queued, the first playback writes waited 0.5 s (a null sink
 * finishes the long block it was rendering before it takes a new stream's audio). So: one
 * read, silence until a write has to wait (playback then runs), that silence dropped
 * again (the media thread's first frame fills the buffer only to its target, see
 * play_level), then discard capture while it comes back at once (queued, i.e. stale).
 * Returns 0, or a PulseAudio error code. */
static int warm_up(const struct lib_pulse *pa, pa_simple *rec, pa_simple *play)
{
	int16_t buf[AUDIO_FRAME];
	int err = 0;

	memset(buf, 0, sizeof(buf));
	if (pa->simple_read(rec, buf, sizeof(buf), &err) < 0)
		return err;
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < WARMUP_PLAY_MAX; i++) {
		int64_t t = mono_us();

		if (pa->simple_write(play, buf, sizeof(buf), &err) < 0)
			return err;
		if (mono_us() - t > 2000)     /* it had to wait: playback runs */
			break;
	}
	if (pa->simple_flush(play, &err) < 0)
		return err;
	for (int i = 0; i < WARMUP_DRAIN_MAX; i++) {
		int64_t t = mono_us();

		if (pa->simple_read(rec, buf, sizeof(buf), &err) < 0)
			return err;
		if (mono_us() - t > 2000)     /* it had to wait: we are at the live edge */
			break;
	}
	return 0;
}

static void post(struct pulse_dev *d, enum evq_kind kind, const char *text)
{
	struct evq_event ev = { .kind = kind, .call_id = d->call_id };

	if (!d->evq)
		return;
	snprintf(ev.text, sizeof(ev.text), "%s", text);
	evq_post(d->evq, &ev);
}

static int open_streams(struct pulse_dev *d, const struct lib_pulse *pa, pa_simple **rec,
			pa_simple **play, char *why, size_t whylen)
{
	const pa_sample_spec ss = { .format = PA_SAMPLE_S16NE, .rate = AUDIO_RATE, .channels = 1 };
	const uint32_t frag = AUDIO_FRAME * sizeof(int16_t);
	/* Ask for 20 ms capture fragments (null sinks default to 2 s blocks). Playback: of
	 * the 60 ms asked for, PulseAudio keeps (60 - 2 * minreq) / 2 = 10 ms in the sink and
	 * the rest is room in the stream's buffer, so that writing a frame never waits for
	 * it: how much is queued ahead of each frame is play_level's to keep small (10 ms or
	 * a little more). A 20 ms minreq asks for data a frame at a time, and a 20 ms prebuf
	 * lets playback start (and go on after running dry) as soon as a frame is in. */
	const pa_buffer_attr rec_attr = { .maxlength = (uint32_t)-1, .tlength = (uint32_t)-1,
		.prebuf = (uint32_t)-1, .minreq = (uint32_t)-1, .fragsize = frag };
	const pa_buffer_attr play_attr = { .maxlength = (uint32_t)-1, .tlength = 3 * frag,
		.prebuf = frag, .minreq = frag, .fragsize = (uint32_t)-1 };
	const char *server = d->server[0] ? d->server : NULL;
	int err = 0;

	*rec = pa->simple_new(server, "ttyphone", PA_STREAM_RECORD,
			     d->source[0] ? d->source : NULL, "call microphone", &ss, NULL,
			     &rec_attr, &err);
	if (!*rec) {
		audio_explain(d->server, err, "microphone", d->source, why, whylen);
		return -1;
	}
	*play = pa->simple_new(server, "ttyphone", PA_STREAM_PLAYBACK,
			      d->sink[0] ? d->sink : NULL, "call speaker", &ss, NULL,
			      &play_attr, &err);
	if (!*play) {
		audio_explain(d->server, err, "speaker", d->sink, why, whylen);
		pa->simple_free(*rec);
		*rec = NULL;
		return -1;
	}
	/* Without this, capture starts with ~700 ms of stale audio queued. */
	if (pa->simple_flush(*rec, &err) < 0 || (err = warm_up(pa, *rec, *play)) != 0) {
		snprintf(why, whylen, "PulseAudio: the devices do not start: %s", pa->strerror(err));
		pa->simple_free(*rec);
		pa->simple_free(*play);
		*rec = *play = NULL;
		return -1;
	}
	return 0;
}

static void *opener_main(void *arg)
{
	struct pulse_dev *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->quit) {
		const struct lib_pulse *pa;
		pa_simple *rec, *play;
		char why[sizeof(((struct evq_event *)0)->text)];
		int rc;

		if (!d->want_open) {
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		pa = lib_pulse(why, sizeof(why));
		rc = pa ? open_streams(d, pa, &rec, &play, why, sizeof(why)) : -1;
		pthread_mutex_lock(&d->lock);
		if (rc == 0) {
			if (d->quit) {
				pa->simple_free(rec);
				pa->simple_free(play);
				break;
			}
			if (!d->pa)
				d->pa = pa;
			d->new_rec = rec;
			d->new_play = play;
			d->want_open = false;
			atomic_store(&d->ready, true);
			continue;
		}
		if (!d->error_reported) {
			d->error_reported = true;
			post(d, EVQ_MEDIA_AUDIO_ERROR, why);
		}
		{
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += RETRY_S;
			while (!d->quit && pthread_cond_timedwait(&d->cond, &d->lock, &until) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static void pulse_close(void *dev)
{
	struct pulse_dev *d = dev;

	pthread_mutex_lock(&d->lock);
	d->quit = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->opener, NULL);
	/* Any stream at all means libpulse was loaded (and d->pa set, the helper has ended). */
	if (d->new_rec)
		d->pa->simple_free(d->new_rec);
	if (d->new_play)
		d->pa->simple_free(d->new_play);
	if (d->rec)
		d->pa->simple_free(d->rec);
	if (d->play)
		d->pa->simple_free(d->play);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int pulse_open(void **devp, const struct audio_open_args *a, char *why, size_t whylen)
{
	struct pulse_dev *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return ENOMEM;
	snprintf(d->server, sizeof(d->server), "%s", a->cfg->server);
	snprintf(d->source, sizeof(d->source), "%s", a->cfg->capture);
	snprintf(d->sink, sizeof(d->sink), "%s", a->cfg->playback);
	d->evq = a->evq;
	d->call_id = a->call_id;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	atomic_init(&d->ready, false);
	d->want_open = true;
	d->capture_ms = d->playback_ms = -1;
	queue_window_reset(d->queued_us, BACKLOG_TICKS);
	capture_skip_reset(&d->skip);
	play_level_reset(&d->level);
	pacer_start(&d->pacer);
	/* At real-time priority if allowed: libpulse's event thread, which each stream starts
	 * from here, inherits it, and it is the one that brings us the captured audio. */
	err = rt_thread_create(&d->opener, a->realtime, opener_main, d, NULL);
	if (err) {
		snprintf(why, whylen, "cannot start the PulseAudio helper thread: %s", strerror(err));
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return err;
	}
	*devp = d;
	return 0;
}

/* Take streams the helper has opened, if any. */
static void adopt(struct pulse_dev *d)
{
	bool recovered;

	if (!atomic_load(&d->ready))
		return;
	pthread_mutex_lock(&d->lock);
	d->rec = d->new_rec;
	d->play = d->new_play;
	queue_window_reset(d->queued_us, BACKLOG_TICKS);
	capture_skip_reset(&d->skip);
	play_level_reset(&d->level);
	d->new_rec = d->new_play = NULL;
	atomic_store(&d->ready, false);
	recovered = d->error_reported;
	d->error_reported = false;
	pthread_mutex_unlock(&d->lock);
	if (recovered)
		post(d, EVQ_MEDIA_AUDIO_OK, "PulseAudio is back");
}

struct reaped {
	const struct lib_pulse *pa;
	pa_simple *rec, *play;
};

static void *reaper_main(void *arg)
{
	struct reaped *h = arg;

	h->pa->simple_free(h->rec);
	h->pa->simple_free(h->play);
	free(h);
	return NULL;
}

/* pa_simple_free on streams whose server has just died was seen to hang (libpulse 16.1,
 * about one run in five, inside pa_threaded_mainloop_stop). Free them on a detached
 * thread that holds nothing of ours, so neither the call nor the reopening waits. If even
 * that thread cannot start, leak them: a leak beats a frozen call. */
static void reap(const struct lib_pulse *pa, pa_simple *rec, pa_simple *play)
{
	struct reaped *h = malloc(sizeof(*h));
	pthread_attr_t attr;
	pthread_t t;

	if (!h)
		return;
	h->pa = pa;
	h->rec = rec;
	h->play = play;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, reaper_main, h) != 0)
		free(h);
	pthread_attr_destroy(&attr);
}

/* The streams failed: drop them, report once, and ask the helper to reopen. */
static void lose(struct pulse_dev *d, const char *what, int err)
{
	char why[160];
	bool report;

	snprintf(why, sizeof(why), "PulseAudio: %s failed: %s", what, d->pa->strerror(err));
	reap(d->pa, d->rec, d->play);
	d->rec = d->play = NULL;
	pacer_start(&d->pacer);
	pthread_mutex_lock(&d->lock);
	report = !d->error_reported;
	d->error_reported = true;
	d->want_open = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (report)
		post(d, EVQ_MEDIA_AUDIO_ERROR, why);
}

/* The least capture queued over the last BACKLOG_TICKS reads (this one included), -1 if
 * any is unknown. */
static int64_t backlog_floor(struct pulse_dev *d, int *err)
{
	pa_usec_t lat = d->pa->simple_get_latency(d->rec, err);

	queue_window_push(d->queued_us, BACKLOG_TICKS, lat == (pa_usec_t)-1 ? -1 : (int64_t)lat);
	return queue_window_floor(d->queued_us, BACKLOG_TICKS);
}

static int read_rec(void *ctx, int16_t *pcm, size_t n)
{
	struct pulse_dev *d = ctx;

	return d->pa->simple_read(d->rec, pcm, n * sizeof(*pcm), &d->rec_err) < 0 ? -1 : 0;
}

/* One frame of capture; leaves 20 ms out (see BACKLOG_US) while they queue up. */
static int capture(struct pulse_dev *d, int16_t *pcm, int *err)
{
	int64_t floor = backlog_floor(d, err);
	bool skip = false;

	if (capture_skip_read(&d->skip, read_rec, d) < 0)
		goto fail;
	d->since_loud_skip++;
	if (floor >= BACKLOG_US) {
		skip = audio_frame_quiet(capture_skip_next(&d->skip)) ||
		       d->since_loud_skip >= LOUD_SKIP_TICKS;
		if (skip) {
			/* What the last measurements saw queued is a frame less now. */
			queue_window_shift(d->queued_us, BACKLOG_TICKS,
					   -(AUDIO_FRAME * 1000000LL / AUDIO_RATE));
			d->since_loud_skip = 0;
		}
	}
	if (capture_skip_take(&d->skip, skip, read_rec, d, pcm) == 0)
		return 0;
fail:
	*err = d->rec_err;
	return -1;
}

static int pulse_read(void *dev, int16_t *pcm)
{
	struct pulse_dev *d = dev;
	int err = 0;

	adopt(d);
	if (d->rec && ++d->ticks % LATENCY_CHECK_TICKS == 0) {
		d->capture_ms = d->queued_us[0] < 0 ? -1 : (int)(d->queued_us[0] / 1000);
		d->playback_ms = d->play_n ? (int)(d->play_sum_us / d->play_n / 1000) : -1;
		d->play_sum_us = 0;
		d->play_n = 0;
	}
	if (d->rec) {
		if (capture(d, pcm, &err) == 0)
			return 0;
		lose(d, "recording", err);
	}
	pacer_wait(&d->pacer);
	memset(pcm, 0, AUDIO_FRAME * sizeof(*pcm));
	return -1;
}

/* One frame of playback, as play_level has it: with silence before it or part of it left
 * out, so that the queue ahead of it stays near its target. */
static int pulse_write(void *dev, const int16_t *pcm)
{
	struct pulse_dev *d = dev;
	const int16_t *out;
	uint64_t dry = d->level.dry;
	pa_usec_t lat;
	size_t n;
	int err = 0;

	if (!d->play)
		return -1;
	lat = d->pa->simple_get_latency(d->play, &err);
	if (lat != (pa_usec_t)-1) {
		d->play_sum_us += (int64_t)lat;
		d->play_n++;
	}
	n = play_level_frame(&d->level, lat == (pa_usec_t)-1 ? -1 : (int64_t)lat, pcm, &out);
	d->play_dry += d->level.dry - dry;
	if (n == 0 || d->pa->simple_write(d->play, out, n * sizeof(*out), &err) == 0)
		return 0;
	lose(d, "playback", err);
	return -1;
}

/* PulseAudio's own estimates (interpolated from its timing updates, no round trip to the
 * server): queued playback plus the sink's latency, queued capture plus the source's. */
static int64_t pulse_latency_us(void *dev)
{
	struct pulse_dev *d = dev;
	pa_usec_t rec, play;
	int err = 0;

	if (!d->rec || !d->play)
		return -1;
	rec = d->pa->simple_get_latency(d->rec, &err);
	play = d->pa->simple_get_latency(d->play, &err);
	if (rec == (pa_usec_t)-1 || play == (pa_usec_t)-1)
		return -1;
	return (int64_t)(rec + play);
}

static void pulse_latency(void *dev, int *capture_ms, int *playback_ms)
{
	struct pulse_dev *d = dev;

	*capture_ms = d->rec ? d->capture_ms : -1;
	*playback_ms = d->play ? d->playback_ms : -1;
}

static uint64_t pulse_playback_underruns(void *dev)
{
	struct pulse_dev *d = dev;

	return d->play_dry;
}

const struct audio_backend audio_pulse = {
	.name = "pulse", .open = pulse_open, .read = pulse_read, .write = pulse_write,
	.close = pulse_close, .latency_us = pulse_latency_us, .latency = pulse_latency,
	.playback_underruns = pulse_playback_underruns,
};
