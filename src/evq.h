/* evq.h: events from worker threads (media) to the main thread. A bounded ring under a
 * mutex plus an eventfd the main loop watches: the only way a worker talks to app state.
 * Posting never blocks and never allocates; a full queue drops and counts. */
#ifndef TTY_EVQ_H
#define TTY_EVQ_H

#include <stdint.h>
#include <stddef.h>

enum evq_kind {
	EVQ_MEDIA_DTMF,        /* a: digit received (RFC 4733) */
	EVQ_MEDIA_RTP_TIMEOUT, /* no RTP for rtp_timeout seconds */
	EVQ_MEDIA_AUDIO_ERROR, /* text: what failed (device gone, server down) */
	EVQ_MEDIA_AUDIO_OK,    /* audio device (re)opened */
	EVQ_MEDIA_SRTP_ERROR,  /* text: why */
	EVQ_MEDIA_NEW_SSRC,
	EVQ_WS_UP,             /* call_id: the bridge's tag (account); text: "connected to ..." */
	EVQ_WS_DOWN,           /* text: why the WebSocket is down (lost, refused, certificate) */
	EVQ_WS_INFO,           /* text: something the bridge did that a user should know */
	EVQ_WEBRTC,            /* a: enum webrtc_link_ev; text; data: the SRTP keys (KEYS) */
};

struct evq_event {
	enum evq_kind kind;
	unsigned call_id;
	int a;
	char text[400];            /* reasons carry their fix, e.g. the ssh -R line */
	unsigned char data[128];   /* a binary payload (WebRTC's keys: wiped once taken) */
	unsigned data_len;
};

struct evq;

int evq_alloc(struct evq **qp, unsigned capacity);
void evq_free(struct evq *q);
/* Fd that becomes readable when events are waiting (for the main loop). */
int evq_fd(const struct evq *q);
/* Any thread: queue an event. Returns 0, or -1 if the queue was full (event dropped). */
int evq_post(struct evq *q, const struct evq_event *ev);
/* Main thread: take one event; returns 1 if one was taken, 0 if empty. Clears the fd's
 * readiness once the queue is empty. */
int evq_take(struct evq *q, struct evq_event *ev);

#endif
