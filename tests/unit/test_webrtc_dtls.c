/* test_webrtc_dtls.c: the building blocks of WebRTC media, one test per behaviour. The
 * certificate is made once and kept, and a damaged, too open, expired or unsavable file is
 * dealt with. Fingerprints with each hash; the RFC 7983 demultiplexer's table. */
#include "unit.h"
#include "media/webrtc/demux.h"
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/dtls_fp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/x509.h>

/* Certificates made in memory at start, for the fingerprint tests. */
static struct dtls_cert *client_cert, *server_cert;

/* ---- the certificate on disk ---- */

struct notes {
	int n;
	char last[1024];
};

static void on_note(void *arg, const char *line)
{
	struct notes *nt = arg;

	nt->n++;
	snprintf(nt->last, sizeof(nt->last), "%s", line);
}

static char tmpdir[256];

static void make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/ttydtls-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void test_cert_is_made_once_and_kept(void)
{
	char path[512], why[256], fp[DTLS_CERT_FP];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;
	struct stat st;
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s/data/ttyphone/%s", tmpdir, DTLS_CERT_FILE);
	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "DTLS certificate made") != NULL);
	CHECK(c != NULL);
	if (!c)
		return;
	snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(c));
	CHECK(strncmp(fp, "sha-256 ", 8) == 0);
	CHECK_STR(dtls_cert_fp_value(c), fp + 8);
	CHECK_INT(strlen(fp), 8 + 32 * 3 - 1);
	CHECK(dtls_cert_expires(c) > now + 364 * 86400 && dtls_cert_expires(c) <= now + 366 * 86400);
	/* ECDSA P-256 and CN "ttyphone", self-signed. */
	X509 *x = dtls_cert_x509(c);
	char cn[64] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	CHECK_STR(cn, "ttyphone");
	CHECK_INT(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	CHECK_INT(EVP_PKEY_base_id(dtls_cert_key(c)), EVP_PKEY_EC);
	CHECK_INT(EVP_PKEY_bits(dtls_cert_key(c)), 256);
	CHECK_INT(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	dtls_cert_free(c);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(why, sizeof(why), "%s/data/ttyphone", tmpdir);
	CHECK_INT(stat(why, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	/* Loaded again, a day and a month later: the same, without a word. */
	for (int i = 0; i < 2; i++) {
		c = NULL;
		CHECK_INT(dtls_cert_load(&c, path, now + (i ? 30 * 86400 : 86400), on_note, &nt,
					 why, sizeof(why)), 0);
		CHECK_INT(nt.n, 1);
		CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) == 0);
		dtls_cert_free(c);
	}
	/* No temporary file left beside it. */
	char dir[512], cmd[600];
	snprintf(dir, sizeof(dir), "%s/data/ttyphone", tmpdir);
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	CHECK_INT(system(cmd), 0);
}

static void test_default_path_is_the_data_directory(void)
{
	char path[512], want[512];
	const char *old = getenv("XDG_DATA_HOME");
	char saved[512] = "";

	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("XDG_DATA_HOME", "/x/share", 1);
	dtls_cert_default_path(path, sizeof(path));
	CHECK_STR(path, "/x/share/ttyphone/dtls-cert.pem");
	unsetenv("XDG_DATA_HOME");
	dtls_cert_default_path(path, sizeof(path));
	snprintf(want, sizeof(want), "%s/.local/share/ttyphone/dtls-cert.pem", getenv("HOME"));
	CHECK_STR(path, want);
	if (saved[0])
		setenv("XDG_DATA_HOME", saved, 1);
}

/* Load path (as it is) and expect it replaced with a note containing reason. */
static void expect_replaced(const char *path, time_t now, const char *reason)
{
	char why[256], fp[DTLS_CERT_FP];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;
	struct stat st;

	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "replaced") != NULL);
	if (!strstr(nt.last, reason)) {
		fprintf(stderr, "note \"%s\" lacks \"%s\"\n", nt.last, reason);
		CHECK(0);
	}
	if (!c)
		return;
	snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(c));
	dtls_cert_free(c);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* What replaced it is good: loaded again, it stays. */
	c = NULL;
	CHECK_INT(dtls_cert_load(&c, path, now, on_note, &nt, why, sizeof(why)), 0);
	CHECK_INT(nt.n, 1);
	CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) == 0);
	dtls_cert_free(c);
}

