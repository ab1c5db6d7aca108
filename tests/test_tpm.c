/* tpm/ against real TPM 2.0 simulators (swtpm), started and stopped here.
 *
 * swtpm serves one connection at a time and has no resource manager, so
 * the test closes its tp_ctx before poking the TPM itself (PCR extend, DA
 * reset, handle counts) and reopens afterwards.  The missing resource
 * manager is also what makes the leak check meaningful: a transient
 * object or session tpm/ forgot to flush outlives the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "../tpm/tp.h"
#include "swtpm_util.h"

static struct ktt_swtpm tpm_a;

/* Where the simulators keep their state: the run's store directory. */
static const char *swtpm_base(void)
{
	const char *base = getenv("KERNTOK_DIR");

	return base && *base ? base : "/tmp";
}

/* TPM2_TRANSIENT_FIRST & co. expand to a signed shift overflow (UBSan
 * trips on it), hence the literals. */
#define TRANSIENT_FIRST 0x80000000u      /* TPM2_TRANSIENT_FIRST */
#define LOADED_SESSION_FIRST 0x02000000u /* TPM2_LOADED_SESSION_FIRST */
#define ACTIVE_SESSION_FIRST 0x03000000u /* TPM2_ACTIVE_SESSION_FIRST */

static void assert_tpm_clean(const struct ktt_swtpm *t)
{
	CU_ASSERT_EQUAL(ktt_swtpm_handle_count(t, TRANSIENT_FIRST), 0);
	CU_ASSERT_EQUAL(ktt_swtpm_handle_count(t, LOADED_SESSION_FIRST), 0);
	CU_ASSERT_EQUAL(ktt_swtpm_handle_count(t, ACTIVE_SESSION_FIRST), 0);
}

/* The same TCG SRK templates tp_srk.c uses, to provision 0x81000001. */
#define SRK_ATTRS                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |             \
	 TPMA_OBJECT_DECRYPT)
static const TPM2B_PUBLIC srk_ecc = { .publicArea = {
	.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256, .objectAttributes = SRK_ATTRS,
	.parameters.eccDetail = {
		.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
		.scheme = { .scheme = TPM2_ALG_NULL }, .curveID = TPM2_ECC_NIST_P256,
		.kdf = { .scheme = TPM2_ALG_NULL } },
	.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } } } };
static const TPM2B_PUBLIC srk_rsa = { .publicArea = {
	.type = TPM2_ALG_RSA, .nameAlg = TPM2_ALG_SHA256, .objectAttributes = SRK_ATTRS,
	.parameters.rsaDetail = {
		.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
		.scheme = { .scheme = TPM2_ALG_NULL }, .keyBits = 2048 },
	.unique.rsa = { .size = 256 } } };

#define SRK_HANDLE 0x81000001u

/* Evicts whatever sits at 0x81000001, then persists a primary made from
 * tmpl there (tmpl NULL: just evict). */
static TSS2_RC persist_srk(const struct ktt_swtpm *t, const TPM2B_PUBLIC *tmpl)
{
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION nopcr = { 0 };
	ESYS_TR old = ESYS_TR_NONE, prim = ESYS_TR_NONE, pers = ESYS_TR_NONE;
	struct ktt_swtpm_raw r;
	TSS2_RC rc = 0;

	if (ktt_swtpm_raw_open(t, &r))
		return 1;
	if (Esys_TR_FromTPMPublic(r.esys, SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  &old) == TSS2_RC_SUCCESS) {
		rc = Esys_EvictControl(r.esys, ESYS_TR_RH_OWNER, old, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				       ESYS_TR_NONE, SRK_HANDLE, &pers);
		if (rc)
			goto out;
	}
	if (!tmpl)
		goto out;
	rc = Esys_CreatePrimary(r.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, tmpl, &outside, &nopcr, &prim, NULL, NULL,
				NULL, NULL);
	if (rc)
		goto out;
	rc = Esys_EvictControl(r.esys, ESYS_TR_RH_OWNER, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, SRK_HANDLE, &pers);
out:
	if (prim != ESYS_TR_NONE)
		Esys_FlushContext(r.esys, prim);
	ktt_swtpm_raw_close(&r);
	return rc;
}

/* Sets the owner hierarchy's auth from old to new (NULL = empty). */
static TSS2_RC owner_auth(const struct ktt_swtpm *t, const char *old, const char *new)
{
	TPM2B_AUTH o = { 0 }, n = { 0 };
	struct ktt_swtpm_raw r;
	TSS2_RC rc;

	if (old) {
		o.size = strlen(old);
		memcpy(o.buffer, old, o.size);
	}
	if (new) {
		n.size = strlen(new);
		memcpy(n.buffer, new, n.size);
	}
	if (ktt_swtpm_raw_open(t, &r))
		return 1;
	rc = Esys_TR_SetAuth(r.esys, ESYS_TR_RH_OWNER, &o);
	if (!rc)
		rc = Esys_HierarchyChangeAuth(r.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
					      ESYS_TR_NONE, ESYS_TR_NONE, &n);
	ktt_swtpm_raw_close(&r);
	return rc;
}

