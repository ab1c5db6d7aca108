/* bench_p11.c - the module side of `kerntok bench`: loading a module (kerntok
 * as linked in, or any PKCS#11 library by path), the bench tokens and keys,
 * object populations, and the latency measurements (C_OpenSession+C_Login,
 * C_Initialize+C_OpenSession+C_Login, cross-process visibility).
 *
 * Tokens, made in the free slot on first use (labels are the bench's own):
 *   ktbench       the keys, as token objects labelled bench-key-<name>
 *   ktbench-1k    1,000 data objects (half private): login latency
 *   ktbench-10k   10,000 public data objects: find by label
 * With `--store DIR` they persist between runs, so the populations are made
 * once. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "cli.h"

#define KEYS_TOKEN  "ktbench"
#define N_LOGIN     BENCH_N_LOGIN
#define WATCH_LIMIT 5.0          /* s: cross-process "not seen" */

struct bench_mod {
	char name[33];
	char path[PATH_MAX];             /* "" for the built-in kerntok */
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	const bench_cfg *cfg;
	CK_SLOT_ID slot;                 /* ktbench */
	CK_SESSION_HANDLE s;             /* on ktbench, logged in as the user */
	bool tried[BKEY_COUNT];
	CK_RV key_rv[BKEY_COUNT];
	CK_OBJECT_HANDLE priv[BKEY_COUNT], pub[BKEY_COUNT];
};

static const CK_BBOOL T = CK_TRUE, F = CK_FALSE;
static const CK_BYTE oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const CK_BYTE oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const CK_BYTE oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const CK_BYTE str_ed25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's',
				       '2', '5', '5', '1', '9' };

static const char *const key_names[BKEY_COUNT] = {
	[BKEY_EC256] = "ec-p256", [BKEY_EC384] = "ec-p384", [BKEY_ED25519] = "ed25519",
	[BKEY_RSA2048] = "rsa-2048", [BKEY_RSA3072] = "rsa-3072", [BKEY_AES256] = "aes-256",
	[BKEY_HMAC] = "hmac",
};

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool bench_has_mech(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, CK_MECHANISM_TYPE m, CK_FLAGS need)
{
	CK_MECHANISM_INFO mi;

	return f->C_GetMechanismInfo(slot, m, &mi) == CKR_OK && (mi.flags & need) == need;
}

CK_FUNCTION_LIST_PTR bench_mod_fl(bench_mod *m) { return m->f; }
CK_SLOT_ID bench_mod_slot(bench_mod *m) { return m->slot; }
CK_SESSION_HANDLE bench_mod_session(bench_mod *m) { return m->s; }
const char *bench_mod_name(const bench_mod *m) { return m->name; }

/* ---- tokens ---- */

static void pad(CK_UTF8CHAR *d, size_t n, const char *s)
{
	size_t l = strlen(s);

	memset(d, ' ', n);
	memcpy(d, s, l < n ? l : n);
}

/* The slot of the initialized token `label`, or (label NULL) of a free one. */
static CK_RV token_slot(CK_FUNCTION_LIST_PTR f, const char *label, CK_SLOT_ID *slot)
{
	CK_SLOT_ID ids[256];
	CK_ULONG n = 256, i;
	CK_UTF8CHAR want[32];
	CK_RV rv = f->C_GetSlotList(CK_TRUE, ids, &n);

	if (rv != CKR_OK)
		return rv;
	if (label != NULL)
		pad(want, sizeof want, label);
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
			continue;
		bool init = ti.flags & CKF_TOKEN_INITIALIZED;
		if ((label == NULL && !init) ||
		    (label != NULL && init && memcmp(ti.label, want, sizeof want) == 0)) {
			*slot = ids[i];
			return CKR_OK;
		}
	}
	return CKR_TOKEN_NOT_PRESENT;
}

static CK_RV login(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	CK_RV rv = f->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));

	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

