/*
 * kc_priv.h - internals shared by the kcapi/ sources; module/ uses kc.h.
 */
#ifndef KERNTOK_KC_PRIV_H
#define KERNTOK_KC_PRIV_H

#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/uio.h>
#include <openssl/evp.h>
#include "kc.h"

#define KC_NHASH 9

enum { KC_ENG_NONE, KC_ENG_OSSL, KC_ENG_KERN };       /* per message */
enum { KC_MODE_AUTO, KC_MODE_KERNEL, KC_MODE_OPENSSL };  /* per process */
enum { KC_K_HASH, KC_K_HMAC, KC_K_CMAC };               /* kc_md kinds */

/* What kc_init() found; written once under pthread_once, read-only after. */
struct kc_caps {
	int probed;               /* the kernel was asked (not in openssl mode) */
	int af_alg;               /* AF_ALG socket works */
	int af_errno;             /* why not, for describe */
	int keyserial;            /* ALG_SET_KEY_BY_KEY_SERIAL accepted */
	int hash[KC_NHASH];       /* kernel offers the digest */
	int hmac[KC_NHASH];       /* ... and hmac() of it */
	int hash_tfm[KC_NHASH];   /* unkeyed tfm kept open: accept() per object */
	int mode[4];              /* ecb/cbc/ctr/gcm(aes), by kc_mode */
	int cmac;                 /* cmac(aes) */
	size_t chunk;             /* bytes per skcipher sendmsg (fits sndbuf) */
	size_t aead_max;          /* largest AEAD request (tx and rx must fit) */
};

/* kc_probe.c */
const struct kc_caps *kc__caps(void);        /* initialises on first use */
int kc__mode(void);
int kc__pick(int kernel_has_it, size_t n);   /* KC_ENG_KERN or KC_ENG_OSSL */
int kc__aes_auto_ok(kc_mode mode);          /* auto mode may use AF_ALG */
void kc__count_kernel(void);

/* kc_ossl.c: libcrypto objects fetched once (NULL if the provider lacks one) */
int kc__ossl_init(void);
const EVP_MD *kc__md(kc_hash_alg alg);
const EVP_CIPHER *kc__cipher(kc_mode mode, size_t klen);
const EVP_CIPHER *kc__wrap_cipher(int pad, size_t klen);
EVP_MAC_CTX *kc__hmac_ctx(kc_hash_alg alg);  /* fresh keyless ctx (dup) */
EVP_MAC_CTX *kc__cmac_ctx(size_t klen);
int kc__ossl_crypt(EVP_CIPHER_CTX *x, uint8_t *out, size_t *outlen, const uint8_t *in, size_t n);
int kc__ossl_gcm(int enc, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
		 uint8_t *tag, size_t taglen, uint8_t *out);

/* kc_afalg.c: thin AF_ALG socket helpers, all return fd/0 or -errno */
extern const char *const kc__hash_kname[KC_NHASH];
extern const char *const kc__mode_kname[4];
int kc__af_tfm(const char *type, const char *name);
int kc__af_setkey(int tfm, const uint8_t *key, size_t klen);
int kc__af_setkey_serial(int tfm, int32_t serial);
int kc__af_authsize(int tfm, size_t taglen);
int kc__af_accept(int fd);
int kc__af_send(int op, struct iovec *iov, int iovcnt, int enc, const uint8_t *iv,
		size_t ivlen, long assoclen, int more);
int kc__af_read(int op, struct iovec *iov, int iovcnt);
void kc__af_close(int *fd);
int kc__af_skcipher(int tfm, int enc, const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out);
int kc__af_gcm(int tfm, int enc, const uint8_t *iv, const uint8_t *aad, size_t aadlen,
	       const uint8_t *in, size_t n, uint8_t *tag, size_t taglen, uint8_t *out);
int kc__af_gcm_taglen_ok(size_t taglen);

/* kc_buf.c: growable buffer that wipes whatever it held */
struct kc_buf {
	uint8_t *p;
	size_t len, cap;
};
int kc__buf_add(struct kc_buf *b, const uint8_t *in, size_t n);
void kc__buf_clear(struct kc_buf *b);      /* wipe contents, keep memory */
void kc__buf_free(struct kc_buf *b);

/* kc_cipher.c / kc_cipher_kern.c */
enum { KC_S_NEEDIV, KC_S_READY, KC_S_DATA };   /* message state */

struct kc_cipher {
	kc_mode mode;
	int enc;
	size_t klen;
	uint8_t key[32];        /* copy while the kernel may run a message */
	int have_key;           /* key[] holds the key */
	int by_serial;          /* key lives in the kernel keyring only */
	int32_t serial;
	int kern_ok;            /* messages may go to AF_ALG */
	int tfm;                /* keyed AF_ALG tfm, made on first use, or -1 */
	int op;                 /* op socket of the current kernel message, -1 */
	int ctl_pending;        /* next send carries ALG_SET_OP/ALG_SET_IV */
	EVP_CIPHER_CTX *x;      /* keyed on first OpenSSL message, then reused */
	size_t ossl_ivlen;      /* IV length x is configured for */
	int state;              /* KC_S_* */
	int eng;                /* KC_ENG_* of the current message */
	uint8_t iv[KC_GCM_IV_MAX];
	size_t ivlen;
	unsigned ctr_bits;      /* 128: plain 128-bit counter */
	unsigned __int128 ctr_left;   /* counter blocks left when ctr_bits < 128 */
	uint64_t total;         /* input bytes of this message */
	uint8_t part[16];       /* kernel ECB/CBC: partial block held back */
	size_t npart;
	uint8_t ks[16];         /* kernel CTR: keystream of the last block... */
	size_t ks_pos;          /* ...of which ks[ks_pos..15] is still unused */
	size_t taglen;
	uint8_t tag[16];
	int tag_set;
	struct kc_buf aad, data;    /* kernel GCM: whole message; OpenSSL GCM
				     * decrypt: ciphertext until the tag checks */
};

int kc__ck_tfm(kc_cipher *c);
int kc__ck_update(kc_cipher *c, const uint8_t *in, size_t n, uint8_t *out, size_t *w);
int kc__ck_final(kc_cipher *c, uint8_t *out, size_t *w);
void kc__ck_end(kc_cipher *c);

/* kc_md.c: shared by kc_md_* and kc_mac_* */
int kc__md_new(struct kc_md **md, int kind, int alg, const uint8_t *key, size_t klen);

/* Size check for (out, *outlen) outputs: 1 = go on, 0 = return rc. */
static inline int kc__outcheck(uint8_t *out, size_t *outlen, size_t need, int *rc)
{
	if (!outlen) {
		*rc = -EINVAL;
		return 0;
	}
	if (!out) {
		*outlen = need;
		*rc = 0;
		return 0;
	}
	if (*outlen < need) {
		*outlen = need;
		*rc = -ENOSPC;
		return 0;
	}
	return 1;
}

static inline int kc__aes_klen_ok(size_t klen)
{
	return klen == 16 || klen == 24 || klen == 32;
}

#endif /* KERNTOK_KC_PRIV_H */
