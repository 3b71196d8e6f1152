/* session.c: a media session's life and its controls, on the caller's (main) thread.
 *
 *   one media thread per call, every 20 ms, paced by the audio device's read():
 *
 *   device capture -> [echo cancel] -> (mute) -> 48k->codec rate -> encode
 *        -> [DTMF replaces it] -> RTP header -> srtp_protect -> sendto(remote or latched source)
 *
 *   recvmsg (kernel arrival stamp) -> source check / latch -> srtp_unprotect -> RTP parse
 *        -> seq/loss/jitter stats -> telephone-event? -> EVQ_MEDIA_DTMF
 *        -> jitter buffer (fixed slots)
 *
 *   jitter pop -> decode by payload type | FEC from next | PLC | silence -> codec rate->48k
 *        -> (splice where the decoder changed) -> playout queue -> device playback
 *        (and into the echo canceller's delay line, its reference)
 *
 *   RTCP SR/RR every ~5 s; stats snapshot each tick; record both directions to WAV.
 *
 * The control side never waits for the media thread: new parameters, DTMF digits and new
 * SRTP contexts go into a mutex-protected slot that the thread picks up with trylock at a
 * tick boundary; statistics come back through a snapshot under a small lock. */
#include "session_priv.h"
#include "evq.h"
#include "rt_thread.h"

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bind_pair(struct media_session *ms, const char *local_addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned lo = ms->mcfg.rtp_port_min, hi = ms->mcfg.rtp_port_max, span, start;
	uint32_t r = 0;

	memset(&ss, 0, sizeof(ss));
	if (!local_addr || !*local_addr || strcmp(local_addr, "0.0.0.0") == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET, local_addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, local_addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		sl = sizeof(struct sockaddr_in6);
	} else {
		return EINVAL;
	}
	ms->family = ss.ss_family;
	if (lo == 0 || hi < lo) {
		lo = 16384;
		hi = 32767;
	}
	lo = (lo + 1) & ~1u;            /* RTP on even ports, RTCP on the odd one above */
	if (hi >= 65535)
		hi = 65534;
	if (hi < lo + 1)
		return EADDRINUSE;
	span = (hi - lo + 1) / 2;       /* number of even ports with room for RTCP */
	if (media_random(&r, sizeof(r)) < 0)
		r = (uint32_t)getpid();
	start = r % span;
	for (unsigned i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(lo + 2 * ((start + i) % span));
		int fds[2];
		bool ok = true;

		if (port + 1u > hi)
			continue;
		for (int k = 0; k < 2; k++) {
			int one = 1, tos = 0xb8;  /* DSCP EF, as RFC 4594 suggests for voice */
			int rcvbuf = 512 * 1024;

			fds[k] = socket(ms->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fds[k] < 0)
				return errno;
			if (ms->family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)(port + k));
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)(port + k));
			if (bind(fds[k], (struct sockaddr *)&ss, sl) < 0) {
				close(fds[k]);
				if (k == 1)
					close(fds[0]);
				ok = false;
				break;
			}
			/* Kernel arrival stamps: the thread reads sockets once per tick, and the
			 * jitter estimate needs the real arrival times. */
			if (setsockopt(fds[k], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
				/* Without them arrival is taken at read time: coarser, still works. */
			}
			/* Room for a burst (or a flood from a stranger) between two 20 ms ticks,
			 * so the peer's packets are not the ones the kernel drops. */
			if (setsockopt(fds[k], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
				/* the default buffer still works, with less headroom */
			}
			if (ms->family == AF_INET
			    ? setsockopt(fds[k], IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0
			    : setsockopt(fds[k], IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)) < 0) {
				/* QoS marking is a courtesy to the network; fine without. */
			}
		}
		if (ok) {
			ms->rtp_fd = fds[0];
			ms->rtcp_fd = fds[1];
			ms->port = port;
			return 0;
		}
	}
	return EADDRINUSE;
}

static void free_states(struct media_session *ms)
{
	for (int i = 0; i < CODEC_COUNT; i++)
		if (ms->cst[i])
			codec_get((enum codec_id)i)->free(ms->cst[i]);
	for (int i = 0; i < 2; i++) {
		if (ms->rates[i].up)
			speex_resampler_destroy(ms->rates[i].up);
		if (ms->rates[i].down)
			speex_resampler_destroy(ms->rates[i].down);
	}
}