/* -------------------------------------------------- blob white-boxing */

/* Blob layout (tp_blob.c): header, TPM2B_PUBLIC, TPM2B_PRIVATE, sha256. */
struct layout {
	size_t name_off, pub_off, pub_len, priv_off, priv_len;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int blob_layout(const uint8_t *b, size_t len, struct layout *l)
{
	size_t off = 10;
	unsigned flags = be16(b + 6);

	l->name_off = off;
	off += 2 + be16(b + off);
	if (flags & 1) {
		unsigned alg = be16(b + off);
		uint32_t mask = (uint32_t)b[off + 2] << 24 | (uint32_t)b[off + 3] << 16 |
				(uint32_t)b[off + 4] << 8 | b[off + 5];
		unsigned dsz = alg == TPM2_ALG_SHA1 ? 20 : alg == TPM2_ALG_SHA256 ? 32 : 48;

		off += 6 + (size_t)__builtin_popcount(mask) * dsz;
	}
	l->pub_off = off;
	l->pub_len = 2 + be16(b + off);
	off += l->pub_len;
	l->priv_off = off;
	l->priv_len = 2 + be16(b + off);
	off += l->priv_len;
	return off + 32 == len ? 0 : -1;
}

/* Recomputes the trailing sha256 so the damage reaches the TPM. */
static void refresh_hash(uint8_t *b, size_t len)
{
	unsigned int n;

	EVP_Digest(b, len - 32, b + len - 32, &n, EVP_sha256(), NULL);
}

/* ---------------------------------------------------------------- tests */

static const uint8_t key32[32] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
				   0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				   0xf0, 0xe0, 0xd0, 0xc0, 0xb0, 0xa0, 0x90, 0x00 };

#define AUTH(s) (const uint8_t *)(s), (sizeof(s) - 1)

static tp_ctx *open_ctx(const struct ktt_swtpm *t)
{
	tp_ctx *c = NULL;
	int ret = tp_open(&c, t->tcti);

	CU_ASSERT_EQUAL_FATAL(ret, 0);
	return c;
}

/* Unseals and checks the result is key32. */
static int unseal_ok(tp_ctx *c, const uint8_t *blob, size_t len, const uint8_t *auth,
		     size_t authlen)
{
	uint8_t *s = NULL;
	size_t n = 0;
	int ret = tp_unseal(c, blob, len, auth, authlen, &s, &n);

	if (ret == 0) {
		CU_ASSERT_EQUAL(n, sizeof(key32));
		CU_ASSERT(n == sizeof(key32) && !memcmp(s, key32, n));
		tp_free_secret(s, n);
	} else {
		CU_ASSERT_PTR_NULL(s);
		CU_ASSERT_EQUAL(n, 0);
		fprintf(stderr, "  unseal: %d (%s)\n", ret, tp_last_error(c));
	}
	return ret;
}

