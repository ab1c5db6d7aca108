/*
 * test_crypt_sym.c - known-answer tests of the symmetric mechanisms through
 * the module's function list: NIST SP 800-38A (AES ECB/CBC/CTR), the GCM
 * test cases of McGrew & Viega (incl. multi-part, truncated tags and a tag
 * mismatch), FIPS 180-4 / FIPS 202 digests, RFC 2202 / RFC 4231 HMAC,
 * RFC 4493 CMAC, RFC 3394 / RFC 5649 key wraps (C_WrapKey of an imported
 * key and C_UnwrapKey back), RFC 5869 HKDF test cases 1-3 (CKM_HKDF_DATA),
 * NIST CAVP SP 800-108 counter-mode vectors (HMAC-SHA1, CMAC-AES128/192),
 * plus key generation, import checks and the mechanism list.
 *
 * Engines: the binary runs its suites with the engine the environment
 * selects (KERNTOK_CRYPTO, default auto), then re-executes itself once with
 * KERNTOK_CRYPTO=openssl (kcapi reads the variable once per process).  In
 * the kvm-run guest, KERNTOK_CRYPTO=kernel runs the first pass on AF_ALG.
 */
#include "kt_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE S;
static int have_token;

static int suite_up(void)
{
  return kt_suite_login("sym", SO_PIN, USER_PIN, &slot, &have_token, &S);
}

static int suite_down(void)
{
  p11->C_Finalize(NULL);
  return 0;
}

