/*
 * kc.h - kerntok bulk-crypto engine.
 *
 * Symmetric ciphers, digests, HMAC and CMAC run on the Linux kernel crypto
 * API (AF_ALG sockets) when the kernel offers them, and on OpenSSL libcrypto
 * otherwise.  This layer knows nothing about PKCS#11: it works on bytes.
 *
 * Conventions
 *  - Every function returns 0 or a negative errno (-EINVAL bad argument or
 *    call order, -ENOMEM, -ENOSPC output too small, -EBADMSG authentication
 *    failure, -ENOTSUP not offered by the selected engine, -EIO unexpected
 *    libcrypto failure, or whatever the kernel returned).
 *  - Output buffers come as (out, *outlen): *outlen is the capacity on entry
 *    and the bytes written on return.  out == NULL is a size query: *outlen
 *    receives the most the call could write and nothing else happens (so
 *    pass a real buffer even where 0 bytes are due, e.g. GCM decrypt
 *    update).  Too small a capacity gives -ENOSPC, *outlen = needed, state
 *    unchanged.  kc_cipher_update: in and out must not overlap; one-shot
 *    calls may work in place (out == in).
 *  - Objects are not thread-safe; distinct objects may be used concurrently.
 *  - kc_init() need not be called first (every entry point initialises on
 *    demand); call it to learn about configuration errors.
 *
 * Engine selection: KERNTOK_CRYPTO=auto|kernel|openssl, read once.
 *  auto    - AF_ALG for a message whose first chunk is >= KC_KERNEL_MIN_BYTES
 *            (below that the syscalls cost more than the work), else OpenSSL;
 *            AES-CTR/GCM always OpenSSL (see below).
 *  kernel  - AF_ALG for everything the kernel offers; OpenSSL only for what it
 *            lacks (SHA-3 when not built, key wrap, GCM IVs other than 12
 *            bytes, GCM tag lengths other than 4/8/12..16, GCM messages
 *            beyond one AF_ALG request, ~200 KiB with default socket
 *            buffers).  kc_init() fails with -EAFNOSUPPORT without AF_ALG.
 *  openssl - never touches AF_ALG, not even to probe (kc_kernel_available()
 *            then says 0).
 */
#ifndef KERNTOK_KC_H
#define KERNTOK_KC_H

#include <stddef.h>
#include <stdint.h>

/* auto mode: smallest chunk sent to AF_ALG (digests, HMAC, CMAC, ECB, CBC).
 * Measured in the kvm-run guest (`test_kcapi --crossover`, emulated CPU, so
 * ratios only): an AF_ALG one-shot costs a fixed ~150 us (unkeyed: accept,
 * send, read, close) to ~400 us (keyed: socket, bind, setkey too), i.e. the
 * userspace work of 2-4 KiB; from 16 KiB on the kernel was within 1.3x of
 * OpenSSL or faster for SHA-2/HMAC/CBC, below 4 KiB 2-15x slower.
 * AES-CTR and AES-GCM stay on OpenSSL in auto mode at every size: AF_ALG was
 * ~2x slower at all sizes (OpenSSL's pipelined CTR/GHASH code, plus the
 * kernel's copy of the data into the socket). */
#define KC_KERNEL_MIN_BYTES 16384

/* ---- engine ------------------------------------------------------------ */
int kc_init(void);                     /* idempotent, thread-safe */
int kc_kernel_available(void);         /* 1 if AF_ALG usable */
int kc_key_by_serial_available(void);  /* 1 if ALG_SET_KEY_BY_KEY_SERIAL works */
const char *kc_engine_describe(void);  /* multi-line, one family per line */

/* Test hooks.  kc_force_engine("auto"|"kernel"|"openssl") switches the engine
 * for messages started afterwards (-ENOTSUP: "kernel" without AF_ALG).
 * kc_kernel_ops() counts operations completed on AF_ALG since start. */
int kc_force_engine(const char *name);
const char *kc_engine_name(void);
unsigned long kc_kernel_ops(void);

/* ---- digests and HMAC -------------------------------------------------- */
typedef enum {
	KC_SHA1, KC_SHA224, KC_SHA256, KC_SHA384, KC_SHA512,
	KC_SHA3_224, KC_SHA3_256, KC_SHA3_384, KC_SHA3_512
} kc_hash_alg;
#define KC_HASH_MAX 64                 /* largest digest, bytes */

size_t kc_hash_len(kc_hash_alg alg);   /* 0 for an unknown alg */
size_t kc_hash_block(kc_hash_alg alg);

typedef struct kc_md kc_md;
/* key == NULL && klen == 0: plain digest; otherwise HMAC (empty key allowed
 * with key != NULL).  After kc_md_final() the object starts a new message
 * with the same key. */
int  kc_md_new(kc_md **md, kc_hash_alg alg, const uint8_t *hmac_key, size_t klen);
int  kc_md_update(kc_md *md, const uint8_t *in, size_t n);
int  kc_md_final(kc_md *md, uint8_t *out, size_t *outlen);
int  kc_md_dup(const kc_md *md, kc_md **copy);   /* works on both engines */
void kc_md_free(kc_md *md);                      /* wipes; NULL ok */
int  kc_digest(kc_hash_alg alg, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);
int  kc_hmac(kc_hash_alg alg, const uint8_t *key, size_t klen,
	     const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);

