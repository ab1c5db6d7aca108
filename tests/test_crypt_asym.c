/*
 * test_crypt_asym.c - the asymmetric mechanisms through the module's function
 * list (PKCS#11 3.0 current mechanisms 2.1 RSA, 2.3 EC / EdDSA / Montgomery):
 * known-answer vectors (NIST CAVP FIPS 186, RFC 8032, RFC 7748), key-pair
 * generation and round trips, key import, and the error codes.
 *
 * Vector sources: CAVP 186-3 ecdsatestvectors SigGen/SigVer [P-256,SHA-256],
 * SigVer [P-384,SHA-384]; CAVP SigVer15_186-3.rsp [mod = 1024];
 * SigGenPSS_186-3.rsp [mod = 1024] (salt length 0); RFC 8032 7.1 tests 1-3
 * and 7.4 "Blank"; RFC 7748 6.1.
 */
#include "kt_test.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_SLOT_ID aslot;
static CK_SESSION_HANDLE S;
static const CK_OBJECT_CLASS C_PUB = CKO_PUBLIC_KEY, C_PRIV = CKO_PRIVATE_KEY,
                             C_SECRET = CKO_SECRET_KEY;
static const CK_KEY_TYPE K_RSA = CKK_RSA, K_AES = CKK_AES, K_GENERIC = CKK_GENERIC_SECRET;


/* DER CKA_EC_PARAMS */
static const unsigned char OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char OID_P521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const unsigned char OID_K256[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a}; /* secp256k1 */
static const unsigned char OID_X25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
static const unsigned char OID_X448[] = {0x06, 0x03, 0x2b, 0x65, 0x6f};
static const unsigned char OID_ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const unsigned char OID_ED448[] = {0x06, 0x03, 0x2b, 0x65, 0x71};
static const unsigned char PS_P384[] = "\x13\x09secp384r1";
static const unsigned char PS_ED25519[] = "\x13\x0c" "edwards25519";
static const unsigned char PS_X448[] = "\x13\x08" "curve448";

/* ------------------------------------------------------------------ */
/* helpers */

typedef struct { unsigned char b[2400]; size_t n; } buf;

static buf H(const char *hex)
{
  buf r = {{0}, 0};
  size_t l = strlen(hex);
  for (size_t i = 0; i + 1 < l && r.n < sizeof r.b; i += 2) {
    unsigned v;
    sscanf(hex + i, "%2x", &v);
    r.b[r.n++] = (unsigned char)v;
  }
  return r;
}

static int suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_fresh_token("asym", SO_PIN, USER_PIN, &aslot);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}
static void setup(void)
{
  KT_OK_F(kt_init());
  KT_OK_F(kt_slot_by_label("asym", &aslot));
  KT_OK_F(kt_open(aslot, 1, &S));
  KT_OK_F(kt_login(S, CKU_USER, USER_PIN));
}
static void teardown(void)
{
  p11->C_CloseSession(S);
  p11->C_Finalize(NULL);
}

static CK_RV mk_rsa_pub(const buf *n, const buf *e, CK_OBJECT_HANDLE *h)
{
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_PUB), AV(CKA_KEY_TYPE, K_RSA),
                      A(CKA_MODULUS, n->b, n->n), A(CKA_PUBLIC_EXPONENT, e->b, e->n)};
  return p11->C_CreateObject(S, t, KT_ARRAY_LEN(t), h);
}

static CK_RV mk_ec_pub(CK_KEY_TYPE kt, const void *params, size_t pl, const void *pt,
                       size_t ptl, CK_OBJECT_HANDLE *h)
{
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_PUB), AV(CKA_KEY_TYPE, kt), A(CKA_EC_PARAMS, params, pl),
                      A(CKA_EC_POINT, pt, ptl)};
  return p11->C_CreateObject(S, t, KT_ARRAY_LEN(t), h);
}

static CK_RV mk_ec_priv(CK_KEY_TYPE kt, const void *params, size_t pl, const void *v,
                        size_t vl, CK_OBJECT_HANDLE *h)
{
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_PRIV), AV(CKA_KEY_TYPE, kt), A(CKA_EC_PARAMS, params, pl),
                      A(CKA_VALUE, v, vl), AV(CKA_DERIVE, T)};
  return p11->C_CreateObject(S, t, KT_ARRAY_LEN(t), h);
}

/* 04 || x || y */
static buf point(const char *qx, const char *qy)
{
  buf x = H(qx), y = H(qy), r = {{0x04}, 1};
  memcpy(r.b + 1, x.b, x.n);
  memcpy(r.b + 1 + x.n, y.b, y.n);
  r.n = 1 + x.n + y.n;
  return r;
}

static buf der_octet(const buf *in)
{
  buf r = {{0x04}, 0};
  size_t h = in->n < 128 ? 2 : 3;
  if (h == 2) r.b[1] = (unsigned char)in->n;
  else { r.b[1] = 0x81; r.b[2] = (unsigned char)in->n; }
  memcpy(r.b + h, in->b, in->n);
  r.n = h + in->n;
  return r;
}

static CK_RV do_verify(CK_MECHANISM *m, CK_OBJECT_HANDLE h, const void *msg, size_t ml,
                       const void *sig, size_t sl)
{
  CK_RV rv = p11->C_VerifyInit(S, m, h);
  if (rv != CKR_OK) return rv;
  return p11->C_Verify(S, (CK_BYTE_PTR)msg, ml, (CK_BYTE_PTR)sig, sl);
}

/* C_Sign with a length query first; sig gets the bytes */
static CK_RV do_sign(CK_MECHANISM *m, CK_OBJECT_HANDLE h, const void *msg, size_t ml, buf *sig)
{
  CK_ULONG n = 0;
  CK_RV rv = p11->C_SignInit(S, m, h);
  if (rv != CKR_OK) return rv;
  rv = p11->C_Sign(S, (CK_BYTE_PTR)msg, ml, NULL, &n);
  if (rv != CKR_OK) return rv;
  if (n > sizeof sig->b) return CKR_GENERAL_ERROR;
  rv = p11->C_Sign(S, (CK_BYTE_PTR)msg, ml, sig->b, &n);
  sig->n = n;
  return rv;
}

/* verify the good signature, then a flipped bit and a short one */
static void verify_kat(CK_MECHANISM *m, CK_OBJECT_HANDLE h, const buf *msg, const buf *sig,
                       const char *what)
{
  buf bad = *sig;
  KT_CHECK(do_verify(m, h, msg->b, msg->n, sig->b, sig->n) == CKR_OK, "%s verifies", what);
  bad.b[bad.n / 2] ^= 0x10;
  KT_RV(do_verify(m, h, msg->b, msg->n, bad.b, bad.n), CKR_SIGNATURE_INVALID);
  KT_RV(do_verify(m, h, msg->b, msg->n, sig->b, sig->n - 1), CKR_SIGNATURE_LEN_RANGE);
}

static CK_RV get_attr(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, buf *out)
{
  CK_ATTRIBUTE a = {t, out->b, sizeof out->b};
  CK_RV rv = p11->C_GetAttributeValue(S, h, &a, 1);
  out->n = rv == CKR_OK ? a.ulValueLen : 0;
  return rv;
}

static CK_ULONG get_ul(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
  CK_ULONG v = (CK_ULONG)-1;
  kt_attr_ul(S, h, t, &v);
  return v;
}

/* CKA_PUBLIC_KEY_INFO parses as an SPKI of OpenSSL type `type` */
static EVP_PKEY *spki_of(CK_OBJECT_HANDLE h)
{
  buf v;
  if (get_attr(h, CKA_PUBLIC_KEY_INFO, &v) != CKR_OK || v.n == 0) return NULL;
  const unsigned char *p = v.b;
  return d2i_PUBKEY(NULL, &p, (long)v.n);
}

static CK_RV gen_pair(CK_MECHANISM_TYPE mt, CK_ATTRIBUTE *pt, CK_ULONG pn,
                      CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
  CK_MECHANISM m = {mt, NULL, 0};
  CK_ATTRIBUTE vt[] = {AV(CKA_SENSITIVE, T), AV(CKA_EXTRACTABLE, F), AV(CKA_DERIVE, T)};
  return p11->C_GenerateKeyPair(S, &m, pt, pn, vt, KT_ARRAY_LEN(vt), pub, priv);
}

static CK_RV gen_ec(CK_MECHANISM_TYPE mt, const void *params, size_t pl,
                    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
  CK_ATTRIBUTE pt[] = {A(CKA_EC_PARAMS, params, pl), AV(CKA_DERIVE, T)};
  return gen_pair(mt, pt, KT_ARRAY_LEN(pt), pub, priv);
}

static CK_RV gen_rsa(CK_ULONG bits, const void *e, size_t el, CK_OBJECT_HANDLE *pub,
                     CK_OBJECT_HANDLE *priv)
{
  CK_ATTRIBUTE pt[] = {AV(CKA_MODULUS_BITS, bits), A(CKA_PUBLIC_EXPONENT, e, el)};
  return gen_pair(CKM_RSA_PKCS_KEY_PAIR_GEN, pt, e ? 2 : 1, pub, priv);
}

