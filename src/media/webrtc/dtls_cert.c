/* dtls_cert.c: the self-signed certificate, made once and kept on disk.
 *
 * Why keep it at all, since browsers check only the fingerprint the SDP gave? A stable
 * fingerprint lets a user (or a peer that pins it) recognise this phone from call to
 * call, and making a key per call would spend a few milliseconds of helper-thread time
 * on every call for nothing. Why replace rather than refuse a bad file? Nothing else
 * depends on the old key: a fresh one costs the user nothing, a refusal costs the call.
 *
 * The file is PEM: the PKCS#8 private key, then the certificate. Two phones starting at
 * once may each make one; the last rename wins and each runs with the one it made, which
 * is as good, so there is no lock. */
#include "media/webrtc/dtls_cert.h"
#include "media/webrtc/ossl_err.h"
#include "filelock.h"
#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

struct dtls_cert {
	atomic_uint extra_refs;    /* references beyond the maker's (dtls_cert_ref): 0 from
				    * calloc, where every maker starts */
	X509 *x509;
	EVP_PKEY *key;
	time_t expires;
	char fingerprint[DTLS_CERT_FP];
};

void dtls_cert_default_path(char *out, size_t size)
{
	/* history.c's rule for the data directory, so both files live in one folder. */
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, size, "%s/ttyphone/%s", xdg, DTLS_CERT_FILE);
	else
		snprintf(out, size, "%s/.local/share/ttyphone/%s", home && *home ? home : ".",
			 DTLS_CERT_FILE);
}

struct dtls_cert *dtls_cert_ref(struct dtls_cert *c)
{
	atomic_fetch_add_explicit(&c->extra_refs, 1, memory_order_relaxed);
	return c;
}

void dtls_cert_free(struct dtls_cert *c)
{
	if (!c)
		return;
	/* acq_rel: whoever frees last sees every other holder's reads done */
	if (atomic_fetch_sub_explicit(&c->extra_refs, 1, memory_order_acq_rel) != 0)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c)
{
	return c->fingerprint;
}

const char *dtls_cert_fp_value(const struct dtls_cert *c)
{
	return c->fingerprint + sizeof(DTLS_CERT_FP_ALG);   /* past "sha-256 " */
}

time_t dtls_cert_expires(const struct dtls_cert *c)
{
	return c->expires;
}

struct x509_st *dtls_cert_x509(const struct dtls_cert *c)
{
	return c->x509;
}

struct evp_pkey_st *dtls_cert_key(const struct dtls_cert *c)
{
	return c->key;
}

/* Whether key is an EC key on P-256: the only kind we make, and what a browser expects. */
static int is_p256(EVP_PKEY *key)
{
	if (EVP_PKEY_base_id(key) != EVP_PKEY_EC)
		return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	char group[64];
	size_t n = 0;

	return EVP_PKEY_get_group_name(key, group, sizeof(group), &n) == 1 &&
	       strcmp(group, "prime256v1") == 0;
#else
	const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(key);

	return ec && EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) == NID_X9_62_prime256v1;
#endif
}

/* Fill in what follows from x509 and key: the expiry and the SDP fingerprint. */
static int describe(struct dtls_cert *c, char *why, size_t whylen)
{
	const ASN1_TIME *end = X509_get0_notAfter(c->x509);
	uint8_t md[DTLS_MD_MAX];
	unsigned n = 0;
	struct tm tm;

	if (!end || ASN1_TIME_to_tm(end, &tm) != 1)
		return ossl_why(why, whylen, "its expiry date cannot be read");
	c->expires = timegm(&tm);
	if (X509_digest(c->x509, EVP_sha256(), md, &n) != 1 || n != 32)
		return ossl_why(why, whylen, "cannot compute its fingerprint");
	/* sha-256, as browsers write theirs: every peer that checks one takes it. */
	snprintf(c->fingerprint, sizeof(c->fingerprint), "%s ", DTLS_CERT_FP_ALG);
	dtls_fp_format(md, n, c->fingerprint + sizeof(DTLS_CERT_FP_ALG),
		       sizeof(c->fingerprint) - sizeof(DTLS_CERT_FP_ALG));
	return 0;
}