/* The token `label`, made in the free slot (SO and user PIN from cfg) if absent. */
static CK_RV token_get(bench_mod *m, const char *label, CK_SLOT_ID *slot)
{
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_UTF8CHAR lab[32];
	CK_SESSION_HANDLE s;
	CK_SLOT_ID free_slot;
	CK_RV rv;

	if (token_slot(f, label, slot) == CKR_OK)
		return CKR_OK;
	rv = token_slot(f, NULL, &free_slot);
	if (rv != CKR_OK)
		return rv;
	pad(lab, sizeof lab, label);
	rv = f->C_InitToken(free_slot, (CK_UTF8CHAR_PTR)m->cfg->so_pin, strlen(m->cfg->so_pin), lab);
	if (rv != CKR_OK)
		return rv;
	rv = token_slot(f, label, slot);     /* SoftHSM renumbers the slot */
	if (rv != CKR_OK)
		return rv;
	rv = f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		return rv;
	rv = login(f, s, CKU_SO, m->cfg->so_pin);
	if (rv == CKR_OK)
		rv = f->C_InitPIN(s, (CK_UTF8CHAR_PTR)m->cfg->pin, strlen(m->cfg->pin));
	f->C_Logout(s);
	f->C_CloseSession(s);
	return rv;
}

static CK_RV find_one(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
                      CK_OBJECT_HANDLE *h)
{
	CK_ULONG got = 0;
	CK_RV rv = f->C_FindObjectsInit(s, t, n);

	if (rv != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, h, 1, &got);
	f->C_FindObjectsFinal(s);
	return rv != CKR_OK ? rv : got == 1 ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}

static CK_RV count_data(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ULONG *count)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_OBJECT_HANDLE h[1024];
	CK_ULONG got;
	CK_RV rv = f->C_FindObjectsInit(s, t, 1);

	*count = 0;
	while (rv == CKR_OK && (rv = f->C_FindObjects(s, h, 1024, &got)) == CKR_OK && got > 0)
		*count += got;
	f->C_FindObjectsFinal(s);
	return rv;
}

/* Token `label` with `want` data objects bench-obj-<i> (every `priv_every`th
 * private when nonzero); made once. */
static CK_RV population(bench_mod *m, const char *label, CK_ULONG want, int priv_every,
                        CK_SLOT_ID *slot)
{
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_SESSION_HANDLE s;
	CK_ULONG have = 0, i;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_RV rv = token_get(m, label, slot);

	if (rv != CKR_OK)
		return rv;
	rv = f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		return rv;
	rv = login(f, s, CKU_USER, m->cfg->pin);
	if (rv == CKR_OK)
		rv = count_data(f, s, &have);
	if (rv == CKR_OK && have < want)
		fprintf(stderr, "bench: %s: creating %lu objects in token %s (once per store)\n",
		        m->name, want - have, label);
	for (i = have; rv == CKR_OK && i < want; i++) {
		char lab[40], val[24];
		CK_BBOOL pv = priv_every && i % priv_every == 0;
		snprintf(lab, sizeof lab, "bench-obj-%lu", i);
		snprintf(val, sizeof val, "%lu", i);
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_TOKEN, (void *)&T, 1 },
			{ CKA_PRIVATE, &pv, 1 }, { CKA_LABEL, lab, strlen(lab) },
			{ CKA_VALUE, val, strlen(val) },
		};
		CK_OBJECT_HANDLE h;
		rv = f->C_CreateObject(s, t, 5, &h);
	}
	f->C_Logout(s);
	f->C_CloseSession(s);
	return rv;
}

CK_RV bench_mod_objects(bench_mod *m, CK_ULONG n, CK_SLOT_ID *slot)
{
	return population(m, n == N_LOGIN ? "ktbench-1k" : "ktbench-10k", n,
	                  n == N_LOGIN ? 2 : 0, slot);
}

/* ---- keys ---- */