/* ------------------------------------------------------------------ */
/* mechanism list and info */

static void test_mech_info(void)
{
  static const struct { CK_MECHANISM_TYPE m; CK_ULONG min, max; CK_FLAGS f; } want[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, 8192, CKF_GENERATE_KEY_PAIR},
    {CKM_RSA_PKCS, 1024, 16384, CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
    {CKM_RSA_X_509, 1024, 16384, CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT},
    {CKM_RSA_PKCS_OAEP, 1024, 16384, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP},
    {CKM_RSA_PKCS_PSS, 1024, 16384, CKF_SIGN | CKF_VERIFY},
    {CKM_SHA256_RSA_PKCS, 1024, 16384, CKF_SIGN | CKF_VERIFY},
    {CKM_SHA3_512_RSA_PKCS, 1024, 16384, CKF_SIGN | CKF_VERIFY},
    {CKM_SHA512_RSA_PKCS_PSS, 1024, 16384, CKF_SIGN | CKF_VERIFY},
    {CKM_EC_KEY_PAIR_GEN, 256, 521, CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS},
    {CKM_ECDSA, 256, 521, CKF_SIGN | CKF_VERIFY | CKF_EC_F_P | CKF_EC_OID},
    {CKM_ECDSA_SHA3_384, 256, 521, CKF_SIGN | CKF_VERIFY},
    {CKM_ECDH1_DERIVE, 255, 521, CKF_DERIVE},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN, 255, 448, CKF_GENERATE_KEY_PAIR},
    {CKM_EDDSA, 255, 448, CKF_SIGN | CKF_VERIFY},
    {CKM_EC_MONTGOMERY_KEY_PAIR_GEN, 255, 448, CKF_GENERATE_KEY_PAIR},
  };
  CK_MECHANISM_TYPE list[512];
  CK_ULONG n = KT_ARRAY_LEN(list);
  KT_OK_F(p11->C_GetMechanismList(aslot, list, &n));
  for (size_t i = 0; i < KT_ARRAY_LEN(want); i++) {
    CK_MECHANISM_INFO info;
    int found = 0;
    for (CK_ULONG j = 0; j < n; j++) found |= list[j] == want[i].m;
    KT_CHECK(found, "mechanism 0x%lx listed", want[i].m);
    if (!KT_OK(p11->C_GetMechanismInfo(aslot, want[i].m, &info))) continue;
    KT_CHECK(info.ulMinKeySize == want[i].min && info.ulMaxKeySize == want[i].max,
             "0x%lx sizes %lu..%lu", want[i].m, info.ulMinKeySize, info.ulMaxKeySize);
    KT_CHECK((info.flags & want[i].f) == want[i].f, "0x%lx flags 0x%lx", want[i].m, info.flags);
    KT_CHECK(!(info.flags & (CKF_HW | CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER)),
             "0x%lx: no HW / recover flags", want[i].m);
  }
}

/* ------------------------------------------------------------------ */
/* ECDSA: FIPS 186 vectors */

static void test_ecdsa_cavp(void)
{
  CK_MECHANISM sha256 = {CKM_ECDSA_SHA256, NULL, 0}, raw = {CKM_ECDSA, NULL, 0};
  CK_MECHANISM sha384 = {CKM_ECDSA_SHA384, NULL, 0};
  CK_OBJECT_HANDLE h;

  /* 186-4 SigGen [P-256,SHA-256], first record (public point as DER OCTET STRING) */
  buf msg = H("5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf416983fe165b1a04"
              "5ee2bcd2e6dca3bdf46c4310a7461f9a37960ca672d3feb5473e253605fb1ddfd28065b53cb5858a8a"
              "d28175bf9bd386a5e471ea7a65c17cc934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0"
              "debd97d79ce8");
  buf q = point("1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
                "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9");
  buf sig = H("f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac"
              "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903");
  buf dq = der_octet(&q);
  KT_OK_F(mk_ec_pub(CKK_EC, OID_P256, sizeof OID_P256, dq.b, dq.n, &h));
  verify_kat(&sha256, h, &msg, &sig, "P-256 SigGen #1");
  /* the same through multi-part verify */
  KT_OK(p11->C_VerifyInit(S, &sha256, h));
  KT_OK(p11->C_VerifyUpdate(S, msg.b, 10));
  KT_OK(p11->C_VerifyUpdate(S, msg.b + 10, msg.n - 10));
  KT_OK(p11->C_VerifyFinal(S, sig.b, sig.n));

  /* SigVer [P-256,SHA-256] F record (S changed) */
  buf m2 = H("e4796db5f785f207aa30d311693b3702821dff1168fd2e04c0836825aefd850d9aa60326d88cde1a"
             "23c7745351392ca2288d632c264f197d05cd424a30336c19fd09bb229654f0222fcb881a4b35c290a0"
             "93ac159ce13409111ff0358411133c24f5b8e2090d6db6558afc36f06ca1f6ef779785adba68db27a4"
             "09859fc4c4a0");
  buf q2 = point("87f8f2b218f49845f6f10eec3877136269f5c1a54736dbdf69f89940cad41555",
                 "e15f369036f49842fac7a86c8a2b0557609776814448b8f5e84aa9f4395205e9");
  buf s2 = H("d19ff48b324915576416097d2544f7cbdf8768b1454ad20e0baac50e211f23b0"
             "a3e81e59311cdfff2d4784949f7a2cb50ba6c3a91fa54710568e61aca3e847c6");
  KT_OK_F(mk_ec_pub(CKK_EC, OID_P256, sizeof OID_P256, q2.b, q2.n, &h));   /* raw point */
  KT_RV(do_verify(&sha256, h, m2.b, m2.n, s2.b, s2.n), CKR_SIGNATURE_INVALID);

  /* SigVer [P-256,SHA-256] P record, verified over its digest with CKM_ECDSA */
  buf d3 = H("d1b8ef21eb4182ee270638061063a3f3c16c114e33937f69fb232cc833965a94");
  buf q3 = point("e424dc61d4bb3cb7ef4344a7f8957a0c5134e16f7a67c074f82e6e12f49abf3c",
                 "970eed7aa2bc48651545949de1dddaf0127e5965ac85d1243d6f60e7dfaee927");
  buf s3 = H("bf96b99aa49c705c910be33142017c642ff540c76349b9dab72f981fd9347f4f"
             "17c55095819089c2e03b9cd415abdf12444e323075d98f31920b9e0f57ec871c");
  KT_OK_F(mk_ec_pub(CKK_EC, OID_P256, sizeof OID_P256, q3.b, q3.n, &h));
  verify_kat(&raw, h, &d3, &s3, "P-256 SigVer (digest)");

  /* SigVer [P-384,SHA-384] P record; EC_PARAMS as a PrintableString */
  buf m4 = H("93e7e75cfaf3fa4e71df80f7f8c0ef6672a630d2dbeba1d61349acbaaa476f5f0e34dccbd85b9a81"
             "5d908203313a22fe3e919504cb222d623ad95662ea4a90099742c048341fe3a7a51110d30ad3a48a"
             "777c6347ea8b71749316e0dd1902facb304a76324b71f3882e6e70319e13fc2bb9f3f5dbb9bd2cc7"
             "265f52dfc0a3bb91");
  buf d4 = H("709d1bf45b5817f5a67b859651eb47133ebed2622fda09ab66d3467b5e95da50ecc2c74d8f4d289f"
             "eebec29729a4bfa3");
  buf q4 = point("a370cdbef95d1df5bf68ec487122514a107db87df3f8852068fd4694abcadb9b14302c72491a76a6"
                 "4442fc07bd99f02c",
                 "d397c25dc1a5781573d039f2520cf329bf65120fdbe964b6b80101160e533d5570e62125b9f3276c"
                 "49244b8d0f3e44ec");
  buf s4 = H("c6c7bb516cc3f37a304328d136b2f44bb89d3dac78f1f5bcd36b412a8b4d879f6cdb75175292c696"
             "b58bfa9c91fe6391"
             "6b711425e1b14f7224cd4b96717a84d65a60ec9951a30152ea1dd3b6ea66a0088d1fd3e9a1ef0698"
             "04b7d969148c37a0");
  KT_OK_F(mk_ec_pub(CKK_EC, PS_P384, sizeof PS_P384 - 1, q4.b, q4.n, &h));
  verify_kat(&raw, h, &d4, &s4, "P-384 SigVer (digest)");
  verify_kat(&sha384, h, &m4, &s4, "P-384 SigVer (message)");
  /* CKM_ECDSA takes any hash length: a longer one is truncated (FIPS 186 6.4) */
  buf d4long = d4;
  memcpy(d4long.b + d4.n, "\xff\xff", 2);
  d4long.n += 2;
  KT_CHECK(do_verify(&raw, h, d4long.b, d4long.n, s4.b, s4.n) == CKR_OK,
           "CKM_ECDSA truncates a long input");
}

/* ------------------------------------------------------------------ */
/* RSA: FIPS 186 vectors */