int dtls_cert_make(struct dtls_cert **cp, time_t now, char *why, size_t whylen)
{
	struct dtls_cert *c = calloc(1, sizeof(*c));
	EVP_PKEY_CTX *kctx = NULL;
	X509_NAME *name;
	uint64_t serial;

	*cp = NULL;
	if (!c) {
		str_fail(why, whylen, "out of memory");
		return ENOMEM;
	}
	kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1) <= 0 ||
	    EVP_PKEY_keygen(kctx, &c->key) <= 0) {
		ossl_why(why, whylen, "cannot make an ECDSA P-256 key");
		goto fail;
	}
	EVP_PKEY_CTX_free(kctx);
	kctx = NULL;
	/* A random positive serial: RFC 5280 wants it unique per issuer, and every
	 * certificate is its own issuer here, but a peer's cache may key on it. */
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1) {
		ossl_why(why, whylen, "no random bytes for the certificate");
		goto fail;
	}
	serial = (serial & INT64_MAX) | 1;
	c->x509 = X509_new();
	if (!c->x509 || X509_set_version(c->x509, 2) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), serial) != 1 ||
	    /* A day back, for a peer whose clock is behind ours (browsers do not look, but
	     * other DTLS stacks might). */
	    !X509_time_adj_ex(X509_getm_notBefore(c->x509), 0, -86400, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(c->x509), DTLS_CERT_DAYS, 0, &now) ||
	    !(name = X509_get_subject_name(c->x509)) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)DTLS_CERT_CN, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(c->x509, name) != 1 ||
	    X509_set_pubkey(c->x509, c->key) != 1 ||
	    X509_sign(c->x509, c->key, EVP_sha256()) <= 0) {
		ossl_why(why, whylen, "cannot make the certificate");
		goto fail;
	}
	if (describe(c, why, whylen) < 0)
		goto fail;
	*cp = c;
	return 0;
fail:
	EVP_PKEY_CTX_free(kctx);
	dtls_cert_free(c);
	return EIO;
}

/* PEM's default is to ask for a pass phrase on the terminal: ours is never encrypted,
 * and an encrypted file (not ours) must fail rather than prompt. */
static int no_pass_phrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* A certificate from PEM text, checked (P-256 key, key matches, not expiring by now +
 * DTLS_CERT_RENEW_S). NULL with why. */
static struct dtls_cert *parse(const char *text, size_t len, time_t now, char *why,
			       size_t whylen)
{
	struct dtls_cert *c = calloc(1, sizeof(*c));
	/* Two readers of the same text, so that the key and the certificate may come in
	 * either order (PEM readers skip blocks of other kinds). */
	BIO *b = BIO_new_mem_buf(text, (int)len), *b2 = BIO_new_mem_buf(text, (int)len);
	time_t limit = now + DTLS_CERT_RENEW_S;

	if (!c || !b || !b2) {
		str_fail(why, whylen, "out of memory");
		goto fail;
	}
	c->key = PEM_read_bio_PrivateKey(b, NULL, no_pass_phrase, NULL);
	if (!c->key) {
		ossl_why(why, whylen, "it holds no private key that can be read");
		goto fail;
	}
	c->x509 = PEM_read_bio_X509(b2, NULL, no_pass_phrase, NULL);
	if (!c->x509) {
		ossl_why(why, whylen, "it holds no certificate that can be read");
		goto fail;
	}
	if (!is_p256(c->key)) {
		str_fail(why, whylen, "its key is not ECDSA P-256");
		goto fail;
	}
	if (X509_check_private_key(c->x509, c->key) != 1) {
		ossl_why(why, whylen, "its key and certificate do not belong together");
		goto fail;
	}
	if (describe(c, why, whylen) < 0)
		goto fail;
	if (X509_cmp_time(X509_get0_notAfter(c->x509), &limit) <= 0) {
		char when[32];
		struct tm tm;

		if (gmtime_r(&c->expires, &tm) && strftime(when, sizeof(when), "%Y-%m-%d", &tm))
			str_fail(why, whylen, "it expire%s on %s", c->expires < now ? "d" : "s",
				 when);
		else
			str_fail(why, whylen, "it has expired");
		goto fail;
	}
	BIO_free(b);
	BIO_free(b2);
	/* Nothing of the reading stays queued to be taken for a later call's error. */
	ERR_clear_error();
	return c;
fail:
	BIO_free(b);
	BIO_free(b2);
	dtls_cert_free(c);
	return NULL;
}

/* Read the file whole into buf[cap]: 0 with *len; ENOENT when there is none; another
 * errno with why when it is there but not fit to read (it is then replaced). */