static CK_RV gen_pair(bench_mod *m, enum bench_key k, const char *label)
{
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = k == BKEY_RSA3072 ? 3072 : 2048;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ATTRIBUTE pub[5] = {
		{ CKA_TOKEN, (void *)&T, 1 }, { CKA_VERIFY, (void *)&T, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, (void *)&T, 1 }, { CKA_PRIVATE, (void *)&T, 1 },
		{ CKA_SENSITIVE, (void *)&T, 1 }, { CKA_SIGN, (void *)&T, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ULONG np = 3;
	CK_RV rv;

	switch (k) {
	case BKEY_EC256:
	case BKEY_EC384:
		pub[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)(k == BKEY_EC256 ? oid_p256 : oid_p384),
		                            k == BKEY_EC256 ? sizeof oid_p256 : sizeof oid_p384 };
		break;
	case BKEY_ED25519:
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		pub[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_ed25519, sizeof oid_ed25519 };
		break;
	default:
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		pub[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof bits };
		pub[np++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e, sizeof e };
		break;
	}
	if (!bench_has_mech(f, m->slot, mech.mechanism, CKF_GENERATE_KEY_PAIR))
		return CKR_MECHANISM_INVALID;
	rv = f->C_GenerateKeyPair(m->s, &mech, pub, np, priv, 5, &m->pub[k], &m->priv[k]);
	if (rv != CKR_OK && k == BKEY_ED25519) {        /* the curve by name */
		pub[np - 1] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)str_ed25519, sizeof str_ed25519 };
		rv = f->C_GenerateKeyPair(m->s, &mech, pub, np, priv, 5, &m->pub[k], &m->priv[k]);
	}
	return rv;
}

static CK_RV gen_secret(bench_mod *m, enum bench_key k, const char *label)
{
	static const CK_BYTE val[32] = "kerntok bench secret key 32 byte";
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = k == BKEY_AES256 ? CKK_AES : CKK_GENERIC_SECRET;
	CK_ULONG len = 32;
	CK_ATTRIBUTE_TYPE use1 = k == BKEY_AES256 ? CKA_ENCRYPT : CKA_SIGN;
	CK_ATTRIBUTE_TYPE use2 = k == BKEY_AES256 ? CKA_DECRYPT : CKA_VERIFY;
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, (void *)&T, 1 }, { CKA_PRIVATE, (void *)&T, 1 },
		{ CKA_SENSITIVE, (void *)&T, 1 }, { use1, (void *)&T, 1 }, { use2, (void *)&T, 1 },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt },
		{ CKA_VALUE_LEN, &len, sizeof len },
	};
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_RV rv = CKR_MECHANISM_INVALID;

	if (k == BKEY_AES256 && bench_has_mech(f, m->slot, CKM_AES_KEY_GEN, CKF_GENERATE))
		rv = f->C_GenerateKey(m->s, &mech, t, 9, &m->priv[k]);
	if (rv != CKR_OK) {                  /* import the value instead */
		t[8] = (CK_ATTRIBUTE){ CKA_VALUE, (void *)val, sizeof val };
		rv = f->C_CreateObject(m->s, t, 9, &m->priv[k]);
	}
	m->pub[k] = m->priv[k];
	return rv;
}

CK_RV bench_mod_key(bench_mod *m, enum bench_key k, CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub)
{
	char label[32];
	CK_OBJECT_CLASS pc = CKO_PRIVATE_KEY, uc = CKO_PUBLIC_KEY, sc = CKO_SECRET_KEY;
	bool secret = k == BKEY_AES256 || k == BKEY_HMAC;

	if (!m->tried[k]) {
		m->tried[k] = true;
		snprintf(label, sizeof label, "bench-key-%s", key_names[k]);
		CK_ATTRIBUTE tp[] = { { CKA_CLASS, secret ? &sc : &pc, sizeof pc },
		                      { CKA_LABEL, label, strlen(label) } };
		CK_ATTRIBUTE tu[] = { { CKA_CLASS, secret ? &sc : &uc, sizeof uc },
		                      { CKA_LABEL, label, strlen(label) } };
		m->key_rv[k] = find_one(m->f, m->s, tp, 2, &m->priv[k]);
		if (m->key_rv[k] == CKR_OK)
			m->key_rv[k] = find_one(m->f, m->s, tu, 2, &m->pub[k]);
		if (m->key_rv[k] != CKR_OK)
			m->key_rv[k] = secret ? gen_secret(m, k, label) : gen_pair(m, k, label);
	}
	*priv = m->priv[k];
	*pub = m->pub[k];
	return m->key_rv[k];
}