static const char *N1024 =
    "a8d68acd413c5e195d5ef04e1b4faaf242365cb450196755e92e1215ba59802aafbadbf2564dd550956abb54f8b1c917"
    "844e5f36195d1088c600e07cada5c080ede679f50b3de32cf4026e514542495c54b1903768791aae9e36f082cd38e941"
    "ada89baecada61ab0dd37ad536bcb0a0946271594836e92ab5517301d45176b5";

static void test_rsa_cavp(void)
{
  CK_MECHANISM m1 = {CKM_SHA1_RSA_PKCS, NULL, 0}, m224 = {CKM_SHA224_RSA_PKCS, NULL, 0};
  CK_MECHANISM m512 = {CKM_SHA512_RSA_PKCS, NULL, 0};
  CK_OBJECT_HANDLE h3, h17, hp;
  buf n = H(N1024), e3 = H("03"), e17 = H("11");

  KT_OK_F(mk_rsa_pub(&n, &e3, &h3));
  KT_OK_F(mk_rsa_pub(&n, &e17, &h17));
  KT_EQ_UL(get_ul(h3, CKA_MODULUS_BITS), 1024);

  /* SigVer15 [mod = 1024] SHAAlg = SHA1, Result = P */
  buf msg = H("d73829497cddbe41b705faac50e7899fdb5a38bf3a459e536357029e64f8796ba47f4fe96ba5a8b9a4396746e2164f55"
              "a25368ddd0b9a5188c7ac3da2d1f742286c3bdee697f9d546a25efcfe53191d743fcc6b47833d993d08804daeca78fb9"
              "076c3c017f53e33a90305af06220974d46bf19ed3c9b84edbae98b45a8771258");
  buf s1 = H("175015bda50abe0fa7d39a8353885ca01be3a7e7fcc55045744111362ee1914473a48dc537d956294b9e20a1ef661d58"
             "537acdc8de908fa050630fcc272e6d001045e6fdeed2d10531c8603334c2e8db39e73e6d9665ee1343f9e4198302d220"
             "1b44e8e8d06b3ef49cee6197582163a8490089ca654c0012fce1ba6511089750");
  verify_kat(&m1, h3, &msg, &s1, "SigVer15 SHA1");
  /* SHAAlg = SHA224, Result = P (same message) */
  buf s224 = H("57677b089e205486df4f56755972e3af88cabbc23efe29439b8d1e60ac226e990da487857392856d12cdcea387a269d1"
               "bbbc128549a1135ab062201cab8ac08886a313af8554506d7a93855b843086a1bf3dfbcb004ccde779c084ffa1724b41"
               "d17e10c8dd67dc0df26200376550eda14455d9b0b31f1d8c5e8bb1d3d963d0d5");
  verify_kat(&m224, h3, &msg, &s224, "SigVer15 SHA224");
  /* SHAAlg = SHA512, e = 11, Result = P */
  buf m5 = H("a6cc1c55dd9b8da73acc6716344503690a9db27bb439518719b41da28284c9894fdbce9de9cc032cf7af6df2d5c658e0"
             "4121a61c58be6848c2f5ab07291394bdef46b09720b985cca5ff6d22bbb5a4b3a4639ff19ca49fe80f8787c30934ea92"
             "eed3694a6ba93c0dac840eacd05a0e6b9a2d430469311fee6a3158de0c2ff38f");
  buf s5 = H("82f547779204eefa0d857ae077b2e02e61dc76ee75e709388ce33b3f227dc96c5a98148a816a4c954516a7e44b00b080"
             "cd8b05cfa4ae9ff82d64b811f62e6752904b88c2e4a9d54088a49d2d480c267b96974c46f75a4fd9cf09acca14290d65"
             "15defc75e0807334cba3f492d42a17dec01396e39d7d8335bb4d11a1c19db3d2");
  verify_kat(&m512, h17, &m5, &s5, "SigVer15 SHA512");
  /* SHAAlg = SHA1, Result = F (1 - Message changed) */
  buf mf = H("ff23e00f819bae424e41d6b762ea6b88801e651c831c964af31de0c1d6dda4a7c8587d804ed12f526819da06650e7412"
             "fb627555979ed442f2663341e5fe57527e0ddaf453a124451674976a6a6e0a31f56a79f5b73dfac39af4f3ba4a5e8bb8"
             "46cb5e333812756482d975ab1910162f96bfd7c58a02f113125189f5ac05291f");
  buf sf = H("a3877b854832d6a6dec749a908e8bd3a73b24372e80321ed01c19ce066117d8efe78ef7168af8acd139e47dd262c0c92"
             "ed1701cf6c07e0c1140f82040167f55bb5180c18ad9e66a18dacf0742c1f05173129ed5ac523faeeb2119639cd30ae5a"
             "435884b55043d4fb7fa9af0dd92c365386044c2e8bcd196b3787bfede47fff37");
  KT_RV(do_verify(&m1, h3, mf.b, mf.n, sf.b, sf.n), CKR_SIGNATURE_INVALID);
  /* raw CKM_RSA_PKCS: verify DigestInfo(SHA-1(msg)) */
  {
    CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0};
    buf di = H("3021300906052b0e03021a05000414");
    unsigned char md[20];
    unsigned int ml = 0;
    EVP_Digest(msg.b, msg.n, md, &ml, EVP_sha1(), NULL);
    memcpy(di.b + di.n, md, 20);
    di.n += 20;
    verify_kat(&raw, h3, &di, &s1, "SigVer15 SHA1 via CKM_RSA_PKCS");
  }

  /* SigGenPSS_186-3 [mod = 1024], salt length 0, MGF1 with the same hash */
  buf np = H("c87155f3d9f3771f6ab89ef30cd36230463902ff0633aa869b6dbd7592c83f4b2f882739ff499f1499fb0db4586c7f7b"
             "2dfd5a37dbe0df37dea9d0d5814a4047b647c1d8eb356ebae6a198899f97c25f9182fab2b6be88384a1b8cb16a82a05a"
             "aadf610ce2e045b41b8880a13b7133ea07296126471c9a450ae48bc880102c8b");
  buf ep = H("1001");
  KT_OK_F(mk_rsa_pub(&np, &ep, &hp));
  CK_RSA_PKCS_PSS_PARAMS p1 = {CKM_SHA_1, CKG_MGF1_SHA1, 0}, p256 = {CKM_SHA256, CKG_MGF1_SHA256, 0};
  CK_MECHANISM pss1 = {CKM_SHA1_RSA_PKCS_PSS, &p1, sizeof p1};
  CK_MECHANISM pss256 = {CKM_SHA256_RSA_PKCS_PSS, &p256, sizeof p256};
  buf pm1 = H("cfaecfe138c2e6e1ae3a2c46177944bbc29da763920fea125f5840be99373f302ef0e7ffaee6e0bfae6c03766ad91c4f"
              "aedaee93f60d78d4d4cb776c92452c2618d25f3a1187a47f4a09dddc5a9f00ff888b1b52e99b952bc9fbb6444c4d696a"
              "55fb4179a7ccbb874bb6c36031f479331a58348ab4e1c77f0790042d11787f66");
  buf ps1 = H("101769CABA2C5A8652AEFBC55466D0476D5DEC508EFF8AD282E56033F9C8389B77615D83BBC2556C245B0DECD63AAB20"
              "84A3653F361C94E4DD9DA2D17E390A0AF2AA46AE7382D96D3F45AB88CB81694BCA9D072AAEC703B4681E741687BF8DDE"
              "FEC11A3427BACD601A6849A328C0AC7367FB7B8A751A125113729BC6160568C9");
  verify_kat(&pss1, hp, &pm1, &ps1, "SigGenPSS SHA1");
  buf pm2 = H("19828d058058243557e29ec3f95b566fb4292c6e7dc0d56ae1c475cb3f6d6f3535307b51589cfad1288287ae4358cfb4"
              "d8dfa2415f044a4a87041b9e70d44b6f1bc0040e1f52b8f69d75b50c75daf925ba9b47c9641f7a37453d1aa83fa42dd8"
              "b37a4fc33c4305ac9e054f64f9a97cc943a5428df4d80e3903b5997112a4bc79");
  buf ps2 = H("A3263F4C84AB6EF687A3853E5D91D296B125428F80F3C4DCEFCF4FB7F1C41CEBF9AA3CFD0CF2B617EC2DF8AB3379FFCC"
              "7FDF72EC659940E0DCDFA453BEF7E9172941B5C8AAF87E58DE3316F103856D922AE5929B3B6CF2A7BBF95C49DDBD8C15"
              "B4AC73370D0A28B20514637ABFF56157E15DF57C5860EDEBED44D4917F2D1F8B");
  verify_kat(&pss256, hp, &pm2, &ps2, "SigGenPSS SHA256");
  /* CKM_RSA_PKCS_PSS over the digest */
  {
    CK_MECHANISM raw = {CKM_RSA_PKCS_PSS, &p256, sizeof p256};
    buf d = {{0}, 32};
    unsigned int ml = 0;
    EVP_Digest(pm2.b, pm2.n, d.b, &ml, EVP_sha256(), NULL);
    verify_kat(&raw, hp, &d, &ps2, "SigGenPSS SHA256 via CKM_RSA_PKCS_PSS");
    /* the salt length is checked */
    CK_RSA_PKCS_PSS_PARAMS p20 = {CKM_SHA256, CKG_MGF1_SHA256, 20};
    CK_MECHANISM raw20 = {CKM_RSA_PKCS_PSS, &p20, sizeof p20};
    KT_RV(do_verify(&raw20, hp, d.b, d.n, ps2.b, ps2.n), CKR_SIGNATURE_INVALID);
    KT_RV(do_verify(&raw, hp, d.b, 31, ps2.b, ps2.n), CKR_DATA_LEN_RANGE);
  }
}