static void test_no_tpm(void)
{
	char tcti[96];
	tp_ctx *c = (tp_ctx *)&c; /* must be reset to NULL on failure */
	int port = ktt_swtpm_free_port_pair();

	CU_ASSERT_FATAL(port > 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	CU_ASSERT_EQUAL(tp_open(&c, tcti), -ENODEV);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(tp_open(&c, "device:/nonexistent/tpmrm9"), -ENODEV);
	CU_ASSERT_EQUAL(tp_open(&c, "no-such-tcti-module"), -ENODEV);
	if (access("/dev/tpmrm0", F_OK) != 0)
		CU_ASSERT_EQUAL(tp_open(&c, NULL), -ENODEV);
	CU_ASSERT_EQUAL(tp_open(NULL, tcti), -EINVAL);
	/* NULL-tolerant teardown helpers. */
	tp_close(NULL);
	tp_free_secret(NULL, 12);
	CU_ASSERT_EQUAL(tp_last_rc(NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(tp_last_error(NULL));
}

static void test_roundtrip(void)
{
	uint8_t big[TP_SECRET_MAX], *blob = NULL, *s = NULL;
	const uint8_t z[2] = { 0 };
	tp_pcrsel bad = { 256, 0 };
	size_t len = 0, n = 0;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("1234"), NULL, &blob, &len), 0);
	CU_ASSERT_FATAL(blob != NULL && len > 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("1234")), 0);
	CU_ASSERT_STRING_EQUAL(tp_last_error(c), "success");
	free(blob);

	/* Empty auth, given as NULL or as a zero-length buffer. */
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, NULL, 0), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, z, 0), 0);
	free(blob);

	/* Sizes at the edges. */
	memset(big, 0xa5, sizeof(big));
	CU_ASSERT_EQUAL(tp_seal(c, big, sizeof(big), AUTH("x"), NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("x"), &s, &n), 0);
	CU_ASSERT(n == sizeof(big) && s && !memcmp(s, big, n));
	tp_free_secret(s, n);
	free(blob);
	CU_ASSERT_EQUAL(tp_seal(c, big, 1, AUTH("x"), NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("x"), &s, &n), 0);
	CU_ASSERT(n == 1 && s && s[0] == 0xa5);
	tp_free_secret(s, n);
	free(blob);

	/* An auth ending in zero octets: the TPM strips them, so must we, or
	 * such an auth never verifies. "pin\0\0" and "pin" are the same auth. */
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, (const uint8_t *)"pin\0\0", 5, NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, (const uint8_t *)"pin\0\0", 5), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pin")), 0);
	free(blob);
	/* key32 itself ends in 0x00: as a 32-byte derived auth. */
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, key32, 32, NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, key32, 32), 0);
	free(blob);

	/* Argument checks. */
	blob = (uint8_t *)&blob;
	CU_ASSERT_EQUAL(tp_seal(c, key32, 0, NULL, 0, NULL, &blob, &len), -EINVAL);
	CU_ASSERT_PTR_NULL(blob);
	CU_ASSERT_EQUAL(tp_seal(c, big, TP_SECRET_MAX + 1, NULL, 0, NULL, &blob, &len), -EINVAL);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, key32, TP_AUTH_MAX + 1, NULL, &blob, &len), -EINVAL);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 4, NULL, &blob, &len), -EINVAL);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, NULL, NULL, &len), -EINVAL);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, &bad, &blob, &len), -EINVAL);
	bad.mask = 1u << 24;
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, &bad, &blob, &len), -EINVAL);
	bad.mask = 1;
	bad.hash_alg_bits = 224;
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, &bad, &blob, &len), -EINVAL);
	CU_ASSERT_EQUAL(tp_unseal(c, NULL, 10, NULL, 0, &s, &n), -EINVAL);
	CU_ASSERT_EQUAL(tp_unseal(c, key32, 32, NULL, 0, NULL, &n), -EINVAL);
	tp_close(c);
	assert_tpm_clean(&tpm_a);
}

static void test_wrong_auth(void)
{
	uint32_t cnt = 99, max = 0;
	uint8_t *blob = NULL;
	size_t len = 0;
	int lock = -1;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("correct horse"), NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("wrong")), -EACCES);
	/* TPM_RC_AUTH_FAIL for session 1: 0x98e. */
	CU_ASSERT_EQUAL(tp_last_rc(c) & 0xbf, TPM2_RC_AUTH_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(tp_last_error(c), "auth"));
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, NULL, 0), -EACCES);
	CU_ASSERT_EQUAL(tp_da_lockout_info(c, &cnt, &max, &lock), 0);
	CU_ASSERT_EQUAL(cnt, 2);
	CU_ASSERT_EQUAL(max, 3);
	CU_ASSERT_EQUAL(lock, 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("correct horse")), 0);
	free(blob);
	tp_close(c);
	CU_ASSERT_EQUAL(ktt_swtpm_da_reset(&tpm_a), 0);
	assert_tpm_clean(&tpm_a);
}