int media_session_alloc(struct media_session **msp, const struct media_cfg *mcfg,
			const struct audio_cfg *acfg, unsigned call_id, struct evq *evq,
			const char *local_addr)
{
	struct media_session *ms;
	struct codec_opts opts;
	uint32_t rnd[4];
	int err;

	if (!msp || !mcfg || !acfg)
		return EINVAL;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return ENOMEM;
	ms->rtp_fd = ms->rtcp_fd = -1;
	ms->mcfg = *mcfg;
	ms->acfg = *acfg;
	ms->call_id = call_id;
	ms->evq = evq;
	err = bind_pair(ms, local_addr);
	if (err)
		goto fail;
	opts = (struct codec_opts){ .bitrate = mcfg->opus_bitrate, .dtx = mcfg->opus_dtx,
				    .complexity = (int)mcfg->opus_complexity };
	for (int i = 0; i < CODEC_COUNT; i++) {
		if (codec_get((enum codec_id)i)->alloc(&ms->cst[i], &opts) < 0) {
			err = ENOMEM;
			goto fail;
		}
	}
	ms->rates[0].rate = 8000;
	ms->rates[1].rate = 16000;
	for (int i = 0; i < 2; i++) {
		int e;

		ms->rates[i].up = speex_resampler_init(1, ms->rates[i].rate, AUDIO_RATE,
						       SPEEX_RESAMPLER_QUALITY_VOIP, &e);
		ms->rates[i].down = speex_resampler_init(1, AUDIO_RATE, ms->rates[i].rate,
							 SPEEX_RESAMPLER_QUALITY_VOIP, &e);
		if (!ms->rates[i].up || !ms->rates[i].down) {
			err = ENOMEM;
			goto fail;
		}
	}
	if (media_random(rnd, sizeof(rnd)) < 0) {
		err = EIO;
		goto fail;
	}
	ms->ssrc = rnd[0];
	ms->seq = (uint16_t)rnd[1];
	ms->ts = rnd[2];
	ms->rng = rnd[3];
	snprintf(ms->cname, sizeof(ms->cname), "ttyphone-%08x%08x", rnd[3], rnd[0] ^ rnd[1]);
	ms->rtcp_interval_ms = RTCP_INTERVAL_MS;
	pthread_mutex_init(&ms->ctl, NULL);
	pthread_mutex_init(&ms->rec_lock, NULL);
	pthread_mutex_init(&ms->stats_lock, NULL);
	atomic_init(&ms->ctl_dirty, false);
	atomic_init(&ms->stop, false);
	atomic_init(&ms->mute, false);
	dtmf_tx_init(&ms->dtx);
	dtmf_rx_init(&ms->drx);
	rtp_rx_reset(&ms->rxs);
	jb_init(&ms->jb, 8000, mcfg->jitter_min_ms, mcfg->jitter_max_ms);
	ms->stats.audio_ok = true;
	ms->stats.capture_ms = ms->stats.playback_ms = -1;
	*msp = ms;
	return 0;
fail:
	free_states(ms);
	if (ms->rtp_fd >= 0)
		close(ms->rtp_fd);
	if (ms->rtcp_fd >= 0)
		close(ms->rtcp_fd);
	free(ms);
	return err;
}

uint16_t media_session_port(const struct media_session *ms)
{
	return ms->port;
}

void media_session_set_echo(struct media_session *ms, unsigned delay_ms)
{
	if (ms->running)
		return;
	ms->echo = true;
	ms->echo_ms = delay_ms;
}

void session_set_rtcp_interval(struct media_session *ms, unsigned ms_interval)
{
	if (!ms->running && ms_interval >= 2)
		ms->rtcp_interval_ms = ms_interval;
}

/* Numeric address and port into a sockaddr of our socket's family. */
static int make_remote(const struct media_session *ms, const struct media_params *p,
		       struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	*sl = 0;
	if (p->remote_port == 0 || !p->remote_addr[0])
		return 0;
	if (ms->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, p->remote_addr, &s4->sin_addr) != 1)
			return EAFNOSUPPORT;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->remote_port);
		*sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, p->remote_addr, &s6->sin6_addr) != 1)
			return EAFNOSUPPORT;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->remote_port);
		*sl = sizeof(*s6);
	}
	return 0;
}

/* Whether one direction's key changed: an unchanged one keeps its SRTP context, whose
 * rollover counter and replay window a new context would lose (after a sequence wrap, a
 * fresh receiver would fail every packet). */
static bool same_key(const struct media_params *a, const struct media_params *b, bool tx)
{
	return a->suite == b->suite && a->key_len == b->key_len &&
	       memcmp(tx ? a->tx_key : a->rx_key, tx ? b->tx_key : b->rx_key, a->key_len) == 0;
}

