/*
 * kc_describe.c - kc_engine_describe(): which engine runs each algorithm
 * family, for `kerntok info`.  The kernel driver (e.g. sha256-avx2) is the
 * highest-priority /proc/crypto entry of that name, which is the one the
 * crypto API binds.  Built once per engine mode; not on any hot path.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kc_priv.h"

#define NFAM (2 * KC_NHASH + 6)   /* digests, hmacs, 4 AES modes, cmac, kw */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char text[3][4096];        /* per KC_MODE_* */

/* Fill drv[i] with the best driver for names[i], "" when not listed. */
static void drivers(const char *names[], int n, char drv[][64])
{
	char line[256], name[64] = "", d[64] = "";
	int prio[NFAM] = { 0 }, p = 0;
	FILE *f = fopen("/proc/crypto", "re");

	for (int i = 0; i < n; i++)
		drv[i][0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v) {                       /* blank line ends an entry */
			for (int i = 0; i < n && *d; i++)
				if (!strcmp(names[i], name) && (!drv[i][0] || p > prio[i])) {
					snprintf(drv[i], 64, "%s", d);
					prio[i] = p;
				}
			name[0] = d[0] = 0;
			p = 0;
			continue;
		}
		v += strspn(v + 1, " ") + 1;
		v[strcspn(v, "\n")] = 0;
		if (!strncmp(line, "name ", 5))
			snprintf(name, sizeof(name), "%s", v);
		else if (!strncmp(line, "driver ", 7))
			snprintf(d, sizeof(d), "%s", v);
		else if (!strncmp(line, "priority ", 9))
			p = atoi(v);
	}
	fclose(f);
}

static void add(char *out, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*o >= cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(out + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (r > 0)
		*o += (size_t)r;
}

static void build(int mode, char *out, size_t cap)
{
	const struct kc_caps *caps = kc__caps();
	static const char *const mname[] = { "auto", "kernel", "openssl" };
	static const char *const aes[] = { "aes-ecb", "aes-cbc", "aes-ctr", "aes-gcm" };
	const char *kname[NFAM], *label[NFAM];
	char lab[NFAM][32], kn[NFAM][64], drv[NFAM][64], why[96];
	int has[NFAM], n = 0, ctr;
	size_t o = 0;

	for (int i = 0; i < KC_NHASH; i++, n++) {
		label[n] = kc__hash_kname[i];
		kname[n] = kc__hash_kname[i];
		has[n] = caps->hash[i];
	}
	for (int i = 0; i < KC_NHASH; i++, n++) {
		snprintf(lab[n], sizeof(lab[n]), "hmac-%s", kc__hash_kname[i]);
		snprintf(kn[n], sizeof(kn[n]), "hmac(%s)", kc__hash_kname[i]);
		label[n] = lab[n];
		kname[n] = kn[n];
		has[n] = caps->hmac[i];
	}
	ctr = n + KC_AES_CTR;
	for (int m = 0; m < 4; m++, n++) {
		label[n] = aes[m];
		kname[n] = kc__mode_kname[m];
		has[n] = caps->mode[m];
	}
	label[n] = "aes-cmac";
	kname[n] = "cmac(aes)";
	has[n++] = caps->cmac;
	label[n] = "aes-kw/kwp";
	kname[n] = "";
	has[n++] = 0;
	drivers(kname, n, drv);

	/* the header carries the reason, each family line a short form */
	if (!caps->probed)
		snprintf(why, sizeof(why), "not probed, KERNTOK_CRYPTO=openssl");
	else if (!caps->af_alg)
		snprintf(why, sizeof(why), "no (%s)", strerror(caps->af_errno));
	else
		snprintf(why, sizeof(why), "yes");
	add(out, cap, &o, "engine: %s; AF_ALG: %s; key-by-serial: %s\n", mname[mode], why,
	    caps->keyserial ? "yes" : "no");
	snprintf(why, sizeof(why), "%s", !caps->probed ? "KERNTOK_CRYPTO=openssl" :
		 !caps->af_alg ? "no AF_ALG" : "engine forced to openssl");
	for (int i = 0; i < n; i++) {
		const char *d = drv[i][0] ? drv[i] : kname[i];

		if (mode == KC_MODE_OPENSSL || !caps->af_alg)
			add(out, cap, &o, "%s: openssl (%s)\n", label[i], why);
		else if (!has[i])
			add(out, cap, &o, "%s: openssl (not in kernel)\n", label[i]);
		else if (mode == KC_MODE_KERNEL)
			add(out, cap, &o, "%s: kernel(%s)\n", label[i], d);
		else if (i == ctr || i == ctr + 1)   /* ctr, gcm */
			add(out, cap, &o, "%s: openssl (kernel(%s) only when forced: slower)\n",
			    label[i], d);
		else
			add(out, cap, &o, "%s: kernel(%s) for chunks >= %d B / openssl\n", label[i],
			    d, KC_KERNEL_MIN_BYTES);
	}
	add(out, cap, &o, "random: getrandom\n");
}

const char *kc_engine_describe(void)
{
	int mode = kc__mode();

	pthread_mutex_lock(&lock);
	if (!text[mode][0])
		build(mode, text[mode], sizeof(text[mode]));
	pthread_mutex_unlock(&lock);
	return text[mode];
}