static void test_lockout(void)
{
	uint32_t cnt = 99, max = 0;
	uint8_t *blob = NULL;
	size_t len = 0;
	int i, lock = -1;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), NULL, &blob, &len), 0);
	/* maxTries = 3: the first three failures are reported as such... */
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("nip")), -EACCES);
	CU_ASSERT_EQUAL(tp_da_lockout_info(c, &cnt, &max, &lock), 0);
	CU_ASSERT_EQUAL(cnt, 3);
	CU_ASSERT_EQUAL(lock, 1);
	/* ...then even the right auth is refused without being checked. */
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pin")), -EBUSY);
	CU_ASSERT_EQUAL(tp_last_rc(c), TPM2_RC_LOCKOUT);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("nip")), -EBUSY);
	/* Sealing needs no DA-protected auth (SRK is noDA)... */
	{
		uint8_t *b2 = NULL;
		size_t l2 = 0;

		CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), NULL, &b2, &l2), 0);
		free(b2);
		tp_close(c);
		/* ...nor does (re)creating the SRK in a fresh ctx: an empty
		 * ownerAuth is not subject to lockout. */
		c = open_ctx(&tpm_a);
		CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), NULL, &b2, &l2), 0);
		CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pin")), -EBUSY);
		free(b2);
	}
	tp_close(c);

	CU_ASSERT_EQUAL(ktt_swtpm_da_reset(&tpm_a), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(tp_da_lockout_info(c, &cnt, &max, &lock), 0);
	CU_ASSERT_EQUAL(cnt, 0);
	CU_ASSERT_EQUAL(lock, 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pin")), 0);
	free(blob);
	tp_close(c);
	assert_tpm_clean(&tpm_a);
}

static void test_pcr(void)
{
	tp_pcrsel s256 = { 256, (1u << 16) | (1u << 23) };
	tp_pcrsel s1all = { 1, 0xffffff }; /* > 8 PCRs: several PCR_Read calls */
	uint8_t *blob = NULL, *b2 = NULL, *b3 = NULL, *ba = NULL;
	size_t len = 0, l2 = 0, l3 = 0, la = 0;
	uint32_t mask = 99;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pcrpin"), &s256, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, &s256, &b2, &l2), 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pcrpin"), &s1all, &b3, &l3), 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pcrpin"), NULL, &ba, &la), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pcrpin")), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, NULL, 0), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("pcrpin")), 0);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, blob, len, &mask), 0);
	CU_ASSERT_EQUAL(mask, 0);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, ba, la, &mask), 0);
	CU_ASSERT_EQUAL(mask, 0);
	/* PolicyAuthValue is part of every PCR policy: auth is enforced. */
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("wrong")), -EACCES);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, AUTH("x")), -EACCES);
	tp_close(c);
	CU_ASSERT_EQUAL(ktt_swtpm_da_reset(&tpm_a), 0);

	CU_ASSERT_EQUAL(ktt_swtpm_pcr_extend(&tpm_a, 23, TPM2_ALG_SHA256, 32), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pcrpin")), -EPERM);
	CU_ASSERT_EQUAL(tp_last_rc(c) & 0xbf, TPM2_RC_POLICY_FAIL);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, NULL, 0), -EPERM);
	/* The policy is checked before the HMAC: a wrong auth on changed PCRs
	 * reads as "PCRs differ" and costs no DA try. */
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("wrong")), -EPERM);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, blob, len, &mask), 0);
	CU_ASSERT_EQUAL(mask, 1u << 23);
	/* Other banks and auth-only blobs are unaffected. */
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("pcrpin")), 0);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, b3, l3, &mask), 0);
	CU_ASSERT_EQUAL(mask, 0);
	CU_ASSERT_EQUAL(unseal_ok(c, ba, la, AUTH("pcrpin")), 0);
	/* Resealing binds to the new values. */
	free(b2);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pcrpin"), &s256, &b2, &l2), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, AUTH("pcrpin")), 0);
	tp_close(c);

	CU_ASSERT_EQUAL(ktt_swtpm_pcr_extend(&tpm_a, 16, TPM2_ALG_SHA1, 20), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("pcrpin")), -EPERM);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, b3, l3, &mask), 0);
	CU_ASSERT_EQUAL(mask, 1u << 16);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, AUTH("pcrpin")), 0);
	free(blob);
	free(b2);
	free(b3);
	free(ba);
	tp_close(c);
	CU_ASSERT_EQUAL(ktt_swtpm_da_reset(&tpm_a), 0);
	assert_tpm_clean(&tpm_a);
}

/* Every truncation and every single-bit flip of blob is -EINVAL, from
 * both entry points, and never crashes. */