/* ------------------------------------------------------------------ */
/* EdDSA: RFC 8032 */

static void ed_vector(CK_KEY_TYPE kt, const void *params, size_t pl, const char *sk,
                      const char *pk, const char *msg, const char *sig, int split)
{
  CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
  CK_OBJECT_HANDLE priv, pub;
  buf s = H(sk), p = H(pk), mm = H(msg), want = H(sig), got = {{0}, 0};

  KT_OK_F(mk_ec_priv(kt, params, pl, s.b, s.n, &priv));
  KT_OK_F(mk_ec_pub(kt, params, pl, p.b, p.n, &pub));
  KT_OK(do_sign(&m, priv, mm.b, mm.n, &got));
  KT_CHECK(got.n == want.n && !memcmp(got.b, want.b, want.n), "RFC 8032 signature of %s", msg);
  verify_kat(&m, pub, &mm, &want, "RFC 8032");
  if (split && mm.n >= 2) {           /* multi-part: the module collects the message */
    CK_ULONG n = sizeof got.b;
    KT_OK(p11->C_SignInit(S, &m, priv));
    KT_OK(p11->C_SignUpdate(S, mm.b, 1));
    KT_OK(p11->C_SignUpdate(S, mm.b + 1, mm.n - 1));
    KT_OK(p11->C_SignFinal(S, got.b, &n));
    KT_CHECK(n == want.n && !memcmp(got.b, want.b, n), "multi-part EdDSA");
    KT_OK(p11->C_VerifyInit(S, &m, pub));
    KT_OK(p11->C_VerifyUpdate(S, mm.b, 1));
    KT_OK(p11->C_VerifyUpdate(S, mm.b + 1, mm.n - 1));
    KT_OK(p11->C_VerifyFinal(S, want.b, want.n));
  }
  /* the public key's SPKI, filled on import */
  EVP_PKEY *k = spki_of(pub);
  KT_CHECK(k != NULL && EVP_PKEY_is_a(k, kt == CKK_EC_EDWARDS && p.n == 32 ? "ED25519" : "ED448"),
           "CKA_PUBLIC_KEY_INFO");
  EVP_PKEY_free(k);
}