/* Echo cancellation where there can be an acoustic echo: a PulseAudio device (speaker and
 * microphone in one room). Not for the echo service (its "microphone" is the delay line
 * whose echo is the point), the file backend (a WAV in, a WAV out: no path between them,
 * and the exact audio tests rely on) or the null one (silence). Without memory for it the
 * call goes on without it; the stats say so. */
static void start_echo_cancel(struct media_session *ms)
{
	if (!ms->acfg.echo_cancel || ms->dev_ops != &audio_pulse ||
	    echo_cancel_alloc(&ms->aec, EC_TAIL_MS) != 0)
		return;
	pthread_mutex_lock(&ms->stats_lock);
	ms->stats.aec = true;
	pthread_mutex_unlock(&ms->stats_lock);
}

static void open_device(struct media_session *ms)
{
	struct audio_open_args args = { .cfg = &ms->acfg, .evq = ms->evq, .call_id = ms->call_id,
		.echo_delay_ms = ms->echo_ms, .realtime = ms->mcfg.realtime };
	char why[160] = "";

	ms->dev_ops = ms->echo ? &audio_echo : audio_backend_for(ms->acfg.backend);
	if (ms->dev_ops->open(&ms->dev, &args, why, sizeof(why)) == 0) {
		start_echo_cancel(ms);
		return;
	}
	/* The call goes on without a device; say why once. */
	session_post(ms, EVQ_MEDIA_AUDIO_ERROR, 0, why[0] ? why : "cannot open the audio device");
	ms->dev_ops = &audio_null;
	if (ms->dev_ops->open(&ms->dev, &args, why, sizeof(why)) != 0)
		ms->dev_ops = NULL;
}

static int start_or_update(struct media_session *ms, const struct media_params *p)
{
	const struct codec *c;
	struct session_update u;
	int err;

	if (!ms || !p || !codec_get(p->codec) || p->pt > 127 || p->te_pt > 127)
		return EINVAL;
	/* keys_pending: the suite and keys come later (DTLS chooses the profile too). */
	if (!p->keys_pending && p->suite != SUITE_NONE &&
	    (p->key_len != srtp_suite_key_len(p->suite) || p->key_len > sizeof(p->tx_key)))
		return EINVAL;
	/* WebRTC's rings: both (and two of them: the thread consumes one, produces the other),
	 * and a running session keeps its transport: moving between the sockets and rings, or
	 * to other rings, would hand a ring's one consumer or producer to another thread. */
	if (!p->rx_ring != !p->tx_ring || (p->rx_ring && p->rx_ring == p->tx_ring))
		return EINVAL;
	if (ms->running && (p->rx_ring != ms->rx_ring || p->tx_ring != ms->tx_ring))
		return EINVAL;
	/* Negotiation loaded the codec's library already; params made by hand get it here,
	 * before the media thread (which never loads) meets the codec. */
	c = codec_get(p->codec);
	if (c->load && c->load(NULL, 0) != 0)
		return ELIBACC;
	memset(&u, 0, sizeof(u));
	u.p = *p;
	/* Rings: ICE's selected pair is the remote; the address is informative only (it may
	 * not even be of our sockets' family). */
	err = p->rx_ring ? 0 : make_remote(ms, p, &u.remote, &u.remote_len);
	if (err)
		return err;
	/* Keys that were pending are new whatever the bytes said; pending ones replace the
	 * contexts with none (nothing is sent or opened until they come). */
	u.new_tx = !ms->running || ms->last.keys_pending || p->keys_pending ||
		   !same_key(p, &ms->last, true);
	u.new_rx = !ms->running || ms->last.keys_pending || p->keys_pending ||
		   !same_key(p, &ms->last, false);
	if (p->suite != SUITE_NONE && !p->keys_pending) {
		err = u.new_tx ? srtp_sess_alloc(&u.tx, p->suite, p->tx_key, p->key_len, true) : 0;
		if (!err && u.new_rx)
			err = srtp_sess_alloc(&u.rx, p->suite, p->rx_key, p->key_len, false);
		if (err) {
			srtp_sess_free(u.tx);
			return err;
		}
	}
	ms->last = *p;

	if (!ms->running) {
		ms->rx_ring = p->rx_ring;
		ms->tx_ring = p->tx_ring;
		session_apply(ms, &u);
		open_device(ms);
		if (!ms->dev_ops)
			return ENOMEM;
		err = rt_thread_create(&ms->thread, ms->mcfg.realtime, session_thread, ms,
				       &ms->realtime);
		if (err) {
			ms->dev_ops->close(ms->dev);
			ms->dev_ops = NULL;
			return err;
		}
		ms->running = true;
		return 0;
	}
	/* Running: leave it in the slot; the thread takes it at its next tick. */
	pthread_mutex_lock(&ms->ctl);
	if (ms->have_update) {
		/* An update the thread has not taken yet: ours replaces it, but a context it
		 * brought that ours does not replace must still be installed. */
		if (u.new_tx) {
			srtp_sess_free(ms->upd.tx);
		} else {
			u.new_tx = ms->upd.new_tx;
			u.tx = ms->upd.tx;
		}
		if (u.new_rx) {
			srtp_sess_free(ms->upd.rx);
		} else {
			u.new_rx = ms->upd.new_rx;
			u.rx = ms->upd.rx;
		}
	}
	srtp_sess_free(ms->retired_tx);
	srtp_sess_free(ms->retired_rx);
	ms->retired_tx = ms->retired_rx = NULL;
	ms->upd = u;
	ms->have_update = true;
	atomic_store(&ms->ctl_dirty, true);
	pthread_mutex_unlock(&ms->ctl);
	return 0;
}