/* ---- helpers ---------------------------------------------------------- */
static size_t unhex(const char *h, uint8_t *out)
{
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(h + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}
/* uint8_t name[]: the bytes of a hex string literal, name_len its length */
#define HEX(name, str)                                                     \
  uint8_t name[sizeof(str) / 2 + 1];                                       \
  size_t name##_len __attribute__((unused)) = unhex(str, name)

#define SAME(got, glen, exp, elen)                                         \
  ({ char h1_[2 * 512 + 1], h2_[2 * 512 + 1];                              \
     size_t g_ = (glen), e_ = (elen);                                      \
     KT_CHECK(g_ == e_ && !memcmp((got), (exp), e_), "%s: got %s (%zu), expected %s (%zu)", \
              #got, kt_hex(got, g_ > 512 ? 512 : g_, h1_), g_,             \
              kt_hex(exp, e_ > 512 ? 512 : e_, h2_), e_); })

static CK_OBJECT_HANDLE mk_key(CK_KEY_TYPE kt, const void *v, size_t n)
{
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  CK_ATTRIBUTE a[] = {
      {CKA_CLASS, &c, sizeof c},   {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, &f, sizeof f},   {CKA_DERIVE, &t, sizeof t},
      {CKA_VALUE, (void *)v, n},
  };
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  KT_OK(p11->C_CreateObject(S, a, KT_ARRAY_LEN(a), &h));
  return h;
}

static CK_RV get_value(CK_OBJECT_HANDLE h, uint8_t *buf, CK_ULONG *len)
{
  CK_ATTRIBUTE a = {CKA_VALUE, buf, *len};
  CK_RV rv = p11->C_GetAttributeValue(S, h, &a, 1);
  *len = a.ulValueLen;
  return rv;
}

typedef CK_RV (*init_fn)(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV (*one_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*fin_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);

/* Encrypt (enc) or decrypt in one part, with the length query first. */
static CK_RV crypt1(int enc, CK_MECHANISM *m, CK_OBJECT_HANDLE k, const uint8_t *in,
                    size_t n, uint8_t *out, CK_ULONG *outn)
{
  CK_ULONG need = 0;
  CK_RV rv = (enc ? p11->C_EncryptInit : p11->C_DecryptInit)(S, m, k);
  if (rv != CKR_OK) return rv;
  one_fn one = enc ? p11->C_Encrypt : p11->C_Decrypt;
  rv = one(S, (CK_BYTE_PTR)in, n, NULL, &need);
  if (rv != CKR_OK) return rv;
  KT_CHECK(need <= *outn, "length query %lu fits the %lu-byte buffer",
           (unsigned long)need, (unsigned long)*outn);
  return one(S, (CK_BYTE_PTR)in, n, out, outn);
}

/* The same in parts of `chunk` bytes (the last part shorter). */
static CK_RV crypt_parts(int enc, CK_MECHANISM *m, CK_OBJECT_HANDLE k, const uint8_t *in,
                         size_t n, size_t chunk, uint8_t *out, CK_ULONG *outn)
{
  CK_ULONG cap = *outn, done = 0, w;
  CK_RV rv = (enc ? p11->C_EncryptInit : p11->C_DecryptInit)(S, m, k);
  if (rv != CKR_OK) return rv;
  one_fn upd = enc ? p11->C_EncryptUpdate : p11->C_DecryptUpdate;
  fin_fn fin = enc ? p11->C_EncryptFinal : p11->C_DecryptFinal;
  for (size_t off = 0; off < n; off += chunk) {
    size_t c = n - off < chunk ? n - off : chunk;
    w = cap - done;
    rv = upd(S, (CK_BYTE_PTR)in + off, c, out + done, &w);
    if (rv != CKR_OK) return rv;
    done += w;
  }
  w = cap - done;
  rv = fin(S, out + done, &w);
  *outn = done + w;
  return rv;
}

/* ---- AES: SP 800-38A F.1, F.2, F.5 ------------------------------------ */
#define SP_PT "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
              "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
#define SP_K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define SP_K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define SP_IV "000102030405060708090a0b0c0d0e0f"
#define SP_CTR "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

static const struct {
  const char *name, *key;
  CK_MECHANISM_TYPE mech;
  const char *ct;
} sp38a[] = {
  {"ECB-AES128", SP_K128, CKM_AES_ECB,
   "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
   "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"},
  {"CBC-AES128", SP_K128, CKM_AES_CBC,
   "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
   "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
  {"CTR-AES128", SP_K128, CKM_AES_CTR,
   "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
   "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
  {"ECB-AES256", SP_K256, CKM_AES_ECB,
   "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
   "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"},
  {"CBC-AES256", SP_K256, CKM_AES_CBC,
   "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
   "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
  {"CTR-AES256", SP_K256, CKM_AES_CTR,
   "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
   "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
};

static void sp38a_mech(CK_MECHANISM_TYPE t, CK_MECHANISM *m, CK_AES_CTR_PARAMS *ctr,
                       uint8_t *iv)
{
  m->mechanism = t;
  m->pParameter = NULL;
  m->ulParameterLen = 0;
  if (t == CKM_AES_CBC || t == CKM_AES_CBC_PAD) {
    unhex(SP_IV, iv);
    m->pParameter = iv;
    m->ulParameterLen = 16;
  } else if (t == CKM_AES_CTR) {
    ctr->ulCounterBits = 128;
    unhex(SP_CTR, ctr->cb);
    m->pParameter = ctr;
    m->ulParameterLen = sizeof *ctr;
  }
}

static void test_aes_sp800_38a(void)
{
  HEX(pt, SP_PT);
  for (size_t i = 0; i < KT_ARRAY_LEN(sp38a); i++) {
    uint8_t key[32], ct[64], out[128], iv[16];
    size_t kl = unhex(sp38a[i].key, key);
    unhex(sp38a[i].ct, ct);
    CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, kl);
    CK_AES_CTR_PARAMS cp;
    CK_MECHANISM m;
    sp38a_mech(sp38a[i].mech, &m, &cp, iv);
    static const size_t chunks[] = {1, 7, 16, 17, 33};

    CK_ULONG n = sizeof out;
    KT_OK(crypt1(1, &m, k, pt, pt_len, out, &n));
    SAME(out, n, ct, 64);
    n = sizeof out;
    KT_OK(crypt1(0, &m, k, ct, 64, out, &n));
    SAME(out, n, pt, pt_len);
    for (size_t c = 0; c < KT_ARRAY_LEN(chunks); c++) {
      n = sizeof out;
      KT_OK(crypt_parts(1, &m, k, pt, pt_len, chunks[c], out, &n));
      if (!SAME(out, n, ct, 64))
        fprintf(stderr, "  %s encrypt in %zu-byte parts\n", sp38a[i].name, chunks[c]);
      n = sizeof out;
      KT_OK(crypt_parts(0, &m, k, ct, 64, chunks[c], out, &n));
      if (!SAME(out, n, pt, pt_len))
        fprintf(stderr, "  %s decrypt in %zu-byte parts\n", sp38a[i].name, chunks[c]);
    }
    p11->C_DestroyObject(S, k);
  }
}

/* CBC_PAD: the SP 800-38A CBC ciphertext plus one block of padding; and
 * every length 0..40 round trips, one-shot and in parts. */
static void test_aes_cbc_pad(void)
{
  HEX(pt, SP_PT);
  HEX(key, SP_K128);
  HEX(cbc, "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
           "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7");
  uint8_t iv[16], out[128], back[128];
  CK_MECHANISM m;
  CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, key_len);
  sp38a_mech(CKM_AES_CBC_PAD, &m, NULL, iv);

  CK_ULONG n = sizeof out;
  KT_OK(crypt1(1, &m, k, pt, pt_len, out, &n));
  KT_EQ_UL(n, 80);
  SAME(out, 64, cbc, cbc_len);
  for (size_t len = 0; len <= 40; len++) {
    CK_ULONG n1 = sizeof out, n2 = sizeof back;
    KT_OK(crypt1(1, &m, k, pt, len, out, &n1));
    KT_EQ_UL(n1, (len / 16 + 1) * 16);
    KT_OK(crypt1(0, &m, k, out, n1, back, &n2));
    SAME(back, n2, pt, len);
    n2 = sizeof back;
    KT_OK(crypt_parts(0, &m, k, out, n1, 5, back, &n2));
    SAME(back, n2, pt, len);
    n2 = sizeof back;
    KT_OK(crypt_parts(1, &m, k, pt, len, 3, back, &n2));
    SAME(back, n2, out, n1);
  }
  p11->C_DestroyObject(S, k);
}

/* ---- AES-GCM (McGrew & Viega test cases 2, 3, 4, 6) ------------------ */
static const struct {
  const char *name, *key, *iv, *aad, *pt, *ct, *tag;
} gcm[] = {
  {"TC2", "00000000000000000000000000000000", "000000000000000000000000", "",
   "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
   "ab6e47d42cec13bdf53a67b21257bddf"},
  {"TC3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
   "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
   "4d5c2af327cd64a62cf35abd2ba6fab4"},
  {"TC4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
   "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
   "5bc94fbc3221a5db94fae95ae7121a47"},
  {"TC6", "feffe9928665731c6d6a8f9467308308",
   "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
   "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
   "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
   "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
   "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
   "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
   "619cc5aefffe0bfa462af43c1699d050"},
};

static void test_aes_gcm(void)
{
  for (size_t i = 0; i < KT_ARRAY_LEN(gcm); i++) {
    uint8_t key[16], iv[64], aad[32], pt[64], exp[96], out[128], back[128];
    size_t kl = unhex(gcm[i].key, key), ivl = unhex(gcm[i].iv, iv);
    size_t al = unhex(gcm[i].aad, aad), pl = unhex(gcm[i].pt, pt);
    size_t cl = unhex(gcm[i].ct, exp);
    unhex(gcm[i].tag, exp + cl);
    CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, kl);
    CK_GCM_PARAMS gp = {iv, ivl, ivl * 8, al ? aad : NULL, al, 128};
    CK_MECHANISM m = {CKM_AES_GCM, &gp, sizeof gp};
    static const size_t chunks[] = {1, 13, 16, 64};

    fprintf(stderr, "  GCM %s\n", gcm[i].name);
    CK_ULONG n = sizeof out;
    KT_OK(crypt1(1, &m, k, pt, pl, out, &n));
    SAME(out, n, exp, cl + 16);
    n = sizeof back;
    KT_OK(crypt1(0, &m, k, exp, cl + 16, back, &n));
    SAME(back, n, pt, pl);
    for (size_t c = 0; c < KT_ARRAY_LEN(chunks); c++) {
      n = sizeof out;
      KT_OK(crypt_parts(1, &m, k, pt, pl, chunks[c], out, &n));
      SAME(out, n, exp, cl + 16);
      n = sizeof back;
      KT_OK(crypt_parts(0, &m, k, exp, cl + 16, chunks[c], back, &n));
      SAME(back, n, pt, pl);
    }
    /* truncated tags are prefixes of the full one */
    gp.ulTagBits = 96;
    n = sizeof out;
    KT_OK(crypt1(1, &m, k, pt, pl, out, &n));
    SAME(out, n, exp, cl + 12);
    n = sizeof back;
    KT_OK(crypt1(0, &m, k, exp, cl + 12, back, &n));
    SAME(back, n, pt, pl);
    gp.ulTagBits = 128;

    /* a flipped tag bit: CKR_ENCRYPTED_DATA_INVALID and no plaintext */
    exp[cl + 15] ^= 1;
    memset(back, 0xAA, sizeof back);
    n = sizeof back;
    KT_RV(crypt1(0, &m, k, exp, cl + 16, back, &n), CKR_ENCRYPTED_DATA_INVALID);
    /* untouched, or wiped (the engine may decrypt in place, then wipe) */
    int clean = 1;
    for (size_t j = 0; j < sizeof back; j++) clean &= back[j] == 0xAA || back[j] == 0;
    KT_CHECK(clean, "%s: no plaintext written on a tag mismatch", gcm[i].name);
    /* multi-part: the updates emit nothing, the final fails */
    KT_OK(p11->C_DecryptInit(S, &m, k));
    CK_ULONG w = sizeof back;
    memset(back, 0xAA, sizeof back);
    KT_OK(p11->C_DecryptUpdate(S, exp, cl + 16, back, &w));
    KT_EQ_UL(w, 0);
    w = sizeof back;
    KT_RV(p11->C_DecryptFinal(S, back, &w), CKR_ENCRYPTED_DATA_INVALID);
    clean = 1;
    for (size_t j = 0; j < sizeof back; j++) clean &= back[j] == 0xAA || back[j] == 0;
    KT_CHECK(clean, "%s: multi-part: no plaintext on a tag mismatch", gcm[i].name);
    KT_RV(p11->C_DecryptFinal(S, back, &w), CKR_OPERATION_NOT_INITIALIZED);
    exp[cl + 15] ^= 1;
    p11->C_DestroyObject(S, k);
  }
}

/* The CK_GCM_PARAMS of the 2.40 header (no ulIvBits) is accepted too. */
static void test_aes_gcm_240_params(void)
{
  struct {
    CK_BYTE_PTR pIv;
    CK_ULONG ulIvLen;
    CK_BYTE_PTR pAAD;
    CK_ULONG ulAADLen;
    CK_ULONG ulTagBits;
  } old;
  uint8_t key[16], iv[12], pt[64], exp[96], out[128];
  unhex(gcm[1].key, key);
  unhex(gcm[1].iv, iv);
  size_t pl = unhex(gcm[1].pt, pt), cl = unhex(gcm[1].ct, exp);
  unhex(gcm[1].tag, exp + cl);
  old.pIv = iv; old.ulIvLen = 12; old.pAAD = NULL; old.ulAADLen = 0; old.ulTagBits = 128;
  CK_MECHANISM m = {CKM_AES_GCM, &old, sizeof old};
  CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, 16);
  CK_ULONG n = sizeof out;
  KT_OK(crypt1(1, &m, k, pt, pl, out, &n));
  SAME(out, n, exp, cl + 16);
  p11->C_DestroyObject(S, k);
}

/* ---- digests: FIPS 180-4 / FIPS 202 "abc" and the two-block message ---- */
static const struct {
  CK_MECHANISM_TYPE mech;
  const char *abc, *two;
} dig[] = {
  {CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d",
   "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
  {CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
   "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"},
  {CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  {CKM_SHA384,
   "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
   "8086072ba1e7cc2358baeca134c825a7",
   "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6"
   "b0455a8520bc4e6f5fe95b1fe3c8452b"},
  {CKM_SHA512,
   "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
   "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
   "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
  {CKM_SHA3_224, "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
   "8a24108b154ada21c9fd5574494479ba5c7e7ab76ef264ead0fcce33"},
  {CKM_SHA3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
   "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376"},
  {CKM_SHA3_384,
   "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b2"
   "98d88cea927ac7f539f1edf228376d25",
   "991c665755eb3a4b6bbdfb75c78a492e8c56a22c5c4d7e429bfdbc32b9d4ad5a"
   "a04a1f076e62fea19eef51acd0657c22"},
  {CKM_SHA3_512,
   "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
   "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
   "04a371e84ecfb5b8b77cb48610fca8182dd457ce6f326a0fd3d7ec2f1e91636d"
   "ee691fbe0c985302ba1b0d8dc78c086346b533b49c030d99a27daf1139d6e75e"},
};
#define TWO_BLOCK "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

static void test_digests(void)
{
  for (size_t i = 0; i < KT_ARRAY_LEN(dig); i++) {
    uint8_t exp[64], out[64];
    size_t el = unhex(dig[i].abc, exp);
    CK_MECHANISM m = {dig[i].mech, NULL, 0};
    CK_ULONG n = 0;

    KT_OK(p11->C_DigestInit(S, &m));
    KT_OK(p11->C_Digest(S, (CK_BYTE_PTR) "abc", 3, NULL, &n));
    KT_EQ_UL(n, el);
    n = sizeof out;
    KT_OK(p11->C_Digest(S, (CK_BYTE_PTR) "abc", 3, out, &n));
    SAME(out, n, exp, el);

    el = unhex(dig[i].two, exp);
    KT_OK(p11->C_DigestInit(S, &m));
    for (size_t off = 0, tl = strlen(TWO_BLOCK); off < tl; off += 5)
      KT_OK(p11->C_DigestUpdate(S, (CK_BYTE_PTR)TWO_BLOCK + off, tl - off < 5 ? tl - off : 5));
    n = sizeof out;
    KT_OK(p11->C_DigestFinal(S, out, &n));
    SAME(out, n, exp, el);

    /* C_DigestKey: the key's value is digested as data */
    CK_OBJECT_HANDLE k = mk_key(CKK_GENERIC_SECRET, "bcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnop", 54);
    KT_OK(p11->C_DigestInit(S, &m));
    KT_OK(p11->C_DigestUpdate(S, (CK_BYTE_PTR) "a", 1));
    KT_OK(p11->C_DigestKey(S, k));
    KT_OK(p11->C_DigestUpdate(S, (CK_BYTE_PTR) "q", 1));
    n = sizeof out;
    KT_OK(p11->C_DigestFinal(S, out, &n));
    SAME(out, n, exp, el);
    p11->C_DestroyObject(S, k);
  }
}

/* ---- HMAC: RFC 2202 / RFC 4231 test cases 1, 2 and 5 (truncated) ------- */
static const struct {
  CK_MECHANISM_TYPE mech, general;
  CK_KEY_TYPE kt;
  const char *tc1, *tc2;
} hm[] = {
  {CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL, CKK_SHA_1_HMAC,
   "b617318655057264e28bc0b6fb378c8ef146be00", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
  {CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL, CKK_SHA224_HMAC,
   "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
   "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"},
  {CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, CKK_SHA256_HMAC,
   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
  {CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL, CKK_SHA384_HMAC,
   "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
   "faea9ea9076ede7f4af152e8b2fa9cb6",
   "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
   "8e2240ca5e69e2c78b3239ecfab21649"},
  {CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL, CKK_SHA512_HMAC,
   "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
   "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
   "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
   "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
  {CKM_SHA3_256_HMAC, CKM_SHA3_256_HMAC_GENERAL, CKK_GENERIC_SECRET,
   "ba85192310dffa96e2a3a40e69774351140bb7185e1202cdcc917589f95e16bb",
   "c7d4072e788877ae3596bbb0da73b887c9171f93095b294ae857fbe2645e1ba5"},
};

static void sign_check(CK_MECHANISM *m, CK_OBJECT_HANDLE k, const void *data, size_t n,
                       const uint8_t *exp, size_t el)
{
  uint8_t out[64];
  CK_ULONG w = 0;
  KT_OK(p11->C_SignInit(S, m, k));
  KT_OK(p11->C_Sign(S, (CK_BYTE_PTR)data, n, NULL, &w));
  KT_EQ_UL(w, el);
  w = sizeof out;
  KT_OK(p11->C_Sign(S, (CK_BYTE_PTR)data, n, out, &w));
  SAME(out, w, exp, el);
  /* multi-part, in 3-byte pieces */
  KT_OK(p11->C_SignInit(S, m, k));
  for (size_t off = 0; off < n; off += 3)
    KT_OK(p11->C_SignUpdate(S, (CK_BYTE_PTR)data + off, n - off < 3 ? n - off : 3));
  w = sizeof out;
  KT_OK(p11->C_SignFinal(S, out, &w));
  SAME(out, w, exp, el);
  /* verify: good, one bit off, one byte short */
  KT_OK(p11->C_VerifyInit(S, m, k));
  KT_OK(p11->C_Verify(S, (CK_BYTE_PTR)data, n, (CK_BYTE_PTR)exp, el));
  memcpy(out, exp, el);
  out[0] ^= 0x80;
  KT_OK(p11->C_VerifyInit(S, m, k));
  KT_RV(p11->C_Verify(S, (CK_BYTE_PTR)data, n, out, el), CKR_SIGNATURE_INVALID);
  KT_OK(p11->C_VerifyInit(S, m, k));
  KT_RV(p11->C_Verify(S, (CK_BYTE_PTR)data, n, (CK_BYTE_PTR)exp, el - 1),
        CKR_SIGNATURE_LEN_RANGE);
  KT_OK(p11->C_VerifyInit(S, m, k));
  KT_OK(p11->C_VerifyUpdate(S, (CK_BYTE_PTR)data, n));
  KT_OK(p11->C_VerifyFinal(S, (CK_BYTE_PTR)exp, el));
}

static void test_hmac(void)
{
  uint8_t k1[20], exp[64];
  memset(k1, 0x0b, sizeof k1);
  for (size_t i = 0; i < KT_ARRAY_LEN(hm); i++) {
    CK_MECHANISM m = {hm[i].mech, NULL, 0};
    /* the hash's own HMAC key type and a generic secret both work */
    CK_OBJECT_HANDLE a = mk_key(hm[i].kt, k1, sizeof k1);
    CK_OBJECT_HANDLE b = mk_key(CKK_GENERIC_SECRET, "Jefe", 4);
    size_t el = unhex(hm[i].tc1, exp);
    sign_check(&m, a, "Hi There", 8, exp, el);
    el = unhex(hm[i].tc2, exp);
    sign_check(&m, b, "what do ya want for nothing?", 28, exp, el);
    /* _GENERAL: the leading bytes */
    CK_MAC_GENERAL_PARAMS len = el / 2;
    CK_MECHANISM g = {hm[i].general, &len, sizeof len};
    sign_check(&g, b, "what do ya want for nothing?", 28, exp, len);
    p11->C_DestroyObject(S, a);
    p11->C_DestroyObject(S, b);
  }
  /* RFC 4231 test case 5: HMAC-SHA-256 truncated to 128 bits */
  uint8_t k5[20];
  memset(k5, 0x0c, sizeof k5);
  HEX(t5, "a3b6167473100ee06e0c796c2955552b");
  CK_MAC_GENERAL_PARAMS l5 = 16;
  CK_MECHANISM g5 = {CKM_SHA256_HMAC_GENERAL, &l5, sizeof l5};
  CK_OBJECT_HANDLE k = mk_key(CKK_GENERIC_SECRET, k5, sizeof k5);
  sign_check(&g5, k, "Test With Truncation", 20, t5, t5_len);
  p11->C_DestroyObject(S, k);
}

/* ---- AES-CMAC: RFC 4493 examples 1-4 ---------------------------------- */
static void test_cmac(void)
{
  HEX(key, SP_K128);
  HEX(msg, SP_PT);
  static const struct { size_t len; const char *mac; } ex[] = {
    {0, "bb1d6929e95937287fa37d129b756746"},
    {16, "070a16b46b4d4144f79bdd9dd04a287c"},
    {40, "dfa66747de9ae63030ca32611497c827"},
    {64, "51f0bebf7e3b9d92fc49741779363cfe"},
  };
  CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, key_len);
  CK_MECHANISM m = {CKM_AES_CMAC, NULL, 0};
  for (size_t i = 0; i < KT_ARRAY_LEN(ex); i++) {
    uint8_t mac[16];
    unhex(ex[i].mac, mac);
    sign_check(&m, k, msg, ex[i].len, mac, 16);
    CK_MAC_GENERAL_PARAMS l = 8;
    CK_MECHANISM g = {CKM_AES_CMAC_GENERAL, &l, sizeof l};
    sign_check(&g, k, msg, ex[i].len, mac, 8);
  }
  p11->C_DestroyObject(S, k);
}

/* ---- key wrap: RFC 3394 4.1 / 4.6, RFC 5649 6 -------------------------- */
static CK_OBJECT_HANDLE unwrap_generic(CK_MECHANISM *m, CK_OBJECT_HANDLE kek,
                                       const uint8_t *w, size_t wl, CK_KEY_TYPE kt)
{
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_BBOOL f = CK_FALSE, t = CK_TRUE;
  CK_ATTRIBUTE a[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
                      {CKA_TOKEN, &f, sizeof f}, {CKA_EXTRACTABLE, &t, sizeof t}};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  KT_OK(p11->C_UnwrapKey(S, m, kek, (CK_BYTE_PTR)w, wl, a, KT_ARRAY_LEN(a), &h));
  return h;
}

static void wrap_case(CK_MECHANISM_TYPE mt, const char *kek_hex, const char *key_hex,
                      CK_KEY_TYPE kt, const char *wrapped_hex)
{
  uint8_t kek[32], key[64], exp[80], out[96], val[64];
  size_t kl = unhex(kek_hex, kek), tl = unhex(key_hex, key), el = unhex(wrapped_hex, exp);
  CK_MECHANISM m = {mt, NULL, 0};
  CK_OBJECT_HANDLE w = mk_key(CKK_AES, kek, kl), t = mk_key(kt, key, tl);
  CK_ULONG n = 0;

  KT_OK(p11->C_WrapKey(S, &m, w, t, NULL, &n));
  KT_EQ_UL(n, el);
  n = sizeof out;
  KT_OK(p11->C_WrapKey(S, &m, w, t, out, &n));
  SAME(out, n, exp, el);
  /* the same as single-part encryption of the key bytes */
  n = sizeof out;
  KT_OK(crypt1(1, &m, w, key, tl, out, &n));
  SAME(out, n, exp, el);
  /* and back */
  CK_OBJECT_HANDLE u = unwrap_generic(&m, w, exp, el, kt);
  CK_ULONG vl = sizeof val;
  KT_OK(get_value(u, val, &vl));
  SAME(val, vl, key, tl);
  /* a damaged wrap does not unwrap */
  exp[el - 1] ^= 1;
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_ATTRIBUTE a[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt}};
  CK_OBJECT_HANDLE bad = CK_INVALID_HANDLE;
  KT_RV(p11->C_UnwrapKey(S, &m, w, exp, el, a, 2, &bad), CKR_WRAPPED_KEY_INVALID);
  p11->C_DestroyObject(S, u);
  p11->C_DestroyObject(S, t);
  p11->C_DestroyObject(S, w);
}

static void test_key_wrap(void)
{
  wrap_case(CKM_AES_KEY_WRAP, "000102030405060708090A0B0C0D0E0F",
            "00112233445566778899AABBCCDDEEFF", CKK_AES,
            "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
  wrap_case(CKM_AES_KEY_WRAP,
            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
            "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F", CKK_AES,
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43B"
            "FB988B9B7A02DD21");
  wrap_case(CKM_AES_KEY_WRAP_KWP, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
            "c37b7e6492584340bed12207808941155068f738", CKK_GENERIC_SECRET,
            "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
  wrap_case(CKM_AES_KEY_WRAP_KWP, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
            "466f7250617369", CKK_GENERIC_SECRET, "afbeb0f07dfbf5419200f2ccb50bb24f");
}

/* CKM_AES_KEY_WRAP_PAD (PKCS #7 + RFC 3394) and CBC_PAD: round trips of
 * keys whose length is no multiple of the block. */
static void test_wrap_roundtrip(void)
{
  HEX(kek, SP_K256);
  uint8_t iv[16], out[128], val[64], key[40];
  for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 1);
  CK_OBJECT_HANDLE w = mk_key(CKK_AES, kek, kek_len);
  CK_MECHANISM ms[3] = {{CKM_AES_KEY_WRAP_PAD, NULL, 0}, {0, NULL, 0}, {CKM_AES_KEY_WRAP_KWP, NULL, 0}};
  sp38a_mech(CKM_AES_CBC_PAD, &ms[1], NULL, iv);
  static const size_t lens[] = {9, 16, 20, 33, 40};
  for (size_t j = 0; j < KT_ARRAY_LEN(ms); j++)
    for (size_t i = 0; i < KT_ARRAY_LEN(lens); i++) {
      CK_OBJECT_HANDLE t = mk_key(CKK_GENERIC_SECRET, key, lens[i]);
      CK_ULONG n = sizeof out, vl = sizeof val;
      KT_OK(p11->C_WrapKey(S, &ms[j], w, t, out, &n));
      if (ms[j].mechanism == CKM_AES_KEY_WRAP_PAD)
        KT_EQ_UL(n, (lens[i] / 8 + 1) * 8 + 8);
      CK_OBJECT_HANDLE u = unwrap_generic(&ms[j], w, out, n, CKK_GENERIC_SECRET);
      KT_OK(get_value(u, val, &vl));
      SAME(val, vl, key, lens[i]);
      p11->C_DestroyObject(S, u);
      p11->C_DestroyObject(S, t);
    }
  p11->C_DestroyObject(S, w);
}

/* ---- KDFs -------------------------------------------------------------- */
static CK_RV derive_data(CK_MECHANISM *m, CK_OBJECT_HANDLE base, CK_ULONG len,
                         uint8_t *out, CK_ULONG *outn)
{
  CK_OBJECT_CLASS c = CKO_DATA;
  CK_BBOOL f = CK_FALSE;
  CK_ATTRIBUTE a[] = {{CKA_CLASS, &c, sizeof c}, {CKA_TOKEN, &f, sizeof f},
                      {CKA_VALUE_LEN, &len, sizeof len}};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  CK_RV rv = p11->C_DeriveKey(S, m, base, a, KT_ARRAY_LEN(a), &h);
  if (rv != CKR_OK) return rv;
  rv = get_value(h, out, outn);
  p11->C_DestroyObject(S, h);
  return rv;
}

static CK_RV derive_secret(CK_MECHANISM *m, CK_OBJECT_HANDLE base, CK_KEY_TYPE kt,
                           CK_ULONG len, CK_OBJECT_HANDLE *h)
{
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_BBOOL f = CK_FALSE, t = CK_TRUE;
  CK_ATTRIBUTE a[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
                      {CKA_TOKEN, &f, sizeof f}, {CKA_EXTRACTABLE, &t, sizeof t},
                      {CKA_DERIVE, &t, sizeof t}, {CKA_VALUE_LEN, &len, sizeof len}};
  return p11->C_DeriveKey(S, m, base, a, KT_ARRAY_LEN(a), h);
}

static void test_hkdf_rfc5869(void)
{
  static const struct {
    size_t ikm_len;
    int ikm_kind;          /* 0: 0x0b bytes, 1: 0x00.. counting */
    const char *salt, *info;
    CK_ULONG L;
    const char *okm;
  } tc[] = {
    {22, 0, "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
     "34007208d5b887185865"},
    {80, 1,
     "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
     "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
     "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
     "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
     "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
     82,
     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
     "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
     "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
    {22, 0, "", "", 42,
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
     "9d201395faa4b61a96c8"},
  };
  for (size_t i = 0; i < KT_ARRAY_LEN(tc); i++) {
    uint8_t ikm[80], salt[80], info[80], exp[82], out[128];
    for (size_t j = 0; j < tc[i].ikm_len; j++) ikm[j] = tc[i].ikm_kind ? (uint8_t)j : 0x0b;
    size_t sl = unhex(tc[i].salt, salt), il = unhex(tc[i].info, info);
    size_t el = unhex(tc[i].okm, exp);
    CK_OBJECT_HANDLE base = mk_key(CKK_GENERIC_SECRET, ikm, tc[i].ikm_len);
    CK_HKDF_PARAMS hp = {CK_TRUE, CK_TRUE, CKM_SHA256,
                         sl ? CKF_HKDF_SALT_DATA : CKF_HKDF_SALT_NULL,
                         sl ? salt : NULL, sl, CK_INVALID_HANDLE, il ? info : NULL, il};
    CK_MECHANISM m = {CKM_HKDF_DATA, &hp, sizeof hp};
    CK_ULONG n = sizeof out;
    KT_OK(derive_data(&m, base, tc[i].L, out, &n));
    SAME(out, n, exp, el);
    /* the same through a salt key */
    if (sl) {
      CK_OBJECT_HANDLE sk = mk_key(CKK_HKDF, salt, sl);
      hp.ulSaltType = CKF_HKDF_SALT_KEY;
      hp.pSalt = NULL;
      hp.ulSaltLen = 0;
      hp.hSaltKey = sk;
      n = sizeof out;
      KT_OK(derive_data(&m, base, tc[i].L, out, &n));
      SAME(out, n, exp, el);
      p11->C_DestroyObject(S, sk);
    }
    p11->C_DestroyObject(S, base);
  }
  /* test case 1 in two steps: extract (the PRK), then expand from it */
  uint8_t ikm[22], prk[64], okm[64];
  memset(ikm, 0x0b, sizeof ikm);
  HEX(salt, "000102030405060708090a0b0c");
  HEX(info, "f0f1f2f3f4f5f6f7f8f9");
  HEX(eprk, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  HEX(eokm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
  CK_OBJECT_HANDLE base = mk_key(CKK_GENERIC_SECRET, ikm, sizeof ikm), p, o;
  CK_HKDF_PARAMS ex = {CK_TRUE, CK_FALSE, CKM_SHA256, CKF_HKDF_SALT_DATA, salt, salt_len,
                       CK_INVALID_HANDLE, NULL, 0};
  CK_MECHANISM m = {CKM_HKDF_DERIVE, &ex, sizeof ex};
  KT_OK(derive_secret(&m, base, CKK_HKDF, 32, &p));
  CK_ULONG n = sizeof prk;
  KT_OK(get_value(p, prk, &n));
  SAME(prk, n, eprk, eprk_len);
  CK_HKDF_PARAMS xp = {CK_FALSE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL, NULL, 0,
                       CK_INVALID_HANDLE, info, info_len};
  m.pParameter = &xp;
  KT_OK(derive_secret(&m, p, CKK_GENERIC_SECRET, 42, &o));
  n = sizeof okm;
  KT_OK(get_value(o, okm, &n));
  SAME(okm, n, eokm, eokm_len);
  p11->C_DestroyObject(S, o);
  p11->C_DestroyObject(S, p);
  p11->C_DestroyObject(S, base);
}

/* NIST CAVP KDFCTR_gen.rsp, CTRLOCATION=BEFORE_FIXED, L=128, COUNT=0. */
static void test_sp800_108(void)
{
  static const struct {
    CK_MECHANISM_TYPE prf;
    CK_KEY_TYPE kt;
    CK_ULONG rlen;
    const char *ki, *fixed, *ko;
  } v[] = {
    {CKM_SHA_1_HMAC, CKK_GENERIC_SECRET, 32, "f7591733c856593565130975351954d0155abf3c",
     "8e347ef55d5f5e99eab6de706b51de7ce004f3882889e259ff4e5cff102167a5"
     "a4bd711578d4ce17dd9abe56e51c1f2df950e2fc812ec1b217ca08d6",
     "34fe44b0d8c41b93f5fa64fb96f00e5b"},
    {CKM_SHA_1_HMAC, CKK_GENERIC_SECRET, 8, "8723b723aa398f94af2b61c06cd99de01ef6497b",
     "8aece231d69ab033c9efe824c398da94777b260887c609a34c0206e4abcce0f5"
     "709356a7dbb92b8b0d387ccb4945d3b8a5490972205e72531f961b3d",
     "7596a2c6e19c8f5f52e1e7c6380fa5e5"},
    {CKM_AES_CMAC, CKK_AES, 8, "dff1e50ac0b69dc40f1051d46c2b069c",
     "c16e6e02c5a3dcc8d78b9ac1306877761310455b4e41469951d9e6c2245a064b"
     "33fd8c3b01203a7824485bf0a64060c4648b707d2607935699316ea5",
     "8be8f0869b3c0ba97b71863d1b9f7813"},
    {CKM_AES_CMAC, CKK_AES, 16, "d7e8eefc503a39e70d931f16645958ad06fb789f0cbc518b",
     "b10ea2d67904a8b3b7ce5eef7d9ee49768e8deb3506ee74a2ad8dd8661146fde"
     "74137a8f6dfc69a370945d15335e0d6403fa029da19d34140c7e3da0",
     "95278b8883852f6676c587507b0aa162"},
  };
  for (size_t i = 0; i < KT_ARRAY_LEN(v); i++) {
    uint8_t ki[32], fixed[64], ko[16], out[64];
    size_t kl = unhex(v[i].ki, ki), fl = unhex(v[i].fixed, fixed);
    unhex(v[i].ko, ko);
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, v[i].rlen};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof cf},
                              {CK_SP800_108_BYTE_ARRAY, fixed, fl}};
    CK_SP800_108_KDF_PARAMS kp = {v[i].prf, 2, dp, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof kp};
    CK_OBJECT_HANDLE base = mk_key(v[i].kt, ki, kl), h;
    KT_OK(derive_secret(&m, base, CKK_AES, 16, &h));
    CK_ULONG n = sizeof out;
    KT_OK(get_value(h, out, &n));
    SAME(out, n, ko, 16);
    p11->C_DestroyObject(S, h);

    /* an additional key continues the stream: 8 + 8 bytes = the same 16 */
    CK_OBJECT_CLASS c = CKO_SECRET_KEY;
    CK_KEY_TYPE g = CKK_GENERIC_SECRET;
    CK_ULONG half = 8;
    CK_BBOOL f = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &g, sizeof g},
                        {CKA_TOKEN, &f, sizeof f}, {CKA_VALUE_LEN, &half, sizeof half}};
    CK_OBJECT_HANDLE h1 = CK_INVALID_HANDLE, h2 = CK_INVALID_HANDLE;
    CK_DERIVED_KEY dk = {t, KT_ARRAY_LEN(t), &h2};
    kp.ulAdditionalDerivedKeys = 1;
    kp.pAdditionalDerivedKeys = &dk;
    KT_OK(p11->C_DeriveKey(S, &m, base, t, KT_ARRAY_LEN(t), &h1));
    KT_CHECK(h2 != CK_INVALID_HANDLE, "the additional key has a handle");
    n = sizeof out;
    KT_OK(get_value(h1, out, &n));
    SAME(out, n, ko, 8);
    n = sizeof out;
    KT_OK(get_value(h2, out, &n));
    SAME(out, n, ko + 8, 8);
    p11->C_DestroyObject(S, h1);
    p11->C_DestroyObject(S, h2);
    p11->C_DestroyObject(S, base);
  }
}

static void test_encrypt_data_derive(void)
{
  HEX(key, SP_K128);
  HEX(pt, SP_PT);
  HEX(ecb, "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf");
  HEX(cbc, "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
  uint8_t out[64];
  CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, key_len), h;
  CK_KEY_DERIVATION_STRING_DATA sd = {pt, 32};
  CK_MECHANISM m = {CKM_AES_ECB_ENCRYPT_DATA, &sd, sizeof sd};
  KT_OK(derive_secret(&m, k, CKK_AES, 32, &h));
  CK_ULONG n = sizeof out;
  KT_OK(get_value(h, out, &n));
  SAME(out, n, ecb, ecb_len);
  p11->C_DestroyObject(S, h);
  CK_AES_CBC_ENCRYPT_DATA_PARAMS cp = {{0}, pt, 32};
  unhex(SP_IV, cp.iv);
  CK_MECHANISM mc = {CKM_AES_CBC_ENCRYPT_DATA, &cp, sizeof cp};
  KT_OK(derive_secret(&mc, k, CKK_AES, 16, &h));
  n = sizeof out;
  KT_OK(get_value(h, out, &n));
  SAME(out, n, cbc, 16);
  p11->C_DestroyObject(S, h);
  p11->C_DestroyObject(S, k);
}

/* ---- generation, import, mechanism list -------------------------------- */
static void test_keygen(void)
{
  static const CK_ULONG lens[] = {16, 24, 32};
  for (size_t i = 0; i < KT_ARRAY_LEN(lens); i++) {
    CK_ULONG len = lens[i];
    CK_BBOOL f = CK_FALSE, t = CK_TRUE;
    CK_ATTRIBUTE a[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_TOKEN, &f, sizeof f},
                        {CKA_SENSITIVE, &t, sizeof t}, {CKA_EXTRACTABLE, &f, sizeof f}};
    CK_MECHANISM m = {CKM_AES_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    KT_OK(p11->C_GenerateKey(S, &m, a, KT_ARRAY_LEN(a), &h));
    CK_ULONG v = 0;
    CK_BBOOL b = 0;
    KT_OK(kt_attr_ul(S, h, CKA_VALUE_LEN, &v));
    KT_EQ_UL(v, len);
    KT_OK(kt_attr_ul(S, h, CKA_KEY_TYPE, &v));
    KT_EQ_UL(v, CKK_AES);
    KT_OK(kt_attr_ul(S, h, CKA_KEY_GEN_MECHANISM, &v));
    KT_EQ_UL(v, CKM_AES_KEY_GEN);
    KT_OK(kt_attr_bool(S, h, CKA_LOCAL, &b));
    KT_EQ_UL(b, CK_TRUE);
    KT_OK(kt_attr_bool(S, h, CKA_ALWAYS_SENSITIVE, &b));
    KT_EQ_UL(b, CK_TRUE);
    KT_OK(kt_attr_bool(S, h, CKA_NEVER_EXTRACTABLE, &b));
    KT_EQ_UL(b, CK_TRUE);
    /* the check value is E(K, 0^128)[0..2] */
    uint8_t zero[16] = {0}, e[16], cv[3];
    CK_ATTRIBUTE ca = {CKA_CHECK_VALUE, cv, 3};
    CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0};
    CK_ULONG n = sizeof e;
    KT_OK(crypt1(1, &ecb, h, zero, 16, e, &n));
    KT_OK(p11->C_GetAttributeValue(S, h, &ca, 1));
    SAME(cv, ca.ulValueLen, e, 3);
    p11->C_DestroyObject(S, h);
  }
  /* generic secret: any length in range, not sensitive by default */
  CK_ULONG len = 48;
  CK_BBOOL f = CK_FALSE;
  CK_ATTRIBUTE a[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_TOKEN, &f, sizeof f}};
  CK_MECHANISM m = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
  CK_OBJECT_HANDLE h;
  KT_OK(p11->C_GenerateKey(S, &m, a, KT_ARRAY_LEN(a), &h));
  uint8_t val[64];
  CK_ULONG vl = sizeof val;
  KT_OK(get_value(h, val, &vl));
  KT_EQ_UL(vl, 48);
  CK_BBOOL b = 1;
  KT_OK(kt_attr_bool(S, h, CKA_ALWAYS_SENSITIVE, &b));
  KT_EQ_UL(b, CK_FALSE);
  p11->C_DestroyObject(S, h);
  CK_ATTRIBUTE nolen[] = {{CKA_TOKEN, &f, sizeof f}};
  KT_RV(p11->C_GenerateKey(S, &m, nolen, 1, &h), CKR_TEMPLATE_INCOMPLETE);
}

static void test_import(void)
{
  HEX(key, SP_K128);
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_KEY_TYPE aes = CKK_AES, gen = CKK_GENERIC_SECRET;
  CK_BBOOL f = CK_FALSE;
  uint8_t cv[3], bad[3] = {1, 2, 3};
  CK_OBJECT_HANDLE h;
  for (size_t l = 15; l <= 33; l++) {
    uint8_t v[33] = {0};
    CK_ATTRIBUTE a[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &aes, sizeof aes},
                        {CKA_TOKEN, &f, sizeof f}, {CKA_VALUE, v, l}};
    CK_RV rv = p11->C_CreateObject(S, a, KT_ARRAY_LEN(a), &h);
    if (l == 16 || l == 24 || l == 32) {
      KT_OK(rv);
      p11->C_DestroyObject(S, h);
    } else {
      KT_RV(rv, CKR_ATTRIBUTE_VALUE_INVALID);
    }
  }
  /* CKA_CHECK_VALUE: computed (AES: E(K, 0) = 7df76b0c... for this key) */
  h = mk_key(CKK_AES, key, key_len);
  CK_ATTRIBUTE ca = {CKA_CHECK_VALUE, cv, 3};
  KT_OK(p11->C_GetAttributeValue(S, h, &ca, 1));
  HEX(ecb0, "7df76b0c1ab899b33e42f047b91b546f");
  SAME(cv, ca.ulValueLen, ecb0, 3);
  CK_ULONG vl = 0;
  KT_OK(kt_attr_ul(S, h, CKA_VALUE_LEN, &vl));
  KT_EQ_UL(vl, 16);
  p11->C_DestroyObject(S, h);
  /* generic secret: SHA-1 of the value; a wrong given one is refused */
  h = mk_key(CKK_GENERIC_SECRET, "abc", 3);
  KT_OK(p11->C_GetAttributeValue(S, h, &ca, 1));
  HEX(sha1abc, "a9993e");
  SAME(cv, ca.ulValueLen, sha1abc, 3);
  p11->C_DestroyObject(S, h);
  CK_ATTRIBUTE g[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &gen, sizeof gen},
                      {CKA_TOKEN, &f, sizeof f}, {CKA_VALUE, "abc", 3},
                      {CKA_CHECK_VALUE, bad, 3}};
  KT_RV(p11->C_CreateObject(S, g, KT_ARRAY_LEN(g), &h), CKR_ATTRIBUTE_VALUE_INVALID);
  g[4].pValue = sha1abc;
  KT_OK(p11->C_CreateObject(S, g, KT_ARRAY_LEN(g), &h));
  p11->C_DestroyObject(S, h);
}

static void test_mechanisms(void)
{
  static const struct { CK_MECHANISM_TYPE t; CK_FLAGS f; CK_ULONG lo, hi; } want[] = {
    {CKM_AES_KEY_GEN, CKF_GENERATE, 16, 32},
    {CKM_AES_ECB, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_AES_CBC, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_AES_CBC_PAD, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_AES_CTR, CKF_ENCRYPT | CKF_DECRYPT, 16, 32},
    {CKM_AES_GCM, CKF_ENCRYPT | CKF_DECRYPT, 16, 32},
    {CKM_AES_CMAC, CKF_SIGN | CKF_VERIFY, 16, 32},
    {CKM_AES_CMAC_GENERAL, CKF_SIGN | CKF_VERIFY, 16, 32},
    {CKM_AES_KEY_WRAP, CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_AES_KEY_WRAP_PAD, CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_AES_KEY_WRAP_KWP, CKF_WRAP | CKF_UNWRAP, 16, 32},
    {CKM_SHA_1, CKF_DIGEST, 0, 0},
    {CKM_SHA256, CKF_DIGEST, 0, 0},
    {CKM_SHA3_512, CKF_DIGEST, 0, 0},
    {CKM_SHA256_HMAC, CKF_SIGN | CKF_VERIFY, 1, 0},
    {CKM_SHA3_256_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY, 1, 0},
    {CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE, 8, 0},
    {CKM_HKDF_DERIVE, CKF_DERIVE, 0, 0},
    {CKM_HKDF_DATA, CKF_DERIVE, 0, 0},
    {CKM_SP800_108_COUNTER_KDF, CKF_DERIVE, 0, 0},
    {CKM_AES_ECB_ENCRYPT_DATA, CKF_DERIVE, 16, 32},
    {CKM_AES_CBC_ENCRYPT_DATA, CKF_DERIVE, 16, 32},
  };
  CK_ULONG n = 0;
  KT_OK_F(p11->C_GetMechanismList(slot, NULL, &n));
  CK_MECHANISM_TYPE *v = calloc(n + 1, sizeof *v);
  CK_ULONG small = n - 1;
  KT_RV(p11->C_GetMechanismList(slot, v, &small), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(small, n);
  KT_OK(p11->C_GetMechanismList(slot, v, &n));
  for (CK_ULONG i = 0; i < n; i++) {
    CK_MECHANISM_INFO mi;
    KT_OK(p11->C_GetMechanismInfo(slot, v[i], &mi));
    KT_CHECK(!(mi.flags & (CKF_HW | CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER)),
             "mechanism 0x%lx: no CKF_HW / recover flags (0x%lx)", v[i], mi.flags);
    KT_CHECK(mi.ulMinKeySize <= mi.ulMaxKeySize, "0x%lx: min <= max", v[i]);
    for (CK_ULONG j = i + 1; j < n; j++)
      KT_CHECK(v[i] != v[j], "0x%lx listed once", v[i]);
  }
  for (size_t i = 0; i < KT_ARRAY_LEN(want); i++) {
    CK_MECHANISM_INFO mi;
    int listed = 0;
    for (CK_ULONG j = 0; j < n; j++) listed |= v[j] == want[i].t;
    KT_CHECK(listed, "0x%lx listed", want[i].t);
    if (!KT_OK(p11->C_GetMechanismInfo(slot, want[i].t, &mi))) continue;
    KT_CHECK((mi.flags & want[i].f) == want[i].f, "0x%lx flags 0x%lx lack 0x%lx",
             want[i].t, mi.flags, want[i].f);
    if (want[i].lo) KT_EQ_UL(mi.ulMinKeySize, want[i].lo);
    if (want[i].hi) KT_EQ_UL(mi.ulMaxKeySize, want[i].hi);
  }
  CK_MECHANISM_INFO mi;
  KT_RV(p11->C_GetMechanismInfo(slot, 0x80001234UL, &mi), CKR_MECHANISM_INVALID);
  free(v);
}

/* ---- long messages against OpenSSL in this process ---------------------
 * Sizes from one byte to past KC_KERNEL_MIN_BYTES (16 KiB), one-shot and in
 * parts whose first part is long: with KERNTOK_CRYPTO=auto these reach the
 * kernel (AF_ALG) where it exists, with =kernel everything does. */
static void ossl_cipher(const EVP_CIPHER *ci, const uint8_t *key, const uint8_t *iv,
                        const uint8_t *in, size_t n, uint8_t *out)
{
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  int l = 0, l2 = 0;
  EVP_EncryptInit_ex2(x, ci, key, iv, NULL);
  EVP_CIPHER_CTX_set_padding(x, 0);
  EVP_EncryptUpdate(x, out, &l, in, (int)n);
  EVP_EncryptFinal_ex(x, out + l, &l2);
  EVP_CIPHER_CTX_free(x);
}

static void ossl_gcm(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t al,
                     const uint8_t *in, size_t n, uint8_t *out)
{
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  int l = 0;
  EVP_EncryptInit_ex2(x, EVP_aes_256_gcm(), key, iv, NULL);
  EVP_EncryptUpdate(x, NULL, &l, aad, (int)al);
  EVP_EncryptUpdate(x, out, &l, in, (int)n);
  EVP_EncryptFinal_ex(x, out + n, &l);
  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, out + n);
  EVP_CIPHER_CTX_free(x);
}

static void test_long_messages(void)
{
  static const size_t sizes[] = {1, 1000, 16384, 65536 + 5, 300000};
  size_t max = 300000 + 64;
  uint8_t *in = malloc(max), *exp = malloc(max), *out = malloc(max), *back = malloc(max);
  uint8_t key[32], iv[16], aad[40];
  for (size_t i = 0; i < max; i++) in[i] = (uint8_t)(i * 31 + (i >> 8));
  for (size_t i = 0; i < 32; i++) key[i] = (uint8_t)(0xa0 + i);
  for (size_t i = 0; i < 16; i++) iv[i] = (uint8_t)(0x10 * i + 1);
  for (size_t i = 0; i < sizeof aad; i++) aad[i] = (uint8_t)i;
  CK_OBJECT_HANDLE k = mk_key(CKK_AES, key, 32), h = mk_key(CKK_GENERIC_SECRET, key, 32);

  for (size_t si = 0; si < KT_ARRAY_LEN(sizes); si++) {
    size_t n = sizes[si], nb = n & ~(size_t)15, part = n > 20000 ? 17000 : n / 2 + 1;
    CK_ULONG w;
    /* CBC and CTR */
    CK_MECHANISM cbc = {CKM_AES_CBC, iv, 16};
    CK_AES_CTR_PARAMS cp = {128, {0}};
    memcpy(cp.cb, iv, 16);
    CK_MECHANISM ctr = {CKM_AES_CTR, &cp, sizeof cp};
    if (nb) {
      ossl_cipher(EVP_aes_256_cbc(), key, iv, in, nb, exp);
      w = max;
      KT_OK(crypt1(1, &cbc, k, in, nb, out, &w));
      KT_CHECK(w == nb && !memcmp(out, exp, nb), "CBC %zu bytes", nb);
      w = max;
      KT_OK(crypt_parts(0, &cbc, k, exp, nb, part, back, &w));
      KT_CHECK(w == nb && !memcmp(back, in, nb), "CBC decrypt in parts, %zu bytes", nb);
    }
    ossl_cipher(EVP_aes_256_ctr(), key, iv, in, n, exp);
    w = max;
    KT_OK(crypt_parts(1, &ctr, k, in, n, part, out, &w));
    KT_CHECK(w == n && !memcmp(out, exp, n), "CTR %zu bytes in parts", n);
    /* GCM with AAD */
    CK_GCM_PARAMS gp = {iv, 12, 96, aad, sizeof aad, 128};
    CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof gp};
    ossl_gcm(key, iv, aad, sizeof aad, in, n, exp);
    w = max;
    KT_OK(crypt1(1, &gcm, k, in, n, out, &w));
    KT_CHECK(w == n + 16 && !memcmp(out, exp, n + 16), "GCM %zu bytes", n);
    w = max;
    KT_OK(crypt_parts(1, &gcm, k, in, n, part, out, &w));
    KT_CHECK(w == n + 16 && !memcmp(out, exp, n + 16), "GCM %zu bytes in parts", n);
    w = max;
    KT_OK(crypt1(0, &gcm, k, exp, n + 16, back, &w));
    KT_CHECK(w == n && !memcmp(back, in, n), "GCM decrypt %zu bytes", n);
    w = max;
    KT_OK(crypt_parts(0, &gcm, k, exp, n + 16, part, back, &w));
    KT_CHECK(w == n && !memcmp(back, in, n), "GCM decrypt %zu bytes in parts", n);
    exp[n / 2] ^= 4;
    w = max;
    KT_RV(crypt1(0, &gcm, k, exp, n + 16, back, &w), CKR_ENCRYPTED_DATA_INVALID);
    /* digests and MACs */
    static const struct { CK_MECHANISM_TYPE m; const char *md; } dg[] = {
      {CKM_SHA256, "SHA256"}, {CKM_SHA512, "SHA512"}, {CKM_SHA3_256, "SHA3-256"}, {CKM_SHA_1, "SHA1"}};
    for (size_t d = 0; d < KT_ARRAY_LEN(dg); d++) {
      uint8_t e[64], o[64];
      unsigned el = 0;
      EVP_Digest(in, n, e, &el, EVP_get_digestbyname(dg[d].md), NULL);
      CK_MECHANISM m = {dg[d].m, NULL, 0};
      CK_ULONG ol = sizeof o;
      KT_OK(p11->C_DigestInit(S, &m));
      KT_OK(p11->C_Digest(S, in, n, o, &ol));
      KT_CHECK(ol == el && !memcmp(o, e, el), "%s of %zu bytes", dg[d].md, n);
      KT_OK(p11->C_DigestInit(S, &m));
      for (size_t off = 0; off < n; off += part)
        KT_OK(p11->C_DigestUpdate(S, in + off, n - off < part ? n - off : part));
      ol = sizeof o;
      KT_OK(p11->C_DigestFinal(S, o, &ol));
      KT_CHECK(ol == el && !memcmp(o, e, el), "%s of %zu bytes in parts", dg[d].md, n);
    }
    uint8_t e[64], o[64];
    unsigned el = 0;
    HMAC(EVP_sha256(), key, 32, in, n, e, &el);
    CK_MECHANISM hm = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG ol = sizeof o;
    KT_OK(p11->C_SignInit(S, &hm, h));
    for (size_t off = 0; off < n; off += part)
      KT_OK(p11->C_SignUpdate(S, in + off, n - off < part ? n - off : part));
    KT_OK(p11->C_SignFinal(S, o, &ol));
    KT_CHECK(ol == el && !memcmp(o, e, el), "HMAC-SHA256 of %zu bytes", n);
    KT_OK(p11->C_VerifyInit(S, &hm, h));
    KT_OK(p11->C_Verify(S, in, n, e, el));
  }
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
  free(in); free(exp); free(out); free(back);
}

