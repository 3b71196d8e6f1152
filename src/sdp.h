/* sdp.h: a plain description of a session description, the meeting point of the SIP
 * module (which parses SDP text with Sofia's parser, src/sip/sdp_parse.c) and the media
 * module (which negotiates on these structs and writes our SDP text, src/media/sdp_write.c).
 * Only what an audio phone needs; other m-lines are kept just well enough to decline them. */
#ifndef TTY_SDP_H
#define TTY_SDP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define SDP_MAX_FMTS 16
#define SDP_MAX_CRYPTO 4
#define SDP_MAX_OTHER 4
#define SDP_MAX_CAND 16

enum media_dir { MEDIA_INACTIVE = 0, MEDIA_SENDONLY = 1, MEDIA_RECVONLY = 2, MEDIA_SENDRECV = 3 };

struct sdp_fmt {
	uint8_t pt;
	char name[32];        /* encoding name as written: "opus", "PCMA", "telephone-event" */
	unsigned rate;        /* RTP clock rate */
	unsigned channels;    /* 0 or 1 = mono */
	char fmtp[128];
};

struct sdp_crypto {       /* RFC 4568 a=crypto, inline key only */
	unsigned tag;
	char suite[40];       /* AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM */
	char key_b64[80];     /* key||salt, base64, without "inline:" and without |lifetime|MKI */
};

/* RFC 5763 a=setup: who starts the DTLS handshake (active = the DTLS client). */
enum sdp_setup { SETUP_NONE = 0, SETUP_ACTPASS, SETUP_ACTIVE, SETUP_PASSIVE, SETUP_HOLDCONN };

/* What a WebRTC m-line carries beyond RTP (RFC 8839 ICE, RFC 8842 DTLS, RFC 8843 BUNDLE).
 * Session-level ice-ufrag/ice-pwd/fingerprint/setup are copied here when the media level has
 * none, so the media side looks in one place. */
struct sdp_webrtc {
	char ice_ufrag[64];
	char ice_pwd[128];
	bool ice_lite;        /* a=ice-lite (session level) */
	bool trickle;         /* a=ice-options:trickle */
	char cand[SDP_MAX_CAND][200];  /* a=candidate values, without "candidate:" */
	unsigned ncand;
	bool end_of_candidates;
	char fp_alg[16];      /* a=fingerprint hash: "sha-256" */
	char fp[200];         /* AB:CD:... */
	enum sdp_setup setup;
	char mid[32];         /* a=mid */
	bool bundled;         /* the mid is in the session's a=group:BUNDLE */
};

struct sdp_audio {
	char addr[64];        /* connection address (media level, else session level) */
	uint16_t port;        /* 0 = rejected */
	bool savp;            /* RTP/SAVP profile */
	bool dtls;            /* UDP/TLS/RTP/SAVP(F): keys from DTLS (RFC 5764), not a=crypto */
	bool avpf;            /* a feedback profile (RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVPF) */
	struct sdp_fmt fmts[SDP_MAX_FMTS];
	unsigned nfmts;
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	unsigned ncrypto;
	enum media_dir dir;
	unsigned ptime;       /* 0 = not given */
	bool rtcp_mux;
	struct sdp_webrtc rtc;
};

struct sdp_other {        /* an m-line we do not handle (video...): declined with port 0 */
	char type[16];        /* "video" */
	char proto[24];       /* "RTP/AVP" */
	char fmts[64];        /* "96 97" */
	char mid[32];         /* a=mid, echoed on the declined line (JSEP wants one per m-line) */
};

struct sdp_desc {
	char origin_addr[64];
	uint64_t sess_id, sess_version;
	bool has_audio;
	struct sdp_audio audio;
	struct sdp_other other[SDP_MAX_OTHER];
	unsigned nother;
	unsigned audio_index;  /* position of the audio m-line among all m-lines */
};

/* Parse SDP text into d (Sofia's parser). Returns 0, or -1 with a reason in why. */
int sdp_parse_desc(const char *text, size_t len, struct sdp_desc *d, char *why, size_t whylen);
/* Parse an SDP fragment of trickled ICE candidates (RFC 8840
 * application/trickle-ice-sdpfrag, as a SIP INFO carries it) into out: ice_ufrag and
 * ice_pwd when given (they name the ICE generation the candidates are for), the
 * candidates and end-of-candidates of the m= section whose a=mid is want_mid ("" for the
 * first section), trickle when it has a=ice-options. Other fields stay zero. Returns 0,
 * or -1 with a reason in why when nothing in it is for that section. */
int sdp_parse_frag(const char *text, size_t len, const char *want_mid, struct sdp_webrtc *out,
		   char *why, size_t whylen);
/* Write d as SDP text. Returns the length, or -1 if buf is too small. */
int sdp_write_desc(const struct sdp_desc *d, char *buf, size_t size);
const char *media_dir_name(enum media_dir dir);

#endif
