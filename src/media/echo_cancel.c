/* echo_cancel.c: acoustic echo cancellation, speexdsp's echo canceller and preprocessor.
 *
 *   played frame --> delay line --(reference, `delay` later)--+
 *                                                              v
 *   captured frame --> speex_echo_cancellation (adaptive filter, tail_ms long)
 *                  --> speex_preprocess_run (residual echo suppression only) --> cleaned
 *
 * Choices (figures from the 2-core build machine; tests/unit/test_media_echo_cancel prints
 * them, tests/integration/test_echo_cancel.py shows them through PulseAudio):
 *
 * - 48 kHz, the device rate. At 16 kHz it would cost about a third (the filter has a third
 *   of the taps and runs on a third of the samples), but the Opus path is fullband: either
 *   everything above 8 kHz would be cut from what we send, or the echo up there (sibilants)
 *   would go back uncancelled; and the resampling there and back costs too. At 48 kHz it
 *   is 0.5-0.8 s of CPU per minute of call, about 1 % of one core.
 * - 10 ms blocks, two per 20 ms tick. The preprocessor returns each block one block late
 *   (overlap-add), so the block is the delay added to what we send; smaller blocks cost
 *   more per sample (more filter partitions for the same tail).
 * - A 200 ms tail: room for a room's reverberation (a small room's echo dies out in 100 to
 *   200 ms) plus the slack the alignment below leaves. The cost grows with the tail.
 * - Alignment. The capture of tick k is read before the frame of tick k is played, so the
 *   earliest the microphone can hear anything is the frame played at tick k-1: with no
 *   extra delay the reference for capture k is that frame, and an echo that takes the
 *   device's round trip (asked for between the capture and the playback of a tick: the
 *   playback queue and sink latency ahead of a sample written now, plus the capture queue
 *   and source latency behind the sample just read) starts that round trip into the
 *   filter. That is ~15-25 ms on the lab's null sinks, typically 40-100 ms on a sound
 *   card, more through an SSH tunnel or when PulseAudio grows its buffers after underruns
 *   (seen up to 370 ms on the loaded build machine). A long round
 *   trip would push the echo past the tail, so the reference waits in a delay line: the
 *   first estimate puts the echo EC_MARGIN_MS into the filter (delay = round trip - 30 ms,
 *   at least 0). The margin is there because an echo that arrives before its reference can
 *   never be cancelled, and PulseAudio's estimate wanders by several ms, and the PulseAudio
 *   backend drops a stale capture frame now and then (the echo then comes 20 ms sooner).
 *   Later the delay moves only when two estimates in a row put the echo's start before
 *   10 ms or after 100 ms: every move (like every real change in the echo path) costs the
 *   filter its convergence, about a second, and changes within that range are the
 *   filter's to follow.
 * - Residual echo suppression only: the preprocessor applies its echo suppression only with
 *   its denoiser on, so the denoiser is on with a noise floor of 0 dB: it takes nothing
 *   from noise or steady sounds (a steady near-end tone is not mistaken for noise). AGC,
 *   VAD and dereverberation stay off. The echo left over is suppressed by up to 40 dB
 *   (15 dB while the near end talks), speexdsp's defaults. */
#include "echo_cancel.h"
#include "audio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#define MS (AUDIO_RATE / 1000)
#define EC_BLOCK (10 * MS)
#define EC_MAX_TAIL_MS 1000
#define RING_LEN (EC_MAX_DELAY_MS * MS + 2 * AUDIO_FRAME)

_Static_assert(AUDIO_FRAME % EC_BLOCK == 0, "a device frame is whole blocks");

struct echo_cancel {
	SpeexEchoState *echo;
	SpeexPreprocessState *pre;
	size_t delay;              /* samples the reference lags the natural one frame */
	bool aligned;              /* delay set from the device since alloc or reset */
	unsigned far_off;          /* estimates in a row that put the echo out of range */
	size_t wpos;               /* next write in ring, the delay line of played samples */
	int16_t ref[AUDIO_FRAME];  /* the reference for the frame being cleaned */
	int16_t out[AUDIO_FRAME];
	int16_t ring[RING_LEN];
};

