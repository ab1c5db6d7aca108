/* bench.h - `kerntok bench`: the same operations through a PKCS#11 module
 * (kerntok built in, or any module by path: SoftHSMv2, ...) and on OpenSSL
 * directly, in one run.
 *
 *   cmd_bench.c   options, the run plan (ops x modules x runs), medians, output
 *   bench_ops.c   the operation table and the timed loops over PKCS#11
 *   bench_p11.c   modules, tokens, keys, objects; the latency measurements
 *                 (login, initialize, cross-process visibility)
 *   bench_raw.c   the same primitives on OpenSSL 3 EVP
 *
 * An operation the module cannot do (mechanism not listed, key generation
 * refused) is reported "n/a" with the reason; no number is ever made up.
 */
#ifndef KT_BENCH_H
#define KT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include "pkcs11.h"

/* what an operation measures */
enum bench_kind {
	BK_SIGN, BK_VERIFY, BK_ENCRYPT, BK_DIGEST, BK_HMAC, BK_RANDOM,
	BK_KEYGEN,                       /* key (pair) generation, session objects */
	BK_FIND,                         /* find by label among 10,000 token objects */
	BK_LOGIN,                        /* C_OpenSession + C_Login, 1,000 objects */
	BK_INIT,                         /* C_Initialize + C_OpenSession + C_Login */
	BK_XPROC,                        /* create here -> found by another process */
};

/* the keys operations use */
enum bench_key {
	BKEY_NONE, BKEY_EC256, BKEY_EC384, BKEY_ED25519, BKEY_RSA2048, BKEY_RSA3072,
	BKEY_AES256, BKEY_HMAC, BKEY_COUNT
};

typedef struct bench_op {
	const char *name;                /* --ops name: "ecdsa-p256-sign" */
	const char *title;               /* "ECDSA P-256 sign" */
	enum bench_kind kind;
	CK_MECHANISM_TYPE mech;          /* for keygen: the generation mechanism */
	enum bench_key key;
	size_t len;                      /* bytes in (data ops) */
	bool headline;                   /* in `make bench` */
} bench_op;

extern const bench_op bench_ops[];
extern const size_t bench_nops;

/* One measurement.  ok == false: n/a, why says so. */
typedef struct bench_res {
	bool ok;
	bool latency;                    /* value is seconds per op, not ops/s */
	double ops_s;                    /* throughput ops: operations per second */
	double sec;                      /* latency ops: median seconds per op */
	char why[96];
} bench_res;

typedef struct bench_cfg {
	double seconds;                  /* per op and run */
	int threads;
	bool shared;                     /* one session for all threads */
	const char *so_pin, *pin;
} bench_cfg;

/* A loaded, initialized module with the bench tokens it needs. */
typedef struct bench_mod bench_mod;

/* path NULL: kerntok as linked into this program.  Returns NULL after
 * printing why. */
bench_mod *bench_mod_open(const char *path, const bench_cfg *cfg);
const char *bench_mod_name(const bench_mod *m);     /* "kerntok", "SoftHSM", ... */
void bench_mod_close(bench_mod *m);

/* Measure op on module m. */
void bench_p11_run(bench_mod *m, const bench_op *op, const bench_cfg *cfg, bench_res *r);
/* The same primitive on OpenSSL; r->ok false ("n/a") for module-only ops. */
void bench_raw_run(const bench_op *op, const bench_cfg *cfg, bench_res *r);

/* bench_p11.c, for bench_ops.c */
CK_FUNCTION_LIST_PTR bench_mod_fl(bench_mod *m);
/* The keys token's slot, its logged-in setup session, and a key (generated
 * on first use; 0 and why when the module cannot make it). */
CK_SLOT_ID bench_mod_slot(bench_mod *m);
CK_SESSION_HANDLE bench_mod_session(bench_mod *m);
CK_RV bench_mod_key(bench_mod *m, enum bench_key k, CK_OBJECT_HANDLE *priv,
                    CK_OBJECT_HANDLE *pub);
/* A token holding n (BENCH_N_LOGIN or BENCH_N_FIND) data objects
 * bench-obj-<i>, populated once per store. */
#define BENCH_N_LOGIN 1000
#define BENCH_N_FIND  10000
CK_RV bench_mod_objects(bench_mod *m, CK_ULONG n, CK_SLOT_ID *slot);
void bench_mod_latency(bench_mod *m, const bench_op *op, const bench_cfg *cfg, bench_res *r);
/* hidden subcommand: the cross-process watcher (exec'd by bench_mod_latency) */
int bench_watcher(int argc, char **argv);

/* the timed loop: calls one(ctx) until `seconds` have passed; returns calls
 * made, *elapsed the time; stops early and returns the CK_RV on a failure */
typedef CK_RV (*bench_fn)(void *ctx);
CK_RV bench_loop(double seconds, bench_fn one, void *ctx, unsigned long *n, double *elapsed);
double bench_now(void);
const char *bench_rvname(CK_RV rv);
bool bench_has_mech(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, CK_MECHANISM_TYPE m, CK_FLAGS need);

#endif
