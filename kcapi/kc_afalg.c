/*
 * kc_afalg.c - AF_ALG socket plumbing for the kernel engine.
 *
 * We speak AF_ALG directly rather than through libkcapi: libkcapi 1.4 hides
 * the tfm descriptor, which ALG_SET_KEY_BY_KEY_SERIAL needs, and cannot
 * clone a hash state (accept() on an op socket), which kc_md_dup needs.
 *
 * Kernel behaviour relied on (crypto/af_alg.c, algif_*.c, 5.8 .. 6.12):
 *  - the tfm socket holds the key; every accept() gives an op socket with
 *    its own request state, and op sockets keep their tfm alive.
 *  - skcipher: data sent with MSG_MORE is processed in whole blocks by each
 *    read, and ctx->iv carries the CBC/CTR chaining value across reads.
 *  - a read must never ask for more than the kernel will produce: since the
 *    5.8 "empty request" rework the read loop then sleeps forever, so every
 *    read here asks for exactly the bytes owed.
 *  - after a MSG_MORE message a new ALG_SET_OP/ALG_SET_IV is refused with
 *    -EINVAL, so a skcipher op socket serves one message only.
 *  - the transmit queue is bounded by the socket buffer and a blocked send
 *    is only woken by a read: sends are cut to caps->chunk (skcipher) and
 *    AEAD requests are capped at caps->aead_max by the callers.
 *  - AEAD takes assoc || data [|| tag] in one request and returns
 *    assoc || data [|| tag]: the AAD comes back and is thrown away.  A
 *    request only runs from a read that asks for bytes, so one with no
 *    output at all (empty GCM decrypt) never runs: see kc__af_gcm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_alg.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#ifndef ALG_SET_KEY_BY_KEY_SERIAL
#define ALG_SET_KEY_BY_KEY_SERIAL 7   /* Linux 6.2; absent from older headers */
#endif

const char *const kc__hash_kname[KC_NHASH] = {
	"sha1", "sha224", "sha256", "sha384", "sha512",
	"sha3-224", "sha3-256", "sha3-384", "sha3-512",
};
const char *const kc__mode_kname[4] = { "ecb(aes)", "cbc(aes)", "ctr(aes)", "gcm(aes)" };

int kc__af_tfm(const char *type, const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd, rc;

	strncpy((char *)sa.salg_type, type, sizeof(sa.salg_type) - 1);
	strncpy((char *)sa.salg_name, name, sizeof(sa.salg_name) - 1);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int kc__af_setkey(int tfm, const uint8_t *key, size_t klen)
{
	return setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)klen) < 0 ? -errno : 0;
}

int kc__af_setkey_serial(int tfm, int32_t serial)
{
	return setsockopt(tfm, SOL_ALG, ALG_SET_KEY_BY_KEY_SERIAL, &serial,
			  sizeof(serial)) < 0 ? -errno : 0;
}

/* gcm(aes) accepts 4, 8 and 12..16 byte tags (crypto_gcm_check_authsize) */
int kc__af_gcm_taglen_ok(size_t taglen)
{
	return taglen == 4 || taglen == 8 || (taglen >= 12 && taglen <= 16);
}

int kc__af_authsize(int tfm, size_t taglen)
{
	/* the tag length travels in optlen, with no buffer */
	return setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL,
			  (socklen_t)taglen) < 0 ? -errno : 0;
}

int kc__af_accept(int fd)
{
	int op = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	return op < 0 ? -errno : op;
}