/* Like the rest of the control calls (but not alloc): 0, or -1 with errno set. */
static int fail_errno(int err)
{
	if (!err)
		return 0;
	errno = err;
	return -1;
}

int media_session_start(struct media_session *ms, const struct media_params *p)
{
	return fail_errno(start_or_update(ms, p));
}

int media_session_dtmf(struct media_session *ms, char digit)
{
	int rc = 0;

	if (dtmf_event_code(digit) < 0)
		return fail_errno(EINVAL);
	if (ms->running && ms->last.te_pt < 0)
		return fail_errno(ENOTSUP); /* no telephone-event negotiated: use SIP INFO */
	pthread_mutex_lock(&ms->ctl);
	if (ms->ndtmf == DTMF_PENDING)
		rc = ENOBUFS;
	else
		ms->dtmf[ms->ndtmf++] = digit;
	atomic_store(&ms->ctl_dirty, true);
	pthread_mutex_unlock(&ms->ctl);
	return fail_errno(rc);
}

void media_session_mute(struct media_session *ms, bool mute)
{
	atomic_store(&ms->mute, mute);
}

int media_session_record(struct media_session *ms, const char *path)
{
	const struct lib_sndfile *sf = NULL;
	SNDFILE *f = NULL, *old;

	if (path) {
		SF_INFO info = { .samplerate = AUDIO_RATE, .channels = 2,
				 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };

		if (!(sf = lib_sndfile(NULL, 0)))
			return fail_errno(ELIBACC);
		/* Left: what we send (our microphone); right: what we play (the peer). */
		f = sf->open(path, SFM_WRITE, &info);
		if (!f)
			return fail_errno(EIO);
	}
	pthread_mutex_lock(&ms->rec_lock);
	old = ms->rec;
	ms->rec = f;
	if (sf)
		ms->sf = sf;    /* set by the first recording, the same table ever after */
	pthread_mutex_unlock(&ms->rec_lock);
	if (old)
		ms->sf->close(old);
	return 0;
}

void media_session_get_stats(struct media_session *ms, struct media_stats *out)
{
	pthread_mutex_lock(&ms->stats_lock);
	*out = ms->stats;
	pthread_mutex_unlock(&ms->stats_lock);
}

void media_session_free(struct media_session *ms)
{
	if (!ms)
		return;
	if (ms->running) {
		atomic_store(&ms->stop, true);
		pthread_join(ms->thread, NULL);
	}
	if (ms->dev_ops)
		ms->dev_ops->close(ms->dev);
	echo_cancel_free(ms->aec);
	if (ms->have_update) {
		srtp_sess_free(ms->upd.tx);
		srtp_sess_free(ms->upd.rx);
	}
	srtp_sess_free(ms->retired_tx);
	srtp_sess_free(ms->retired_rx);
	srtp_sess_free(ms->tx);
	srtp_sess_free(ms->rx);
	if (ms->rec)
		ms->sf->close(ms->rec);
	free_states(ms);
	close(ms->rtp_fd);
	close(ms->rtcp_fd);
	pthread_mutex_destroy(&ms->ctl);
	pthread_mutex_destroy(&ms->rec_lock);
	pthread_mutex_destroy(&ms->stats_lock);
	memset(ms->p.tx_key, 0, sizeof(ms->p.tx_key));
	memset(ms->p.rx_key, 0, sizeof(ms->p.rx_key));
	memset(ms->last.tx_key, 0, sizeof(ms->last.tx_key));
	memset(ms->last.rx_key, 0, sizeof(ms->last.rx_key));
	free(ms);
}