static void test_eddsa_rfc8032(void)
{
  /* 7.1 TEST 1..3; EC_PARAMS as OID and as PrintableString */
  ed_vector(CKK_EC_EDWARDS, OID_ED25519, sizeof OID_ED25519,
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", 0);
  ed_vector(CKK_EC_EDWARDS, PS_ED25519, sizeof PS_ED25519 - 1,
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00", 0);
  ed_vector(CKK_EC_EDWARDS, OID_ED25519, sizeof OID_ED25519,
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a", 1);
  /* 7.4 "Blank" */
  ed_vector(CKK_EC_EDWARDS, OID_ED448, sizeof OID_ED448,
            "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3"
            "528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b",
            "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778"
            "edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180", "",
            "533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f"
            "2b233f034f628281f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a"
            "9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cdda8530a113a0f4db"
            "b61149f05a7363268c71d95808ff2e652600", 0);
}

/* What OpenSSL 3.0 can do with CK_EDDSA_PARAMS: pure Ed448 only. */
static void test_eddsa_params(void)
{
  CK_OBJECT_HANDLE pub, priv, pub4, priv4;
  CK_EDDSA_PARAMS pure = {CK_FALSE, 0, NULL}, ph = {CK_TRUE, 0, NULL};
  CK_EDDSA_PARAMS ctx = {CK_FALSE, 3, (CK_BYTE_PTR)"foo"};
  CK_MECHANISM m_pure = {CKM_EDDSA, &pure, sizeof pure}, m_ph = {CKM_EDDSA, &ph, sizeof ph};
  CK_MECHANISM m_ctx = {CKM_EDDSA, &ctx, sizeof ctx}, m_bad = {CKM_EDDSA, &pure, 3};
  CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
  buf a = {{0}, 0}, b = {{0}, 0};

  KT_OK_F(gen_ec(CKM_EC_EDWARDS_KEY_PAIR_GEN, OID_ED25519, sizeof OID_ED25519, &pub, &priv));
  KT_OK_F(gen_ec(CKM_EC_EDWARDS_KEY_PAIR_GEN, OID_ED448, sizeof OID_ED448, &pub4, &priv4));
  KT_RV(p11->C_SignInit(S, &m_pure, priv), CKR_MECHANISM_PARAM_INVALID);  /* Ed25519ctx */
  KT_RV(p11->C_SignInit(S, &m_ph, priv), CKR_MECHANISM_PARAM_INVALID);    /* Ed25519ph */
  KT_RV(p11->C_SignInit(S, &m_ctx, priv4), CKR_MECHANISM_PARAM_INVALID);  /* Ed448 context */
  KT_RV(p11->C_SignInit(S, &m_ph, priv4), CKR_MECHANISM_PARAM_INVALID);   /* Ed448ph */
  KT_RV(p11->C_SignInit(S, &m_bad, priv4), CKR_MECHANISM_PARAM_INVALID);
  /* Ed448 with phFlag false and no context is pure Ed448 (deterministic) */
  KT_OK(do_sign(&m_pure, priv4, "abc", 3, &a));
  KT_OK(do_sign(&m, priv4, "abc", 3, &b));
  KT_CHECK(a.n == 114 && a.n == b.n && !memcmp(a.b, b.b, a.n), "Ed448 {FALSE, 0} = pure");
}

/* ------------------------------------------------------------------ */
/* X25519: RFC 7748 6.1 through CKM_ECDH1_DERIVE with CKD_NULL */

static CK_RV ecdh(CK_OBJECT_HANDLE base, CK_EC_KDF_TYPE kdf, const void *shared, size_t sl,
                  const void *pub, size_t pl, CK_KEY_TYPE kt, CK_ULONG len, buf *value)
{
  CK_ECDH1_DERIVE_PARAMS p = {kdf, sl, (CK_BYTE_PTR)shared, pl, (CK_BYTE_PTR)pub};
  CK_MECHANISM m = {CKM_ECDH1_DERIVE, &p, sizeof p};
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, kt), AV(CKA_SENSITIVE, F),
                      AV(CKA_EXTRACTABLE, T), AV(CKA_VALUE_LEN, len)};
  CK_OBJECT_HANDLE h;
  CK_RV rv = p11->C_DeriveKey(S, &m, base, t, len ? 5 : 4, &h);
  if (rv == CKR_OK) rv = get_attr(h, CKA_VALUE, value);
  return rv;
}

static void test_x25519_rfc7748(void)
{
  CK_OBJECT_HANDLE ha, hb;
  buf a = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  buf apub = H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  buf b = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  buf bpub = H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  buf k = H("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  buf v, dapub = der_octet(&apub);

  KT_OK_F(mk_ec_priv(CKK_EC_MONTGOMERY, OID_X25519, sizeof OID_X25519, a.b, a.n, &ha));
  KT_OK_F(mk_ec_priv(CKK_EC_MONTGOMERY, OID_X25519, sizeof OID_X25519, b.b, b.n, &hb));
  if (KT_OK(ecdh(ha, CKD_NULL, NULL, 0, bpub.b, bpub.n, CKK_GENERIC_SECRET, 0, &v)))
    KT_CHECK(v.n == 32 && !memcmp(v.b, k.b, 32), "Alice: K");
  /* Bob, with Alice's public value as a DER OCTET STRING */
  if (KT_OK(ecdh(hb, CKD_NULL, NULL, 0, dapub.b, dapub.n, CKK_GENERIC_SECRET, 0, &v)))
    KT_CHECK(v.n == 32 && !memcmp(v.b, k.b, 32), "Bob: K");
  /* AES needs CKA_VALUE_LEN; CKD_NULL takes the leftmost bytes */
  KT_RV(ecdh(ha, CKD_NULL, NULL, 0, bpub.b, bpub.n, CKK_AES, 0, &v), CKR_TEMPLATE_INCOMPLETE);
  if (KT_OK(ecdh(ha, CKD_NULL, NULL, 0, bpub.b, bpub.n, CKK_AES, 16, &v)))
    KT_CHECK(v.n == 16 && !memcmp(v.b, k.b, 16), "AES-128 from K");
  /* bad parameters */
  KT_RV(ecdh(ha, CKD_NULL, "x", 1, bpub.b, bpub.n, CKK_GENERIC_SECRET, 0, &v),
        CKR_MECHANISM_PARAM_INVALID);
  KT_RV(ecdh(ha, CKD_NULL, NULL, 0, bpub.b, 31, CKK_GENERIC_SECRET, 0, &v),
        CKR_MECHANISM_PARAM_INVALID);
  KT_RV(ecdh(ha, 0x4242, NULL, 0, bpub.b, bpub.n, CKK_GENERIC_SECRET, 0, &v),
        CKR_MECHANISM_PARAM_INVALID);
}

/* ------------------------------------------------------------------ */
/* key-pair generation for every type, and round trips */

static void check_gen_attrs(CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv, CK_MECHANISM_TYPE mt)
{
  CK_BBOOL b = CK_FALSE;
  KT_OK(kt_attr_bool(S, pub, CKA_LOCAL, &b));
  KT_CHECK(b, "public CKA_LOCAL");
  KT_OK(kt_attr_bool(S, priv, CKA_LOCAL, &b));
  KT_CHECK(b, "private CKA_LOCAL");
  KT_EQ_UL(get_ul(pub, CKA_KEY_GEN_MECHANISM), mt);
  KT_EQ_UL(get_ul(priv, CKA_KEY_GEN_MECHANISM), mt);
  KT_OK(kt_attr_bool(S, priv, CKA_ALWAYS_SENSITIVE, &b));
  KT_CHECK(b, "CKA_ALWAYS_SENSITIVE");
  KT_OK(kt_attr_bool(S, priv, CKA_NEVER_EXTRACTABLE, &b));
  KT_CHECK(b, "CKA_NEVER_EXTRACTABLE");
  EVP_PKEY *kp = spki_of(pub), *kv = spki_of(priv);
  KT_CHECK(kp != NULL && kv != NULL && EVP_PKEY_eq(kp, kv) == 1,
           "CKA_PUBLIC_KEY_INFO on both halves, equal");
  EVP_PKEY_free(kp);
  EVP_PKEY_free(kv);
  buf v;
  KT_RV(get_attr(priv, CKA_VALUE, &v), CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID);
}

static void sign_roundtrip(CK_MECHANISM *m, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv,
                           size_t want_len, const char *what)
{
  static const char msg[] = "The quick brown fox jumps over the lazy dog";
  buf sig = {{0}, 0};
  if (!KT_OK(do_sign(m, priv, msg, sizeof msg - 1, &sig))) return;
  KT_CHECK(want_len == 0 || sig.n == want_len, "%s: signature length %zu", what, sig.n);
  buf mm = {{0}, sizeof msg - 1};
  memcpy(mm.b, msg, mm.n);
  verify_kat(m, pub, &mm, &sig, what);
}

static void test_keygen_ec(void)
{
  static const struct { const unsigned char *p; size_t pl; size_t siglen; CK_ULONG bits; } c[] = {
    {OID_P256, sizeof OID_P256, 64, 256},
    {OID_P384, sizeof OID_P384, 96, 384},
    {OID_P521, sizeof OID_P521, 132, 521},
  };
  for (size_t i = 0; i < KT_ARRAY_LEN(c); i++) {
    CK_OBJECT_HANDLE pub, priv;
    CK_MECHANISM raw = {CKM_ECDSA, NULL, 0}, s256 = {CKM_ECDSA_SHA256, NULL, 0};
    CK_MECHANISM s3 = {CKM_ECDSA_SHA3_384, NULL, 0};
    if (!KT_OK(gen_ec(CKM_EC_KEY_PAIR_GEN, c[i].p, c[i].pl, &pub, &priv))) continue;
    check_gen_attrs(pub, priv, CKM_EC_KEY_PAIR_GEN);
    buf pt, params;
    KT_OK(get_attr(pub, CKA_EC_POINT, &pt));
    KT_CHECK(pt.n > 2 && pt.b[0] == 0x04 && pt.b[pt.n - (c[i].siglen + 1)] == 0x04,
             "CKA_EC_POINT is a DER OCTET STRING of an uncompressed point");
    KT_OK(get_attr(priv, CKA_EC_PARAMS, &params));
    KT_CHECK(params.n == c[i].pl && !memcmp(params.b, c[i].p, params.n), "private CKA_EC_PARAMS");
    sign_roundtrip(&raw, pub, priv, c[i].siglen, "CKM_ECDSA");
    sign_roundtrip(&s256, pub, priv, c[i].siglen, "CKM_ECDSA_SHA256");
    sign_roundtrip(&s3, pub, priv, c[i].siglen, "CKM_ECDSA_SHA3_384");
    /* multi-part sign, one-shot verify */
    buf sig = {{0}, 0};
    CK_ULONG n = sizeof sig.b;
    KT_OK(p11->C_SignInit(S, &s256, priv));
    KT_OK(p11->C_SignUpdate(S, (CK_BYTE_PTR)"hello ", 6));
    KT_OK(p11->C_SignUpdate(S, (CK_BYTE_PTR)"world", 5));
    KT_OK(p11->C_SignFinal(S, sig.b, &n));
    KT_OK(do_verify(&s256, pub, "hello world", 11, sig.b, n));
    /* CKM_ECDSA is single-part */
    KT_OK(p11->C_SignInit(S, &raw, priv));
    KT_RV(p11->C_SignUpdate(S, (CK_BYTE_PTR)"x", 1), CKR_FUNCTION_NOT_SUPPORTED);
    p11->C_SignInit(S, NULL, priv);
  }
  /* ECDH between two generated P-256 pairs, X9.63 KDF with shared data */
  CK_OBJECT_HANDLE p1, v1, p2, v2;
  KT_OK_F(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_P256, sizeof OID_P256, &p1, &v1));
  KT_OK_F(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_P256, sizeof OID_P256, &p2, &v2));
  buf pt1, pt2, k1, k2;
  KT_OK(get_attr(p1, CKA_EC_POINT, &pt1));
  KT_OK(get_attr(p2, CKA_EC_POINT, &pt2));
  if (KT_OK(ecdh(v1, CKD_SHA256_KDF, "info", 4, pt2.b, pt2.n, CKK_AES, 32, &k1)) &&
      KT_OK(ecdh(v2, CKD_SHA256_KDF, "info", 4, pt1.b + 2, pt1.n - 2, CKK_AES, 32, &k2)))
    KT_CHECK(k1.n == 32 && k1.n == k2.n && !memcmp(k1.b, k2.b, 32), "ECDH agrees");
  if (KT_OK(ecdh(v1, CKD_NULL, NULL, 0, pt2.b, pt2.n, CKK_GENERIC_SECRET, 0, &k1)))
    KT_EQ_UL(k1.n, 32);
  /* a point of another curve */
  CK_OBJECT_HANDLE p3, v3;
  buf pt3;
  KT_OK_F(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_P384, sizeof OID_P384, &p3, &v3));
  KT_OK(get_attr(p3, CKA_EC_POINT, &pt3));
  KT_RV(ecdh(v1, CKD_NULL, NULL, 0, pt3.b, pt3.n, CKK_GENERIC_SECRET, 0, &k1),
        CKR_MECHANISM_PARAM_INVALID);
}

static void test_keygen_edwards_montgomery(void)
{
  CK_OBJECT_HANDLE pub, priv, p2, v2;
  CK_MECHANISM ed = {CKM_EDDSA, NULL, 0};
  buf pt;

  if (KT_OK(gen_ec(CKM_EC_EDWARDS_KEY_PAIR_GEN, OID_ED25519, sizeof OID_ED25519, &pub, &priv))) {
    check_gen_attrs(pub, priv, CKM_EC_EDWARDS_KEY_PAIR_GEN);
    KT_OK(get_attr(pub, CKA_EC_POINT, &pt));
    KT_CHECK(pt.n == 34 && pt.b[0] == 0x04 && pt.b[1] == 32, "Ed25519 CKA_EC_POINT DER");
    sign_roundtrip(&ed, pub, priv, 64, "Ed25519");
  }
  if (KT_OK(gen_ec(CKM_EC_EDWARDS_KEY_PAIR_GEN, OID_ED448, sizeof OID_ED448, &pub, &priv))) {
    check_gen_attrs(pub, priv, CKM_EC_EDWARDS_KEY_PAIR_GEN);
    sign_roundtrip(&ed, pub, priv, 114, "Ed448");
  }
  /* Montgomery: generate two X25519 / X448 pairs and agree */
  static const struct { const unsigned char *p; size_t pl; size_t len; } x[] = {
    {OID_X25519, sizeof OID_X25519, 32}, {PS_X448, sizeof PS_X448 - 1, 56}};
  for (size_t i = 0; i < KT_ARRAY_LEN(x); i++) {
    buf pt2, k1, k2;
    if (!KT_OK(gen_ec(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, x[i].p, x[i].pl, &pub, &priv))) continue;
    check_gen_attrs(pub, priv, CKM_EC_MONTGOMERY_KEY_PAIR_GEN);
    KT_OK_F(gen_ec(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, x[i].p, x[i].pl, &p2, &v2));
    KT_OK(get_attr(pub, CKA_EC_POINT, &pt));
    KT_OK(get_attr(p2, CKA_EC_POINT, &pt2));
    KT_EQ_UL(pt.n, x[i].len + 2);
    if (KT_OK(ecdh(priv, CKD_SHA512_KDF, NULL, 0, pt2.b, pt2.n, CKK_GENERIC_SECRET, 48, &k1)) &&
        KT_OK(ecdh(v2, CKD_SHA512_KDF, NULL, 0, pt.b, pt.n, CKK_GENERIC_SECRET, 48, &k2)))
      KT_CHECK(k1.n == 48 && !memcmp(k1.b, k2.b, 48), "X%u agreement", x[i].len == 32 ? 25519u : 448u);
    /* a Montgomery key cannot sign */
    KT_RV(p11->C_SignInit(S, &ed, priv), CKR_KEY_TYPE_INCONSISTENT);
  }
}