static void test_damaged_cert_file_is_replaced(void)
{
	char path[512], half[4096];
	time_t now = time(NULL);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/bad.pem", tmpdir);
	write_file(path, "not a certificate\n", 0600);
	expect_replaced(path, now, "no private key");
	/* Cut in the middle of the certificate. */
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = f ? fread(half, 1, sizeof(half) - 1, f) : 0;
	if (f)
		fclose(f);
	half[n * 3 / 4] = '\0';
	write_file(path, half, 0600);
	expect_replaced(path, now, "no certificate");
	/* An empty file. */
	write_file(path, "", 0600);
	expect_replaced(path, now, "no private key");
}

static void test_cert_file_others_can_read_is_replaced(void)
{
	char path[512], why[256];
	struct dtls_cert *c = NULL;

	snprintf(path, sizeof(path), "%s/open.pem", tmpdir);
	CHECK_INT(dtls_cert_load(&c, path, time(NULL), NULL, NULL, why, sizeof(why)), 0);
	dtls_cert_free(c);
	CHECK_INT(chmod(path, 0644), 0);
	expect_replaced(path, time(NULL), "other users could read it (mode 0644)");
}

static void test_expired_cert_is_renewed(void)
{
	char path[512], why[256], fp[DTLS_CERT_FP];
	struct dtls_cert *c = NULL;
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s/old.pem", tmpdir);
	CHECK_INT(dtls_cert_load(&c, path, now, NULL, NULL, why, sizeof(why)), 0);
	snprintf(fp, sizeof(fp), "%s", c ? dtls_cert_fingerprint(c) : "");
	dtls_cert_free(c);
	/* A year on: expires within the renewal margin, then past it. */
	expect_replaced(path, now + 365 * 86400 - DTLS_CERT_RENEW_S / 2, "it expires on");
	c = NULL;
	CHECK_INT(dtls_cert_load(&c, path, now + 365 * 86400, NULL, NULL, why, sizeof(why)), 0);
	CHECK(c && strcmp(dtls_cert_fingerprint(c), fp) != 0);
	dtls_cert_free(c);
	expect_replaced(path, now + 800 * 86400, "it expired on");
}

static void test_cert_that_cannot_be_saved_is_still_used(void)
{
	char file[512], path[600], why[256];
	struct notes nt = { 0 };
	struct dtls_cert *c = NULL;

	/* The data directory's place is taken by a file. */
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	write_file(file, "x", 0600);
	snprintf(path, sizeof(path), "%s/ttyphone/%s", file, DTLS_CERT_FILE);
	CHECK_INT(dtls_cert_load(&c, path, time(NULL), on_note, &nt, why, sizeof(why)), 0);
	CHECK(c != NULL);
	CHECK_INT(nt.n, 1);
	CHECK(strstr(nt.last, "for this run only") != NULL);
	CHECK(strstr(nt.last, "cannot create the folder") != NULL);
	dtls_cert_free(c);
}