/* ---- the module ---- */

/* The three bench tokens exist.  SoftHSM offers a new free slot only at
 * C_Initialize, so the module is restarted between token initializations. */
static CK_RV tokens(bench_mod *m, const CK_C_INITIALIZE_ARGS *a)
{
	static const char *const labels[] = { KEYS_TOKEN, "ktbench-1k", "ktbench-10k" };
	CK_SLOT_ID slot;
	CK_RV rv = CKR_OK;
	size_t i;

	for (i = 0; rv == CKR_OK && i < sizeof labels / sizeof labels[0]; i++) {
		if (token_slot(m->f, labels[i], &slot) == CKR_OK)
			continue;
		if (token_slot(m->f, NULL, &slot) != CKR_OK) {
			m->f->C_Finalize(NULL);
			rv = m->f->C_Initialize((CK_VOID_PTR)a);
		}
		if (rv == CKR_OK)
			rv = token_get(m, labels[i], &slot);
	}
	return rv;
}

static CK_RV start(bench_mod *m)
{
	CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK };
	CK_RV rv = m->f->C_Initialize(&a);

	if (rv == CKR_OK)
		rv = tokens(m, &a);
	if (rv == CKR_OK)
		rv = token_get(m, KEYS_TOKEN, &m->slot);
	if (rv == CKR_OK)
		rv = m->f->C_OpenSession(m->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->s);
	if (rv == CKR_OK)
		rv = login(m->f, m->s, CKU_USER, m->cfg->pin);
	memset(m->tried, 0, sizeof m->tried);   /* handles may change across C_Finalize */
	return rv;
}

bench_mod *bench_mod_open(const char *path, const bench_cfg *cfg)
{
	bench_mod *m = calloc(1, sizeof *m);
	CK_C_GetFunctionList gfl = C_GetFunctionList;
	CK_INFO info;
	CK_RV rv;

	if (m == NULL)
		return NULL;
	m->cfg = cfg;
	if (path != NULL) {
		snprintf(m->path, sizeof m->path, "%s", path);
		m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (m->dl == NULL) {
			cli_err("bench: %s", dlerror());
			free(m);
			return NULL;
		}
		gfl = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
		if (gfl == NULL) {
			cli_err("bench: %s: no C_GetFunctionList", path);
			bench_mod_close(m);
			return NULL;
		}
	}
	rv = gfl(&m->f);
	if (rv == CKR_OK)
		rv = start(m);
	if (rv != CKR_OK) {
		cli_rv(rv, path ? path : "kerntok");
		bench_mod_close(m);
		return NULL;
	}
	if (m->f->C_GetInfo(&info) == CKR_OK) {
		cli_trim(m->name, info.manufacturerID, sizeof info.manufacturerID);
		char *sp = strchr(m->name, ' ');
		if (sp != NULL)
			*sp = '\0';                  /* "SoftHSM project" -> "SoftHSM" */
	}
	return m;
}

void bench_mod_close(bench_mod *m)
{
	if (m == NULL)
		return;
	if (m->f != NULL)
		m->f->C_Finalize(NULL);
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m);
}

