/* webrtc_api.h: WebRTC calls' transport (webrtc_link.h) as ttyphone reaches it: through a
 * module, ttyphone-webrtc.so, opened on the first WebRTC call. libnice and GLib bring 40
 * libraries (GIO, GnuTLS, gupnp, libsoup, ICU, libstdc++...) whose start-up costs every
 * run 7.5 MB of private memory (USS 4.4 -> 11.9 MB idle, measured) and 20 ms; a phone
 * that never meets a browser should pay none of it, as with the other optional libraries
 * (lib_load.c). The module holds webrtc_link and everything under it, linked with
 * libnice; it is opened with RTLD_DEEPBIND so that libnice binds to its own
 * stun_message_length, not Sofia-SIP's of the same name (src/media/README.md).
 *
 * Where: $TTYPHONE_WEBRTC_MODULE, else beside the running program (the build tree), else
 * the install's pkglibdir. */
#ifndef TTY_WEBRTC_API_H
#define TTY_WEBRTC_API_H

#include <stddef.h>
#include "media/webrtc/webrtc_link.h"

#define WEBRTC_API_VERSION 3        /* 2: webrtc_link_opts.relay_only; 3: add_remote */
#define WEBRTC_MODULE_NAME "ttyphone-webrtc.so"

struct webrtc_api {
	unsigned version;          /* WEBRTC_API_VERSION: a module of another build refuses */
	int (*alloc)(struct webrtc_link **lp, const struct webrtc_link_opts *o,
		     webrtc_link_cb cb, void *arg, char *why, size_t whylen);
	void (*free)(struct webrtc_link *l);
	void (*local)(struct webrtc_link *l, struct sdp_webrtc *out);
	int (*set_remote)(struct webrtc_link *l, const struct sdp_webrtc *remote,
			  enum dtls_setup our_role, char *why, size_t whylen);
	int (*add_remote)(struct webrtc_link *l, const struct sdp_webrtc *frag, unsigned *used,
			  char *why, size_t whylen);
	struct pkt_ring *(*rx_ring)(struct webrtc_link *l);
	struct pkt_ring *(*tx_ring)(struct webrtc_link *l);
	int (*close)(struct webrtc_link *l);
	void (*get_stats)(struct webrtc_link *l, struct webrtc_link_stats *out);
};

/* Control (main thread): the module's functions, opened on the first call and kept; NULL
 * with why (where it was looked for, and the loader's words). */
const struct webrtc_api *webrtc_api_load(char *why, size_t whylen);

#endif
