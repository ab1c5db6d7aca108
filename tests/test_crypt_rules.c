/*
 * test_crypt_rules.c - the PKCS #11 3.0 operation rules of the
 * cryptographic functions, with their exact return values (base 3.0 5.2 and
 * 5.8 - 5.18):
 *   one operation of each kind; Init while active; calls without Init;
 *   Init(NULL_PTR) terminates; the length query and CKR_BUFFER_TOO_SMALL
 *   keep the operation for every function, any other error ends it; the
 *   one-shot call after an Update; mechanism / key / parameter checks;
 *   CKA_ALWAYS_AUTHENTICATE; the wrap / unwrap / derive attribute rules.
 */
#include "kt_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_SLOT_ID slot;
static CK_SESSION_HANDLE S;
static int have_token;

static int suite_up(void)
{
  return kt_suite_login("rules", SO_PIN, USER_PIN, &slot, &have_token, &S);
}

static int suite_down(void)
{
  p11->C_Finalize(NULL);
  return 0;
}

static const uint8_t K16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static uint8_t IV[16];
static uint8_t DATA[64];

/* A session secret key; extra attributes override the defaults. */
static CK_OBJECT_HANDLE mk_key_x(CK_KEY_TYPE kt, const void *v, size_t n,
                                 const CK_ATTRIBUTE *extra, size_t nx)
{
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_BBOOL f = CK_FALSE, t = CK_TRUE;
  CK_ATTRIBUTE a[16] = {
      {CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, &f, sizeof f}, {CKA_VALUE, (void *)v, n},
  };
  size_t k = 4;
  int has_derive = 0;
  for (size_t i = 0; i < nx; i++) {
    a[k++] = extra[i];
    has_derive |= extra[i].type == CKA_DERIVE;
  }
  if (!has_derive) a[k++] = (CK_ATTRIBUTE){CKA_DERIVE, &t, sizeof t};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  KT_OK(p11->C_CreateObject(S, a, k, &h));
  return h;
}

static CK_OBJECT_HANDLE aes_key(void) { return mk_key_x(CKK_AES, K16, 16, NULL, 0); }

static CK_OBJECT_HANDLE aes_key_with(CK_ATTRIBUTE_TYPE t, CK_BBOOL v)
{
  static CK_BBOOL vals[2] = {CK_FALSE, CK_TRUE};
  CK_ATTRIBUTE a = {t, &vals[v ? 1 : 0], sizeof(CK_BBOOL)};
  return mk_key_x(CKK_AES, K16, 16, &a, 1);
}

static CK_MECHANISM m_cbc = {CKM_AES_CBC, IV, 16};
static CK_MECHANISM m_cbc_pad = {CKM_AES_CBC_PAD, IV, 16};
static CK_MECHANISM m_ecb = {CKM_AES_ECB, NULL, 0};
static CK_MECHANISM m_sha = {CKM_SHA256, NULL, 0};
static CK_MECHANISM m_hmac = {CKM_SHA256_HMAC, NULL, 0};

/* The operation is gone: its next call says so. */
#define GONE_ENC() KT_RV(p11->C_EncryptFinal(S, buf, &(CK_ULONG){sizeof buf}), CKR_OPERATION_NOT_INITIALIZED)
#define GONE_DEC() KT_RV(p11->C_DecryptFinal(S, buf, &(CK_ULONG){sizeof buf}), CKR_OPERATION_NOT_INITIALIZED)
#define GONE_DIG() KT_RV(p11->C_DigestFinal(S, buf, &(CK_ULONG){sizeof buf}), CKR_OPERATION_NOT_INITIALIZED)
#define GONE_SIGN() KT_RV(p11->C_SignFinal(S, buf, &(CK_ULONG){sizeof buf}), CKR_OPERATION_NOT_INITIALIZED)
#define GONE_VER() KT_RV(p11->C_VerifyFinal(S, buf, 32), CKR_OPERATION_NOT_INITIALIZED)