/* ---- latency ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void median_of(double *v, int n, bench_res *r)
{
	qsort(v, n, sizeof *v, cmp_d);
	r->ok = true;
	r->latency = true;
	r->sec = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	r->ops_s = r->sec > 0 ? 1 / r->sec : 0;
}

#define LAT_MIN 5
#define LAT_MAX 2000

/* C_OpenSession + C_Login on the 1,000-object token (untimed: logout, close) */
static void lat_login(bench_mod *m, const bench_cfg *cfg, bench_res *r)
{
	static double v[LAT_MAX];
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_RV rv = bench_mod_objects(m, N_LOGIN, &slot);
	double end;
	int n = 0;

	if (rv != CKR_OK) {
		snprintf(r->why, sizeof r->why, "1,000 objects: %s", bench_rvname(rv));
		return;
	}
	end = bench_now() + cfg->seconds;
	while (n < LAT_MAX && (n < LAT_MIN || bench_now() < end)) {
		double t0 = bench_now();
		rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
		if (rv == CKR_OK && (rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)cfg->pin,
		                                     strlen(cfg->pin))) == CKR_OK)
			v[n++] = bench_now() - t0;
		f->C_Logout(s);
		f->C_CloseSession(s);
		if (rv != CKR_OK) {
			snprintf(r->why, sizeof r->why, "C_OpenSession/C_Login: %s", bench_rvname(rv));
			return;
		}
	}
	median_of(v, n, r);
}

/* C_Initialize + C_OpenSession + C_Login, in this process (the library stays
 * loaded: a warm start); the module is finalized and restarted around it. */
static void lat_init(bench_mod *m, const bench_cfg *cfg, bench_res *r)
{
	static double v[LAT_MAX];
	CK_FUNCTION_LIST_PTR f = m->f;
	CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_RV rv = bench_mod_objects(m, N_LOGIN, &slot);
	double end;
	int n = 0;

	if (rv != CKR_OK) {
		snprintf(r->why, sizeof r->why, "1,000 objects: %s", bench_rvname(rv));
		return;
	}
	f->C_Finalize(NULL);
	end = bench_now() + cfg->seconds;
	while (rv == CKR_OK && n < LAT_MAX && (n < LAT_MIN || bench_now() < end)) {
		double t0 = bench_now();
		rv = f->C_Initialize(&a);
		if (rv == CKR_OK)
			rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
		if (rv == CKR_OK)
			rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)cfg->pin, strlen(cfg->pin));
		if (rv == CKR_OK)
			v[n++] = bench_now() - t0;
		f->C_Finalize(NULL);
	}
	if (rv != CKR_OK)
		snprintf(r->why, sizeof r->why, "C_Initialize/C_OpenSession/C_Login: %s",
		         bench_rvname(rv));
	else
		median_of(v, n, r);
	rv = start(m);
	if (rv != CKR_OK)
		cli_rv(rv, "bench: restarting the module");
}

/* Cross-process visibility: a watcher process (this program, exec'd) polls
 * C_FindObjects for a label; we create the object and take the time from
 * C_CreateObject's return (the object is durable then: file, fsync, key) to
 * the watcher's C_FindObjects returning it (CLOCK_MONOTONIC is one clock for
 * both processes; a watcher that saw it before the return counts 0). */