static void test_keygen_rsa(void)
{
  CK_OBJECT_HANDLE pub, priv;
  CK_MECHANISM s256 = {CKM_SHA256_RSA_PKCS, NULL, 0}, s3 = {CKM_SHA3_256_RSA_PKCS, NULL, 0};
  CK_RSA_PKCS_PSS_PARAMS pp = {CKM_SHA384, CKG_MGF1_SHA256, 48};
  CK_MECHANISM pss = {CKM_SHA384_RSA_PKCS_PSS, &pp, sizeof pp};
  static const unsigned char e3[] = {0x01, 0x00, 0x01, 0x01};   /* odd, > 65537 */

  if (!KT_OK(gen_rsa(2048, NULL, 0, &pub, &priv))) return;
  check_gen_attrs(pub, priv, CKM_RSA_PKCS_KEY_PAIR_GEN);
  KT_EQ_UL(get_ul(pub, CKA_MODULUS_BITS), 2048);
  buf n1, n2, e;
  KT_OK(get_attr(pub, CKA_MODULUS, &n1));
  KT_OK(get_attr(priv, CKA_MODULUS, &n2));
  KT_CHECK(n1.n == 256 && n1.n == n2.n && !memcmp(n1.b, n2.b, n1.n), "CKA_MODULUS on both");
  KT_OK(get_attr(priv, CKA_PUBLIC_EXPONENT, &e));
  KT_CHECK(e.n == 3 && !memcmp(e.b, "\x01\x00\x01", 3), "default exponent 65537");
  sign_roundtrip(&s256, pub, priv, 256, "SHA256_RSA_PKCS");
  sign_roundtrip(&s3, pub, priv, 256, "SHA3_256_RSA_PKCS");
  sign_roundtrip(&pss, pub, priv, 256, "SHA384_RSA_PKCS_PSS");
  CK_MECHANISM x509 = {CKM_RSA_X_509, NULL, 0};
  sign_roundtrip(&x509, pub, priv, 256, "RSA_X_509");
  /* the signature is the one OpenSSL makes (v1.5 is deterministic): verify with the SPKI */
  {
    buf sig = {{0}, 0};
    KT_OK(do_sign(&s256, priv, "abc", 3, &sig));
    EVP_PKEY *k = spki_of(pub);
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    KT_CHECK(k && EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(mc, sig.b, sig.n, (const unsigned char *)"abc", 3) == 1,
             "OpenSSL verifies the token's signature");
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(k);
  }
  /* an explicit exponent */
  CK_OBJECT_HANDLE pub2, priv2;
  if (KT_OK(gen_rsa(2048, e3, sizeof e3, &pub2, &priv2))) {
    KT_OK(get_attr(pub2, CKA_PUBLIC_EXPONENT, &e));
    KT_CHECK(e.n == 4 && !memcmp(e.b, e3, 4), "exponent 0x01000101");
    sign_roundtrip(&s256, pub2, priv2, 256, "e = 0x01000101");
  }
}

/* ------------------------------------------------------------------ */
/* encryption, wrapping */

static CK_RV enc(CK_MECHANISM *m, CK_OBJECT_HANDLE h, const void *in, size_t n, buf *out)
{
  CK_ULONG l = 0;
  CK_RV rv = p11->C_EncryptInit(S, m, h);
  if (rv == CKR_OK) rv = p11->C_Encrypt(S, (CK_BYTE_PTR)in, n, NULL, &l);
  if (rv == CKR_OK) rv = l <= sizeof out->b ? p11->C_Encrypt(S, (CK_BYTE_PTR)in, n, out->b, &l)
                                             : CKR_GENERAL_ERROR;
  out->n = l;
  return rv;
}

static CK_RV dec(CK_MECHANISM *m, CK_OBJECT_HANDLE h, const buf *in, buf *out)
{
  CK_ULONG l = sizeof out->b;
  CK_RV rv = p11->C_DecryptInit(S, m, h);
  if (rv == CKR_OK) rv = p11->C_Decrypt(S, (CK_BYTE_PTR)in->b, in->n, out->b, &l);
  out->n = rv == CKR_OK ? l : 0;
  return rv;
}

static void test_rsa_encrypt(void)
{
  CK_OBJECT_HANDLE pub, priv;
  CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "label", 5};
  CK_RSA_PKCS_OAEP_PARAMS o1 = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0};
  CK_RSA_PKCS_OAEP_PARAMS o512 = {CKM_SHA512, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "L", 1};
  CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &op, sizeof op}, oaep1 = {CKM_RSA_PKCS_OAEP, &o1, sizeof o1};
  CK_MECHANISM oaep512 = {CKM_RSA_PKCS_OAEP, &o512, sizeof o512};
  CK_MECHANISM v15 = {CKM_RSA_PKCS, NULL, 0}, x509 = {CKM_RSA_X_509, NULL, 0};
  buf c, p;
  unsigned char big[256];
  memset(big, 0x5a, sizeof big);

  KT_OK_F(gen_rsa(2048, NULL, 0, &pub, &priv));
  /* OAEP with a label, without, and with another MGF1 hash */
  KT_OK(enc(&oaep, pub, "secret", 6, &c));
  KT_EQ_UL(c.n, 256);
  if (KT_OK(dec(&oaep, priv, &c, &p))) KT_CHECK(p.n == 6 && !memcmp(p.b, "secret", 6), "OAEP");
  op.pSourceData = "lab3l";
  KT_RV(dec(&oaep, priv, &c, &p), CKR_ENCRYPTED_DATA_INVALID);
  KT_OK(enc(&oaep1, pub, "x", 1, &c));
  if (KT_OK(dec(&oaep1, priv, &c, &p))) KT_CHECK(p.n == 1 && p.b[0] == 'x', "OAEP SHA-1");
  KT_OK(enc(&oaep512, pub, big, 256 - 2 * 64 - 2, &c));
  if (KT_OK(dec(&oaep512, priv, &c, &p))) KT_EQ_UL(p.n, 126);
  /* lengths */
  KT_RV(enc(&oaep512, pub, big, 256 - 2 * 64 - 1, &c), CKR_DATA_LEN_RANGE);
  KT_RV(enc(&v15, pub, big, 246, &c), CKR_DATA_LEN_RANGE);
  KT_OK(enc(&v15, pub, big, 245, &c));
  c.n--;
  KT_RV(dec(&v15, priv, &c, &p), CKR_ENCRYPTED_DATA_LEN_RANGE);
  c.n++;
  /* v1.5 round trip, then a damaged ciphertext */
  KT_OK(enc(&v15, pub, "hello", 5, &c));
  if (KT_OK(dec(&v15, priv, &c, &p))) KT_CHECK(p.n == 5 && !memcmp(p.b, "hello", 5), "v1.5");
  c.b[10] ^= 1;
  KT_RV(dec(&v15, priv, &c, &p), CKR_ENCRYPTED_DATA_INVALID);
  /* raw RSA: k bytes out, left-padded */
  KT_OK(enc(&x509, pub, "\x01\x02", 2, &c));
  if (KT_OK(dec(&x509, priv, &c, &p)))
    KT_CHECK(p.n == 256 && p.b[254] == 1 && p.b[255] == 2 && p.b[0] == 0, "X.509 raw");
  KT_RV(enc(&x509, pub, big, 257, &c), CKR_DATA_LEN_RANGE);
  /* parameters */
  CK_RSA_PKCS_OAEP_PARAMS bad = op;
  CK_MECHANISM mb = {CKM_RSA_PKCS_OAEP, &bad, sizeof bad};
  bad.source = 0;
  KT_RV(p11->C_EncryptInit(S, &mb, pub), CKR_MECHANISM_PARAM_INVALID);
  bad = op;
  bad.hashAlg = CKM_MD5;
  KT_RV(p11->C_EncryptInit(S, &mb, pub), CKR_MECHANISM_PARAM_INVALID);
  bad = op;
  bad.mgf = 0x42;
  KT_RV(p11->C_EncryptInit(S, &mb, pub), CKR_MECHANISM_PARAM_INVALID);
  mb.ulParameterLen = 3;
  KT_RV(p11->C_EncryptInit(S, &mb, pub), CKR_MECHANISM_PARAM_INVALID);
  mb.pParameter = NULL;
  mb.ulParameterLen = 0;
  KT_RV(p11->C_EncryptInit(S, &mb, pub), CKR_MECHANISM_PARAM_INVALID);
  /* single-part only */
  CK_ULONG l = sizeof c.b;
  KT_OK(p11->C_EncryptInit(S, &v15, pub));
  KT_RV(p11->C_EncryptUpdate(S, (CK_BYTE_PTR)"a", 1, c.b, &l), CKR_FUNCTION_NOT_SUPPORTED);
}