/* ---- AES-CMAC (RFC 4493), 16-byte MAC; truncation is the caller's ------ */
typedef struct kc_md kc_mac;
int  kc_mac_new(kc_mac **m, const uint8_t *key, size_t klen);
int  kc_mac_update(kc_mac *m, const uint8_t *in, size_t n);
int  kc_mac_final(kc_mac *m, uint8_t *out, size_t *outlen);
int  kc_mac_dup(const kc_mac *m, kc_mac **copy);
void kc_mac_free(kc_mac *m);
int  kc_cmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t n,
	     uint8_t *out, size_t *outlen);

/* ---- AES ------------------------------------------------------------------
 * No padding anywhere.  ECB/CBC: update() takes any chunk size and keeps the
 * partial block; a total that is not a block multiple fails at final() with
 * -EINVAL.  CTR streams (output length == input length), with a 128-bit
 * big-endian counter; kc_cipher_set_ctr_bits() limits it (PKCS#11
 * ulCounterBits) and update() then fails with -EOVERFLOW, processing
 * nothing, when the data would need more counter values than remain.
 * GCM: tag length 4..16 (default 16), set before AAD/data; AAD via
 * kc_cipher_set_aad() before data.  Encrypt: final() writes whatever is
 * still held plus the tag.  Decrypt: update() holds all ciphertext and
 * writes nothing; final() verifies, and only on success writes the
 * plaintext (-EBADMSG otherwise; *outlen = 0, out wiped).  The tag is
 * given with kc_cipher_set_tag(), or else it is the last taglen bytes of the
 * input stream (PKCS#11 style ciphertext||tag).
 * Message life cycle: set_iv (not ECB) -> [aad] -> update* -> final.  After
 * final() (or any error in update/final) a new message needs a new IV
 * (ECB: starts implicitly), so a GCM/CTR IV is never silently reused. */
typedef enum { KC_AES_ECB, KC_AES_CBC, KC_AES_CTR, KC_AES_GCM } kc_mode;
#define KC_GCM_IV_MAX 128

typedef struct kc_cipher kc_cipher;
int  kc_cipher_new(kc_cipher **c, kc_mode mode, int encrypt, const uint8_t *key, size_t klen);
/* Kernel only: AF_ALG reads the key from a logon/user (or trusted/encrypted)
 * key by serial, so it never enters this process.  -ENOTSUP when the kernel
 * lacks AF_ALG, the mode or key-by-serial, or KERNTOK_CRYPTO=openssl.
 * Nothing can fall back to OpenSSL here, so GCM also needs 12-byte IVs and
 * tag lengths 4, 8 or 12..16 (-ENOTSUP), and a message that fits one AF_ALG
 * request (~200 KiB with default socket buffers; final() -EMSGSIZE). */
int  kc_cipher_new_by_serial(kc_cipher **c, kc_mode mode, int encrypt,
			     int32_t key_serial, size_t klen);
/* Starts a new message (an unfinished one is dropped).  ECB: ivlen 0;
 * CBC/CTR: 16; GCM: 1..KC_GCM_IV_MAX. */
int  kc_cipher_set_iv(kc_cipher *c, const uint8_t *iv, size_t ivlen);
int  kc_cipher_set_ctr_bits(kc_cipher *c, unsigned bits);      /* CTR, 1..128 */
int  kc_cipher_set_tag_len(kc_cipher *c, size_t taglen);       /* GCM, 4..16 */
int  kc_cipher_set_aad(kc_cipher *c, const uint8_t *aad, size_t n);  /* may repeat */
/* GCM decrypt, after set_iv and before final; n (4..16) becomes the tag length */
int  kc_cipher_set_tag(kc_cipher *c, const uint8_t *tag, size_t n);
int  kc_cipher_update(kc_cipher *c, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);
int  kc_cipher_final(kc_cipher *c, uint8_t *out, size_t *outlen);
void kc_cipher_free(kc_cipher *c);                              /* wipes; NULL ok */

/* One-shot.  GCM encrypt: out = ciphertext || tag (n + taglen bytes);
 * GCM decrypt: in = ciphertext || tag, out = plaintext (n - taglen).
 * ECB/CBC: n must be a block multiple.  iv/aad as for kc_cipher. */
int  kc_aes_oneshot(kc_mode mode, int enc, const uint8_t *key, size_t klen,
		    const uint8_t *iv, size_t ivlen, const uint8_t *aad, size_t aadlen,
		    size_t taglen, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);

/* ---- AES key wrap: RFC 3394 (pad = 0) and RFC 5649 KWP (pad = 1), default
 * ICVs.  Wrap output: RFC 3394 n + 8 (n >= 16, multiple of 8); RFC 5649
 * roundup(n, 8) + 8.  Unwrap needs capacity n - 8 and returns -EBADMSG (out
 * wiped) when the integrity check fails.  Always OpenSSL. */
int  kc_aes_wrap(int pad, int enc, const uint8_t *key, size_t klen,
		 const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);

/* ---- random: getrandom(2) -------------------------------------------- */
int  kc_random(uint8_t *out, size_t n);

#endif /* KERNTOK_KC_H */