static bool rd_line(int fd, char *buf, size_t n)
{
	size_t i = 0;

	while (i + 1 < n) {
		ssize_t k = read(fd, buf + i, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		if (buf[i] == '\n')
			break;
		i++;
	}
	buf[i] = '\0';
	return true;
}

static void lat_xproc(bench_mod *m, const bench_cfg *cfg, bench_res *r)
{
	static double v[LAT_MAX];
	int to[2], from[2];
	char a_rfd[16], a_wfd[16], line[64], self[PATH_MAX];
	CK_OBJECT_CLASS cls = CKO_DATA;
	double end;
	int n = 0;
	pid_t pid;
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);

	if (sl <= 0 || pipe(to) < 0 || pipe(from) < 0) {
		snprintf(r->why, sizeof r->why, "pipe/exe: %s", strerror(errno));
		return;
	}
	self[sl] = '\0';
	snprintf(a_rfd, sizeof a_rfd, "%d", to[0]);
	snprintf(a_wfd, sizeof a_wfd, "%d", from[1]);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		execl(self, self, "bench", "--watcher", m->path[0] ? m->path : "-", KEYS_TOKEN,
		      a_rfd, a_wfd, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	end = bench_now() + cfg->seconds;
	while (pid > 0 && n < LAT_MAX && (n < LAT_MIN || bench_now() < end)) {
		char label[48];
		CK_OBJECT_HANDLE h;
		snprintf(label, sizeof label, "bench-xproc-%d-%d", (int)getpid(), n);
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof cls }, { CKA_TOKEN, (void *)&T, 1 },
			{ CKA_PRIVATE, (void *)&F, 1 }, { CKA_LABEL, label, strlen(label) },
		};
		dprintf(to[1], "%s\n", label);
		if (!rd_line(from[0], line, sizeof line) || strcmp(line, "r") != 0) {
			snprintf(r->why, sizeof r->why, "watcher: %s", line[0] ? line : "died");
			break;
		}
		CK_RV rv = m->f->C_CreateObject(m->s, t, 4, &h);
		double t0 = bench_now();
		if (rv != CKR_OK) {
			snprintf(r->why, sizeof r->why, "C_CreateObject: %s", bench_rvname(rv));
			break;
		}
		bool got = rd_line(from[0], line, sizeof line);
		m->f->C_DestroyObject(m->s, h);
		double t1;
		if (!got || sscanf(line, "t %lf", &t1) != 1) {
			snprintf(r->why, sizeof r->why, "not seen by another process within %.0f s",
			         WATCH_LIMIT);
			break;
		}
		v[n++] = t1 > t0 ? t1 - t0 : 0;
	}
	close(to[1]);
	close(from[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (n >= LAT_MIN && r->why[0] == '\0')
		median_of(v, n, r);
	else if (r->why[0] == '\0')
		snprintf(r->why, sizeof r->why, "watcher failed");
}

void bench_mod_latency(bench_mod *m, const bench_op *op, const bench_cfg *cfg, bench_res *r)
{
	switch (op->kind) {
	case BK_LOGIN: lat_login(m, cfg, r); break;
	case BK_INIT: lat_init(m, cfg, r); break;
	case BK_XPROC: lat_xproc(m, cfg, r); break;
	default: snprintf(r->why, sizeof r->why, "not a latency op"); break;
	}
}

/* kerntok bench --watcher <module path | -> <token label> <rfd> <wfd> */
int bench_watcher(int argc, char **argv)
{
	CK_FUNCTION_LIST_PTR f = NULL;
	CK_C_GetFunctionList gfl = C_GetFunctionList;
	CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK };
	CK_SESSION_HANDLE s;
	CK_SLOT_ID slot;
	char label[64];
	int rfd, wfd;

	if (argc != 6)
		return EXIT_USAGE;
	rfd = atoi(argv[4]);
	wfd = atoi(argv[5]);
	if (strcmp(argv[2], "-") != 0) {
		void *dl = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
		gfl = dl ? (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList") : NULL;
	}
	if (gfl == NULL || gfl(&f) != CKR_OK || f->C_Initialize(&a) != CKR_OK ||
	    token_slot(f, argv[3], &slot) != CKR_OK ||
	    f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK) {
		dprintf(wfd, "x cannot open the token\n");
		return 1;
	}
	while (rd_line(rfd, label, sizeof label)) {
		CK_ATTRIBUTE t[] = { { CKA_LABEL, label, strlen(label) } };
		CK_OBJECT_HANDLE h;
		CK_RV rv = find_one(f, s, t, 1, &h);
		double limit = bench_now() + WATCH_LIMIT;
		dprintf(wfd, "r\n");
		while (rv == CKR_OBJECT_HANDLE_INVALID && bench_now() < limit)
			rv = find_one(f, s, t, 1, &h);
		if (rv == CKR_OK)
			dprintf(wfd, "t %.9f\n", bench_now());
		else
			dprintf(wfd, "x %s\n", bench_rvname(rv));
	}
	f->C_Finalize(NULL);
	return 0;
}
