/*
 * test_kcapi.c - known-answer tests for kcapi/ on every engine available.
 *
 * Each vector runs on OpenSSL, on the kernel (AF_ALG) when this kernel has
 * it, and in auto mode; one-shot and multi-part with odd chunk sizes.
 * Vectors: FIPS 180-4 / FIPS 202 examples, RFC 2202, RFC 4231, SP 800-38A
 * F.1/F.2/F.5, McGrew-Viega GCM test cases 1-6 and 13-18, RFC 4493 /
 * SP 800-38B CMAC, RFC 3394 4.1-4.6, RFC 5649 section 6.
 *
 *   test_kcapi              run the suite (CUnit)
 *   test_kcapi --crossover  time AF_ALG against OpenSSL per message size
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
#include <CUnit/Basic.h>
#include "../kcapi/kc.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *engines[3];
static int nengines;
static const char *eng;            /* engine of the running iteration */
static int kernel_ok;

#define FOR_ENGINES for (int ei_ = 0; ei_ < nengines && \
			  (eng = engines[ei_], kc_force_engine(eng) == 0); ei_++)

/* CU_ASSERT that says which engine and vector failed (cond evaluated once). */
#define CHECK(cond, ...) do {                                                 \
		int ok_ = !!(cond);                                           \
		if (!ok_) {                                                   \
			printf("\n  FAIL [%s] %s:%d: ", eng, __FILE__, __LINE__); \
			printf(__VA_ARGS__);                                  \
		}                                                             \
		CU_assertImplementation(ok_, __LINE__, #cond, __FILE__, "", CU_FALSE); \
	} while (0)

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (h[0] && h[1] && n < cap) {
		unsigned v;

		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static const size_t chunks[] = { 0, 1, 7, 17 };   /* 0 = all at once */
#define NCHUNK (sizeof(chunks) / sizeof(chunks[0]))

static size_t piece(size_t chunk, size_t left)
{
	return !chunk || chunk > left ? left : chunk;
}

/* ---- digests ---------------------------------------------------------------- */

#define M448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
static const struct { kc_hash_alg alg; const char *msg, *md; } sha_kat[] = {
	{ KC_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ KC_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ KC_SHA1, M448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ KC_SHA224, "abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
	{ KC_SHA224, "", "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f" },
	{ KC_SHA224, M448, "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525" },
	{ KC_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ KC_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ KC_SHA256, M448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ KC_SHA384, "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
			    "8086072ba1e7cc2358baeca134c825a7" },
	{ KC_SHA384, "", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
			 "274edebfe76f65fbd51ad2f14898b95b" },
	{ KC_SHA384, M448, "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
			   "b0455a8520bc4e6f5fe95b1fe3c8452b" },
	{ KC_SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	{ KC_SHA512, "", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
	{ KC_SHA512, M448, "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
			   "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
	{ KC_SHA3_224, "", "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7" },
	{ KC_SHA3_224, "abc", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf" },
	{ KC_SHA3_256, "", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a" },
	{ KC_SHA3_256, "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" },
	{ KC_SHA3_256, M448, "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376" },
	{ KC_SHA3_384, "", "0c63a75b845e4f7d01107d852e4c2485c51a50aaaa94fc61995e71bbee983a2a"
			   "c3713831264adb47fb6bd1e058d5f004" },
	{ KC_SHA3_384, "abc", "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b2"
			      "98d88cea927ac7f539f1edf228376d25" },
	{ KC_SHA3_512, "", "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a6"
			   "15b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26" },
	{ KC_SHA3_512, "abc", "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
			      "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0" },
};

/* Multi-part run of one message: chunked, with a kc_md_dup halfway whose
 * copy must finish with the same answer as the original. */
static int md_stream(kc_hash_alg alg, const uint8_t *key, size_t klen, const uint8_t *m,
		     size_t n, size_t chunk, uint8_t *out, size_t *outlen)
{
	kc_md *md = NULL, *cp = NULL;
	uint8_t o2[KC_HASH_MAX];
	size_t off = 0, at = 0, l2 = sizeof(o2);
	int rc = kc_md_new(&md, alg, key, klen);

	while (!rc && off < n) {
		size_t l = piece(chunk, n - off);

		rc = kc_md_update(md, m + off, l);
		off += l;
		if (!rc && !cp && off >= n / 2) {
			rc = kc_md_dup(md, &cp);
			at = off;
		}
	}
	if (!rc && cp) {
		rc = kc_md_update(cp, m + at, n - at);
		if (!rc)
			rc = kc_md_final(cp, o2, &l2);
	}
	if (!rc)
		rc = kc_md_final(md, out, outlen);
	if (!rc && cp && (l2 != *outlen || memcmp(o2, out, l2)))
		rc = -EPROTO;           /* dup diverged */
	kc_md_free(cp);
	kc_md_free(md);
	return rc;
}

static void test_sha_kat(void)
{
	FOR_ENGINES {
		for (size_t i = 0; i < sizeof(sha_kat) / sizeof(sha_kat[0]); i++) {
			uint8_t exp[KC_HASH_MAX], out[KC_HASH_MAX];
			size_t el = unhex(sha_kat[i].md, exp, sizeof(exp)), ol = sizeof(out);
			const uint8_t *m = (const uint8_t *)sha_kat[i].msg;
			size_t n = strlen(sha_kat[i].msg);
			int rc;

			CHECK(kc_hash_len(sha_kat[i].alg) == el, "len %zu", i);
			rc = kc_digest(sha_kat[i].alg, m, n, out, &ol);
			CHECK(rc == 0 && ol == el && !memcmp(out, exp, el), "digest #%zu rc %d", i, rc);
			for (size_t c = 0; c < NCHUNK; c++) {
				ol = sizeof(out);
				rc = md_stream(sha_kat[i].alg, NULL, 0, m, n, chunks[c], out, &ol);
				CHECK(rc == 0 && ol == el && !memcmp(out, exp, el),
				      "stream #%zu chunk %zu rc %d", i, chunks[c], rc);
			}
		}
	}
}

static void test_sha_million(void)
{
	static const struct { kc_hash_alg alg; const char *md; } v[] = {
		{ KC_SHA1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
		{ KC_SHA256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	uint8_t *m = malloc(1000000);

	CU_ASSERT_FATAL(m != NULL);
	memset(m, 'a', 1000000);
	FOR_ENGINES {
		for (size_t i = 0; i < 2; i++) {
			uint8_t exp[32], out[32];
			size_t el = unhex(v[i].md, exp, sizeof(exp)), ol = sizeof(out);
			int rc = kc_digest(v[i].alg, m, 1000000, out, &ol);

			CHECK(rc == 0 && !memcmp(out, exp, el), "million a one-shot alg %d", v[i].alg);
			ol = sizeof(out);
			rc = md_stream(v[i].alg, NULL, 0, m, 1000000, 100000, out, &ol);
			CHECK(rc == 0 && !memcmp(out, exp, el), "million a stream alg %d", v[i].alg);
		}
	}
	free(m);
}

static void test_md_misc(void)
{
	FOR_ENGINES {
		kc_md *md = NULL;
		uint8_t out[KC_HASH_MAX], exp[32];
		size_t ol = 0;

		unhex(sha_kat[6].md, exp, sizeof(exp));
		CU_ASSERT(kc_md_new(&md, KC_SHA256, NULL, 0) == 0);
		CU_ASSERT(kc_md_update(md, (const uint8_t *)"abc", 3) == 0);
		/* size query, then too small: neither may consume the state */
		CU_ASSERT(kc_md_final(md, NULL, &ol) == 0 && ol == 32);
		ol = 31;
		CU_ASSERT(kc_md_final(md, out, &ol) == -ENOSPC && ol == 32);
		ol = sizeof(out);
		CHECK(kc_md_final(md, out, &ol) == 0 && !memcmp(out, exp, 32), "after query");
		/* the object starts a new message after final */
		CU_ASSERT(kc_md_update(md, (const uint8_t *)"ab", 2) == 0);
		CU_ASSERT(kc_md_update(md, (const uint8_t *)"c", 1) == 0);
		ol = sizeof(out);
		CHECK(kc_md_final(md, out, &ol) == 0 && !memcmp(out, exp, 32), "reuse");
		kc_md_free(md);
		/* HMAC and CMAC objects restart with the key they hold */
		{
			uint8_t key[16] = { 9 }, ref[32];
			kc_mac *mac = NULL;

			ol = sizeof(ref);
			CU_ASSERT(kc_hmac(KC_SHA256, key, 16, (const uint8_t *)"abc", 3, ref, &ol) == 0);
			CU_ASSERT_FATAL(kc_md_new(&md, KC_SHA256, key, 16) == 0);
			for (int i = 0; i < 3; i++) {
				CU_ASSERT(kc_md_update(md, (const uint8_t *)"abc", 3) == 0);
				ol = sizeof(out);
				CHECK(kc_md_final(md, out, &ol) == 0 && !memcmp(out, ref, 32), "hmac reuse %d", i);
			}
			kc_md_free(md);
			md = NULL;
			ol = 16;
			CU_ASSERT(kc_cmac(key, 16, (const uint8_t *)"abc", 3, ref, &ol) == 0);
			CU_ASSERT_FATAL(kc_mac_new(&mac, key, 16) == 0);
			for (int i = 0; i < 3; i++) {
				CU_ASSERT(kc_mac_update(mac, (const uint8_t *)"abc", 3) == 0);
				ol = sizeof(out);
				CHECK(kc_mac_final(mac, out, &ol) == 0 && !memcmp(out, ref, 16), "cmac reuse %d", i);
			}
			kc_mac_free(mac);
		}
		CU_ASSERT(kc_md_new(&md, (kc_hash_alg)99, NULL, 0) == -EINVAL && !md);
		CU_ASSERT(kc_md_new(&md, KC_SHA256, NULL, 5) == -EINVAL);
		CU_ASSERT(kc_hash_block(KC_SHA3_256) == 136 && kc_hash_len(KC_SHA384) == 48);
	}
}

/* ---- HMAC ------------------------------------------------------------------- */

static const char *const hmac_data[] = {
	"Hi There", "what do ya want for nothing?", NULL, NULL,
	"Test Using Larger Than Block-Size Key - Hash Key First",
	"This is a test using a larger than block-size key and a larger than block-size data."
	" The key needs to be hashed before being used by the HMAC algorithm.",
};

/* RFC 4231 test cases 1-4, 6, 7 for SHA-224..512; key/data built below. */
static const char *const rfc4231[4][6] = {
	{ "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
	  "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
	  "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
	  "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
	  "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
	  "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1" },
	{ "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6",
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649",
	  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	  "2a5ab39dc13814b94e3ab6e101a34f27",
	  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	  "6801dd23c4a7d679ccf8a386c674cffb",
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	  "0c2ef6ab4030fe8296248df163f44952",
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
	{ "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
	  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
};

/* RFC 2202 HMAC-SHA1 test cases 1-7 */
static const char *const rfc2202[7] = {
	"b617318655057264e28bc0b6fb378c8ef146be00", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
	"125d7342b9ac11cd91a39af48aa17b4f63f175d3", "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
	"4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", "aa4ae5e15272d00e95705637ce8a3b55ed402112",
	"e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
};

/* Key and data of RFC 4231 (sha1 = 0) or RFC 2202 (sha1 = 1) case tc. */
static void hmac_case(int sha1, int tc, uint8_t *k, size_t *kl, uint8_t *d, size_t *dl)
{
	static const char *const s1[] = {
		"Hi There", "what do ya want for nothing?", NULL, NULL, "Test With Truncation",
		"Test Using Larger Than Block-Size Key - Hash Key First",
		"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
	};
	const char *txt = sha1 ? s1[tc] : hmac_data[tc];

	switch (tc) {
	case 0: *kl = 20; memset(k, 0x0b, 20); break;
	case 1: *kl = 4; memcpy(k, "Jefe", 4); break;
	case 2: *kl = 20; memset(k, 0xaa, 20); break;
	case 3: *kl = 25; for (int i = 0; i < 25; i++) k[i] = (uint8_t)(i + 1); break;
	default:
		if (sha1 && tc == 4) {
			*kl = 20;
			memset(k, 0x0c, 20);
		} else {
			*kl = sha1 ? 80 : 131;
			memset(k, 0xaa, *kl);
		}
	}
	if (tc == 2 || tc == 3) {
		*dl = 50;
		memset(d, tc == 2 ? 0xdd : 0xcd, 50);
	} else {
		*dl = strlen(txt);
		memcpy(d, txt, *dl);
	}
}

static void hmac_check(kc_hash_alg alg, int sha1, int tc, const char *hex)
{
	uint8_t k[160], d[200], exp[64], out[64];
	size_t kl, dl, el = unhex(hex, exp, sizeof(exp)), ol = sizeof(out);
	int rc;

	hmac_case(sha1, tc, k, &kl, d, &dl);
	rc = kc_hmac(alg, k, kl, d, dl, out, &ol);
	CHECK(rc == 0 && ol == el && !memcmp(out, exp, el), "hmac alg %d tc %d rc %d", alg, tc, rc);
	for (size_t c = 0; c < NCHUNK; c++) {
		ol = sizeof(out);
		rc = md_stream(alg, k, kl, d, dl, chunks[c], out, &ol);
		CHECK(rc == 0 && ol == el && !memcmp(out, exp, el),
		      "hmac stream alg %d tc %d chunk %zu rc %d", alg, tc, chunks[c], rc);
	}
}

static void test_hmac_kat(void)
{
	static const kc_hash_alg sha2[4] = { KC_SHA224, KC_SHA256, KC_SHA384, KC_SHA512 };

	FOR_ENGINES {
		for (int a = 0; a < 4; a++)
			for (int tc = 0; tc < 6; tc++)
				hmac_check(sha2[a], 0, tc, rfc4231[a][tc]);
		for (int tc = 0; tc < 7; tc++)
			hmac_check(KC_SHA1, 1, tc, rfc2202[tc]);
	}
}

static void test_hmac_large(void)
{
	/* above KC_KERNEL_MIN_BYTES so auto mode takes the kernel too; the
	 * answer must not depend on the engine */
	size_t n = 3 * KC_KERNEL_MIN_BYTES + 5, ol;
	uint8_t *m = malloc(n), ref[32], out[32], key[40];
	int first = 1;

	CU_ASSERT_FATAL(m != NULL);
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 31 + 7);
	memset(key, 0x42, sizeof(key));
	FOR_ENGINES {
		ol = sizeof(out);
		CU_ASSERT(kc_hmac(KC_SHA256, key, sizeof(key), m, n, out, &ol) == 0);
		if (first)
			memcpy(ref, out, 32);
		CHECK(!memcmp(ref, out, 32), "large hmac differs between engines");
		ol = sizeof(out);
		CU_ASSERT(md_stream(KC_SHA256, key, sizeof(key), m, n, KC_KERNEL_MIN_BYTES + 3,
				    out, &ol) == 0);
		CHECK(!memcmp(ref, out, 32), "large hmac stream differs");
		first = 0;
	}
	free(m);
}

/* ---- AES ECB / CBC / CTR (SP 800-38A) ------------------------------------- */

static const char *const k38a[3] = {
	"2b7e151628aed2a6abf7158809cf4f3c",
	"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
};
static const char pt38a[] = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
			    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const struct { kc_mode mode; const char *iv, *ct[3]; } v38a[] = {
	{ KC_AES_ECB, NULL, {   /* F.1.1, F.1.3, F.1.5 */
	  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	  "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
	  "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
	  "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
	  "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	  "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" } },
	{ KC_AES_CBC, "000102030405060708090a0b0c0d0e0f", {   /* F.2.1, F.2.3, F.2.5 */
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
	  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
	  "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" } },
	{ KC_AES_CTR, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", {   /* F.5.1, F.5.3, F.5.5 */
	  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
	  "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
	  "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
	  "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
	  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6" } },
};

/* Run one message through an existing object in chunks; out gets it all. */
static int cipher_run(kc_cipher *c, const uint8_t *iv, size_t ivlen, const uint8_t *in,
		      size_t n, size_t chunk, uint8_t *out, size_t cap, size_t *total)
{
	size_t off = 0, w;
	int rc = iv || ivlen ? kc_cipher_set_iv(c, iv, ivlen) : 0;

	*total = 0;
	while (!rc && off < n) {
		size_t l = piece(chunk, n - off);

		w = cap - *total;
		rc = kc_cipher_update(c, in + off, l, out + *total, &w);
		*total += w;
		off += l;
	}
	if (!rc) {
		w = cap - *total;
		rc = kc_cipher_final(c, out + *total, &w);
		*total += w;
	}
	return rc;
}

static void test_aes_38a(void)
{
	FOR_ENGINES {
		for (size_t v = 0; v < 3; v++) {
			for (int k = 0; k < 3; k++) {
				uint8_t key[32], iv[16], pt[64], ct[64], out[128];
				size_t kl = unhex(k38a[k], key, sizeof(key)), ol, tot;
				kc_mode m = v38a[v].mode;
				size_t ivl = m == KC_AES_ECB ? 0 : unhex(v38a[v].iv, iv, 16);

				unhex(pt38a, pt, 64);
				unhex(v38a[v].ct[k], ct, 64);
				for (int enc = 0; enc < 2; enc++) {
					const uint8_t *in = enc ? pt : ct, *exp = enc ? ct : pt;
					kc_cipher *c = NULL;
					int rc;

					ol = sizeof(out);
					rc = kc_aes_oneshot(m, enc, key, kl, ivl ? iv : NULL, ivl, NULL, 0,
							    0, in, 64, out, &ol);
					CHECK(rc == 0 && ol == 64 && !memcmp(out, exp, 64),
					      "oneshot mode %d k%d enc %d rc %d", m, k, enc, rc);
					/* in place */
					memcpy(out, in, 64);
					ol = 64;
					rc = kc_aes_oneshot(m, enc, key, kl, ivl ? iv : NULL, ivl, NULL, 0,
							    0, out, 64, out, &ol);
					CHECK(rc == 0 && !memcmp(out, exp, 64), "in-place mode %d", m);
					CU_ASSERT_FATAL(kc_cipher_new(&c, m, enc, key, kl) == 0);
					for (size_t ch = 0; ch < NCHUNK; ch++) {
						/* the same object runs every message */
						rc = cipher_run(c, ivl ? iv : NULL, ivl, in, 64, chunks[ch],
								out, sizeof(out), &tot);
						CHECK(rc == 0 && tot == 64 && !memcmp(out, exp, 64),
						      "stream mode %d k%d enc %d chunk %zu rc %d",
						      m, k, enc, chunks[ch], rc);
					}
					kc_cipher_free(c);
				}
			}
		}
	}
}

static void test_aes_large(void)
{
	/* multi-chunk messages (kernel send/read chunking), same on all engines;
	 * the reference is the first engine's (OpenSSL) output */
	size_t n = 5 * 65536 + 48, tot;
	uint8_t *in = malloc(n), *out = malloc(n + 16), *ref[3], key[32], iv[16];
	int first = 1;

	for (int m = 0; m < 3; m++)
		ref[m] = malloc(n);
	CU_ASSERT_FATAL(in && out && ref[0] && ref[1] && ref[2]);
	for (size_t i = 0; i < n; i++)
		in[i] = (uint8_t)(i ^ (i >> 8));
	memset(key, 0x11, 32);
	memset(iv, 0xfe, 16);       /* the counter carries across its 64-bit halves */
	FOR_ENGINES {
		for (kc_mode m = KC_AES_ECB; m <= KC_AES_CTR; m++) {
			const uint8_t *v = m == KC_AES_ECB ? NULL : iv;
			size_t vl = m == KC_AES_ECB ? 0 : 16, ol = n;
			kc_cipher *c = NULL;
			int rc = kc_aes_oneshot(m, 1, key, 32, v, vl, NULL, 0, 0, in, n, out, &ol);

			CU_ASSERT(rc == 0 && ol == n);
			if (first)
				memcpy(ref[m], out, n);
			CHECK(!memcmp(ref[m], out, n), "large oneshot mode %d differs", m);
			CU_ASSERT_FATAL(kc_cipher_new(&c, m, 1, key, 32) == 0);
			rc = cipher_run(c, v, vl, in, n, 70001, out, n + 16, &tot);
			CHECK(rc == 0 && tot == n && !memcmp(ref[m], out, n), "large stream mode %d", m);
			kc_cipher_free(c);
			ol = n;
			rc = kc_aes_oneshot(m, 0, key, 32, v, vl, NULL, 0, 0, ref[m], n, out, &ol);
			CHECK(rc == 0 && !memcmp(in, out, n), "large decrypt mode %d", m);
		}
		first = 0;
	}
	for (int m = 0; m < 3; m++)
		free(ref[m]);
	free(in);
	free(out);
}

static void test_aes_errors(void)
{
	uint8_t key[32] = { 0 }, iv[16] = { 0 }, buf[64], out[80];
	size_t ol;

	FOR_ENGINES {
		kc_cipher *c = NULL;

		CU_ASSERT(kc_cipher_new(&c, KC_AES_CBC, 1, key, 17) == -EINVAL && !c);
		CU_ASSERT(kc_cipher_new(&c, KC_AES_CBC, 1, key, 0) == -EINVAL);
		CU_ASSERT(kc_cipher_new(&c, (kc_mode)9, 1, key, 16) == -EINVAL);
		ol = sizeof(out);
		CU_ASSERT(kc_aes_oneshot(KC_AES_ECB, 1, key, 20, NULL, 0, NULL, 0, 0, buf, 16, out,
					 &ol) == -EINVAL);
		ol = sizeof(out);
		CU_ASSERT(kc_aes_oneshot(KC_AES_CBC, 1, key, 16, iv, 16, NULL, 0, 0, buf, 15, out,
					 &ol) == -EINVAL);
		ol = sizeof(out);
		CU_ASSERT(kc_aes_oneshot(KC_AES_CBC, 1, key, 16, iv, 8, NULL, 0, 0, buf, 16, out,
					 &ol) == -EINVAL);
		ol = 15;
		CU_ASSERT(kc_aes_oneshot(KC_AES_CTR, 1, key, 16, iv, 16, NULL, 0, 0, buf, 16, out,
					 &ol) == -ENOSPC && ol == 16);
		ol = 8;
		CU_ASSERT(kc_cmac(key, 15, buf, 16, out, &ol) == -EINVAL);

		for (kc_mode m = KC_AES_ECB; m <= KC_AES_CBC; m++) {
			/* total not a block multiple at final */
			CU_ASSERT_FATAL(kc_cipher_new(&c, m, 1, key, 16) == 0);
			if (m == KC_AES_CBC) {
				/* no IV yet */
				ol = sizeof(out);
				CU_ASSERT(kc_cipher_update(c, buf, 16, out, &ol) == -EINVAL);
				CU_ASSERT(kc_cipher_set_iv(c, iv, 15) == -EINVAL);
				CU_ASSERT(kc_cipher_set_iv(c, iv, 16) == 0);
			}
			ol = sizeof(out);
			CU_ASSERT(kc_cipher_update(c, buf, 20, out, &ol) == 0 && ol == 16);
			ol = sizeof(out);
			CU_ASSERT(kc_cipher_update(c, buf, 7, out, &ol) == 0 && ol == 0);
			ol = sizeof(out);
			CHECK(kc_cipher_final(c, out, &ol) == -EINVAL && ol == 0, "partial final m %d", m);
			/* after final a CBC message needs a fresh IV */
			ol = sizeof(out);
			CU_ASSERT(kc_cipher_update(c, buf, 16, out, &ol) ==
				  (m == KC_AES_CBC ? -EINVAL : 0));
			kc_cipher_free(c);
		}
		/* size query and -ENOSPC leave the message intact */
		CU_ASSERT_FATAL(kc_cipher_new(&c, KC_AES_ECB, 0, key, 16) == 0);
		ol = 1;
		CU_ASSERT(kc_cipher_update(c, buf, 40, NULL, &ol) == 0 && ol == 32);
		ol = 31;
		CU_ASSERT(kc_cipher_update(c, buf, 40, out, &ol) == -ENOSPC && ol == 32);
		ol = 32;
		CU_ASSERT(kc_cipher_update(c, buf, 40, out, &ol) == 0 && ol == 32);
		ol = sizeof(out);
		CU_ASSERT(kc_cipher_update(c, buf, 8, out, &ol) == 0 && ol == 16);
		ol = 0;
		CU_ASSERT(kc_cipher_final(c, out, &ol) == 0 && ol == 0);
		kc_cipher_free(c);
	}
}

static void test_ctr_bits(void)
{
	uint8_t key[16], iv[16], in[64] = { 0 }, ref[64], out[64];
	size_t ol;

	unhex(k38a[0], key, 16);
	memset(iv, 0xab, 16);
	iv[15] = 0xfe;              /* 8-bit counter: 2 values left (fe, ff) */
	FOR_ENGINES {
		kc_cipher *c = NULL;

		ol = sizeof(ref);
		CU_ASSERT(kc_aes_oneshot(KC_AES_CTR, 1, key, 16, iv, 16, NULL, 0, 0, in, 48, ref,
					 &ol) == 0);
		CU_ASSERT_FATAL(kc_cipher_new(&c, KC_AES_CTR, 1, key, 16) == 0);
		CU_ASSERT(kc_cipher_set_iv(c, iv, 16) == 0);
		CU_ASSERT(kc_cipher_set_ctr_bits(c, 8) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_cipher_update(c, in, 20, out, &ol) == 0 && ol == 20);
		ol = sizeof(out);
		CU_ASSERT(kc_cipher_update(c, in, 12, out + 20, &ol) == 0 && ol == 12);
		CHECK(!memcmp(out, ref, 32), "ctr 2 blocks");
		ol = sizeof(out);
		CHECK(kc_cipher_update(c, in, 1, out, &ol) == -EOVERFLOW, "ctr wrap");
		/* the message ended with the error */
		ol = sizeof(out);
		CU_ASSERT(kc_cipher_final(c, out, &ol) == -EINVAL);
		CU_ASSERT(kc_cipher_set_iv(c, iv, 16) == 0);
		ol = sizeof(out);
		CHECK(kc_cipher_update(c, in, 33, out, &ol) == -EOVERFLOW, "ctr wrap one call");
		/* 128 bits: carry runs through all bytes like OpenSSL's counter */
		CU_ASSERT(kc_cipher_set_iv(c, iv, 16) == 0);
		CU_ASSERT(kc_cipher_set_ctr_bits(c, 128) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_cipher_update(c, in, 48, out, &ol) == 0);
		CHECK(!memcmp(out, ref, 48), "ctr 128");
		CU_ASSERT(kc_cipher_set_ctr_bits(c, 0) == -EINVAL);
		kc_cipher_free(c);
	}
}

/* ---- AES-GCM (McGrew & Viega test cases) ----------------------------------- */

#define P64 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define P60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define KF "feffe9928665731c6d6a8f9467308308"
#define AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define IV60 "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728" \
	     "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b"
static const struct { int tc; const char *k, *iv, *aad, *p, *c, *t; } gcm[] = {
	{ 1, "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ 2, "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ 3, KF, "cafebabefacedbaddecaf888", "", P64,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ 4, KF, "cafebabefacedbaddecaf888", AAD, P60,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ 5, KF, "cafebabefacedbad", AAD, P60,
	  "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
	  "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
	  "3612d2e79e3b0785561be14aaca2fccb" },
	{ 6, KF, IV60, AAD, P60,
	  "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
	  "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
	  "619cc5aefffe0bfa462af43c1699d050" },
	{ 13, "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ 14, "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ 15, KF KF, "cafebabefacedbaddecaf888", "", P64,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ 16, KF KF, "cafebabefacedbaddecaf888", AAD, P60,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	{ 17, KF KF, "cafebabefacedbad", AAD, P60,
	  "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
	  "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
	  "3a337dbf46a792c45e454913fe2ea8f2" },
	{ 18, KF KF, IV60, AAD, P60,
	  "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
	  "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
	  "a44a8266ee1c8eb0c8b5d4cf5ae9f19a" },
};

struct gv {
	uint8_t k[32], iv[64], a[32], p[64], c[80], t[16];  /* c has room for c||t */
	size_t kl, ivl, al, pl, tl;
};

static void gcm_load(size_t i, struct gv *g)
{
	g->kl = unhex(gcm[i].k, g->k, sizeof(g->k));
	g->ivl = unhex(gcm[i].iv, g->iv, sizeof(g->iv));
	g->al = unhex(gcm[i].aad, g->a, sizeof(g->a));
	g->pl = unhex(gcm[i].p, g->p, sizeof(g->p));
	unhex(gcm[i].c, g->c, sizeof(g->c));
	g->tl = unhex(gcm[i].t, g->t, sizeof(g->t));
	memcpy(g->c + g->pl, g->t, g->tl);
}

/* Streaming GCM: AAD in two calls, data in chunks.  dec_mode 1: tag via
 * kc_cipher_set_tag; 2: tag as the tail of the input stream. */
static int gcm_stream(const struct gv *g, int enc, int dec_mode, size_t taglen, size_t chunk,
		      const uint8_t *in, size_t n, uint8_t *out, size_t *tot)
{
	kc_cipher *c = NULL;
	size_t off = 0, w, cap = 128, h = g->al / 2;
	int rc = kc_cipher_new(&c, KC_AES_GCM, enc, g->k, g->kl);

	*tot = 0;
	if (!rc)
		rc = kc_cipher_set_iv(c, g->iv, g->ivl);
	if (!rc)
		rc = kc_cipher_set_tag_len(c, taglen);
	if (!rc)
		rc = kc_cipher_set_aad(c, g->a, h);
	if (!rc)
		rc = kc_cipher_set_aad(c, g->a + h, g->al - h);
	if (!rc && !enc && dec_mode == 1)
		rc = kc_cipher_set_tag(c, in + n, taglen);
	if (!enc && dec_mode == 2)
		n += taglen;
	while (!rc && off < n) {
		size_t l = piece(chunk, n - off);

		w = cap - *tot;
		rc = kc_cipher_update(c, in + off, l, out + *tot, &w);
		if (!enc && w)
			rc = -EPROTO;   /* decrypt must not release data early */
		*tot += w;
		off += l;
	}
	if (!rc) {
		w = cap - *tot;
		rc = kc_cipher_final(c, out + *tot, &w);
		*tot += w;
	}
	kc_cipher_free(c);
	return rc;
}

static int clean(const uint8_t *b, size_t n, uint8_t fill)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0 && b[i] != fill)
			return 0;
	return 1;
}

static void test_gcm_kat(void)
{
	FOR_ENGINES {
		for (size_t i = 0; i < sizeof(gcm) / sizeof(gcm[0]); i++) {
			struct gv g;
			uint8_t out[128];
			size_t ol, tot;
			int rc;

			gcm_load(i, &g);
			ol = sizeof(out);
			rc = kc_aes_oneshot(KC_AES_GCM, 1, g.k, g.kl, g.iv, g.ivl, g.a, g.al, 16,
					    g.p, g.pl, out, &ol);
			CHECK(rc == 0 && ol == g.pl + 16 && !memcmp(out, g.c, ol),
			      "gcm tc%d oneshot enc rc %d", gcm[i].tc, rc);
			ol = sizeof(out);
			rc = kc_aes_oneshot(KC_AES_GCM, 0, g.k, g.kl, g.iv, g.ivl, g.a, g.al, 16,
					    g.c, g.pl + 16, out, &ol);
			CHECK(rc == 0 && ol == g.pl && !memcmp(out, g.p, g.pl),
			      "gcm tc%d oneshot dec rc %d", gcm[i].tc, rc);
			for (size_t ch = 0; ch < NCHUNK; ch++) {
				rc = gcm_stream(&g, 1, 0, 16, chunks[ch], g.p, g.pl, out, &tot);
				CHECK(rc == 0 && tot == g.pl + 16 && !memcmp(out, g.c, tot),
				      "gcm tc%d stream enc chunk %zu rc %d", gcm[i].tc, chunks[ch], rc);
				for (int dm = 1; dm <= 2; dm++) {
					rc = gcm_stream(&g, 0, dm, 16, chunks[ch], g.c, g.pl, out, &tot);
					CHECK(rc == 0 && tot == g.pl && !memcmp(out, g.p, g.pl),
					      "gcm tc%d stream dec%d chunk %zu rc %d", gcm[i].tc, dm,
					      chunks[ch], rc);
				}
			}
		}
	}
}

static void test_gcm_tamper(void)
{
	FOR_ENGINES {
		for (size_t i = 0; i < sizeof(gcm) / sizeof(gcm[0]); i++) {
			struct gv g;
			uint8_t out[128], bad[80];
			size_t ol, tot;
			int rc;

			gcm_load(i, &g);
			for (int where = 0; where < 2; where++) {
				memcpy(bad, g.c, g.pl + 16);
				if (where == 0 || !g.pl)
					bad[g.pl + 3] ^= 0x40;        /* tag */
				else
					bad[g.pl / 2] ^= 0x01;        /* ciphertext */
				memset(out, 0xa5, sizeof(out));
				ol = sizeof(out);
				rc = kc_aes_oneshot(KC_AES_GCM, 0, g.k, g.kl, g.iv, g.ivl, g.a, g.al, 16,
						    bad, g.pl + 16, out, &ol);
				CHECK(rc == -EBADMSG && ol == 0 && clean(out, sizeof(out), 0xa5),
				      "gcm tc%d tamper oneshot rc %d", gcm[i].tc, rc);
				for (int dm = 1; dm <= 2; dm++) {
					memset(out, 0xa5, sizeof(out));
					rc = gcm_stream(&g, 0, dm, 16, 7, bad, g.pl, out, &tot);
					CHECK(rc == -EBADMSG && tot == 0 && clean(out, sizeof(out), 0xa5),
					      "gcm tc%d tamper stream%d rc %d", gcm[i].tc, dm, rc);
				}
			}
			/* AAD changed */
			if (g.al) {
				g.a[0] ^= 1;
				ol = sizeof(out);
				rc = kc_aes_oneshot(KC_AES_GCM, 0, g.k, g.kl, g.iv, g.ivl, g.a, g.al, 16,
						    g.c, g.pl + 16, out, &ol);
				CHECK(rc == -EBADMSG, "gcm tc%d aad tamper rc %d", gcm[i].tc, rc);
			}
		}
	}
}

static void test_gcm_taglen(void)
{
	/* a truncated GCM tag is the leading bytes of the full one; 5 and 9 are
	 * lengths the kernel refuses (OpenSSL takes over) */
	static const size_t tls[] = { 4, 5, 8, 9, 12, 13, 15, 16 };
	struct gv g;

	gcm_load(3, &g);   /* test case 4 */
	FOR_ENGINES {
		for (size_t t = 0; t < sizeof(tls) / sizeof(tls[0]); t++) {
			uint8_t out[128], in[80];
			size_t ol = sizeof(out), tot, tl = tls[t];
			int rc = kc_aes_oneshot(KC_AES_GCM, 1, g.k, g.kl, g.iv, g.ivl, g.a, g.al, tl,
						g.p, g.pl, out, &ol);

			CHECK(rc == 0 && ol == g.pl + tl && !memcmp(out, g.c, ol), "taglen %zu", tl);
			rc = gcm_stream(&g, 1, 0, tl, 17, g.p, g.pl, out, &tot);
			CHECK(rc == 0 && tot == g.pl + tl && !memcmp(out, g.c, tot), "taglen %zu st", tl);
			memcpy(in, g.c, g.pl + tl);
			rc = gcm_stream(&g, 0, 2, tl, 17, in, g.pl, out, &tot);
			CHECK(rc == 0 && tot == g.pl && !memcmp(out, g.p, g.pl), "taglen %zu dec", tl);
			in[g.pl + tl - 1] ^= 0x80;
			ol = sizeof(out);
			rc = kc_aes_oneshot(KC_AES_GCM, 0, g.k, g.kl, g.iv, g.ivl, g.a, g.al, tl, in,
					    g.pl + tl, out, &ol);
			CHECK(rc == -EBADMSG, "taglen %zu tamper rc %d", tl, rc);
		}
		{
			kc_cipher *c = NULL;
			uint8_t out[16];
			size_t ol = sizeof(out);

			CU_ASSERT(kc_aes_oneshot(KC_AES_GCM, 1, g.k, g.kl, g.iv, g.ivl, NULL, 0, 3, g.p,
						 16, out, &ol) == -EINVAL);
			CU_ASSERT_FATAL(kc_cipher_new(&c, KC_AES_GCM, 0, g.k, g.kl) == 0);
			CU_ASSERT(kc_cipher_set_tag_len(c, 17) == -EINVAL);
			CU_ASSERT(kc_cipher_set_aad(c, g.a, 4) == -EINVAL);   /* no IV yet */
			CU_ASSERT(kc_cipher_set_iv(c, g.iv, 0) == -EINVAL);
			CU_ASSERT(kc_cipher_set_iv(c, g.iv, 12) == 0);
			ol = sizeof(out);
			CU_ASSERT(kc_cipher_update(c, g.p, 10, out, &ol) == 0 && ol == 0);
			CU_ASSERT(kc_cipher_set_aad(c, g.a, 4) == -EINVAL);   /* after data */
			kc_cipher_free(c);
		}
	}
}

static void test_gcm_large(void)
{
	/* several socket-buffers worth: the kernel path must fall back or
	 * cope, the answer must be the same everywhere */
	size_t n = 300000, ol;
	uint8_t *in = malloc(n), *out = malloc(n + 16), *ref = malloc(n + 16), key[16] = { 7 },
		iv[12] = { 9 }, aad[100] = { 3 };
	int first = 1;

	CU_ASSERT_FATAL(in && out && ref);
	for (size_t i = 0; i < n; i++)
		in[i] = (uint8_t)i;
	FOR_ENGINES {
		static const size_t lens[] = { KC_KERNEL_MIN_BYTES, 65536, 200000, 300000 };

		for (size_t li = 0; li < 4; li++) {
			size_t len = lens[li];

			ol = len + 16;
			CU_ASSERT(kc_aes_oneshot(KC_AES_GCM, 1, key, 16, iv, 12, aad, sizeof(aad), 16,
						 in, len, out, &ol) == 0);
			if (first && len == n)
				memcpy(ref, out, n + 16);
			if (len == n)
				CHECK(!memcmp(ref, out, n + 16), "gcm large differs");
			ol = len;
			CHECK(kc_aes_oneshot(KC_AES_GCM, 0, key, 16, iv, 12, aad, sizeof(aad), 16, out,
					     len + 16, out, &ol) == 0 && !memcmp(out, in, len),
			      "gcm large decrypt %zu", len);
		}
		{
			/* multi-part beyond one AEAD request: the kernel engine holds
			 * it all and hands it to OpenSSL at final */
			kc_cipher *c = NULL;
			size_t w, tot = 0;

			CU_ASSERT_FATAL(kc_cipher_new(&c, KC_AES_GCM, 1, key, 16) == 0);
			CU_ASSERT(kc_cipher_set_iv(c, iv, 12) == 0);
			CU_ASSERT(kc_cipher_set_aad(c, aad, sizeof(aad)) == 0);
			for (size_t off = 0; off < n; off += 70001) {
				w = n + 16 - tot;
				CU_ASSERT(kc_cipher_update(c, in + off, piece(70001, n - off), out + tot,
							   &w) == 0);
				tot += w;
			}
			w = n + 16 - tot;
			CU_ASSERT(kc_cipher_final(c, out + tot, &w) == 0);
			tot += w;
			CHECK(tot == n + 16 && !memcmp(ref, out, n + 16), "gcm large stream");
			kc_cipher_free(c);
		}
		first = 0;
	}
	free(in);
	free(out);
	free(ref);
}

/* ---- CMAC (RFC 4493 / SP 800-38B) ----------------------------------------- */

static const char *const cmac_kat[3][4] = {   /* message lengths 0, 16, 40, 64 */
	{ "bb1d6929e95937287fa37d129b756746", "070a16b46b4d4144f79bdd9dd04a287c",
	  "dfa66747de9ae63030ca32611497c827", "51f0bebf7e3b9d92fc49741779363cfe" },
	{ "d17ddf46adaacde531cac483de7a9367", "9e99a7bf31e710900662f65e617c5184",
	  "8a1de5be2eb31aad089a82e6ee908b0e", "a1d5df0eed790f794d77589659f39a11" },
	{ "028962f61b7bf89efc6b551f4667d983", "28a7023f452e8f82bd4bf28d8c37c35c",
	  "aaf3d8f1de5640c232f5b169b9c911e6", "e1992190549f6ed5696a2c056c315410" },
};

static void test_cmac_kat(void)
{
	static const size_t lens[4] = { 0, 16, 40, 64 };
	uint8_t key[32], m[64], exp[16], out[16];

	unhex(pt38a, m, 64);
	FOR_ENGINES {
		for (int k = 0; k < 3; k++) {
			size_t kl = unhex(k38a[k], key, sizeof(key));

			for (int l = 0; l < 4; l++) {
				size_t ol = sizeof(out);
				int rc;

				unhex(cmac_kat[k][l], exp, 16);
				rc = kc_cmac(key, kl, m, lens[l], out, &ol);
				CHECK(rc == 0 && ol == 16 && !memcmp(out, exp, 16), "cmac k%d len %zu", k,
				      lens[l]);
				for (size_t ch = 0; ch < NCHUNK; ch++) {
					kc_mac *mac = NULL, *cp = NULL;
					size_t off = 0, at = 0, h = lens[l] / 2;
					uint8_t o2[16];

					CU_ASSERT_FATAL(kc_mac_new(&mac, key, kl) == 0);
					while (off < lens[l]) {
						size_t n = piece(chunks[ch], lens[l] - off);

						CU_ASSERT(kc_mac_update(mac, m + off, n) == 0);
						off += n;
						if (!cp && off >= h) {
							CU_ASSERT(kc_mac_dup(mac, &cp) == 0);
							at = off;
						}
					}
					ol = sizeof(out);
					rc = kc_mac_final(mac, out, &ol);
					CHECK(rc == 0 && !memcmp(out, exp, 16), "cmac stream k%d len %zu ch %zu",
					      k, lens[l], chunks[ch]);
					if (cp) {
						CU_ASSERT(kc_mac_update(cp, m + at, lens[l] - at) == 0);
						ol = sizeof(o2);
						CHECK(kc_mac_final(cp, o2, &ol) == 0 && !memcmp(o2, exp, 16),
						      "cmac dup");
					}
					kc_mac_free(cp);
					kc_mac_free(mac);
				}
			}
		}
	}
}

/* ---- key wrap (RFC 3394, RFC 5649) ----------------------------------------- */

static const struct { int pad; const char *kek, *key, *wrapped; } kw[] = {
	{ 0, "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
	  "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5" },
	{ 0, "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
	  "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D" },
	{ 0, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7" },
	{ 0, "000102030405060708090A0B0C0D0E0F1011121314151617",
	  "00112233445566778899AABBCCDDEEFF0001020304050607",
	  "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2" },
	{ 0, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF0001020304050607",
	  "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1" },
	{ 0, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
	  "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21" },
	{ 1, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
	  "c37b7e6492584340bed12207808941155068f738",
	  "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a" },
	{ 1, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "466f7250617369",
	  "afbeb0f07dfbf5419200f2ccb50bb24f" },
};

static void test_wrap_kat(void)
{
	FOR_ENGINES {
		for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
			uint8_t kek[32], key[32], wr[48], out[48];
			size_t kl = unhex(kw[i].kek, kek, 32), pl = unhex(kw[i].key, key, 32);
			size_t wl = unhex(kw[i].wrapped, wr, 48), ol = sizeof(out);
			int rc = kc_aes_wrap(kw[i].pad, 1, kek, kl, key, pl, out, &ol);

			CHECK(rc == 0 && ol == wl && !memcmp(out, wr, wl), "wrap #%zu rc %d", i, rc);
			ol = sizeof(out);
			rc = kc_aes_wrap(kw[i].pad, 0, kek, kl, wr, wl, out, &ol);
			CHECK(rc == 0 && ol == pl && !memcmp(out, key, pl), "unwrap #%zu rc %d", i, rc);
			/* tampered: every byte position matters */
			for (size_t b = 0; b < wl; b += 5) {
				wr[b] ^= 0x20;
				memset(out, 0xa5, sizeof(out));
				ol = sizeof(out);
				rc = kc_aes_wrap(kw[i].pad, 0, kek, kl, wr, wl, out, &ol);
				CHECK(rc == -EBADMSG && ol == 0 && clean(out, sizeof(out), 0xa5),
				      "tampered unwrap #%zu byte %zu rc %d", i, b, rc);
				wr[b] ^= 0x20;
			}
			/* the other variant must not accept it either */
			ol = sizeof(out);
			CU_ASSERT(kc_aes_wrap(!kw[i].pad, 0, kek, kl, wr, wl, out, &ol) != 0);
		}
		{
			uint8_t k[32] = { 0 }, in[40] = { 0 }, out[64];
			size_t ol = sizeof(out);

			CU_ASSERT(kc_aes_wrap(0, 1, k, 16, in, 12, out, &ol) == -EINVAL);   /* %8 */
			CU_ASSERT(kc_aes_wrap(0, 1, k, 16, in, 8, out, &ol) == -EINVAL);    /* <16 */
			CU_ASSERT(kc_aes_wrap(1, 1, k, 15, in, 8, out, &ol) == -EINVAL);    /* klen */
			CU_ASSERT(kc_aes_wrap(0, 0, k, 16, in, 16, out, &ol) == -EINVAL);   /* <24 */
			ol = 10;
			CU_ASSERT(kc_aes_wrap(1, 1, k, 16, in, 9, out, &ol) == -ENOSPC && ol == 24);
		}
	}
}

/* ---- random, engine, key-by-serial, threads -------------------------------- */

static void test_random(void)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 }, z[64] = { 0 };
	uint8_t *big = malloc(1 << 20);

	CU_ASSERT(kc_random(a, 0) == 0);
	CU_ASSERT(kc_random(a, sizeof(a)) == 0 && kc_random(b, sizeof(b)) == 0);
	CU_ASSERT(memcmp(a, b, 64) != 0 && memcmp(a, z, 64) != 0);
	CU_ASSERT(big && kc_random(big, 1 << 20) == 0);
	free(big);
	CU_ASSERT(kc_random(NULL, 1) == -EINVAL);
}

static void test_engine(void)
{
	const char *d = kc_engine_describe();

	CU_ASSERT(d && strstr(d, "sha256: ") && strstr(d, "aes-gcm: "));
	CU_ASSERT(kc_force_engine("bogus") == -EINVAL);
	CU_ASSERT(kc_force_engine("kernel") == (kernel_ok ? 0 : -ENOTSUP));
	CU_ASSERT(kc_force_engine("openssl") == 0 && !strcmp(kc_engine_name(), "openssl"));
	CU_ASSERT(strstr(kc_engine_describe(), "sha256: openssl") != NULL);
	if (kernel_ok) {
		/* forced kernel: every family it has really runs there */
		unsigned long before;
		uint8_t key[16] = { 1 }, buf[64] = { 2 }, out[80];
		size_t ol;

		kc_force_engine("kernel");
		before = kc_kernel_ops();
		ol = sizeof(out);
		CU_ASSERT(kc_digest(KC_SHA256, buf, 3, out, &ol) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_hmac(KC_SHA256, key, 16, buf, 3, out, &ol) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_cmac(key, 16, buf, 3, out, &ol) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_aes_oneshot(KC_AES_CBC, 1, key, 16, key, 16, NULL, 0, 0, buf, 16, out,
					 &ol) == 0);
		ol = sizeof(out);
		CU_ASSERT(kc_aes_oneshot(KC_AES_GCM, 1, key, 16, key, 12, buf, 5, 16, buf, 16, out,
					 &ol) == 0);
		CHECK(kc_kernel_ops() == before + 5, "kernel ops %lu -> %lu", before, kc_kernel_ops());
		/* auto: small messages stay in userspace, large ones go down */
		kc_force_engine("auto");
		before = kc_kernel_ops();
		ol = sizeof(out);
		CU_ASSERT(kc_digest(KC_SHA256, buf, 64, out, &ol) == 0);
		CHECK(kc_kernel_ops() == before, "auto: small digest went to the kernel");
		{
			uint8_t *m = calloc(1, KC_KERNEL_MIN_BYTES + 16);
			kc_cipher *c = NULL;

			CU_ASSERT_FATAL(m != NULL);
			ol = sizeof(out);
			CU_ASSERT(kc_digest(KC_SHA256, m, KC_KERNEL_MIN_BYTES, out, &ol) == 0);
			CHECK(kc_kernel_ops() == before + 1, "auto: large digest stayed in userspace");
			/* multi-part: the first chunk decides */
			CU_ASSERT_FATAL(kc_cipher_new(&c, KC_AES_CBC, 1, key, 16) == 0);
			CU_ASSERT(kc_cipher_set_iv(c, key, 16) == 0);
			ol = KC_KERNEL_MIN_BYTES + 16;
			CU_ASSERT(kc_cipher_update(c, m, KC_KERNEL_MIN_BYTES, m, &ol) == 0);
			ol = 0;
			CU_ASSERT(kc_cipher_final(c, out, &ol) == 0);
			CHECK(kc_kernel_ops() == before + 2, "auto: large CBC stayed in userspace");
			kc_cipher_free(c);
			/* CTR and GCM stay in userspace in auto mode */
			ol = KC_KERNEL_MIN_BYTES;
			CU_ASSERT(kc_aes_oneshot(KC_AES_CTR, 1, key, 16, key, 16, NULL, 0, 0, m,
						 KC_KERNEL_MIN_BYTES, m, &ol) == 0);
			CHECK(kc_kernel_ops() == before + 2, "auto: CTR went to the kernel");
			free(m);
		}
	}
	kc_force_engine("auto");
}

static int32_t add_key_(const char *type, const char *desc, const void *p, size_t n)
{
	return (int32_t)syscall(SYS_add_key, type, desc, p, n, KEY_SPEC_PROCESS_KEYRING);
}

static void drop_key(int32_t k)
{
	syscall(SYS_keyctl, KEYCTL_REVOKE, k);
	syscall(SYS_keyctl, KEYCTL_UNLINK, k, KEY_SPEC_PROCESS_KEYRING);
}

static int keyserial_passed;

static void test_key_by_serial(void)
{
	uint8_t key[32], pt[64], iv[16], ref[96], out[96];
	kc_cipher *c = NULL;
	size_t ol, tot;
	int32_t k;
	int ok = 1;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	unhex(pt38a, pt, 64);
	memset(iv, 0x5c, 16);
	kc_force_engine("openssl");
	CU_ASSERT(kc_cipher_new_by_serial(&c, KC_AES_CBC, 1, 1, 32) == -ENOTSUP);
	kc_force_engine("auto");
	if (!kc_key_by_serial_available()) {
		CU_ASSERT(kc_cipher_new_by_serial(&c, KC_AES_CBC, 1, 1, 32) == -ENOTSUP && !c);
		printf("\n  SKIP key-by-serial: %s\n", kernel_ok ? "kernel lacks ALG_SET_KEY_BY_KEY_SERIAL"
						      : "no AF_ALG on this kernel");
		return;
	}
	k = add_key_("logon", "kt:test", key, 32);
	CU_ASSERT_FATAL(k > 0);
	for (kc_mode m = KC_AES_ECB; m <= KC_AES_GCM; m++) {
		size_t ivl = m == KC_AES_ECB ? 0 : m == KC_AES_GCM ? 12 : 16, n = 64;

		for (int enc = 1; enc >= 0; enc--) {
			size_t inl = enc || m != KC_AES_GCM ? n : n + 16;
			const uint8_t *in = enc ? pt : ref;

			if (enc) {       /* reference: OpenSSL with the raw key */
				kc_force_engine("openssl");
				ol = sizeof(ref);
				CU_ASSERT(kc_aes_oneshot(m, 1, key, 32, iv, ivl, pt, 5, 16, pt, n, ref,
							 &ol) == 0);
				kc_force_engine("auto");
			}
			CU_ASSERT_FATAL(kc_cipher_new_by_serial(&c, m, enc, k, 32) == 0);
			if (m == KC_AES_GCM) {
				CU_ASSERT(kc_cipher_set_iv(c, iv, 12) == 0);
				CU_ASSERT(kc_cipher_set_aad(c, pt, 5) == 0);
				ol = sizeof(out);
				tot = 0;
				for (size_t off = 0; off < inl; off += 7) {
					size_t l = piece(7, inl - off);

					ol = sizeof(out) - tot;
					CU_ASSERT(kc_cipher_update(c, in + off, l, out + tot, &ol) == 0);
					tot += ol;
				}
				ol = sizeof(out) - tot;
				CU_ASSERT(kc_cipher_final(c, out + tot, &ol) == 0);
				tot += ol;
			} else {
				CU_ASSERT(cipher_run(c, ivl ? iv : NULL, ivl, in, inl, 7, out, sizeof(out),
						     &tot) == 0);
			}
			if (enc)
				ok &= tot == inl + (m == KC_AES_GCM ? 16 : 0) && !memcmp(out, ref, tot);
			else
				ok &= tot == n && !memcmp(out, pt, n);
			CHECK(ok, "key-by-serial mode %d enc %d", m, enc);
			kc_cipher_free(c);
			c = NULL;
		}
	}
	{
		/* GCM beyond one AEAD request cannot fall back either */
		static uint8_t big[300016];
		size_t w = sizeof(big);

		CU_ASSERT(kc_cipher_new_by_serial(&c, KC_AES_GCM, 1, k, 32) == 0);
		CU_ASSERT(kc_cipher_set_iv(c, iv, 12) == 0);
		CU_ASSERT(kc_cipher_update(c, big, 300000, big, &w) == 0 && w == 0);
		w = sizeof(big);
		CHECK(kc_cipher_final(c, big, &w) == -EMSGSIZE, "by-serial GCM too large");
		kc_cipher_free(c);
		c = NULL;
	}
	/* a non-12-byte GCM IV cannot fall back: the key is not ours */
	CU_ASSERT(kc_cipher_new_by_serial(&c, KC_AES_GCM, 1, k, 32) == 0);
	CU_ASSERT(kc_cipher_set_iv(c, iv, 16) == -ENOTSUP);
	kc_cipher_free(c);
	c = NULL;
	drop_key(k);
	CU_ASSERT(kc_cipher_new_by_serial(&c, KC_AES_CBC, 1, k, 32) < 0 && !c);
	keyserial_passed = ok;
	printf("\n  key-by-serial: %s (logon key, ECB/CBC/CTR/GCM vs OpenSSL)\n",
	       ok ? "PASS" : "FAIL");
}

static void *thread_body(void *arg)
{
	uint8_t key[16] = { 5 }, buf[256], out[272], exp[32];
	size_t ol;
	long bad = 0;

	(void)arg;
	memset(buf, 0x33, sizeof(buf));
	ol = sizeof(exp);
	kc_digest(KC_SHA256, buf, sizeof(buf), exp, &ol);
	for (int i = 0; i < 300; i++) {
		kc_cipher *c = NULL;

		ol = sizeof(out);
		bad += kc_digest(KC_SHA256, buf, sizeof(buf), out, &ol) != 0 || memcmp(out, exp, 32);
		ol = sizeof(out);
		bad += kc_aes_oneshot(KC_AES_GCM, 1, key, 16, key, 12, NULL, 0, 16, buf, 64, out, &ol);
		bad += kc_cipher_new(&c, KC_AES_CTR, 1, key, 16) != 0;
		bad += kc_cipher_set_iv(c, key, 16) != 0;
		ol = sizeof(out);
		bad += kc_cipher_update(c, buf, 100, out, &ol) != 0 || ol != 100;
		kc_cipher_free(c);
	}
	return (void *)bad;
}

static void test_threads(void)
{
	FOR_ENGINES {
		pthread_t t[4];
		void *r;
		long bad = 0;

		for (int i = 0; i < 4; i++)
			CU_ASSERT_FATAL(pthread_create(&t[i], NULL, thread_body, NULL) == 0);
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], &r);
			bad += (long)r;
		}
		CHECK(bad == 0, "%ld thread failures", bad);
	}
}

static int fds_at_start;

static int count_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* Every op socket and tfm the run opened must be closed again. */
static void test_fd_leak(void)
{
	int now_ = count_fds();

	CHECK(now_ == fds_at_start, "%d descriptors open, %d at start", now_, fds_at_start);
}

/* ---- crossover benchmark ------------------------------------------------- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bench_op(int alg, const uint8_t *in, size_t n, uint8_t *out)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	size_t ol = n + 16;

	switch (alg) {
	case 0: return kc_digest(KC_SHA256, in, n, out, &ol);
	case 1: return kc_hmac(KC_SHA256, key, 32, in, n, out, &ol);
	case 2: return kc_aes_oneshot(KC_AES_CBC, 1, key, 16, key, 16, NULL, 0, 0, in, n, out, &ol);
	case 3: return kc_aes_oneshot(KC_AES_CTR, 1, key, 16, key, 16, NULL, 0, 0, in, n, out, &ol);
	default: return kc_aes_oneshot(KC_AES_GCM, 1, key, 16, key, 12, NULL, 0, 16, in, n, out, &ol);
	}
}

/* microseconds per operation, measured for at least `secs` */
static double bench_us(int alg, const uint8_t *in, size_t n, uint8_t *out, double secs)
{
	double t0 = now(), t;
	long it = 0;

	bench_op(alg, in, n, out);    /* warm up (module load, page faults) */
	t0 = now();
	do {
		if (bench_op(alg, in, n, out))
			return -1;
		it++;
		t = now();
	} while (t - t0 < secs || it < 3);
	return (t - t0) * 1e6 / (double)it;
}

static int crossover(void)
{
	static const char *const names[] = { "sha256", "hmac-sha256", "aes128-cbc", "aes128-ctr",
					     "aes128-gcm" };
	static const size_t sizes[] = { 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576 };
	const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
	double secs = getenv("KC_BENCH_SECS") ? atof(getenv("KC_BENCH_SECS")) : 0.1;
	uint8_t *in = calloc(1, 1048576), *out = calloc(1, 1048576 + 16);

	if (!in || !out || kc_force_engine("kernel")) {
		printf("crossover: needs AF_ALG (this kernel has none)\n");
		return 0;
	}
	printf("crossover: microseconds per one-shot call, kernel (AF_ALG) / openssl\n%-12s", "bytes");
	for (int a = 0; a < 5; a++)
		printf(" %22s", names[a]);
	printf("\n");
	for (size_t s = 0; s < ns; s++) {
		printf("%-12zu", sizes[s]);
		for (int a = 0; a < 5; a++) {
			double k, o;

			if (a == 4 && sizes[s] > 131072) {
				printf(" %22s", "(over aead_max)");
				continue;
			}
			kc_force_engine("kernel");
			k = bench_us(a, in, sizes[s], out, secs);
			kc_force_engine("openssl");
			o = bench_us(a, in, sizes[s], out, secs);
			printf(" %10.1f/%-8.1f%s", k, o, k < o ? "K" : " ");
			fflush(stdout);
		}
		printf("\n");
	}
	printf("K = AF_ALG faster.  KC_KERNEL_MIN_BYTES = %d\n", KC_KERNEL_MIN_BYTES);
	free(in);
	free(out);
	return 0;
}

/* ---- main ------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *env = getenv("KERNTOK_CRYPTO");
	int rc = kc_init(), failed;
	CU_pSuite s;

	if (rc == -EAFNOSUPPORT) {
		printf("SKIP kernel crypto path: KERNTOK_CRYPTO=kernel but this kernel has no AF_ALG\n");
		kc_force_engine("openssl");
	} else if (rc) {
		printf("kc_init failed: %d (KERNTOK_CRYPTO=%s)\n", rc, env ? env : "");
		return 1;
	}
	kernel_ok = kc_kernel_available();
	if (argc > 1 && !strcmp(argv[1], "--crossover"))
		return crossover();

	engines[nengines++] = "openssl";
	if (kernel_ok)
		engines[nengines++] = "kernel";
	engines[nengines++] = "auto";
	printf("%s", kc_engine_describe());
	if (kernel_ok)
		printf("kernel path: AVAILABLE (vectors run on openssl, kernel and auto)\n");
	else
		printf("kernel path: SKIPPED (no AF_ALG on this kernel; vectors run on openssl and "
		       "auto; run tests/kernel-check.sh for the kernel path)\n");

	fds_at_start = count_fds();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("kcapi", NULL, NULL);
	if (!s)
		return 1;
	CU_add_test(s, "sha kat", test_sha_kat);
	CU_add_test(s, "sha million a", test_sha_million);
	CU_add_test(s, "md misc", test_md_misc);
	CU_add_test(s, "hmac rfc4231/2202", test_hmac_kat);
	CU_add_test(s, "hmac large", test_hmac_large);
	CU_add_test(s, "aes sp800-38a", test_aes_38a);
	CU_add_test(s, "aes large", test_aes_large);
	CU_add_test(s, "aes errors", test_aes_errors);
	CU_add_test(s, "aes ctr bits", test_ctr_bits);
	CU_add_test(s, "gcm kat", test_gcm_kat);
	CU_add_test(s, "gcm tamper", test_gcm_tamper);
	CU_add_test(s, "gcm tag lengths", test_gcm_taglen);
	CU_add_test(s, "gcm large", test_gcm_large);
	CU_add_test(s, "cmac kat", test_cmac_kat);
	CU_add_test(s, "key wrap kat", test_wrap_kat);
	CU_add_test(s, "random", test_random);
	CU_add_test(s, "engine", test_engine);
	CU_add_test(s, "key by serial", test_key_by_serial);
	CU_add_test(s, "threads", test_threads);
	CU_add_test(s, "fd leak", test_fd_leak);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = (int)CU_get_number_of_failures();
	printf("kernel ops completed: %lu\n", kc_kernel_ops());
	printf("key-by-serial: %s\n", keyserial_passed ? "PASS" :
	       kc_key_by_serial_available() ? "FAIL" : "SKIPPED");
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