static void damage_all(tp_ctx *c, const uint8_t *blob, size_t len)
{
	uint8_t *copy = malloc(len), *s = NULL;
	size_t i, n = 0, bad = 0;
	uint32_t mask;

	CU_ASSERT_FATAL(copy != NULL);
	for (i = 0; i < len; i++) {
		if (tp_unseal(c, blob, i, NULL, 0, &s, &n) != -EINVAL)
			bad++;
		if (tp_pcr_mismatch(c, blob, i, &mask) != -EINVAL)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (i = 0; i < len * 8; i++) {
		memcpy(copy, blob, len);
		copy[i / 8] ^= 1u << (i % 8);
		if (tp_unseal(c, copy, len, NULL, 0, &s, &n) != -EINVAL)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NULL(s);
	free(copy);
}

/* Damage with a valid trailing hash: the parser's checks and, past them,
 * the TPM's integrity check on Load. */
static void damage_deep(tp_ctx *c, const uint8_t *blob, size_t len)
{
	uint8_t *copy = malloc(len + 1), *s = NULL;
	struct layout l;
	size_t i, n = 0, bad = 0;
	int ret;

	CU_ASSERT_FATAL(copy != NULL);
	CU_ASSERT_FATAL(blob_layout(blob, len, &l) == 0);
	/* Every byte of the public and private parts, one bit each. */
	for (i = l.pub_off; i < l.priv_off + l.priv_len; i++) {
		memcpy(copy, blob, len);
		copy[i] ^= 1u << (i % 8);
		refresh_hash(copy, len);
		ret = tp_unseal(c, copy, len, NULL, 0, &s, &n);
		if (ret != -EINVAL) {
			fprintf(stderr, "  flip @%zu: %d (%s)\n", i, ret, tp_last_error(c));
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* A flip inside the encrypted private part is the TPM's call. */
	memcpy(copy, blob, len);
	copy[l.priv_off + l.priv_len - 1] ^= 0x80;
	refresh_hash(copy, len);
	CU_ASSERT_EQUAL(tp_unseal(c, copy, len, NULL, 0, &s, &n), -EINVAL);
	CU_ASSERT_EQUAL(tp_last_rc(c) & 0xbf, TPM2_RC_INTEGRITY);
	/* Unknown version / flags, trailing garbage. */
	memcpy(copy, blob, len);
	copy[5] = 2;
	refresh_hash(copy, len);
	CU_ASSERT_EQUAL(tp_unseal(c, copy, len, NULL, 0, &s, &n), -EINVAL);
	memcpy(copy, blob, len);
	copy[7] |= 2;
	refresh_hash(copy, len);
	CU_ASSERT_EQUAL(tp_unseal(c, copy, len, NULL, 0, &s, &n), -EINVAL);
	memcpy(copy, blob, len - 32);
	copy[len - 32] = 0;
	refresh_hash(copy, len + 1);
	CU_ASSERT_EQUAL(tp_unseal(c, copy, len + 1, NULL, 0, &s, &n), -EINVAL);
	free(copy);
}

static void test_damaged(void)
{
	tp_pcrsel sel = { 256, 1u << 23 };
	uint8_t *blob = NULL, *pblob = NULL, junk[1200], *s = NULL;
	size_t len = 0, plen = 0, n = 0, bad = 0;
	unsigned seed = 1;
	int i, j;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, &sel, &pblob, &plen), 0);
	damage_all(c, blob, len);
	damage_all(c, pblob, plen);
	damage_deep(c, blob, len);
	damage_deep(c, pblob, plen);

	/* Random junk, bare and behind a valid magic + hash. */
	for (i = 0; i < 2000; i++) {
		size_t jl = 1 + rand_r(&seed) % sizeof(junk);

		for (j = 0; j < (int)jl; j++)
			junk[j] = rand_r(&seed);
		if (i & 1 && jl > 40) {
			memcpy(junk, "KTPS\0\1", 6);
			junk[6] = 0;
			junk[7] = i & 2 ? 1 : 0;
			refresh_hash(junk, jl);
		}
		if (tp_unseal(c, junk, jl, NULL, 0, &s, &n) != -EINVAL)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* The TPM was not harmed: the originals still work. */
	CU_ASSERT_EQUAL(unseal_ok(c, blob, len, NULL, 0), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, pblob, plen, NULL, 0), 0);
	free(blob);
	free(pblob);
	tp_close(c);
	assert_tpm_clean(&tpm_a);
}

static void test_second_tpm(void)
{
	struct ktt_swtpm b;
	uint8_t *ba = NULL, *bb = NULL, *forged = NULL;
	size_t la = 0, lb = 0;
	struct layout loa, lob;
	uint32_t mask = 9;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), NULL, &ba, &la), 0);
	tp_close(c);

	CU_ASSERT_FATAL(ktt_swtpm_start(&b, swtpm_base()) == 0);
	c = open_ctx(&b);
	/* B derives a different SRK from its own owner seed: no candidate
	 * has the Name the blob records. */
	CU_ASSERT_EQUAL(unseal_ok(c, ba, la, AUTH("pin")), -EINVAL);
	CU_ASSERT_EQUAL(tp_last_rc(c), 0);
	fprintf(stderr, "  foreign blob: %s\n", tp_last_error(c));
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, ba, la, &mask), 0);
	CU_ASSERT_EQUAL(mask, 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), NULL, &bb, &lb), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, bb, lb, AUTH("pin")), 0);

	/* Even when the header lies about the parent, the TPM refuses: the
	 * private part is bound to A's SRK seed. */
	CU_ASSERT_FATAL(blob_layout(ba, la, &loa) == 0 && blob_layout(bb, lb, &lob) == 0);
	CU_ASSERT_FATAL(loa.pub_off == lob.pub_off);
	forged = malloc(la);
	CU_ASSERT_FATAL(forged != NULL);
	memcpy(forged, ba, la);
	memcpy(forged + loa.name_off, bb + lob.name_off, loa.pub_off - loa.name_off);
	refresh_hash(forged, la);
	CU_ASSERT_EQUAL(unseal_ok(c, forged, la, AUTH("pin")), -EINVAL);
	CU_ASSERT_EQUAL(tp_last_rc(c) & 0xbf, TPM2_RC_INTEGRITY);
	tp_close(c);
	assert_tpm_clean(&b);
	ktt_swtpm_stop(&b);

	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, bb, lb, AUTH("pin")), -EINVAL);
	CU_ASSERT_EQUAL(unseal_ok(c, ba, la, AUTH("pin")), 0);
	tp_close(c);
	free(ba);
	free(bb);
	free(forged);
	assert_tpm_clean(&tpm_a);
}