static void test_rsa_wrap(void)
{
  CK_OBJECT_HANDLE pub, priv, aes, un;
  CK_RSA_PKCS_OAEP_PARAMS op = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "wrap", 4};
  CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, &op, sizeof op}, v15 = {CKM_RSA_PKCS, NULL, 0};
  static const unsigned char kv[32] = "0123456789abcdef0123456789ABCDEF";
  CK_ATTRIBUTE at[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_AES), A(CKA_VALUE, kv, 32),
                       AV(CKA_EXTRACTABLE, T), AV(CKA_SENSITIVE, F)};
  CK_ATTRIBUTE ut[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_AES), AV(CKA_EXTRACTABLE, T),
                       AV(CKA_SENSITIVE, F)};
  CK_MECHANISM *ms[] = {&oaep, &v15};
  buf w, v;

  KT_OK_F(gen_rsa(2048, NULL, 0, &pub, &priv));
  KT_OK_F(p11->C_CreateObject(S, at, KT_ARRAY_LEN(at), &aes));
  for (size_t i = 0; i < KT_ARRAY_LEN(ms); i++) {
    CK_ULONG l = 0;
    KT_OK(p11->C_WrapKey(S, ms[i], pub, aes, NULL, &l));
    KT_EQ_UL(l, 256);
    l = sizeof w.b;
    if (!KT_OK(p11->C_WrapKey(S, ms[i], pub, aes, w.b, &l))) continue;
    w.n = l;
    if (KT_OK(p11->C_UnwrapKey(S, ms[i], priv, w.b, w.n, ut, KT_ARRAY_LEN(ut), &un)) &&
        KT_OK(get_attr(un, CKA_VALUE, &v)))
      KT_CHECK(v.n == 32 && !memcmp(v.b, kv, 32), "unwrapped value");
    KT_EQ_UL(get_ul(un, CKA_VALUE_LEN), 32);
    w.b[20] ^= 1;
    KT_RV(p11->C_UnwrapKey(S, ms[i], priv, w.b, w.n, ut, KT_ARRAY_LEN(ut), &un),
          CKR_WRAPPED_KEY_INVALID);
    KT_RV(p11->C_UnwrapKey(S, ms[i], priv, w.b, w.n - 1, ut, KT_ARRAY_LEN(ut), &un),
          CKR_WRAPPED_KEY_LEN_RANGE);
  }
}

/* Private keys as wrap payloads (PKCS #8 inside AES key wrap): the
 * symmetric family's wrapping, the asymmetric family's encoding. */
static void test_wrap_private(void)
{
  CK_MECHANISM_INFO info;
  CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_KWP, NULL, 0}, gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG kl = 32;
  CK_ATTRIBUTE at[] = {AV(CKA_VALUE_LEN, kl), AV(CKA_WRAP, T), AV(CKA_UNWRAP, T)};
  CK_OBJECT_HANDLE aes;

  if (p11->C_GetMechanismInfo(aslot, CKM_AES_KEY_WRAP_KWP, &info) != CKR_OK ||
      !(info.flags & CKF_WRAP)) {
    fprintf(stderr, "  (no CKM_AES_KEY_WRAP_KWP: PKCS #8 wrap not tested)\n");
    return;
  }
  KT_OK_F(p11->C_GenerateKey(S, &gen, at, KT_ARRAY_LEN(at), &aes));
  static const struct { CK_MECHANISM_TYPE gen, sig; CK_KEY_TYPE kt; CK_ULONG bits;
                        const unsigned char *p; size_t pl; } k[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_SHA256_RSA_PKCS, CKK_RSA, 2048, NULL, 0},
    {CKM_EC_KEY_PAIR_GEN, CKM_ECDSA_SHA256, CKK_EC, 0, OID_P384, sizeof OID_P384},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, CKK_EC_EDWARDS, 0, OID_ED448, sizeof OID_ED448},
  };
  for (size_t i = 0; i < KT_ARRAY_LEN(k); i++) {
    CK_MECHANISM g = {k[i].gen, NULL, 0}, sm = {k[i].sig, NULL, 0};
    CK_ATTRIBUTE pt[] = {k[i].p ? (CK_ATTRIBUTE)A(CKA_EC_PARAMS, k[i].p, k[i].pl)
                                : (CK_ATTRIBUTE)AV(CKA_MODULUS_BITS, k[i].bits)};
    CK_ATTRIBUTE vt[] = {AV(CKA_EXTRACTABLE, T), AV(CKA_SENSITIVE, T)};
    CK_ATTRIBUTE ut[] = {AV(CKA_CLASS, C_PRIV), AV(CKA_KEY_TYPE, k[i].kt), AV(CKA_SIGN, T)};
    CK_OBJECT_HANDLE pub, priv, un;
    buf w;
    CK_ULONG l = sizeof w.b;
    if (!KT_OK(p11->C_GenerateKeyPair(S, &g, pt, 1, vt, 2, &pub, &priv))) continue;
    if (!KT_OK(p11->C_WrapKey(S, &kwp, aes, priv, w.b, &l))) continue;
    w.n = l;
    if (!KT_OK(p11->C_UnwrapKey(S, &kwp, aes, w.b, w.n, ut, KT_ARRAY_LEN(ut), &un))) continue;
    sign_roundtrip(&sm, pub, un, 0, "unwrapped private key");
    EVP_PKEY *a = spki_of(pub), *b = spki_of(un);
    KT_CHECK(a && b && EVP_PKEY_eq(a, b) == 1, "unwrapped key's CKA_PUBLIC_KEY_INFO");
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    /* declared as another key type: the payload does not fit */
    CK_KEY_TYPE other = k[i].kt == CKK_RSA ? CKK_EC : CKK_RSA;
    CK_ATTRIBUTE ot[] = {AV(CKA_CLASS, C_PRIV), AV(CKA_KEY_TYPE, other)};
    KT_RV(p11->C_UnwrapKey(S, &kwp, aes, w.b, w.n, ot, 2, &un), CKR_WRAPPED_KEY_INVALID,
          CKR_TEMPLATE_INCONSISTENT);
  }
}

/* ------------------------------------------------------------------ */
/* import and errors */