/* ---- main ---------------------------------------------------------------- */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("sym/aes", suite_up, suite_down, NULL, NULL);
  kt_test(s, "sp800_38a", test_aes_sp800_38a);
  kt_test(s, "cbc_pad", test_aes_cbc_pad);
  kt_test(s, "gcm", test_aes_gcm);
  kt_test(s, "gcm_240_params", test_aes_gcm_240_params);
  kt_test(s, "long_messages", test_long_messages);
  s = kt_suite("sym/md", suite_up, suite_down, NULL, NULL);
  kt_test(s, "digests", test_digests);
  kt_test(s, "hmac", test_hmac);
  kt_test(s, "cmac", test_cmac);
  s = kt_suite("sym/keys", suite_up, suite_down, NULL, NULL);
  kt_test(s, "key_wrap", test_key_wrap);
  kt_test(s, "wrap_roundtrip", test_wrap_roundtrip);
  kt_test(s, "hkdf", test_hkdf_rfc5869);
  kt_test(s, "sp800_108", test_sp800_108);
  kt_test(s, "encrypt_data", test_encrypt_data_derive);
  kt_test(s, "keygen", test_keygen);
  kt_test(s, "import", test_import);
  kt_test(s, "mechanisms", test_mechanisms);
}

/* Second pass on OpenSSL in a fresh process (kcapi picks its engine once). */
static int rerun_openssl(char **argv)
{
  pid_t pid;
  int st;
  fflush(NULL);
  pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    setenv("KERNTOK_CRYPTO", "openssl", 1);
    setenv("KT_SYM_PASS", "2", 1);
    execv(kt_self, argv);
    _exit(127);
  }
  while (waitpid(pid, &st, 0) < 0) {}
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
  const char *eng = getenv("KERNTOK_CRYPTO");
  fprintf(stderr, "test_crypt_sym: engine %s\n", eng && *eng ? eng : "auto");
  int r = kt_main(argc, argv, register_suites, NULL);
  if (argc > 1 || getenv("KT_SYM_PASS") || (eng && !strcmp(eng, "openssl")))
    return r;
  int r2 = rerun_openssl(argv);
  return r ? r : r2;
}