static void test_persistent_srk(void)
{
	uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL;
	size_t l1 = 0, l2 = 0, l3 = 0;
	struct layout x, y;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("p"), NULL, &b1, &l1), 0); /* transient ECC */
	tp_close(c);

	/* A provisioned SRK from the same template is the same key. */
	CU_ASSERT_EQUAL_FATAL(persist_srk(&tpm_a, &srk_ecc), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("p"), NULL, &b2, &l2), 0);
	CU_ASSERT(blob_layout(b1, l1, &x) == 0 && blob_layout(b2, l2, &y) == 0);
	CU_ASSERT(x.pub_off == y.pub_off && !memcmp(b1 + x.name_off, b2 + y.name_off,
						    x.pub_off - x.name_off));
	CU_ASSERT_EQUAL(unseal_ok(c, b1, l1, AUTH("p")), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, AUTH("p")), 0);
	tp_close(c);
	assert_tpm_clean(&tpm_a);

	/* Someone re-provisions 0x81000001 with the RSA SRK: old blobs still
	 * unseal (ECC primary re-derived), new ones go under RSA. */
	CU_ASSERT_EQUAL_FATAL(persist_srk(&tpm_a, &srk_rsa), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, b1, l1, AUTH("p")), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b2, l2, AUTH("p")), 0);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("p"), NULL, &b3, &l3), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("p")), 0);
	tp_close(c);
	assert_tpm_clean(&tpm_a);

	/* And without it, the RSA blob's parent is re-derived from the RSA
	 * template (the fallback path for TPMs without P-256). */
	CU_ASSERT_EQUAL_FATAL(persist_srk(&tpm_a, NULL), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("p")), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b1, l1, AUTH("p")), 0);
	CU_ASSERT_EQUAL(unseal_ok(c, b3, l3, AUTH("p")), 0);
	tp_close(c);
	free(b1);
	free(b2);
	free(b3);
	assert_tpm_clean(&tpm_a);
}

/* Many cycles through success and failure paths leave nothing loaded. */
static void test_no_leaks(void)
{
	tp_pcrsel sel = { 256, (1u << 7) | (1u << 23) };
	uint8_t *blob = NULL, *s = NULL;
	size_t len = 0, n = 0;
	struct layout l;
	uint32_t mask;
	int i;
	tp_ctx *c = open_ctx(&tpm_a);

	for (i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), i & 1 ? &sel : NULL, &blob, &len), 0);
		CU_ASSERT_EQUAL(unseal_ok(c, blob, len, AUTH("pin")), 0);
		CU_ASSERT_EQUAL(tp_pcr_mismatch(c, blob, len, &mask), 0);
		if (i < 2) /* stays below maxTries */
			CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("nip"), &s, &n), -EACCES);
		CU_ASSERT_FATAL(blob_layout(blob, len, &l) == 0);
		blob[l.priv_off + l.priv_len - 1] ^= 1;
		refresh_hash(blob, len);
		CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("pin"), &s, &n), -EINVAL);
		free(blob);
		blob = NULL;
	}
	tp_close(c);
	assert_tpm_clean(&tpm_a);

	/* A PCR mismatch path too. */
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("pin"), &sel, &blob, &len), 0);
	tp_close(c);
	CU_ASSERT_EQUAL(ktt_swtpm_pcr_extend(&tpm_a, 7, TPM2_ALG_SHA256, 32), 0);
	c = open_ctx(&tpm_a);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("pin"), &s, &n), -EPERM);
	tp_close(c);
	free(blob);
	CU_ASSERT_EQUAL(ktt_swtpm_da_reset(&tpm_a), 0);
	assert_tpm_clean(&tpm_a);
}

/* Copies of pattern in the malloc heap ([heap] only: under ASan or
 * valgrind malloc lives elsewhere and this finds nothing, harmlessly). */
static int heap_copies(const uint8_t *pattern, size_t n)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	int hits = 0;

	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		const uint8_t *p;

		if (!strstr(line, "[heap]") || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		for (p = (const uint8_t *)lo; p + n <= (const uint8_t *)hi; p++)
			if (*p == pattern[0] && !memcmp(p, pattern, n))
				hits++;
	}
	fclose(maps);
	return hits;
}