static void test_import(void)
{
  CK_OBJECT_HANDLE h;
  /* RSA private key from components, then from n, e, d only */
  EVP_PKEY *k = NULL;
  EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
  KT_CHECK_F(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(kc, 2048) == 1 &&
             EVP_PKEY_generate(kc, &k) == 1, "OpenSSL RSA key");
  EVP_PKEY_CTX_free(kc);
  static const char *names[] = {"n", "e", "d", "rsa-factor1", "rsa-factor2", "rsa-exponent1",
                                "rsa-exponent2", "rsa-coefficient1"};
  static const CK_ATTRIBUTE_TYPE types[] = {CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT,
                                            CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
                                            CKA_COEFFICIENT};
  buf part[8];
  CK_ATTRIBUTE t[10] = {AV(CKA_CLASS, C_PRIV), AV(CKA_KEY_TYPE, K_RSA)};
  for (int i = 0; i < 8; i++) {
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(k, names[i], &bn);
    part[i].n = (size_t)BN_bn2bin(bn, part[i].b);
    BN_clear_free(bn);
    t[2 + i] = (CK_ATTRIBUTE){types[i], part[i].b, part[i].n};
  }
  CK_OBJECT_HANDLE full, ned, pub;
  CK_MECHANISM s256 = {CKM_SHA256_RSA_PKCS, NULL, 0};
  KT_OK(p11->C_CreateObject(S, t, 10, &full));
  KT_OK(p11->C_CreateObject(S, t, 5, &ned));                    /* n, e, d */
  CK_ATTRIBUTE pt[] = {AV(CKA_CLASS, C_PUB), AV(CKA_KEY_TYPE, K_RSA), t[2], t[3]};
  KT_OK(p11->C_CreateObject(S, pt, 4, &pub));
  KT_EQ_UL(get_ul(pub, CKA_MODULUS_BITS), 2048);
  EVP_PKEY *sp = spki_of(pub), *sv = spki_of(full);
  KT_CHECK(sp && EVP_PKEY_eq(sp, k) == 1, "imported public SPKI = the key");
  KT_CHECK(sv && EVP_PKEY_eq(sv, k) == 1, "imported private SPKI = the key");
  EVP_PKEY_free(sp);
  EVP_PKEY_free(sv);
  sign_roundtrip(&s256, pub, full, 256, "imported CRT key");
  sign_roundtrip(&s256, pub, ned, 256, "imported n,e,d key");
  /* missing e: incomplete; a partial CRT set: inconsistent; a wrong prime: invalid */
  CK_ATTRIBUTE t2[10];
  memcpy(t2, t, sizeof t);
  t2[3] = t[4];                                                  /* n, d */
  KT_RV(p11->C_CreateObject(S, t2, 4, &h), CKR_TEMPLATE_INCOMPLETE);
  KT_RV(p11->C_CreateObject(S, t, 6, &h), CKR_TEMPLATE_INCONSISTENT);
  buf badp = part[3];
  badp.b[badp.n - 1] ^= 2;
  memcpy(t2, t, sizeof t);
  t2[5].pValue = badp.b;
  KT_RV(p11->C_CreateObject(S, t2, 10, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  /* garbage public keys */
  buf even = part[0];
  even.b[even.n - 1] &= 0xfe;
  CK_ATTRIBUTE pe[] = {AV(CKA_CLASS, C_PUB), AV(CKA_KEY_TYPE, K_RSA), A(CKA_MODULUS, even.b, even.n), t[3]};
  KT_RV(p11->C_CreateObject(S, pe, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  EVP_PKEY_free(k);

  /* EC: a point off the curve, a private value out of range, curves */
  buf q = point("1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
                "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9");
  q.b[40] ^= 1;
  KT_RV(mk_ec_pub(CKK_EC, OID_P256, sizeof OID_P256, q.b, q.n, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  KT_RV(mk_ec_pub(CKK_EC, OID_P256, sizeof OID_P256, q.b, 10, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  buf d = H("519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464");
  CK_OBJECT_HANDLE ecv;
  KT_OK(mk_ec_priv(CKK_EC, OID_P256, sizeof OID_P256, d.b, d.n, &ecv));
  {
    /* its SPKI holds the SigGen public point */
    buf qq = point("1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
                   "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9");
    unsigned char enc_pt[65];
    size_t el = 0;
    EVP_PKEY *ek = spki_of(ecv);
    KT_CHECK(ek && EVP_PKEY_get_octet_string_param(ek, OSSL_PKEY_PARAM_PUB_KEY, enc_pt, sizeof enc_pt, &el) &&
             el == 65 && !memcmp(enc_pt, qq.b, 65), "EC private key's SPKI");
    EVP_PKEY_free(ek);
  }
  buf n = H("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");  /* the order */
  KT_RV(mk_ec_priv(CKK_EC, OID_P256, sizeof OID_P256, n.b, n.n, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  KT_RV(mk_ec_priv(CKK_EC, OID_K256, sizeof OID_K256, d.b, d.n, &h), CKR_CURVE_NOT_SUPPORTED);
  KT_RV(mk_ec_priv(CKK_EC, OID_ED25519, sizeof OID_ED25519, d.b, d.n, &h), CKR_CURVE_NOT_SUPPORTED);
  KT_RV(mk_ec_priv(CKK_EC_EDWARDS, OID_ED25519, sizeof OID_ED25519, d.b, 31, &h),
        CKR_ATTRIBUTE_VALUE_INVALID);
  KT_RV(mk_ec_priv(CKK_EC_MONTGOMERY, OID_X448, sizeof OID_X448, d.b, d.n, &h),
        CKR_ATTRIBUTE_VALUE_INVALID);
}

static void test_errors(void)
{
  CK_OBJECT_HANDLE pub, priv, h, h2;
  static const unsigned char e3[] = {0x03}, e_even[] = {0x01, 0x00, 0x02};
  static const unsigned char garbage[] = {0x04, 0x02, 0x01, 0x02};

  /* key generation */
  KT_RV(gen_rsa(1024, NULL, 0, &h, &h2), CKR_KEY_SIZE_RANGE);
  KT_RV(gen_rsa(16384, NULL, 0, &h, &h2), CKR_KEY_SIZE_RANGE);
  KT_RV(gen_rsa(2048, e3, 1, &h, &h2), CKR_ATTRIBUTE_VALUE_INVALID);
  KT_RV(gen_rsa(2048, e_even, 3, &h, &h2), CKR_ATTRIBUTE_VALUE_INVALID);
  KT_RV(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_K256, sizeof OID_K256, &h, &h2), CKR_CURVE_NOT_SUPPORTED);
  KT_RV(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_X25519, sizeof OID_X25519, &h, &h2), CKR_CURVE_NOT_SUPPORTED);
  KT_RV(gen_ec(CKM_EC_EDWARDS_KEY_PAIR_GEN, OID_P256, sizeof OID_P256, &h, &h2), CKR_CURVE_NOT_SUPPORTED);
  KT_RV(gen_ec(CKM_EC_KEY_PAIR_GEN, garbage, sizeof garbage, &h, &h2),
        CKR_ATTRIBUTE_VALUE_INVALID, CKR_CURVE_NOT_SUPPORTED);

  /* parameters and lengths */
  KT_OK_F(gen_rsa(2048, NULL, 0, &pub, &priv));
  CK_RSA_PKCS_PSS_PARAMS pp = {CKM_SHA384, CKG_MGF1_SHA384, 32};
  CK_MECHANISM pss256 = {CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof pp};
  CK_MECHANISM pss = {CKM_RSA_PKCS_PSS, &pp, sizeof pp};
  CK_MECHANISM v15 = {CKM_RSA_PKCS, NULL, 0};
  KT_RV(p11->C_SignInit(S, &pss256, priv), CKR_MECHANISM_PARAM_INVALID);   /* hash mismatch */
  pp.sLen = 256;
  KT_RV(p11->C_SignInit(S, &pss, priv), CKR_MECHANISM_PARAM_INVALID);      /* salt too long */
  pp.sLen = 32;
  pp.mgf = 0;
  KT_RV(p11->C_SignInit(S, &pss, priv), CKR_MECHANISM_PARAM_INVALID);
  pp.mgf = CKG_MGF1_SHA384;
  buf sig = {{0}, 0};
  unsigned char big[300] = {0};
  KT_RV(do_sign(&pss, priv, big, 32, &sig), CKR_DATA_LEN_RANGE);            /* not a SHA-384 */
  KT_OK(do_sign(&pss, priv, big, 48, &sig));
  KT_RV(do_sign(&v15, priv, big, 246, &sig), CKR_DATA_LEN_RANGE);
  KT_OK(do_sign(&v15, priv, big, 245, &sig));

  /* size query and a short buffer */
  CK_ULONG n = 0;
  KT_OK(p11->C_SignInit(S, &v15, priv));
  KT_OK(p11->C_Sign(S, big, 20, NULL, &n));
  KT_EQ_UL(n, 256);
  n = 10;
  KT_RV(p11->C_Sign(S, big, 20, sig.b, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 256);
  n = sizeof sig.b;
  KT_OK(p11->C_Sign(S, big, 20, sig.b, &n));

  /* EC sizes */
  CK_OBJECT_HANDLE ep, ev;
  CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
  KT_OK_F(gen_ec(CKM_EC_KEY_PAIR_GEN, OID_P521, sizeof OID_P521, &ep, &ev));
  KT_OK(p11->C_SignInit(S, &ecdsa, ev));
  n = 0;
  KT_OK(p11->C_Sign(S, big, 64, NULL, &n));
  KT_EQ_UL(n, 132);
  p11->C_SignInit(S, NULL, ev);
  /* wrong key types */
  KT_RV(p11->C_SignInit(S, &ecdsa, priv), CKR_KEY_TYPE_INCONSISTENT);
  KT_RV(p11->C_SignInit(S, &v15, ev), CKR_KEY_TYPE_INCONSISTENT);
  CK_ECDH1_DERIVE_PARAMS dp = {CKD_NULL, 0, NULL, 3, (CK_BYTE_PTR)"abc"};
  CK_MECHANISM dm = {CKM_ECDH1_DERIVE, &dp, sizeof dp};
  CK_ATTRIBUTE st[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC)};
  KT_RV(p11->C_DeriveKey(S, &dm, priv, st, 2, &h), CKR_KEY_TYPE_INCONSISTENT);
}

/* ================================================================== */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("asym", suite_init, NULL, setup, teardown);
  kt_test(s, "mechanism list and info", test_mech_info);
  kt_test(s, "ECDSA FIPS 186 vectors", test_ecdsa_cavp);
  kt_test(s, "RSA FIPS 186 vectors (v1.5, PSS)", test_rsa_cavp);
  kt_test(s, "EdDSA RFC 8032 vectors", test_eddsa_rfc8032);
  kt_test(s, "CK_EDDSA_PARAMS on OpenSSL 3.0", test_eddsa_params);
  kt_test(s, "X25519 RFC 7748 via ECDH1_DERIVE", test_x25519_rfc7748);
  kt_test(s, "EC key pairs, ECDSA, ECDH", test_keygen_ec);
  kt_test(s, "Edwards / Montgomery key pairs", test_keygen_edwards_montgomery);
  kt_test(s, "RSA key pairs and signatures", test_keygen_rsa);
  kt_test(s, "RSA encryption", test_rsa_encrypt);
  kt_test(s, "RSA wrap / unwrap", test_rsa_wrap);
  kt_test(s, "private keys in AES key wrap (PKCS #8)", test_wrap_private);
  kt_test(s, "key import", test_import);
  kt_test(s, "error codes", test_errors);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, NULL);
}