static void test_fingerprints_with_each_hash(void)
{
	static const struct { const char *alg, *abc; } v[] = {
		{ "sha-1", "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D" },
		{ "SHA-256", "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:"
			     "7A:9C:B4:10:FF:61:F2:00:15:AD" },
	};
	char out[DTLS_FP_TEXT], why[256];
	uint8_t md[DTLS_MD_MAX], md2[DTLS_MD_MAX];
	size_t n, n2;

	/* Known digests of "abc" (FIPS 180). */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(dtls_fingerprint(v[i].alg, (const uint8_t *)"abc", 3, out, sizeof(out),
					   why, sizeof(why)), 0);
		CHECK_STR(out, v[i].abc);
	}
	/* Our certificate's sha-256 is the one its SDP line gives; each size is right. */
	unsigned char *der = NULL;
	int len = i2d_X509(dtls_cert_x509(client_cert), &der);
	CHECK(len > 0);
	CHECK_INT(dtls_fingerprint("sha-256", der, (size_t)len, out, sizeof(out), why,
				   sizeof(why)), 0);
	CHECK_STR(out, dtls_cert_fingerprint(client_cert) + 8);
	static const char *const algs[] = { "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };
	static const size_t sizes[] = { 20, 28, 32, 48, 64 };
	for (size_t i = 0; i < 5; i++) {
		CHECK_INT(dtls_fingerprint(algs[i], der, (size_t)len, out, sizeof(out), why,
					   sizeof(why)), 0);
		CHECK_INT(strlen(out), sizes[i] * 3 - 1);
		CHECK_INT(dtls_fp_size(algs[i]), sizes[i]);
		/* What we print parses back, in either case. */
		CHECK_INT(dtls_fp_digest(algs[i], der, (size_t)len, md, &n, why, sizeof(why)), 0);
		for (char *p = out; *p; p++)
			*p = (char)(i % 2 ? *p : (*p >= 'A' && *p <= 'F' ? *p + 32 : *p));
		CHECK_INT(dtls_fp_parse(algs[i], out, md2, &n2, why, sizeof(why)), 0);
		CHECK_INT(n2, n);
		CHECK(memcmp(md, md2, n) == 0);
	}
	OPENSSL_free(der);
	CHECK_INT(dtls_fingerprint("md5", (const uint8_t *)"abc", 3, out, sizeof(out), why,
				   sizeof(why)), -1);
	CHECK(strstr(why, "unknown fingerprint hash \"md5\"") != NULL);
	CHECK_INT(dtls_fp_size("md5"), 0);
	/* Blanks around a value are SDP's, not the value's. */
	CHECK_INT(dtls_fp_parse("sha-1", " A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:"
				"D0:D8:9D\r\n", md, &n, why, sizeof(why)), 0);
	CHECK_INT(dtls_fp_parse("sha-1", "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:"
				"D0:D8:9D:00", md, &n, why, sizeof(why)), -1);
	CHECK(strstr(why, "longer than 20") != NULL);
	CHECK_INT(dtls_fp_parse("sha-1", "A9:99:3E", md, &n, why, sizeof(why)), -1);
	CHECK_STR(why, "the sha-1 fingerprint has 3 bytes, not 20");
	CHECK_INT(dtls_fp_parse("sha-1", "A9:9", md, &n, why, sizeof(why)), -1);
	CHECK_INT(dtls_fp_parse("sha-1", "A9::99", md, &n, why, sizeof(why)), -1);
	CHECK_INT(dtls_fp_parse("sha-1", "", md, &n, why, sizeof(why)), -1);
	/* Formatting never overruns: a short buffer holds whole pairs only. */
	char small[8];
	dtls_fp_format((const uint8_t *)"\x01\x02\x03\x04", 4, small, sizeof(small));
	CHECK_STR(small, "01:02");
}

/* ---- RFC 7983 ---- */