/* What tpm/ controls of ESAPI's copies: the sealed data must not linger
 * in its context (inSensitive kept for Create) or I/O buffer (decrypted
 * Unseal response) once seal/unseal returned. */
static void test_no_secret_left(void)
{
	tp_pcrsel sel = { 256, 1u << 23 };
	uint8_t secret[32], *blob = NULL, *s = NULL;
	size_t len = 0, n = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	int i, pcr;
	tp_ctx *c = open_ctx(&tpm_a);

	for (i = 0; i < 32; i++)
		secret[i] = rand_r(&seed);
	for (pcr = 0; pcr < 2; pcr++) {
		CU_ASSERT_EQUAL(tp_seal(c, secret, 32, AUTH("pin"), pcr ? &sel : NULL, &blob, &len), 0);
		CU_ASSERT_EQUAL(heap_copies(secret, 32), 0);
		CU_ASSERT_EQUAL(tp_unseal(c, blob, len, AUTH("pin"), &s, &n), 0);
		CU_ASSERT(n == 32 && s && !memcmp(s, secret, 32));
		tp_free_secret(s, n);
		CU_ASSERT_EQUAL(heap_copies(secret, 32), 0);
		free(blob);
	}
	tp_close(c);
	CU_ASSERT_EQUAL(heap_copies(secret, 32), 0);
	explicit_bzero(secret, sizeof(secret));
}

static int file_has(const char *path, const uint8_t *pattern, size_t n, long *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len, i;
	int hits = 0;

	*size = -1;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? len : 1);
	if (buf && fread(buf, 1, len, f) == (size_t)len) {
		*size = len;
		for (i = 0; i + (long)n <= len; i++)
			if (!memcmp(buf + i, pattern, n))
				hits++;
	}
	free(buf);
	fclose(f);
	return hits;
}

/* Parameter encryption, observed on the wire: the pcap TCTI records every
 * command and response; neither the sealed data nor the auth may appear
 * in them, while the (public) object does, proving the capture works. */
static void test_wire(void)
{
	tp_pcrsel sel = { 256, 1u << 23 };
	uint8_t secret[32], auth[TP_AUTH_MAX], *blob = NULL, *s = NULL;
	unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
	char conf[160], pcap[600];
	size_t len = 0, n = 0;
	struct layout l;
	long size;
	tp_ctx *c = NULL;
	int i, ret;

	snprintf(pcap, sizeof(pcap), "%s/wire.pcap", tpm_a.dir);
	snprintf(conf, sizeof(conf), "pcap:%s", tpm_a.tcti);
	setenv("TCTI_PCAP_FILE", pcap, 1);
	ret = tp_open(&c, conf);
	unsetenv("TCTI_PCAP_FILE");
	if (ret == -ENODEV) {
		fprintf(stderr, "  libtss2-tcti-pcap not installed: skipped\n");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	for (i = 0; i < 32; i++)
		secret[i] = rand_r(&seed);
	for (i = 0; i < TP_AUTH_MAX; i++)
		auth[i] = rand_r(&seed) | 1;
	CU_ASSERT_EQUAL(tp_seal(c, secret, 32, auth, sizeof(auth), NULL, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, auth, sizeof(auth), &s, &n), 0);
	tp_free_secret(s, n);
	free(blob);
	CU_ASSERT_EQUAL(tp_seal(c, secret, 32, auth, sizeof(auth), &sel, &blob, &len), 0);
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, auth, sizeof(auth), &s, &n), 0);
	tp_free_secret(s, n);
	tp_close(c);

	CU_ASSERT_EQUAL(file_has(pcap, secret, sizeof(secret), &size), 0);
	CU_ASSERT(size > 1000);
	/* Any 8 consecutive auth bytes would be a leak. */
	for (i = 0; i + 8 <= TP_AUTH_MAX; i += 8)
		CU_ASSERT_EQUAL(file_has(pcap, auth + i, 8, &size), 0);
	CU_ASSERT_FATAL(blob_layout(blob, len, &l) == 0);
	CU_ASSERT(file_has(pcap, blob + l.pub_off + l.pub_len - 32, 32, &size) > 0);
	free(blob);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(auth, sizeof(auth));
	assert_tpm_clean(&tpm_a);
}

/* The simulator dies under an open ctx: -ENODEV, and stays -ENODEV (ESAPI
 * would answer BAD_SEQUENCE forever); closing still works. */
