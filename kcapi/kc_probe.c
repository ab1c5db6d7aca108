/*
 * kc_probe.c - engine selection: KERNTOK_CRYPTO, the one-time probe of
 * AF_ALG and of each algorithm the kernel offers, and the per-message
 * kernel/OpenSSL choice.
 *
 * The probe binds every algorithm once (that also loads its module) so the
 * hot path only reads flags.  Unkeyed hash tfms stay open: a digest needs
 * just an accept() on them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "kc_priv.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct kc_caps caps;
static int init_rc;
static int cur_mode;            /* KC_MODE_*, atomic: kc_force_engine may change it */
static unsigned long kernel_ops; /* atomic */

/* Bind one algorithm; a hash tfm we may keep, everything else is closed. */
static int probe_alg(const char *type, const char *name, int *keep)
{
	int fd = kc__af_tfm(type, name);

	if (fd < 0)
		return 0;
	if (keep)
		*keep = fd;
	else
		close(fd);
	return 1;
}

static void probe_kernel(void)
{
	char name[64];
	int fd, sz = 0;
	socklen_t sl = sizeof(sz);
	size_t snd, rcv;

	caps.probed = 1;
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		caps.af_errno = errno;
		return;
	}
	close(fd);
	caps.af_alg = 1;
	for (int i = 0; i < KC_NHASH; i++) {
		caps.hash[i] = probe_alg("hash", kc__hash_kname[i], &caps.hash_tfm[i]);
		snprintf(name, sizeof(name), "hmac(%s)", kc__hash_kname[i]);
		caps.hmac[i] = probe_alg("hash", name, NULL);
	}
	for (int m = KC_AES_ECB; m <= KC_AES_CTR; m++)
		caps.mode[m] = probe_alg("skcipher", kc__mode_kname[m], NULL);
	caps.mode[KC_AES_GCM] = probe_alg("aead", kc__mode_kname[KC_AES_GCM], NULL);
	caps.cmac = probe_alg("hash", "cmac(aes)", NULL);

	/* Socket buffer sizes bound what one send / one AEAD request may carry
	 * (see kc_afalg.c).  Probe them on a tfm socket: op sockets inherit
	 * the same defaults. */
	fd = kc__af_tfm("skcipher", "ecb(aes)");
	if (fd < 0)
		fd = kc__af_tfm("hash", "sha256");
	snd = rcv = 64 * 1024;
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, &sl) && sz > 0)
		snd = (size_t)sz & ~(size_t)4095;
	sl = sizeof(sz);
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, &sl) && sz > 0)
		rcv = (size_t)sz & ~(size_t)4095;
	caps.chunk = snd < 64 * 1024 ? snd : 64 * 1024;
	if (caps.chunk < 4096)
		caps.chunk = 4096;
	caps.aead_max = (snd < rcv ? snd : rcv);
	caps.aead_max = caps.aead_max > 8192 ? caps.aead_max - 4096 : 0;

	/* Key-by-serial (Linux 6.2+): older kernels reject the option itself
	 * with ENOPROTOOPT; one that knows it fails the lookup of serial 0
	 * (EINVAL/ENOKEY) instead.  A real key would touch the keyrings. */
	if (fd >= 0 && caps.mode[KC_AES_ECB])
		caps.keyserial = kc__af_setkey_serial(fd, 0) != -ENOPROTOOPT;
	if (fd >= 0)
		close(fd);
}

static void init_once(void)
{
	const char *e = secure_getenv("KERNTOK_CRYPTO");
	int rc;

	for (int i = 0; i < KC_NHASH; i++)
		caps.hash_tfm[i] = -1;
	cur_mode = KC_MODE_AUTO;
	if (e && *e && strcmp(e, "auto")) {
		if (!strcmp(e, "kernel"))
			cur_mode = KC_MODE_KERNEL;
		else if (!strcmp(e, "openssl"))
			cur_mode = KC_MODE_OPENSSL;
		else
			init_rc = -EINVAL;   /* typo: say so, run as auto */
	}
	/* openssl mode promises never to touch AF_ALG, not even to probe */
	if (cur_mode != KC_MODE_OPENSSL)
		probe_kernel();
	if (cur_mode == KC_MODE_KERNEL && !caps.af_alg && !init_rc)
		init_rc = -EAFNOSUPPORT;
	rc = kc__ossl_init();
	if (rc && !init_rc)
		init_rc = rc;
}

const struct kc_caps *kc__caps(void)
{
	pthread_once(&once, init_once);
	return &caps;
}

int kc_init(void)
{
	kc__caps();
	return init_rc;
}

int kc_kernel_available(void)
{
	return kc__caps()->af_alg;
}

int kc_key_by_serial_available(void)
{
	return kc__caps()->keyserial;
}

int kc__mode(void)
{
	kc__caps();
	return __atomic_load_n(&cur_mode, __ATOMIC_RELAXED);
}

int kc__pick(int kernel_has_it, size_t n)
{
	switch (kc__mode()) {
	case KC_MODE_KERNEL:
		return kernel_has_it ? KC_ENG_KERN : KC_ENG_OSSL;
	case KC_MODE_AUTO:
		return kernel_has_it && n >= KC_KERNEL_MIN_BYTES ? KC_ENG_KERN : KC_ENG_OSSL;
	default:
		return KC_ENG_OSSL;
	}
}

/* 1 when the engine policy lets AF_ALG run this AES mode: every mode when
 * forced, only ECB/CBC in auto (CTR/GCM never paid, see KC_KERNEL_MIN_BYTES). */
int kc__aes_auto_ok(kc_mode mode)
{
	return mode == KC_AES_ECB || mode == KC_AES_CBC || kc__mode() == KC_MODE_KERNEL;
}

void kc__count_kernel(void)
{
	__atomic_add_fetch(&kernel_ops, 1, __ATOMIC_RELAXED);
}

unsigned long kc_kernel_ops(void)
{
	return __atomic_load_n(&kernel_ops, __ATOMIC_RELAXED);
}

int kc_force_engine(const char *name)
{
	int m;

	if (!name)
		return -EINVAL;
	kc__caps();
	if (!strcmp(name, "auto"))
		m = KC_MODE_AUTO;
	else if (!strcmp(name, "openssl"))
		m = KC_MODE_OPENSSL;
	else if (!strcmp(name, "kernel"))
		m = KC_MODE_KERNEL;
	else
		return -EINVAL;
	if (m == KC_MODE_KERNEL && !caps.af_alg)
		return -ENOTSUP;
	__atomic_store_n(&cur_mode, m, __ATOMIC_RELAXED);
	return 0;
}

const char *kc_engine_name(void)
{
	static const char *const n[] = { "auto", "kernel", "openssl" };

	return n[kc__mode()];
}