void kc__af_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Drop the first `done` bytes from an iovec array (after a short transfer). */
static void iov_advance(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/*
 * Send iov (consumed: entries are advanced on short sends).  enc >= 0 adds
 * ALG_SET_OP, iv != NULL ALG_SET_IV, assoclen >= 0 ALG_SET_AEAD_ASSOCLEN;
 * the control data goes with the first sendmsg only.
 */
int kc__af_send(int op, struct iovec *iov, int iovcnt, int enc, const uint8_t *iv,
		size_t ivlen, long assoclen, int more)
{
	union {
		char b[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16) + CMSG_SPACE(4)];
		struct cmsghdr align;
	} cb;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	struct cmsghdr *c;
	size_t left = iov_total(iov, iovcnt), clen = 0;
	ssize_t r;

	if (ivlen > 16)
		return -EINVAL;
	memset(&cb, 0, sizeof(cb));
	msg.msg_control = cb.b;
	msg.msg_controllen = sizeof(cb.b);
	c = CMSG_FIRSTHDR(&msg);
	if (enc >= 0) {
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_OP;
		c->cmsg_len = CMSG_LEN(4);
		*(uint32_t *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
		clen += CMSG_SPACE(4);
		c = (struct cmsghdr *)(cb.b + clen);
	}
	if (iv) {
		struct af_alg_iv *ai;

		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_IV;
		c->cmsg_len = CMSG_LEN(sizeof(*ai) + ivlen);
		ai = (struct af_alg_iv *)CMSG_DATA(c);
		ai->ivlen = (uint32_t)ivlen;
		memcpy(ai->iv, iv, ivlen);
		clen += CMSG_SPACE(sizeof(*ai) + ivlen);
		c = (struct cmsghdr *)(cb.b + clen);
	}
	if (assoclen >= 0) {
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
		c->cmsg_len = CMSG_LEN(4);
		*(uint32_t *)CMSG_DATA(c) = (uint32_t)assoclen;
		clen += CMSG_SPACE(4);
	}
	msg.msg_controllen = clen;
	if (!clen)
		msg.msg_control = NULL;
	/* Requests are sized to fit the socket buffer, so the kernel takes
	 * them whole; a short count only follows a signal, and then the loop
	 * sends the rest (without the control data, which already went). */
	do {
		r = sendmsg(op, &msg, more ? MSG_MORE : 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		left -= (size_t)r;
		iov_advance(&msg.msg_iov, &iovcnt, (size_t)r);
		msg.msg_iovlen = (size_t)iovcnt;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	} while (left);
	r = 0;
out:
	/* the control buffer held the IV only, but it costs nothing to wipe */
	OPENSSL_cleanse(&cb, sizeof(cb));
	return (int)r;
}

/* Read exactly the bytes described by iov (consumed). */
int kc__af_read(int op, struct iovec *iov, int iovcnt)
{
	size_t left = iov_total(iov, iovcnt);

	while (left) {
		ssize_t r = readv(op, iov, iovcnt);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		left -= (size_t)r;
		iov_advance(&iov, &iovcnt, (size_t)r);
	}
	return 0;
}

/*
 * One ECB/CBC/CTR message on a keyed skcipher tfm.  n must be a block
 * multiple except for CTR, whose partial tail goes in the last, non-MSG_MORE
 * send.  Chunks alternate send/read so the transmit queue never fills.
 */
int kc__af_skcipher(int tfm, int enc, const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t chunk = kc__caps()->chunk, done = 0;
	int op, rc = 0;

	if (!n)
		return 0;
	op = kc__af_accept(tfm);
	if (op < 0)
		return op;
	while (done < n) {
		size_t len = n - done < chunk ? n - done : chunk;
		struct iovec ti = { (void *)(in + done), len }, ri = { out + done, len };

		rc = kc__af_send(op, &ti, 1, done ? -1 : enc, done ? NULL : iv, 16,
				 -1, done + len < n);
		if (!rc)
			rc = kc__af_read(op, &ri, 1);
		if (rc)
			goto out;
		done += len;
	}
	kc__count_kernel();
out:
	close(op);
	return rc;
}

/*
 * One AES-GCM request.  enc: in = plaintext, tag written; decrypt: in =
 * ciphertext, tag checked.  On -EBADMSG the kernel may already have written
 * plaintext into out, so out is wiped before returning.
 */
int kc__af_gcm(int tfm, int enc, const uint8_t *iv, const uint8_t *aad, size_t aadlen,
	       const uint8_t *in, size_t n, uint8_t *tag, size_t taglen, uint8_t *out)
{
	uint8_t stack[256], *scratch = stack, mine[16];
	struct iovec ti[3], ri[3];
	int op = -1, rc, nt = 0, nr = 0;

	/* A decrypt with no AAD and no ciphertext produces zero bytes, and the
	 * kernel only runs a request from a read that wants data: it would
	 * never check the tag.  Such a tag depends on key and IV alone, so
	 * compute it by encrypting the empty message and compare. */
	if (!enc && !aadlen && !n) {
		rc = kc__af_gcm(tfm, 1, iv, NULL, 0, NULL, 0, mine, taglen, NULL);
		if (!rc && CRYPTO_memcmp(mine, tag, taglen))
			rc = -EBADMSG;
		OPENSSL_cleanse(mine, sizeof(mine));
		return rc;
	}
	if (aadlen > sizeof(stack)) {
		scratch = malloc(aadlen);
		if (!scratch)
			return -ENOMEM;
	}
	rc = kc__af_authsize(tfm, taglen);
	if (rc)
		goto out;
	op = kc__af_accept(tfm);
	if (op < 0) {
		rc = op;
		goto out;
	}
	ti[nt++] = (struct iovec){ (void *)aad, aadlen };
	ti[nt++] = (struct iovec){ (void *)in, n };
	if (!enc)
		ti[nt++] = (struct iovec){ tag, taglen };
	ri[nr++] = (struct iovec){ scratch, aadlen };
	ri[nr++] = (struct iovec){ out, n };
	if (enc)
		ri[nr++] = (struct iovec){ tag, taglen };
	rc = kc__af_send(op, ti, nt, enc, iv, 12, (long)aadlen, 0);
	if (!rc)
		rc = kc__af_read(op, ri, nr);
	if (rc == -EBADMSG && n)
		OPENSSL_cleanse(out, n);
	if (!rc)
		kc__count_kernel();
out:
	kc__af_close(&op);
	if (scratch != stack)
		free(scratch);
	return rc;
}