static void test_demux_table(void)
{
	static const struct {
		uint8_t b0, b1;
		size_t len;
		enum webrtc_pkt want;
	} t[] = {
		{ 0, 1, 20, WEBRTC_PKT_STUN },          /* Binding request */
		{ 1, 1, 100, WEBRTC_PKT_STUN },         /* Binding success */
		{ 3, 0, 20, WEBRTC_PKT_STUN },
		{ 0, 1, 19, WEBRTC_PKT_DROP },          /* shorter than a STUN header */
		{ 4, 0, 100, WEBRTC_PKT_DROP },
		{ 15, 0, 100, WEBRTC_PKT_DROP },
		{ 16, 0, 12, WEBRTC_PKT_ZRTP },
		{ 19, 0, 100, WEBRTC_PKT_ZRTP },
		{ 16, 0, 11, WEBRTC_PKT_DROP },
		{ 20, 0xfe, 13, WEBRTC_PKT_DTLS },      /* ChangeCipherSpec */
		{ 22, 0xfe, 200, WEBRTC_PKT_DTLS },     /* Handshake */
		{ 23, 0xfe, 100, WEBRTC_PKT_DTLS },     /* application data */
		{ 63, 0, 13, WEBRTC_PKT_DTLS },
		{ 22, 0xfe, 12, WEBRTC_PKT_DROP },
		{ 64, 0, 4, WEBRTC_PKT_TURN_CHANNEL },
		{ 79, 0xff, 100, WEBRTC_PKT_TURN_CHANNEL },
		{ 64, 0, 3, WEBRTC_PKT_DROP },
		{ 80, 0, 100, WEBRTC_PKT_DROP },
		{ 127, 0, 100, WEBRTC_PKT_DROP },
		{ 0x80, 111, 12, WEBRTC_PKT_RTP },      /* Opus */
		{ 0x80, 0x80 | 111, 100, WEBRTC_PKT_RTP },  /* with the marker */
		{ 0x90, 0, 100, WEBRTC_PKT_RTP },       /* PCMU with an extension */
		{ 0x80, 63, 12, WEBRTC_PKT_RTP },
		{ 0x80, 96, 12, WEBRTC_PKT_RTP },       /* first dynamic type past RTCP's */
		{ 0x80, 0x80 | 96, 12, WEBRTC_PKT_RTP },
		{ 0x80, 111, 11, WEBRTC_PKT_DROP },
		{ 0x80, 200, 8, WEBRTC_PKT_RTCP },      /* SR */
		{ 0x81, 201, 32, WEBRTC_PKT_RTCP },     /* RR */
		{ 0x81, 205, 16, WEBRTC_PKT_RTCP },     /* RTPFB (NACK, transport-cc) */
		{ 0x8f, 206, 24, WEBRTC_PKT_RTCP },     /* PSFB (REMB) */
		{ 0x80, 192, 8, WEBRTC_PKT_RTCP },      /* 64 after the mask */
		{ 0x80, 223, 8, WEBRTC_PKT_RTCP },      /* 95 */
		{ 0x80, 64, 8, WEBRTC_PKT_RTCP },       /* the marker-less form */
		{ 0x80, 95, 8, WEBRTC_PKT_RTCP },
		{ 0x80, 224, 12, WEBRTC_PKT_RTP },      /* 96 with the marker */
		{ 0x80, 200, 7, WEBRTC_PKT_DROP },
		{ 0xbf, 201, 8, WEBRTC_PKT_RTCP },
		{ 0xc0, 0, 100, WEBRTC_PKT_DROP },      /* RTP version 3 */
		{ 0xff, 0, 100, WEBRTC_PKT_DROP },
	};
	uint8_t pkt[128] = { 0 };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum webrtc_pkt got;

		pkt[0] = t[i].b0;
		pkt[1] = t[i].b1;
		got = webrtc_demux(pkt, t[i].len);
		if (got != t[i].want)
			fprintf(stderr, "demux %u %u len %zu: %s, expected %s\n", t[i].b0, t[i].b1,
				t[i].len, webrtc_pkt_name(got), webrtc_pkt_name(t[i].want));
		CHECK_INT(got, t[i].want);
	}
	CHECK_INT(webrtc_demux(pkt, 0), WEBRTC_PKT_DROP);
	CHECK_INT(webrtc_demux(NULL, 10), WEBRTC_PKT_DROP);
	pkt[0] = 0x80;
	CHECK_INT(webrtc_demux(pkt, 1), WEBRTC_PKT_DROP);
	/* Every first byte lands in its RFC 7983 range, or is dropped. */
	for (int b = 0; b < 256; b++) {
		enum webrtc_pkt want = b <= 3 ? WEBRTC_PKT_STUN : b >= 16 && b <= 19 ?
			WEBRTC_PKT_ZRTP : b >= 20 && b <= 63 ? WEBRTC_PKT_DTLS : b >= 64 && b <= 79 ?
			WEBRTC_PKT_TURN_CHANNEL : b >= 128 && b <= 191 ? WEBRTC_PKT_RTP :
			WEBRTC_PKT_DROP;

		pkt[0] = (uint8_t)b;
		pkt[1] = 0;
		CHECK_INT(webrtc_demux(pkt, 100), want);
	}
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_DTLS), "dtls");
	CHECK_STR(webrtc_pkt_name(WEBRTC_PKT_RTCP), "rtcp");
}

int main(void)
{
	char why[256];

	make_tmpdir();
	if (dtls_cert_make(&client_cert, time(NULL), why, sizeof(why)) != 0 ||
	    dtls_cert_make(&server_cert, time(NULL), why, sizeof(why)) != 0) {
		fprintf(stderr, "cannot make certificates: %s\n", why);
		return 1;
	}
	CHECK(strcmp(dtls_cert_fingerprint(client_cert), dtls_cert_fingerprint(server_cert)));
	RUN(test_cert_is_made_once_and_kept);
	RUN(test_default_path_is_the_data_directory);
	RUN(test_damaged_cert_file_is_replaced);
	RUN(test_cert_file_others_can_read_is_replaced);
	RUN(test_expired_cert_is_renewed);
	RUN(test_cert_that_cannot_be_saved_is_still_used);
	RUN(test_fingerprints_with_each_hash);
	RUN(test_demux_table);
	dtls_cert_free(client_cert);
	dtls_cert_free(server_cert);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return unit_done();
}