int echo_cancel_alloc(struct echo_cancel **ecp, unsigned tail_ms)
{
	struct echo_cancel *ec;
	spx_int32_t rate = AUDIO_RATE, on = 1, floor_db = 0;

	if (!ecp || tail_ms < 10 || tail_ms > EC_MAX_TAIL_MS)
		return EINVAL;
	ec = calloc(1, sizeof(*ec));
	if (!ec)
		return ENOMEM;
	ec->echo = speex_echo_state_init(EC_BLOCK, (int)(tail_ms * MS));
	ec->pre = speex_preprocess_state_init(EC_BLOCK, AUDIO_RATE);
	if (!ec->echo || !ec->pre) {
		echo_cancel_free(ec);
		return ENOMEM;
	}
	speex_echo_ctl(ec->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	speex_preprocess_ctl(ec->pre, SPEEX_PREPROCESS_SET_ECHO_STATE, ec->echo);
	speex_preprocess_ctl(ec->pre, SPEEX_PREPROCESS_SET_DENOISE, &on);
	speex_preprocess_ctl(ec->pre, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &floor_db);
	*ecp = ec;
	return 0;
}

void echo_cancel_played(struct echo_cancel *ec, const int16_t *frame)
{
	size_t first = RING_LEN - ec->wpos;

	if (first > AUDIO_FRAME)
		first = AUDIO_FRAME;
	memcpy(ec->ring + ec->wpos, frame, first * sizeof(*frame));
	memcpy(ec->ring, frame + first, (AUDIO_FRAME - first) * sizeof(*frame));
	ec->wpos = (ec->wpos + AUDIO_FRAME) % RING_LEN;
}

void echo_cancel_capture(struct echo_cancel *ec, int16_t *frame)
{
	/* The last frame played, delay samples further back. */
	size_t start = (ec->wpos + RING_LEN - AUDIO_FRAME - ec->delay) % RING_LEN;
	size_t first = RING_LEN - start;

	if (first > AUDIO_FRAME)
		first = AUDIO_FRAME;
	memcpy(ec->ref, ec->ring + start, first * sizeof(ec->ref[0]));
	memcpy(ec->ref + first, ec->ring, (AUDIO_FRAME - first) * sizeof(ec->ref[0]));
	for (size_t off = 0; off < AUDIO_FRAME; off += EC_BLOCK) {
		speex_echo_cancellation(ec->echo, frame + off, ec->ref + off, ec->out + off);
		speex_preprocess_run(ec->pre, ec->out + off);
	}
	memcpy(frame, ec->out, sizeof(ec->out));
}

void echo_cancel_latency(struct echo_cancel *ec, int64_t round_trip_us)
{
	int64_t rt_ms = round_trip_us / 1000, delay_ms = (int64_t)(ec->delay / MS);
	int64_t start_ms = rt_ms - delay_ms;   /* where the echo starts in the filter */
	int64_t want_ms = rt_ms - EC_MARGIN_MS;

	if (round_trip_us < 0)
		return;
	if (ec->aligned && start_ms >= EC_EARLIEST_MS && start_ms <= EC_LATEST_MS) {
		ec->far_off = 0;
		return;
	}
	if (ec->aligned && ++ec->far_off < 2)
		return;
	if (want_ms < 0)
		want_ms = 0;
	if (want_ms > EC_MAX_DELAY_MS)
		want_ms = EC_MAX_DELAY_MS;
	ec->delay = (size_t)want_ms * MS;
	ec->aligned = true;
	ec->far_off = 0;
}

unsigned echo_cancel_delay_ms(const struct echo_cancel *ec)
{
	return (unsigned)(ec->delay / MS);
}

void echo_cancel_reset(struct echo_cancel *ec)
{
	speex_echo_state_reset(ec->echo);
	ec->aligned = false;
	ec->far_off = 0;
}

void echo_cancel_free(struct echo_cancel *ec)
{
	if (!ec)
		return;
	if (ec->pre)
		speex_preprocess_state_destroy(ec->pre);
	if (ec->echo)
		speex_echo_state_destroy(ec->echo);
	free(ec);
}