/* ---- state ------------------------------------------------------------- */
static void test_not_initialized(void)
{
  uint8_t buf[128];
  CK_ULONG n = sizeof buf;
  CK_OBJECT_HANDLE k = aes_key();
  KT_RV(p11->C_Encrypt(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_EncryptUpdate(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_EncryptFinal(S, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_Decrypt(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_DecryptUpdate(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_DecryptFinal(S, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_Digest(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_DigestUpdate(S, DATA, 16), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_DigestKey(S, k), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_DigestFinal(S, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_Sign(S, DATA, 16, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_SignUpdate(S, DATA, 16), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_SignFinal(S, buf, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_Verify(S, DATA, 16, buf, 32), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_VerifyUpdate(S, DATA, 16), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_VerifyFinal(S, buf, 32), CKR_OPERATION_NOT_INITIALIZED);
  p11->C_DestroyObject(S, k);
}

static void test_active_and_cancel(void)
{
  uint8_t buf[128];
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);

  /* one of each kind at once is fine; a second of a kind is not */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_DecryptInit(S, &m_cbc, k));
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_OK(p11->C_SignInit(S, &m_hmac, h));
  KT_OK(p11->C_VerifyInit(S, &m_hmac, h));
  KT_RV(p11->C_EncryptInit(S, &m_ecb, k), CKR_OPERATION_ACTIVE);
  KT_RV(p11->C_DecryptInit(S, &m_ecb, k), CKR_OPERATION_ACTIVE);
  KT_RV(p11->C_DigestInit(S, &m_sha), CKR_OPERATION_ACTIVE);
  KT_RV(p11->C_SignInit(S, &m_hmac, h), CKR_OPERATION_ACTIVE);
  KT_RV(p11->C_VerifyInit(S, &m_hmac, h), CKR_OPERATION_ACTIVE);
  /* the refused Init left the active operation alone */
  CK_ULONG n = sizeof buf;
  KT_OK(p11->C_EncryptUpdate(S, DATA, 16, buf, &n));
  /* 3.0: Init with pMechanism NULL_PTR terminates the operation */
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  GONE_ENC();
  KT_OK(p11->C_DecryptInit(S, NULL, k));
  GONE_DEC();
  KT_OK(p11->C_DigestInit(S, NULL));
  GONE_DIG();
  KT_OK(p11->C_SignInit(S, NULL, h));
  GONE_SIGN();
  KT_OK(p11->C_VerifyInit(S, NULL, h));
  GONE_VER();
  /* ... and is harmless with nothing active */
  KT_OK(p11->C_EncryptInit(S, NULL, CK_INVALID_HANDLE));
  KT_OK(p11->C_DigestInit(S, NULL));
  /* a terminated kind starts again */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  /* closing the session ends its operations too */
  CK_SESSION_HANDLE s2;
  KT_OK(kt_open(slot, 0, &s2));
  KT_OK(p11->C_EncryptInit(s2, &m_cbc, k));
  KT_OK(p11->C_CloseSession(s2));
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

/* ---- the output convention, for every function that has an output ------ */
static void test_length_query_keeps_op(void)
{
  uint8_t buf[128], ct[128];
  CK_ULONG n, ctn = sizeof ct;
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);

  /* C_Encrypt */
  KT_OK(p11->C_EncryptInit(S, &m_cbc_pad, k));
  n = 0;
  KT_OK(p11->C_Encrypt(S, DATA, 20, NULL, &n));
  KT_EQ_UL(n, 32);
  n = 31;
  KT_RV(p11->C_Encrypt(S, DATA, 20, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 32);
  KT_OK(p11->C_Encrypt(S, DATA, 20, ct, &ctn));
  KT_EQ_UL(ctn, 32);
  GONE_ENC();
  /* C_EncryptUpdate / C_EncryptFinal */
  KT_OK(p11->C_EncryptInit(S, &m_cbc_pad, k));
  n = 0;
  KT_OK(p11->C_EncryptUpdate(S, DATA, 20, NULL, &n));
  KT_EQ_UL(n, 16);
  n = 15;
  KT_RV(p11->C_EncryptUpdate(S, DATA, 20, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 16);
  n = 16;
  KT_OK(p11->C_EncryptUpdate(S, DATA, 20, buf, &n));
  KT_EQ_UL(n, 16);
  n = 0;
  KT_OK(p11->C_EncryptFinal(S, NULL, &n));
  KT_EQ_UL(n, 16);
  n = 15;
  KT_RV(p11->C_EncryptFinal(S, buf + 16, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 16);
  KT_OK(p11->C_EncryptFinal(S, buf + 16, &n));
  KT_CHECK(!memcmp(buf, ct, 32), "multi-part = one-shot");
  GONE_ENC();
  /* C_Decrypt: the length may be an upper bound (CBC_PAD: 31 for 32) */
  KT_OK(p11->C_DecryptInit(S, &m_cbc_pad, k));
  n = 0;
  KT_OK(p11->C_Decrypt(S, ct, 32, NULL, &n));
  KT_CHECK(n >= 20 && n <= 32, "decrypt length query %lu", (unsigned long)n);
  CK_ULONG need = n;
  n = 10;
  KT_RV(p11->C_Decrypt(S, ct, 32, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, need);
  n = sizeof buf;
  KT_OK(p11->C_Decrypt(S, ct, 32, buf, &n));
  KT_EQ_UL(n, 20);
  KT_CHECK(!memcmp(buf, DATA, 20), "decrypted");
  GONE_DEC();
  /* C_DecryptUpdate / C_DecryptFinal */
  KT_OK(p11->C_DecryptInit(S, &m_cbc_pad, k));
  n = 0;
  KT_OK(p11->C_DecryptUpdate(S, ct, 32, NULL, &n));
  KT_EQ_UL(n, 16);
  n = 0;
  KT_RV(p11->C_DecryptUpdate(S, ct, 32, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 16);
  KT_OK(p11->C_DecryptUpdate(S, ct, 32, buf, &n));
  n = 0;
  KT_OK(p11->C_DecryptFinal(S, NULL, &n));
  KT_CHECK(n >= 4 && n <= 16, "final length query %lu", (unsigned long)n);
  n = 0;
  KT_RV(p11->C_DecryptFinal(S, buf + 16, &n), CKR_BUFFER_TOO_SMALL);
  n = 16;
  KT_OK(p11->C_DecryptFinal(S, buf + 16, &n));
  KT_EQ_UL(n, 4);
  GONE_DEC();
  /* C_Digest / C_DigestFinal */
  KT_OK(p11->C_DigestInit(S, &m_sha));
  n = 0;
  KT_OK(p11->C_Digest(S, DATA, 10, NULL, &n));
  KT_EQ_UL(n, 32);
  n = 31;
  KT_RV(p11->C_Digest(S, DATA, 10, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 32);
  KT_OK(p11->C_Digest(S, DATA, 10, buf, &n));
  GONE_DIG();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_OK(p11->C_DigestUpdate(S, DATA, 10));
  n = 0;
  KT_OK(p11->C_DigestFinal(S, NULL, &n));
  KT_EQ_UL(n, 32);
  n = 1;
  KT_RV(p11->C_DigestFinal(S, buf + 32, &n), CKR_BUFFER_TOO_SMALL);
  KT_OK(p11->C_DigestFinal(S, buf + 32, &n));
  KT_CHECK(!memcmp(buf, buf + 32, 32), "multi-part digest = one-shot");
  GONE_DIG();
  /* C_Sign / C_SignFinal */
  KT_OK(p11->C_SignInit(S, &m_hmac, h));
  n = 0;
  KT_OK(p11->C_Sign(S, DATA, 10, NULL, &n));
  KT_EQ_UL(n, 32);
  n = 5;
  KT_RV(p11->C_Sign(S, DATA, 10, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 32);
  KT_OK(p11->C_Sign(S, DATA, 10, buf, &n));
  GONE_SIGN();
  KT_OK(p11->C_SignInit(S, &m_hmac, h));
  KT_OK(p11->C_SignUpdate(S, DATA, 10));
  n = 0;
  KT_OK(p11->C_SignFinal(S, NULL, &n));
  KT_EQ_UL(n, 32);
  n = 31;
  KT_RV(p11->C_SignFinal(S, buf + 32, &n), CKR_BUFFER_TOO_SMALL);
  KT_OK(p11->C_SignFinal(S, buf + 32, &n));
  KT_CHECK(!memcmp(buf, buf + 32, 32), "multi-part MAC = one-shot");
  GONE_SIGN();
  /* C_WrapKey */
  CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0};
  n = 0;
  KT_OK(p11->C_WrapKey(S, &kw, k, k, NULL, &n));
  KT_EQ_UL(n, 24);
  n = 23;
  KT_RV(p11->C_WrapKey(S, &kw, k, k, buf, &n), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(n, 24);
  KT_OK(p11->C_WrapKey(S, &kw, k, k, buf, &n));
  KT_EQ_UL(n, 24);
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

static void test_null_length_pointer(void)
{
  uint8_t buf[128];
  CK_ULONG n = sizeof buf;
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_RV(p11->C_Encrypt(S, DATA, 16, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_ENC();
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_RV(p11->C_EncryptUpdate(S, DATA, 16, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_ENC();
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_RV(p11->C_EncryptFinal(S, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_ENC();
  KT_OK(p11->C_DecryptInit(S, &m_cbc, k));
  KT_RV(p11->C_Decrypt(S, DATA, 16, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_DEC();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_RV(p11->C_Digest(S, DATA, 16, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_DIG();
  KT_OK(p11->C_SignInit(S, &m_hmac, h));
  KT_RV(p11->C_SignFinal(S, buf, NULL), CKR_ARGUMENTS_BAD);
  GONE_SIGN();
  /* data pointer NULL with a length */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_RV(p11->C_Encrypt(S, NULL, 16, buf, &n), CKR_ARGUMENTS_BAD);
  GONE_ENC();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_RV(p11->C_DigestUpdate(S, NULL, 3), CKR_ARGUMENTS_BAD);
  GONE_DIG();
  CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0};
  KT_RV(p11->C_WrapKey(S, &kw, k, k, buf, NULL), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_EncryptInit(S, NULL, k), CKR_OK);
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

/* "C_Encrypt cannot be used to terminate a multi-part operation" and
 * "always terminates the active encryption operation unless ...". */
static void test_oneshot_after_update(void)
{
  uint8_t buf[128];
  CK_ULONG n = sizeof buf;
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptUpdate(S, DATA, 16, buf, &n));
  n = sizeof buf;
  KT_RV(p11->C_Encrypt(S, DATA, 16, buf, &n), CKR_OPERATION_ACTIVE);
  GONE_ENC();
  KT_OK(p11->C_DecryptInit(S, &m_cbc, k));
  n = sizeof buf;
  KT_OK(p11->C_DecryptUpdate(S, DATA, 16, buf, &n));
  n = sizeof buf;
  KT_RV(p11->C_Decrypt(S, DATA, 16, buf, &n), CKR_OPERATION_ACTIVE);
  GONE_DEC();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_OK(p11->C_DigestUpdate(S, DATA, 16));
  n = sizeof buf;
  KT_RV(p11->C_Digest(S, DATA, 16, buf, &n), CKR_OPERATION_ACTIVE);
  GONE_DIG();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_OK(p11->C_DigestKey(S, h));
  n = sizeof buf;
  KT_RV(p11->C_Digest(S, DATA, 16, buf, &n), CKR_OPERATION_ACTIVE);
  GONE_DIG();
  KT_OK(p11->C_SignInit(S, &m_hmac, h));
  KT_OK(p11->C_SignUpdate(S, DATA, 16));
  n = sizeof buf;
  KT_RV(p11->C_Sign(S, DATA, 16, buf, &n), CKR_OPERATION_ACTIVE);
  GONE_SIGN();
  KT_OK(p11->C_VerifyInit(S, &m_hmac, h));
  KT_OK(p11->C_VerifyUpdate(S, DATA, 16));
  KT_RV(p11->C_Verify(S, DATA, 16, buf, 32), CKR_OPERATION_ACTIVE);
  GONE_VER();
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

static void test_error_ends_op(void)
{
  uint8_t buf[128], ct[64];
  CK_ULONG n = sizeof buf;
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);

  /* ECB / CBC: a partial block */
  KT_OK(p11->C_EncryptInit(S, &m_ecb, k));
  KT_RV(p11->C_Encrypt(S, DATA, 15, buf, &n), CKR_DATA_LEN_RANGE);
  GONE_ENC();
  KT_OK(p11->C_DecryptInit(S, &m_cbc, k));
  n = sizeof buf;
  KT_RV(p11->C_Decrypt(S, DATA, 17, buf, &n), CKR_ENCRYPTED_DATA_LEN_RANGE);
  GONE_DEC();
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  n = sizeof buf;
  KT_OK(p11->C_EncryptUpdate(S, DATA, 20, buf, &n));
  n = sizeof buf;
  KT_RV(p11->C_EncryptFinal(S, buf, &n), CKR_DATA_LEN_RANGE);
  GONE_ENC();
  KT_OK(p11->C_DecryptInit(S, &m_cbc_pad, k));
  n = sizeof buf;
  KT_OK(p11->C_DecryptUpdate(S, DATA, 20, buf, &n));
  n = sizeof buf;
  KT_RV(p11->C_DecryptFinal(S, buf, &n), CKR_ENCRYPTED_DATA_LEN_RANGE);
  GONE_DEC();
  /* CBC_PAD: bad padding (a block that decrypts to ...00) */
  CK_ULONG ctn = sizeof ct;
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  memset(buf, 0, 32);
  KT_OK(p11->C_Encrypt(S, buf, 32, ct, &ctn));
  KT_OK(p11->C_DecryptInit(S, &m_cbc_pad, k));
  n = sizeof buf;
  KT_RV(p11->C_Decrypt(S, ct, 32, buf, &n), CKR_ENCRYPTED_DATA_INVALID);
  GONE_DEC();
  /* verification ends the operation whatever it says */
  KT_OK(p11->C_VerifyInit(S, &m_hmac, h));
  memset(buf, 0, 32);
  KT_RV(p11->C_Verify(S, DATA, 16, buf, 32), CKR_SIGNATURE_INVALID);
  GONE_VER();
  KT_OK(p11->C_VerifyInit(S, &m_hmac, h));
  KT_RV(p11->C_Verify(S, DATA, 16, buf, 31), CKR_SIGNATURE_LEN_RANGE);
  GONE_VER();
  KT_OK(p11->C_VerifyInit(S, &m_hmac, h));
  KT_OK(p11->C_VerifyUpdate(S, DATA, 16));
  KT_RV(p11->C_VerifyFinal(S, buf, 33), CKR_SIGNATURE_LEN_RANGE);
  GONE_VER();
  /* C_DigestKey of a key it cannot digest */
  CK_OBJECT_HANDLE d;
  KT_OK(kt_mk_data(S, 0, 0, "d", "x", 1, &d));
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_RV(p11->C_DigestKey(S, d), CKR_KEY_HANDLE_INVALID);
  GONE_DIG();
  KT_OK(p11->C_DigestInit(S, &m_sha));
  KT_RV(p11->C_DigestKey(S, 0x7fffff01), CKR_KEY_HANDLE_INVALID);
  GONE_DIG();
  /* CTR: running out of counter values */
  CK_AES_CTR_PARAMS cp = {8, {0}};
  memset(cp.cb, 0, 16);
  cp.cb[15] = 0xfe;               /* two counter values left */
  CK_MECHANISM ctr = {CKM_AES_CTR, &cp, sizeof cp};
  KT_OK(p11->C_EncryptInit(S, &ctr, k));
  n = sizeof buf;
  KT_RV(p11->C_Encrypt(S, DATA, 48, buf, &n), CKR_DATA_LEN_RANGE);
  GONE_ENC();
  KT_OK(p11->C_EncryptInit(S, &ctr, k));
  n = sizeof buf;
  KT_OK(p11->C_Encrypt(S, DATA, 32, buf, &n));
  p11->C_DestroyObject(S, d);
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

/* ---- mechanisms, keys, parameters ------------------------------------- */
static void test_mechanism_checks(void)
{
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  CK_MECHANISM bogus = {0x8000fff1UL, NULL, 0};
  CK_MECHANISM cmac = {CKM_AES_CMAC, NULL, 0};
  CK_MECHANISM kgen = {CKM_AES_KEY_GEN, NULL, 0};
  KT_RV(p11->C_EncryptInit(S, &bogus, k), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_DigestInit(S, &bogus), CKR_MECHANISM_INVALID);
  /* known, but without the function's flag */
  KT_RV(p11->C_EncryptInit(S, &m_sha, k), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_EncryptInit(S, &cmac, k), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_SignInit(S, &m_cbc, k), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_DigestInit(S, &m_hmac), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_VerifyInit(S, &kgen, k), CKR_MECHANISM_INVALID);
  CK_ULONG len = 16;
  CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len, sizeof len}};
  CK_OBJECT_HANDLE g;
  KT_RV(p11->C_GenerateKey(S, &m_cbc, t, 1, &g), CKR_MECHANISM_INVALID);
  CK_ULONG n = 64;
  uint8_t buf[64];
  KT_RV(p11->C_WrapKey(S, &m_sha, k, k, buf, &n), CKR_MECHANISM_INVALID);
  /* NULL mechanism where it terminates nothing: CKR_ARGUMENTS_BAD */
  KT_RV(p11->C_GenerateKey(S, NULL, t, 1, &g), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_WrapKey(S, NULL, k, k, buf, &n), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_DeriveKey(S, NULL, k, t, 1, &g), CKR_ARGUMENTS_BAD);
  /* nothing was left active */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

static void test_key_checks(void)
{
  CK_OBJECT_HANDLE k = aes_key(), g = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  CK_OBJECT_HANDLE s1 = mk_key_x(CKK_SHA_1_HMAC, K16, 16, NULL, 0), d, gone = aes_key();
  CK_MECHANISM cmac = {CKM_AES_CMAC, NULL, 0};
  KT_OK(kt_mk_data(S, 0, 0, "data", "x", 1, &d));
  KT_OK(p11->C_DestroyObject(S, gone));
  /* handles that are no keys */
  KT_RV(p11->C_EncryptInit(S, &m_cbc, CK_INVALID_HANDLE), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_EncryptInit(S, &m_cbc, 0x7ffffff0), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_EncryptInit(S, &m_cbc, gone), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_EncryptInit(S, &m_cbc, d), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_SignInit(S, &m_hmac, d), CKR_KEY_HANDLE_INVALID);
  /* the wrong type for the mechanism */
  KT_RV(p11->C_EncryptInit(S, &m_cbc, g), CKR_KEY_TYPE_INCONSISTENT);
  KT_RV(p11->C_SignInit(S, &m_hmac, k), CKR_KEY_TYPE_INCONSISTENT);
  KT_RV(p11->C_SignInit(S, &m_hmac, s1), CKR_KEY_TYPE_INCONSISTENT);
  KT_RV(p11->C_SignInit(S, &cmac, g), CKR_KEY_TYPE_INCONSISTENT);
  /* nothing was left active */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  /* usage attributes */
  static const struct { CK_ATTRIBUTE_TYPE a; int fn; } use[] = {
    {CKA_ENCRYPT, 0}, {CKA_DECRYPT, 1}, {CKA_SIGN, 2}, {CKA_VERIFY, 3},
  };
  for (size_t i = 0; i < KT_ARRAY_LEN(use); i++) {
    CK_OBJECT_HANDLE a = aes_key_with(use[i].a, CK_FALSE);
    CK_RV rv = use[i].fn == 0 ? p11->C_EncryptInit(S, &m_cbc, a)
             : use[i].fn == 1 ? p11->C_DecryptInit(S, &m_cbc, a)
             : use[i].fn == 2 ? p11->C_SignInit(S, &cmac, a)
                              : p11->C_VerifyInit(S, &cmac, a);
    KT_RV(rv, CKR_KEY_FUNCTION_NOT_PERMITTED);
    p11->C_DestroyObject(S, a);
  }
  /* CKA_ALLOWED_MECHANISMS */
  CK_MECHANISM_TYPE only[] = {CKM_AES_CBC, CKM_AES_CMAC};
  CK_ATTRIBUTE am = {CKA_ALLOWED_MECHANISMS, only, sizeof only};
  CK_OBJECT_HANDLE r = mk_key_x(CKK_AES, K16, 16, &am, 1);
  KT_RV(p11->C_EncryptInit(S, &m_ecb, r), CKR_MECHANISM_INVALID);
  KT_RV(p11->C_EncryptInit(S, &m_cbc_pad, r), CKR_MECHANISM_INVALID);
  KT_OK(p11->C_EncryptInit(S, &m_cbc, r));
  KT_OK(p11->C_EncryptInit(S, NULL, r));
  KT_OK(p11->C_SignInit(S, &cmac, r));
  KT_OK(p11->C_SignInit(S, NULL, r));
  /* a private key is not there for a logged-out session */
  KT_OK(p11->C_Logout(S));
  KT_RV(p11->C_EncryptInit(S, &m_cbc, k), CKR_KEY_HANDLE_INVALID);
  KT_OK(kt_login(S, CKU_USER, USER_PIN));
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  p11->C_DestroyObject(S, r);
  p11->C_DestroyObject(S, d);
  p11->C_DestroyObject(S, s1);
  p11->C_DestroyObject(S, g);
  p11->C_DestroyObject(S, k);
}

static void test_param_checks(void)
{
  CK_OBJECT_HANDLE k = aes_key(), h = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  uint8_t iv[16] = {0}, aad[4] = {0};
  CK_MECHANISM m = {CKM_AES_CBC, iv, 15};
  KT_RV(p11->C_EncryptInit(S, &m, k), CKR_MECHANISM_PARAM_INVALID);
  m.ulParameterLen = 17;
  KT_RV(p11->C_DecryptInit(S, &m, k), CKR_MECHANISM_PARAM_INVALID);
  m.pParameter = NULL;
  m.ulParameterLen = 16;
  KT_RV(p11->C_EncryptInit(S, &m, k), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM ecb = {CKM_AES_ECB, iv, 16};
  KT_RV(p11->C_EncryptInit(S, &ecb, k), CKR_MECHANISM_PARAM_INVALID);
  /* CTR: counter bits 1..128 */
  CK_AES_CTR_PARAMS cp = {0, {0}};
  CK_MECHANISM ctr = {CKM_AES_CTR, &cp, sizeof cp};
  KT_RV(p11->C_EncryptInit(S, &ctr, k), CKR_MECHANISM_PARAM_INVALID);
  cp.ulCounterBits = 129;
  KT_RV(p11->C_EncryptInit(S, &ctr, k), CKR_MECHANISM_PARAM_INVALID);
  cp.ulCounterBits = 1;
  KT_OK(p11->C_EncryptInit(S, &ctr, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  ctr.ulParameterLen = sizeof cp - 1;
  KT_RV(p11->C_EncryptInit(S, &ctr, k), CKR_MECHANISM_PARAM_INVALID);
  /* GCM: IV length, tag bits, AAD pointer */
  CK_GCM_PARAMS gp = {iv, 12, 96, aad, 4, 128};
  CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof gp};
  static const CK_ULONG bad_tags[] = {0, 8, 16, 33, 63, 65, 88, 100, 127, 129, 136};
  for (size_t i = 0; i < KT_ARRAY_LEN(bad_tags); i++) {
    gp.ulTagBits = bad_tags[i];
    KT_RV(p11->C_EncryptInit(S, &gcm, k), CKR_MECHANISM_PARAM_INVALID);
  }
  static const CK_ULONG good_tags[] = {32, 64, 96, 104, 112, 120, 128};
  for (size_t i = 0; i < KT_ARRAY_LEN(good_tags); i++) {
    gp.ulTagBits = good_tags[i];
    KT_OK(p11->C_EncryptInit(S, &gcm, k));
    KT_OK(p11->C_EncryptInit(S, NULL, k));
  }
  gp.ulTagBits = 128;
  gp.ulIvLen = 0;
  KT_RV(p11->C_EncryptInit(S, &gcm, k), CKR_MECHANISM_PARAM_INVALID);
  gp.ulIvLen = 12;
  gp.pIv = NULL;
  KT_RV(p11->C_DecryptInit(S, &gcm, k), CKR_MECHANISM_PARAM_INVALID);
  gp.pIv = iv;
  gp.pAAD = NULL;
  KT_RV(p11->C_EncryptInit(S, &gcm, k), CKR_MECHANISM_PARAM_INVALID);
  gp.pAAD = aad;
  gcm.ulParameterLen = sizeof gp + 8;
  KT_RV(p11->C_EncryptInit(S, &gcm, k), CKR_MECHANISM_PARAM_INVALID);
  /* HMAC_GENERAL: 1..hash length */
  CK_MAC_GENERAL_PARAMS l = 0;
  CK_MECHANISM hg = {CKM_SHA256_HMAC_GENERAL, &l, sizeof l};
  KT_RV(p11->C_SignInit(S, &hg, h), CKR_MECHANISM_PARAM_INVALID);
  l = 33;
  KT_RV(p11->C_SignInit(S, &hg, h), CKR_MECHANISM_PARAM_INVALID);
  l = 32;
  KT_OK(p11->C_SignInit(S, &hg, h));
  KT_OK(p11->C_SignInit(S, NULL, h));
  hg.ulParameterLen = 4;
  KT_RV(p11->C_SignInit(S, &hg, h), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM hp = {CKM_SHA256_HMAC, &l, sizeof l};
  KT_RV(p11->C_SignInit(S, &hp, h), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM cg = {CKM_AES_CMAC_GENERAL, &l, sizeof l};
  l = 17;
  KT_RV(p11->C_SignInit(S, &cg, k), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM dp = {CKM_SHA256, iv, 4};
  KT_RV(p11->C_DigestInit(S, &dp), CKR_MECHANISM_PARAM_INVALID);
  /* none of that left an operation */
  KT_OK(p11->C_EncryptInit(S, &m_cbc, k));
  KT_OK(p11->C_EncryptInit(S, NULL, k));
  p11->C_DestroyObject(S, k);
  p11->C_DestroyObject(S, h);
}

/* GCM: no plaintext before the tag checks, none at all when it fails. */
static void test_gcm_tag_mismatch(void)
{
  uint8_t iv[12] = {9}, pt[40], ct[64], out[64];
  CK_GCM_PARAMS gp = {iv, 12, 96, NULL, 0, 128};
  CK_MECHANISM gcm = {CKM_AES_GCM, &gp, sizeof gp};
  CK_OBJECT_HANDLE k = aes_key();
  memset(pt, 0x5c, sizeof pt);
  CK_ULONG n = sizeof ct, w;
  KT_OK(p11->C_EncryptInit(S, &gcm, k));
  KT_OK(p11->C_Encrypt(S, pt, sizeof pt, ct, &n));
  KT_EQ_UL(n, 56);
  /* the length query of a GCM decryption counts the tag out */
  KT_OK(p11->C_DecryptInit(S, &gcm, k));
  w = 0;
  KT_OK(p11->C_Decrypt(S, ct, 56, NULL, &w));
  KT_EQ_UL(w, 40);
  ct[3] ^= 0x10;                  /* the ciphertext this time */
  memset(out, 0xEE, sizeof out);
  w = sizeof out;
  KT_RV(p11->C_Decrypt(S, ct, 56, out, &w), CKR_ENCRYPTED_DATA_INVALID);
  int leak = 0;
  for (size_t i = 0; i < sizeof out; i++) leak |= out[i] == 0x5c;
  KT_CHECK(!leak, "no plaintext byte in the output");
  uint8_t buf[8];
  KT_RV(p11->C_DecryptFinal(S, buf, &(CK_ULONG){sizeof buf}), CKR_OPERATION_NOT_INITIALIZED);
  /* multi-part: updates emit nothing */
  KT_OK(p11->C_DecryptInit(S, &gcm, k));
  for (size_t off = 0; off < 56; off += 8) {
    w = sizeof out;
    KT_OK(p11->C_DecryptUpdate(S, ct + off, 8, out, &w));
    KT_EQ_UL(w, 0);
  }
  w = sizeof out;
  KT_RV(p11->C_DecryptFinal(S, out, &w), CKR_ENCRYPTED_DATA_INVALID);
  leak = 0;
  for (size_t i = 0; i < sizeof out; i++) leak |= out[i] == 0x5c;
  KT_CHECK(!leak, "no plaintext byte in the output (multi-part)");
  /* shorter than the tag */
  ct[3] ^= 0x10;
  KT_OK(p11->C_DecryptInit(S, &gcm, k));
  w = sizeof out;
  KT_RV(p11->C_Decrypt(S, ct, 15, out, &w), CKR_ENCRYPTED_DATA_LEN_RANGE);
  p11->C_DestroyObject(S, k);
}

static void test_not_supported(void)
{
  uint8_t buf[64];
  CK_ULONG n = sizeof buf;
  CK_OBJECT_HANDLE k = aes_key();
  KT_RV(p11->C_SignRecoverInit(S, &m_hmac, k), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_SignRecover(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_VerifyRecoverInit(S, &m_hmac, k), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_VerifyRecover(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_DigestEncryptUpdate(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_DecryptDigestUpdate(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_SignEncryptUpdate(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  KT_RV(p11->C_DecryptVerifyUpdate(S, DATA, 16, buf, &n), CKR_FUNCTION_NOT_SUPPORTED);
  if (p11_3) {
    KT_RV(p11_3->C_MessageEncryptInit(S, &m_cbc, k), CKR_FUNCTION_NOT_SUPPORTED);
    KT_RV(p11_3->C_MessageDecryptInit(S, &m_cbc, k), CKR_FUNCTION_NOT_SUPPORTED);
    KT_RV(p11_3->C_MessageSignInit(S, &m_hmac, k), CKR_FUNCTION_NOT_SUPPORTED);
    KT_RV(p11_3->C_MessageVerifyInit(S, &m_hmac, k), CKR_FUNCTION_NOT_SUPPORTED);
  }
  p11->C_DestroyObject(S, k);
}

/* ---- CKA_ALWAYS_AUTHENTICATE (base 3.0 4.9, 5.5 C_Login) ---------------- */
static void test_always_authenticate(void)
{
  static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0}, ecdsa = {CKM_ECDSA, NULL, 0};
  CK_MECHANISM_INFO mi;
  if (p11->C_GetMechanismInfo(slot, CKM_EC_KEY_PAIR_GEN, &mi) != CKR_OK ||
      p11->C_GetMechanismInfo(slot, CKM_ECDSA, &mi) != CKR_OK) {
    fprintf(stderr, "  (no EC mechanisms: ALWAYS_AUTHENTICATE not tested)\n");
    return;
  }
  CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof p256}, {CKA_TOKEN, &f, 1}};
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &f, 1}, {CKA_PRIVATE, &t, 1},
                         {CKA_ALWAYS_AUTHENTICATE, &t, 1}};
  CK_OBJECT_HANDLE hp, hv;
  if (!KT_OK(p11->C_GenerateKeyPair(S, &gen, pub, 2, priv, 3, &hp, &hv))) return;
  uint8_t hash[32] = {1}, sig[128];
  CK_ULONG n = sizeof sig;

  KT_OK(p11->C_SignInit(S, &ecdsa, hv));
  /* not logged in for the context: refused, and the operation waits */
  KT_RV(p11->C_Sign(S, hash, 32, sig, &n), CKR_USER_NOT_LOGGED_IN);
  KT_RV(kt_login(S, CKU_CONTEXT_SPECIFIC, "0000"), CKR_PIN_INCORRECT);
  n = sizeof sig;
  KT_RV(p11->C_Sign(S, hash, 32, sig, &n), CKR_USER_NOT_LOGGED_IN);
  KT_OK(kt_login(S, CKU_CONTEXT_SPECIFIC, USER_PIN));
  /* a length query does not use the login up */
  n = 0;
  KT_OK(p11->C_Sign(S, hash, 32, NULL, &n));
  n = sizeof sig;
  KT_OK(p11->C_Sign(S, hash, 32, sig, &n));
  KT_OK(p11->C_VerifyInit(S, &ecdsa, hp));
  KT_OK(p11->C_Verify(S, hash, 32, sig, n));
  /* the login was for that operation only */
  KT_RV(kt_login(S, CKU_CONTEXT_SPECIFIC, USER_PIN), CKR_OPERATION_NOT_INITIALIZED);
  KT_OK(p11->C_SignInit(S, &ecdsa, hv));
  n = sizeof sig;
  KT_RV(p11->C_Sign(S, hash, 32, sig, &n), CKR_USER_NOT_LOGGED_IN);
  KT_OK(kt_login(S, CKU_CONTEXT_SPECIFIC, USER_PIN));
  n = 1;                          /* too small: the login stays for the retry */
  KT_RV(p11->C_Sign(S, hash, 32, sig, &n), CKR_BUFFER_TOO_SMALL);
  n = sizeof sig;
  KT_OK(p11->C_Sign(S, hash, 32, sig, &n));
  /* a terminated operation takes its pending login with it */
  KT_OK(p11->C_SignInit(S, &ecdsa, hv));
  KT_OK(p11->C_SignInit(S, NULL, hv));
  KT_RV(kt_login(S, CKU_CONTEXT_SPECIFIC, USER_PIN), CKR_OPERATION_NOT_INITIALIZED);
  /* keys without the attribute need no context login */
  CK_ATTRIBUTE priv2[] = {{CKA_TOKEN, &f, 1}};
  CK_OBJECT_HANDLE hp2, hv2;
  KT_OK(p11->C_GenerateKeyPair(S, &gen, pub, 2, priv2, 1, &hp2, &hv2));
  KT_OK(p11->C_SignInit(S, &ecdsa, hv2));
  n = sizeof sig;
  KT_OK(p11->C_Sign(S, hash, 32, sig, &n));
  p11->C_DestroyObject(S, hp);
  p11->C_DestroyObject(S, hv);
  p11->C_DestroyObject(S, hp2);
  p11->C_DestroyObject(S, hv2);
}

/* ---- wrap / unwrap / derive rules (base 3.0 4.9, 4.10, 5.18) ------------- */
static CK_RV unwrap_to(CK_MECHANISM *m, CK_OBJECT_HANDLE u, const uint8_t *w, CK_ULONG wl,
                       const CK_ATTRIBUTE *extra, size_t nx, CK_OBJECT_HANDLE *h)
{
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_AES;
  CK_BBOOL f = CK_FALSE;
  CK_ATTRIBUTE a[12] = {{CKA_CLASS, &c, sizeof c}, {CKA_TOKEN, &f, sizeof f}};
  size_t k = 2;
  int typed = 0;
  for (size_t i = 0; i < nx; i++) {
    a[k++] = extra[i];
    typed |= extra[i].type == CKA_KEY_TYPE;
  }
  if (!typed) a[k++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
  return p11->C_UnwrapKey(S, m, u, (CK_BYTE_PTR)w, wl, a, k, h);
}

static void test_wrap_rules(void)
{
  CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0};
  uint8_t buf[128];
  CK_ULONG n;
  CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  CK_OBJECT_HANDLE w = aes_key(), tgt = aes_key(), d;
  CK_OBJECT_HANDLE nowrap = aes_key_with(CKA_WRAP, CK_FALSE);
  CK_OBJECT_HANDLE noext = aes_key_with(CKA_EXTRACTABLE, CK_FALSE);
  CK_OBJECT_HANDLE wwt = aes_key_with(CKA_WRAP_WITH_TRUSTED, CK_TRUE);
  CK_OBJECT_HANDLE gen = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  KT_OK(kt_mk_data(S, 0, 0, "data", "x", 1, &d));

  n = sizeof buf;
  KT_RV(p11->C_WrapKey(S, &kw, 0x7ffffff3, tgt, buf, &n), CKR_WRAPPING_KEY_HANDLE_INVALID);
  KT_RV(p11->C_WrapKey(S, &kw, d, tgt, buf, &n), CKR_WRAPPING_KEY_HANDLE_INVALID);
  KT_RV(p11->C_WrapKey(S, &kw, gen, tgt, buf, &n), CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
  KT_RV(p11->C_WrapKey(S, &kw, nowrap, tgt, buf, &n), CKR_KEY_FUNCTION_NOT_PERMITTED);
  KT_RV(p11->C_WrapKey(S, &kw, w, 0x7ffffff3, buf, &n), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_WrapKey(S, &kw, w, d, buf, &n), CKR_KEY_HANDLE_INVALID);
  KT_RV(p11->C_WrapKey(S, &kw, w, noext, buf, &n), CKR_KEY_UNEXTRACTABLE);
  KT_RV(p11->C_WrapKey(S, &kw, w, wwt, buf, &n), CKR_KEY_NOT_WRAPPABLE);
  /* RFC 3394 wraps whole semiblocks of at least 16 bytes */
  CK_OBJECT_HANDLE odd = mk_key_x(CKK_GENERIC_SECRET, K16, 12, NULL, 0);
  KT_RV(p11->C_WrapKey(S, &kw, w, odd, buf, &n), CKR_KEY_SIZE_RANGE);
  /* CKA_WRAP_TEMPLATE: the target must match it */
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE need_sens[] = {{CKA_SENSITIVE, &yes, 1}};
  CK_ATTRIBUTE wt = {CKA_WRAP_TEMPLATE, need_sens, sizeof need_sens};
  CK_OBJECT_HANDLE picky = mk_key_x(CKK_AES, K16, 16, &wt, 1);
  n = sizeof buf;
  KT_RV(p11->C_WrapKey(S, &kw, picky, tgt, buf, &n), CKR_KEY_NOT_WRAPPABLE);
  CK_OBJECT_HANDLE sens = aes_key_with(CKA_SENSITIVE, CK_TRUE);
  n = sizeof buf;
  KT_OK(p11->C_WrapKey(S, &kw, picky, sens, buf, &n));

  /* a good wrap, then unwrap rules */
  n = sizeof buf;
  KT_OK(p11->C_WrapKey(S, &kw, w, tgt, buf, &n));
  CK_OBJECT_HANDLE u = CK_INVALID_HANDLE, nounwrap = aes_key_with(CKA_UNWRAP, CK_FALSE);
  KT_RV(unwrap_to(&kw, 0x7ffffff3, buf, n, NULL, 0, &u), CKR_UNWRAPPING_KEY_HANDLE_INVALID);
  KT_RV(unwrap_to(&kw, gen, buf, n, NULL, 0, &u), CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
  KT_RV(unwrap_to(&kw, nounwrap, buf, n, NULL, 0, &u), CKR_KEY_FUNCTION_NOT_PERMITTED);
  KT_RV(unwrap_to(&kw, w, buf, n - 1, NULL, 0, &u), CKR_WRAPPED_KEY_LEN_RANGE);
  KT_RV(unwrap_to(&kw, w, buf, 16, NULL, 0, &u), CKR_WRAPPED_KEY_LEN_RANGE);
  buf[5] ^= 1;
  KT_RV(unwrap_to(&kw, w, buf, n, NULL, 0, &u), CKR_WRAPPED_KEY_INVALID);
  buf[5] ^= 1;
  KT_OK(unwrap_to(&kw, w, buf, n, NULL, 0, &u));
  CK_BBOOL b = 9;
  KT_OK(kt_attr_bool(S, u, CKA_LOCAL, &b));
  KT_EQ_UL(b, CK_FALSE);
  KT_OK(kt_attr_bool(S, u, CKA_ALWAYS_SENSITIVE, &b));
  KT_EQ_UL(b, CK_FALSE);
  KT_OK(kt_attr_bool(S, u, CKA_NEVER_EXTRACTABLE, &b));
  KT_EQ_UL(b, CK_FALSE);
  CK_ULONG gm = 0;
  KT_OK(kt_attr_ul(S, u, CKA_KEY_GEN_MECHANISM, &gm));
  KT_EQ_UL(gm, CK_UNAVAILABLE_INFORMATION);
  p11->C_DestroyObject(S, u);
  /* key material in the template of an unwrap: not allowed */
  CK_ATTRIBUTE val = {CKA_VALUE, (void *)K16, 16};
  KT_RV(unwrap_to(&kw, w, buf, n, &val, 1, &u), CKR_ATTRIBUTE_READ_ONLY, CKR_TEMPLATE_INCONSISTENT);
  /* a key type the material does not fit */
  CK_KEY_TYPE gt = CKK_GENERIC_SECRET;
  CK_ULONG vl = 8;
  CK_ATTRIBUTE gtt[] = {{CKA_KEY_TYPE, &gt, sizeof gt}, {CKA_VALUE_LEN, &vl, sizeof vl}};
  KT_OK(unwrap_to(&kw, w, buf, n, gtt, 2, &u));     /* VALUE_LEN cuts: allowed */
  CK_ULONG got = 0;
  KT_OK(kt_attr_ul(S, u, CKA_VALUE_LEN, &got));
  KT_EQ_UL(got, 8);
  p11->C_DestroyObject(S, u);

  /* CKA_UNWRAP_TEMPLATE: applied, and a conflicting template is refused */
  CK_ATTRIBUTE ut[] = {{CKA_SENSITIVE, &yes, 1}, {CKA_EXTRACTABLE, &f, 1}};
  CK_ATTRIBUTE uta = {CKA_UNWRAP_TEMPLATE, ut, sizeof ut};
  CK_OBJECT_HANDLE uw = mk_key_x(CKK_AES, K16, 16, &uta, 1);
  n = sizeof buf;
  KT_OK(p11->C_WrapKey(S, &kw, uw, tgt, buf, &n));
  CK_ATTRIBUTE conflict = {CKA_EXTRACTABLE, &t, 1};
  KT_RV(unwrap_to(&kw, uw, buf, n, &conflict, 1, &u), CKR_TEMPLATE_INCONSISTENT);
  CK_ATTRIBUTE agree = {CKA_SENSITIVE, &t, 1};
  KT_OK(unwrap_to(&kw, uw, buf, n, &agree, 1, &u));
  KT_OK(kt_attr_bool(S, u, CKA_SENSITIVE, &b));
  KT_EQ_UL(b, CK_TRUE);
  KT_OK(kt_attr_bool(S, u, CKA_EXTRACTABLE, &b));
  KT_EQ_UL(b, CK_FALSE);
  p11->C_DestroyObject(S, u);

  CK_OBJECT_HANDLE all[] = {w, tgt, d, nowrap, noext, wwt, gen, odd, picky, sens, nounwrap, uw};
  for (size_t i = 0; i < KT_ARRAY_LEN(all); i++) p11->C_DestroyObject(S, all[i]);
}

/* CKA_WRAP_WITH_TRUSTED targets need a CKA_TRUSTED wrapping key, which
 * only the SO can make. */
static void test_wrap_trusted(void)
{
  CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0};
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_AES;
  CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  CK_ATTRIBUTE tk[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
                       {CKA_TOKEN, &f, 1}, {CKA_PRIVATE, &f, 1}, {CKA_TRUSTED, &t, 1},
                       {CKA_VALUE, (void *)K16, 16}};
  CK_OBJECT_HANDLE trusted = CK_INVALID_HANDLE;
  KT_RV(p11->C_CreateObject(S, tk, KT_ARRAY_LEN(tk), &trusted), CKR_ATTRIBUTE_READ_ONLY);
  KT_OK_F(p11->C_Logout(S));
  KT_OK_F(kt_login(S, CKU_SO, SO_PIN));
  KT_OK(p11->C_CreateObject(S, tk, KT_ARRAY_LEN(tk), &trusted));
  KT_OK(p11->C_Logout(S));
  KT_OK_F(kt_login(S, CKU_USER, USER_PIN));
  CK_OBJECT_HANDLE wwt = aes_key_with(CKA_WRAP_WITH_TRUSTED, CK_TRUE), plain = aes_key();
  uint8_t buf[64];
  CK_ULONG n = sizeof buf;
  KT_RV(p11->C_WrapKey(S, &kw, plain, wwt, buf, &n), CKR_KEY_NOT_WRAPPABLE);
  n = sizeof buf;
  KT_OK(p11->C_WrapKey(S, &kw, trusted, wwt, buf, &n));
  p11->C_DestroyObject(S, wwt);
  p11->C_DestroyObject(S, plain);
  p11->C_DestroyObject(S, trusted);
}

static void test_derive_rules(void)
{
  CK_BBOOL t = CK_TRUE, f = CK_FALSE, b;
  uint8_t data[16] = {7};
  CK_KEY_DERIVATION_STRING_DATA sd = {data, 16};
  CK_MECHANISM m = {CKM_AES_ECB_ENCRYPT_DATA, &sd, sizeof sd};
  CK_OBJECT_CLASS c = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_AES;
  CK_ULONG len = 16;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_TOKEN, &f, 1}, {CKA_VALUE_LEN, &len, sizeof len},
                         {CKA_SENSITIVE, &t, 1}, {CKA_EXTRACTABLE, &f, 1}};
  CK_OBJECT_HANDLE h;

  /* the base key needs CKA_DERIVE */
  CK_ATTRIBUTE noder = {CKA_DERIVE, &f, 1};
  CK_OBJECT_HANDLE nd = mk_key_x(CKK_AES, K16, 16, &noder, 1);
  KT_RV(p11->C_DeriveKey(S, &m, nd, tmpl, KT_ARRAY_LEN(tmpl), &h), CKR_KEY_FUNCTION_NOT_PERMITTED);
  KT_RV(p11->C_DeriveKey(S, &m, 0x7ffffff5, tmpl, KT_ARRAY_LEN(tmpl), &h), CKR_KEY_HANDLE_INVALID);
  CK_OBJECT_HANDLE g = mk_key_x(CKK_GENERIC_SECRET, K16, 16, NULL, 0);
  KT_RV(p11->C_DeriveKey(S, &m, g, tmpl, KT_ARRAY_LEN(tmpl), &h), CKR_KEY_TYPE_INCONSISTENT);
  /* parameters */
  sd.ulLen = 15;
  KT_RV(p11->C_DeriveKey(S, &m, nd, tmpl, KT_ARRAY_LEN(tmpl), &h), CKR_MECHANISM_PARAM_INVALID,
        CKR_KEY_FUNCTION_NOT_PERMITTED);
  /* an imported base (ALWAYS_SENSITIVE false): so is the derived key */
  CK_OBJECT_HANDLE base = aes_key();
  sd.ulLen = 16;
  KT_OK(p11->C_DeriveKey(S, &m, base, tmpl, KT_ARRAY_LEN(tmpl), &h));
  KT_OK(kt_attr_bool(S, h, CKA_ALWAYS_SENSITIVE, &b));
  KT_EQ_UL(b, CK_FALSE);
  KT_OK(kt_attr_bool(S, h, CKA_NEVER_EXTRACTABLE, &b));
  KT_EQ_UL(b, CK_FALSE);
  KT_OK(kt_attr_bool(S, h, CKA_LOCAL, &b));
  KT_EQ_UL(b, CK_FALSE);
  p11->C_DestroyObject(S, h);
  /* a generated, sensitive, unextractable base: the derived key inherits */
  CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE gt[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_TOKEN, &f, 1},
                       {CKA_SENSITIVE, &t, 1}, {CKA_EXTRACTABLE, &f, 1}, {CKA_DERIVE, &t, 1}};
  CK_OBJECT_HANDLE gb;
  KT_OK_F(p11->C_GenerateKey(S, &gen, gt, KT_ARRAY_LEN(gt), &gb));
  KT_OK(p11->C_DeriveKey(S, &m, gb, tmpl, KT_ARRAY_LEN(tmpl), &h));
  KT_OK(kt_attr_bool(S, h, CKA_ALWAYS_SENSITIVE, &b));
  KT_EQ_UL(b, CK_TRUE);
  KT_OK(kt_attr_bool(S, h, CKA_NEVER_EXTRACTABLE, &b));
  KT_EQ_UL(b, CK_TRUE);
  p11->C_DestroyObject(S, h);
  /* ... unless the derived key is not sensitive itself */
  tmpl[4].pValue = &f;
  KT_OK(p11->C_DeriveKey(S, &m, gb, tmpl, KT_ARRAY_LEN(tmpl), &h));
  KT_OK(kt_attr_bool(S, h, CKA_ALWAYS_SENSITIVE, &b));
  KT_EQ_UL(b, CK_FALSE);
  p11->C_DestroyObject(S, h);
  tmpl[4].pValue = &t;
  /* CKA_DERIVE_TEMPLATE */
  CK_ATTRIBUTE dt[] = {{CKA_SENSITIVE, &t, 1}};
  CK_ATTRIBUTE dta[] = {{CKA_DERIVE_TEMPLATE, dt, sizeof dt}};
  CK_OBJECT_HANDLE picky = mk_key_x(CKK_AES, K16, 16, dta, 1);
  tmpl[4].pValue = &f;
  KT_RV(p11->C_DeriveKey(S, &m, picky, tmpl, KT_ARRAY_LEN(tmpl), &h), CKR_TEMPLATE_INCONSISTENT);
  KT_OK(p11->C_DeriveKey(S, &m, picky, tmpl, 4, &h));   /* without SENSITIVE: applied */
  KT_OK(kt_attr_bool(S, h, CKA_SENSITIVE, &b));
  KT_EQ_UL(b, CK_TRUE);
  p11->C_DestroyObject(S, h);
  tmpl[4].pValue = &t;
  /* the derived length must suit the key type */
  len = 20;
  KT_RV(p11->C_DeriveKey(S, &m, base, tmpl, KT_ARRAY_LEN(tmpl), &h),
        CKR_KEY_SIZE_RANGE, CKR_ATTRIBUTE_VALUE_INVALID, CKR_TEMPLATE_INCONSISTENT);
  len = 16;
  /* a read-only session cannot make a token key */
  CK_SESSION_HANDLE ro;
  KT_OK(kt_open(slot, 0, &ro));
  CK_ATTRIBUTE tokt[] = {{CKA_CLASS, &c, sizeof c}, {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_TOKEN, &t, 1}, {CKA_VALUE_LEN, &len, sizeof len}};
  KT_RV(p11->C_DeriveKey(ro, &m, base, tokt, KT_ARRAY_LEN(tokt), &h), CKR_SESSION_READ_ONLY);
  KT_RV(p11->C_GenerateKey(ro, &gen, tokt + 2, 2, &h), CKR_SESSION_READ_ONLY);
  p11->C_CloseSession(ro);
  CK_OBJECT_HANDLE all[] = {nd, g, base, gb, picky};
  for (size_t i = 0; i < KT_ARRAY_LEN(all); i++) p11->C_DestroyObject(S, all[i]);
}

static void test_generate_rules(void)
{
  CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ULONG len = 20;
  CK_BBOOL f = CK_FALSE;
  CK_KEY_TYPE g = CKK_GENERIC_SECRET;
  CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_TOKEN, &f, 1}};
  CK_OBJECT_HANDLE h;
  KT_RV(p11->C_GenerateKey(S, &gen, t, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID, CKR_KEY_SIZE_RANGE);
  len = 16;
  KT_RV(p11->C_GenerateKey(S, &gen, t, 2, NULL), CKR_ARGUMENTS_BAD);
  CK_ATTRIBUTE bad[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_KEY_TYPE, &g, sizeof g}};
  KT_RV(p11->C_GenerateKey(S, &gen, bad, 2, &h), CKR_TEMPLATE_INCONSISTENT);
  CK_ATTRIBUTE val[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_VALUE, (void *)K16, 16}};
  KT_RV(p11->C_GenerateKey(S, &gen, val, 2, &h), CKR_ATTRIBUTE_READ_ONLY, CKR_TEMPLATE_INCONSISTENT);
  CK_MECHANISM withp = {CKM_AES_KEY_GEN, IV, 16};
  KT_RV(p11->C_GenerateKey(S, &withp, t, 2, &h), CKR_MECHANISM_PARAM_INVALID);
}

static void register_suites(void)
{
  CU_pSuite s = kt_suite("rules/state", suite_up, suite_down, NULL, NULL);
  kt_test(s, "not_initialized", test_not_initialized);
  kt_test(s, "active_and_cancel", test_active_and_cancel);
  kt_test(s, "length_query_keeps_op", test_length_query_keeps_op);
  kt_test(s, "null_length_pointer", test_null_length_pointer);
  kt_test(s, "oneshot_after_update", test_oneshot_after_update);
  kt_test(s, "error_ends_op", test_error_ends_op);
  kt_test(s, "not_supported", test_not_supported);
  s = kt_suite("rules/checks", suite_up, suite_down, NULL, NULL);
  kt_test(s, "mechanism", test_mechanism_checks);
  kt_test(s, "key", test_key_checks);
  kt_test(s, "param", test_param_checks);
  kt_test(s, "gcm_tag_mismatch", test_gcm_tag_mismatch);
  kt_test(s, "always_authenticate", test_always_authenticate);
  s = kt_suite("rules/keys", suite_up, suite_down, NULL, NULL);
  kt_test(s, "wrap", test_wrap_rules);
  kt_test(s, "wrap_trusted", test_wrap_trusted);
  kt_test(s, "derive", test_derive_rules);
  kt_test(s, "generate", test_generate_rules);
}

int main(int argc, char **argv)
{
  for (size_t i = 0; i < sizeof DATA; i++) DATA[i] = (uint8_t)(i * 3 + 1);
  return kt_main(argc, argv, register_suites, NULL);
}