static int read_file(const char *path, char *buf, size_t cap, size_t *len, char *why,
		     size_t whylen)
{
	struct stat st;
	size_t off = 0;
	int fd, err;

	/* O_NOFOLLOW: a symbolic link here is not ours to follow to a key elsewhere;
	 * O_NONBLOCK: a FIFO put in its place must not hang the thread. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT)
			return ENOENT;
		str_fail(why, whylen, "%s", err == ELOOP ? "it is a symbolic link" :
			 strerror(err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		str_fail(why, whylen, "%s", strerror(err));
		close(fd);
		return err;
	}
	err = EINVAL;
	if (!S_ISREG(st.st_mode))
		str_fail(why, whylen, "it is not a regular file");
	else if (st.st_uid != geteuid())
		str_fail(why, whylen, "it belongs to another user (uid %u)", (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		/* The private key may have been read: it is no longer only ours. */
		str_fail(why, whylen, "other users could read it (mode %04o)",
			 (unsigned)(st.st_mode & 07777));
	else if ((size_t)st.st_size >= cap)
		str_fail(why, whylen, "it is too large to be one (%lld bytes)",
			 (long long)st.st_size);
	else
		err = 0;
	while (!err) {
		ssize_t r = read(fd, buf + off, cap - 1 - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			str_fail(why, whylen, "%s", strerror(err));
		} else if (r == 0) {
			break;
		} else if ((off += (size_t)r) >= cap - 1) {
			err = EFBIG;
			str_fail(why, whylen, "it grew past %zu bytes while read", cap - 1);
		}
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return err;
}

/* Write c to path as PEM (key, certificate), mode 0600, replacing it atomically. */
static int save(const struct dtls_cert *c, const char *path, char *why, size_t whylen)
{
	/* A secure-memory BIO clears the key's PEM text when freed. */
	BIO *b = BIO_new(BIO_s_secmem());
	char dir[PATH_MAX], *data = NULL;
	long n;
	int rc = -1;

	if (!b)
		return str_fail(why, whylen, "out of memory");
	if (PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(b, c->x509) != 1 || (n = BIO_get_mem_data(b, &data)) <= 0) {
		ossl_why(why, whylen, "cannot write it as PEM");
		goto out;
	}
	file_dir_of(path, dir, sizeof(dir));
	if (file_make_dirs(dir, why, whylen) < 0)
		goto out;
	rc = file_replace(path, data, (size_t)n, 0600, why, whylen);
out:
	BIO_free(b);
	return rc;
}

int dtls_cert_load(struct dtls_cert **cp, const char *path, time_t now, dtls_note_fn note,
		   void *arg, char *why, size_t whylen)
{
	char def[PATH_MAX], reason[256] = "", unsaved[PATH_MAX + 128], line[2 * PATH_MAX + 512];
	char *buf;
	size_t len = 0;
	int err;

	*cp = NULL;
	if (!path) {
		dtls_cert_default_path(def, sizeof(def));
		path = def;
	}
	buf = malloc(DTLS_CERT_MAX_FILE);
	if (!buf) {
		str_fail(why, whylen, "out of memory");
		return ENOMEM;
	}
	err = read_file(path, buf, DTLS_CERT_MAX_FILE, &len, reason, sizeof(reason));
	if (!err)
		*cp = parse(buf, len, now, reason, sizeof(reason));
	OPENSSL_cleanse(buf, DTLS_CERT_MAX_FILE);
	free(buf);
	if (*cp)
		return 0;
	if ((err = dtls_cert_make(cp, now, why, whylen)) != 0)
		return err;
	if (save(*cp, path, unsaved, sizeof(unsaved)) < 0) {
		if (reason[0])
			snprintf(line, sizeof(line), "DTLS certificate %s: %s; a new one (%s) is used "
				 "for this run only: %s", path, reason, dtls_cert_fingerprint(*cp),
				 unsaved);
		else
			snprintf(line, sizeof(line), "DTLS certificate: %s; a new one (%s) is used "
				 "for this run only", unsaved, dtls_cert_fingerprint(*cp));
	} else if (reason[0]) {
		snprintf(line, sizeof(line), "DTLS certificate %s replaced: %s (new %s)", path,
			 reason, dtls_cert_fingerprint(*cp));
	} else {
		snprintf(line, sizeof(line), "DTLS certificate made: %s (%s)", path,
			 dtls_cert_fingerprint(*cp));
	}
	if (note)
		note(arg, line);
	return 0;
}
