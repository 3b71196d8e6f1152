/* sdp_frag.c: an SDP fragment of trickled ICE candidates (RFC 8840's
 * application/trickle-ice-sdpfrag, RFC 8839 section 9), as a SIP INFO carries it.
 *
 * Written by hand: a fragment is not a session description (no v=, o=, s=, t=), which
 * Sofia's sdp_parse refuses, and it is a few lines of "a=name:value" in sections opened
 * by "m=": reading them needs no more than this. Pure function, any thread, fuzzed
 * (tests/fuzz/fuzz_sdp.c) and unit-tested (tests/unit/test_sdp_webrtc.c). */
#include "ttyconf.h"
#include "sdp.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	return -1;
}

/* One line's value after "a=name:", or NULL when the line is not that attribute. */
static const char *attr(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, "a=", 2) || strncasecmp(line + 2, name, n))
		return NULL;
	if (line[2 + n] == ':')
		return line + 3 + n;
	return line[2 + n] == '\0' ? line + 2 + n : NULL;
}

int sdp_parse_frag(const char *text, size_t len, const char *want_mid, struct sdp_webrtc *out,
		   char *why, size_t whylen)
{
	/* The section the candidates are for: before the first m= (session level, which has
	 * none by RFC 8840 but costs nothing to take), or an m= section whose a=mid is
	 * want_mid (the first m= section when want_mid is "", as when our SDP had no mid). */
	bool in_media = false, take = true, sect_has_mid = false;
	unsigned sections = 0, pending = 0, bad_lines = 0;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return fail(why, whylen, "trickle: an empty fragment");
	while (pos < len) {
		char line[256];
		size_t end = pos, l;
		const char *v;

		while (end < len && text[end] != '\n' && text[end] != '\r')
			end++;
		l = end - pos;
		if (l >= sizeof(line) || memchr(text + pos, '\0', l)) {
			bad_lines++;
		} else if (l > 0) {
			memcpy(line, text + pos, l);
			line[l] = '\0';
			if (!strncmp(line, "m=", 2)) {
				/* A section without a=mid is taken only when it is the first and
				 * no mid is wanted; a later a=mid may still take or refuse it. */
				in_media = true;
				sections++;
				sect_has_mid = false;
				take = !want_mid[0] && sections == 1;
				pending = 0;
			} else if (in_media && (v = attr(line, "mid")) != NULL && !sect_has_mid) {
				sect_has_mid = true;
				take = want_mid[0] ? !strcmp(v, want_mid) : sections == 1;
				if (!take && pending) {   /* candidates before the a=mid: not ours */
					out->ncand -= pending;
					pending = 0;
				}
			} else if ((v = attr(line, "ice-ufrag")) != NULL) {
				if (take || !in_media)
					str_copy(out->ice_ufrag, sizeof(out->ice_ufrag), v);
			} else if ((v = attr(line, "ice-pwd")) != NULL) {
				if (take || !in_media)
					str_copy(out->ice_pwd, sizeof(out->ice_pwd), v);
			} else if ((v = attr(line, "candidate")) != NULL) {
				if (take && out->ncand < SDP_MAX_CAND &&
				    str_copy(out->cand[out->ncand], sizeof(out->cand[0]), v) == 0) {
					out->ncand++;
					if (!sect_has_mid)
						pending++;
				}
			} else if (attr(line, "end-of-candidates")) {
				if (take)
					out->end_of_candidates = true;
			} else if (attr(line, "ice-options")) {
				out->trickle = true;
			}
		}
		pos = end;
		while (pos < len && (text[pos] == '\n' || text[pos] == '\r'))
			pos++;
	}
	if (bad_lines && !out->ncand && !out->end_of_candidates)
		return fail(why, whylen, "trickle: the fragment's lines cannot be read (too long, "
			    "or with a NUL byte)");
	if (!out->ncand && !out->end_of_candidates)
		return fail(why, whylen, "trickle: the fragment has no a=candidate and no "
			    "a=end-of-candidates for our m-line");
	return 0;
}