static void test_tpm_lost(void)
{
	struct ktt_swtpm t;
	uint8_t *blob = NULL, *s = NULL;
	size_t len = 0, n = 0;
	uint32_t cnt, max, mask;
	int lock, st;
	tp_ctx *c;

	CU_ASSERT_FATAL(ktt_swtpm_start(&t, swtpm_base()) == 0);
	c = open_ctx(&t);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, NULL, 0, NULL, &blob, &len), 0);
	kill(t.pid, SIGKILL);
	waitpid(t.pid, &st, 0);
	t.pid = 0;
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, NULL, 0, &s, &n), -ENODEV);
	CU_ASSERT_NOT_EQUAL(tp_last_rc(c), 0);
	CU_ASSERT_EQUAL(tp_unseal(c, blob, len, NULL, 0, &s, &n), -ENODEV);
	CU_ASSERT_EQUAL(tp_pcr_mismatch(c, blob, len, &mask), -ENODEV);
	CU_ASSERT_EQUAL(tp_da_lockout_info(c, &cnt, &max, &lock), -ENODEV);
	CU_ASSERT_PTR_NULL(s);
	tp_close(c);
	free(blob);
	ktt_swtpm_stop(&t);
}

/* With an owner password and no persisted SRK there is no parent: say so
 * (-ENOKEY) instead of guessing the owner auth, which would cost DA tries
 * and look like a wrong PIN. */
static void test_owner_auth(void)
{
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;
	uint32_t cnt = 99, max;
	int lock;
	tp_ctx *c = open_ctx(&tpm_a);

	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("p"), NULL, &b1, &l1), 0);
	tp_close(c);
	CU_ASSERT_EQUAL_FATAL(owner_auth(&tpm_a, NULL, "owner-secret"), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, b1, l1, AUTH("p")), -ENOKEY);
	CU_ASSERT_EQUAL(tp_seal(c, key32, 32, AUTH("p"), NULL, &b2, &l2), -ENOKEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(tp_last_error(c), "0x81000001"));
	CU_ASSERT_EQUAL(tp_da_lockout_info(c, &cnt, &max, &lock), 0);
	CU_ASSERT_EQUAL(cnt, 0);
	tp_close(c);
	CU_ASSERT_EQUAL(owner_auth(&tpm_a, "owner-secret", NULL), 0);
	c = open_ctx(&tpm_a);
	CU_ASSERT_EQUAL(unseal_ok(c, b1, l1, AUTH("p")), 0);
	tp_close(c);
	free(b1);
	assert_tpm_clean(&tpm_a);
}

int main(void)
{
	unsigned failures = 1;
	CU_pSuite s;

	/* tss2 would log every expected failure (refused connections,
	 * integrity errors) to stderr. */
	setenv("TSS2_LOG", "all+none", 0);
	/* A wedged simulator must not hang `make check`; the swtpm children
	 * die with us (PR_SET_PDEATHSIG). ~1 s normally, ~30 s in valgrind. */
	alarm(getenv("KT_VALGRIND") || getenv("KT_ASAN") ? 600 : 120);
	if (ktt_swtpm_start(&tpm_a, swtpm_base()) != 0) {
		fprintf(stderr, "cannot start swtpm (is it installed?)\n");
		return 1;
	}
	/* maxTries 3; recoveryTime long, so failures do not decay during the
	 * run; lockoutRecovery irrelevant (lockout auth is right). */
	if (ktt_swtpm_da_params(&tpm_a, 3, 1000, 1) != 0) {
		fprintf(stderr, "cannot set DA parameters\n");
		goto out;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		goto out;
	s = CU_add_suite("tpm", NULL, NULL);
	if (!s || !CU_add_test(s, "no TPM -> ENODEV", test_no_tpm) ||
	    !CU_add_test(s, "seal/unseal round trip", test_roundtrip) ||
	    !CU_add_test(s, "wrong auth -> EACCES", test_wrong_auth) ||
	    !CU_add_test(s, "DA lockout -> EBUSY, reset", test_lockout) ||
	    !CU_add_test(s, "PCR policy, mismatch -> EPERM", test_pcr) ||
	    !CU_add_test(s, "damaged blobs -> EINVAL", test_damaged) ||
	    !CU_add_test(s, "blob on another TPM", test_second_tpm) ||
	    !CU_add_test(s, "TPM lost under an open ctx", test_tpm_lost) ||
	    !CU_add_test(s, "persistent SRK 0x81000001", test_persistent_srk) ||
	    !CU_add_test(s, "owner password, no SRK -> ENOKEY", test_owner_auth) ||
	    !CU_add_test(s, "transient handles flushed", test_no_leaks) ||
	    !CU_add_test(s, "no sealed data left in heap", test_no_secret_left) ||
	    !CU_add_test(s, "auth and data encrypted on the wire", test_wire))
		goto cleanup;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
cleanup:
	CU_cleanup_registry();
out:
	ktt_swtpm_stop(&tpm_a);
	return failures ? 1 : 0;
}
