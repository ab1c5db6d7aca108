/*
 * test_objects.c - object management (PKCS#11 3.0 §4.1-4.9 object model,
 * §5.7 object management functions; 2.40 §4.1.1 "Creating objects" rules
 * and §5.7 C_GetAttributeValue rules).
 */
#include "kt_test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_SLOT_ID oslot, oslot2;
static const CK_OBJECT_CLASS C_DATA = CKO_DATA, C_CERT = CKO_CERTIFICATE,
                             C_SECRET = CKO_SECRET_KEY;
static const CK_CERTIFICATE_TYPE X509 = CKC_X_509;
static const CK_KEY_TYPE GENERIC = CKK_GENERIC_SECRET;
static const unsigned char KEY32[32] = "0123456789abcdef0123456789abcdef";


static int suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_fresh_token("objects", SO_PIN, USER_PIN, &oslot);
  if (rv == CKR_OK) rv = kt_fresh_token("objects2", SO_PIN, USER_PIN, &oslot2);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}
static void setup_init(void)
{
  KT_OK_F(kt_init());
  /* the slot of a token does not change (contract: tokens/<slotID>) */
  CK_SLOT_ID a = 0, b = 0;
  KT_OK(kt_slot_by_label("objects", &a));
  KT_OK(kt_slot_by_label("objects2", &b));
  KT_CHECK(a == oslot && b == oslot2, "slot ids changed: %lu %lu -> %lu %lu",
           (unsigned long)oslot, (unsigned long)oslot2, (unsigned long)a,
           (unsigned long)b);
  oslot = a;
  oslot2 = b;
}
static void teardown_fini(void) { p11->C_Finalize(NULL); }

static CK_SESSION_HANDLE open_s(int rw, int login)
{
  CK_SESSION_HANDLE s = 0;
  KT_OK_F(kt_open(oslot, rw, &s));
  if (login) KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  return s;
}

static void expect_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                        CK_ATTRIBUTE_TYPE t, CK_BBOOL want, const char *name)
{
  CK_BBOOL b = 0xAA;
  if (KT_OK(kt_attr_bool(s, h, t, &b)))
    KT_CHECK(b == want, "%s is %d, expected %d", name, b, want);
}

static void expect_ul(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                      CK_ATTRIBUTE_TYPE t, CK_ULONG want, const char *name)
{
  CK_ULONG v = 0xAAAA;
  if (KT_OK(kt_attr_ul(s, h, t, &v)))
    KT_CHECK(v == want, "%s is 0x%lx, expected 0x%lx", name,
             (unsigned long)v, (unsigned long)want);
}

static void expect_bytes(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                         CK_ATTRIBUTE_TYPE t, const void *want, size_t wl,
                         const char *name)
{
  void *v = NULL;
  CK_ULONG l = 0;
  if (KT_OK(kt_attr(s, h, t, &v, &l)))
    KT_CHECK(l == wl && (!wl || !memcmp(v, want, wl)),
             "%s: %lu bytes '%.*s', expected %zu bytes", name,
             (unsigned long)l, (int)(l > 40 ? 40 : l), (char *)v, wl);
  free(v);
}

static char run_label[32];
static const char *uniq(const char *base)
{
  static char buf[8][96];
  static int i;
  i = (i + 1) % 8;
  snprintf(buf[i], sizeof buf[i], "%s-%s", base, run_label);
  return buf[i];
}

static const char *slotstr(CK_SLOT_ID slot)
{
  static char b[24];
  snprintf(b, sizeof b, "%lu", (unsigned long)slot);
  return b;
}

static const char *hstr(CK_ULONG h)
{
  static char b[4][24];
  static int i;
  i = (i + 1) % 4;
  snprintf(b[i], sizeof b[i], "%lu", (unsigned long)h);
  return b[i];
}

/* ================================================================== */
/* creation */
static void test_create_data_defaults(void)
{
  CK_SESSION_HANDLE s = open_s(0, 0);
  CK_OBJECT_HANDLE h = 0;
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_PRIVATE, F)};
  KT_OK_F(p11->C_CreateObject(s, t, 2, &h)); /* session object in RO */
  KT_CHECK(h != CK_INVALID_HANDLE, "valid handle");
  expect_ul(s, h, CKA_CLASS, CKO_DATA, "CKA_CLASS");
  expect_bool(s, h, CKA_TOKEN, CK_FALSE, "CKA_TOKEN default");
  expect_bool(s, h, CKA_PRIVATE, CK_FALSE, "CKA_PRIVATE");
  expect_bool(s, h, CKA_MODIFIABLE, CK_TRUE, "CKA_MODIFIABLE default");
  expect_bool(s, h, CKA_COPYABLE, CK_TRUE, "CKA_COPYABLE default");
  expect_bool(s, h, CKA_DESTROYABLE, CK_TRUE, "CKA_DESTROYABLE default");
  expect_bytes(s, h, CKA_LABEL, "", 0, "CKA_LABEL default");
  expect_bytes(s, h, CKA_APPLICATION, "", 0, "CKA_APPLICATION default");
  expect_bytes(s, h, CKA_OBJECT_ID, "", 0, "CKA_OBJECT_ID default");
  expect_bytes(s, h, CKA_VALUE, "", 0, "CKA_VALUE default");
  /* 3.0 §4.4: every storage object has a token-assigned CKA_UNIQUE_ID */
  void *u1 = NULL, *u2 = NULL;
  CK_ULONG l1 = 0, l2 = 0;
  CK_OBJECT_HANDLE h2;
  KT_OK(p11->C_CreateObject(s, t, 2, &h2));
  if (KT_OK(kt_attr(s, h, CKA_UNIQUE_ID, &u1, &l1)) &&
      KT_OK(kt_attr(s, h2, CKA_UNIQUE_ID, &u2, &l2)))
    KT_CHECK(l1 > 0 && (l1 != l2 || memcmp(u1, u2, l1)),
             "CKA_UNIQUE_ID non-empty and different per object");
  free(u1);
  free(u2);
  KT_OK(p11->C_CloseSession(s));
}

static void test_create_data_full(void)
{
  CK_SESSION_HANDLE s = open_s(1, 0);
  CK_OBJECT_HANDLE h = 0;
  static const unsigned char oid[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
  unsigned char val[300];
  for (size_t i = 0; i < sizeof val; i++) val[i] = (unsigned char)i;
  const char *lab = uniq("full");
  CK_ATTRIBUTE t[] = {
      AV(CKA_CLASS, C_DATA),       AV(CKA_TOKEN, T),
      AV(CKA_PRIVATE, F),          A(CKA_LABEL, lab, strlen(lab)),
      AS(CKA_APPLICATION, "kt app"), A(CKA_OBJECT_ID, oid, sizeof oid),
      A(CKA_VALUE, val, sizeof val), AV(CKA_MODIFIABLE, T),
  };
  KT_OK_F(p11->C_CreateObject(s, t, KT_ARRAY_LEN(t), &h));
  expect_bool(s, h, CKA_TOKEN, CK_TRUE, "CKA_TOKEN");
  expect_bytes(s, h, CKA_LABEL, lab, strlen(lab), "CKA_LABEL");
  expect_bytes(s, h, CKA_APPLICATION, "kt app", 6, "CKA_APPLICATION");
  expect_bytes(s, h, CKA_OBJECT_ID, oid, sizeof oid, "CKA_OBJECT_ID");
  expect_bytes(s, h, CKA_VALUE, val, sizeof val, "CKA_VALUE");
  /* binary value with NUL bytes survives */
  KT_CHECK(val[0] == 0, "value contains NUL");
  KT_RV(p11->C_CreateObject(s, t, KT_ARRAY_LEN(t), NULL), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_CreateObject(s, NULL, 2, &h), CKR_ARGUMENTS_BAD);
  KT_OK(p11->C_CloseSession(s));
}

static void test_create_cert(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1);
  CK_OBJECT_HANDLE h = 0;
  unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
  size_t sl = 0, il = 0, nl = 0;
  KT_CHECK_F(kt_cert_parts(&subj, &sl, &iss, &il, &ser, &nl) == 0,
             "parse the test certificate");
  const char *lab = uniq("cert");
  CK_ATTRIBUTE t[] = {
      AV(CKA_CLASS, C_CERT),
      AV(CKA_CERTIFICATE_TYPE, X509),
      AV(CKA_TOKEN, T),
      AV(CKA_PRIVATE, F),
      A(CKA_LABEL, lab, strlen(lab)),
      AS(CKA_ID, "\x01"),
      A(CKA_SUBJECT, subj, sl),
      A(CKA_ISSUER, iss, il),
      A(CKA_SERIAL_NUMBER, ser, nl),
      A(CKA_VALUE, kt_cert_der, kt_cert_der_len),
  };
  if (KT_OK(p11->C_CreateObject(s, t, KT_ARRAY_LEN(t), &h))) {
    expect_ul(s, h, CKA_CLASS, CKO_CERTIFICATE, "CKA_CLASS");
    expect_ul(s, h, CKA_CERTIFICATE_TYPE, CKC_X_509, "CKA_CERTIFICATE_TYPE");
    expect_bytes(s, h, CKA_SUBJECT, subj, sl, "CKA_SUBJECT");
    expect_bytes(s, h, CKA_ISSUER, iss, il, "CKA_ISSUER");
    expect_bytes(s, h, CKA_SERIAL_NUMBER, ser, nl, "CKA_SERIAL_NUMBER");
    expect_bytes(s, h, CKA_VALUE, kt_cert_der, kt_cert_der_len, "CKA_VALUE");
    expect_bytes(s, h, CKA_ID, "\x01", 1, "CKA_ID");
    /* defaults (2.40 §4.6.1 common certificate attributes) */
    expect_bool(s, h, CKA_TRUSTED, CK_FALSE, "CKA_TRUSTED default");
    expect_ul(s, h, CKA_CERTIFICATE_CATEGORY, 0, "CKA_CERTIFICATE_CATEGORY");
    expect_ul(s, h, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0,
              "CKA_JAVA_MIDP_SECURITY_DOMAIN");
  }
  /* minimal: type, subject, value; no label/id */
  CK_ATTRIBUTE m[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE, X509),
                      A(CKA_SUBJECT, subj, sl),
                      A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  if (KT_OK(p11->C_CreateObject(s, m, 4, &h))) {
    expect_bytes(s, h, CKA_ID, "", 0, "CKA_ID default");
    expect_bytes(s, h, CKA_LABEL, "", 0, "CKA_LABEL default");
    expect_bool(s, h, CKA_TOKEN, CK_FALSE, "CKA_TOKEN default");
  }
  /* CKA_TRUSTED can only be set to CK_TRUE by the SO (footnote 10) */
  CK_ATTRIBUTE tr[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE, X509),
                       A(CKA_SUBJECT, subj, sl),
                       A(CKA_VALUE, kt_cert_der, kt_cert_der_len),
                       AV(CKA_TRUSTED, T)};
  KT_RV(p11->C_CreateObject(s, tr, 5, &h), CKR_ATTRIBUTE_READ_ONLY,
        CKR_ATTRIBUTE_VALUE_INVALID);
  free(subj);
  free(iss);
  free(ser);
  KT_OK(p11->C_CloseSession(s));
}

static void test_create_incomplete(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1);
  CK_OBJECT_HANDLE h;
  unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
  size_t sl = 0, il = 0, nl = 0;
  KT_CHECK_F(kt_cert_parts(&subj, &sl, &iss, &il, &ser, &nl) == 0, "cert");
  /* X.509: CKA_SUBJECT (1), CKA_VALUE (1, when no CKA_URL) and
   * CKA_CERTIFICATE_TYPE (1) must be given */
  CK_ATTRIBUTE no_value[] = {AV(CKA_CLASS, C_CERT),
                             AV(CKA_CERTIFICATE_TYPE, X509),
                             A(CKA_SUBJECT, subj, sl)};
  KT_RV(p11->C_CreateObject(s, no_value, 3, &h), CKR_TEMPLATE_INCOMPLETE);
  CK_ATTRIBUTE no_subject[] = {AV(CKA_CLASS, C_CERT),
                               AV(CKA_CERTIFICATE_TYPE, X509),
                               A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  KT_RV(p11->C_CreateObject(s, no_subject, 3, &h), CKR_TEMPLATE_INCOMPLETE);
  CK_ATTRIBUTE no_type[] = {AV(CKA_CLASS, C_CERT), A(CKA_SUBJECT, subj, sl),
                            A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  KT_RV(p11->C_CreateObject(s, no_type, 3, &h), CKR_TEMPLATE_INCOMPLETE);
  CK_ATTRIBUTE no_class[] = {AS(CKA_LABEL, "x"), AS(CKA_VALUE, "y"),
                             AV(CKA_PRIVATE, F)};
  KT_RV(p11->C_CreateObject(s, no_class, 3, &h), CKR_TEMPLATE_INCOMPLETE);
  KT_RV(p11->C_CreateObject(s, NULL, 0, &h), CKR_TEMPLATE_INCOMPLETE,
        CKR_ARGUMENTS_BAD);
  /* secret key without CKA_VALUE / without CKA_KEY_TYPE */
  CK_ATTRIBUTE no_kval[] = {AV(CKA_CLASS, C_SECRET),
                            AV(CKA_KEY_TYPE, GENERIC)};
  KT_RV(p11->C_CreateObject(s, no_kval, 2, &h), CKR_TEMPLATE_INCOMPLETE);
  CK_ATTRIBUTE no_ktype[] = {AV(CKA_CLASS, C_SECRET),
                             A(CKA_VALUE, KEY32, 32)};
  KT_RV(p11->C_CreateObject(s, no_ktype, 2, &h), CKR_TEMPLATE_INCOMPLETE);
  free(subj);
  free(iss);
  free(ser);
  KT_OK(p11->C_CloseSession(s));
}

static void test_create_bad_values(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1);
  CK_OBJECT_HANDLE h;
  CK_ULONG n = 0;
  CK_OBJECT_HANDLE before[512], after[512];
  CK_ULONG nb = 0, na = 0;
  KT_OK(kt_find(s, NULL, 0, before, 512, &nb));

  /* two different values for the same attribute: TEMPLATE_INCONSISTENT
   * (2.40 §4.1.1 rule 5 gives exactly this example) */
  CK_ATTRIBUTE dup_label[] = {AV(CKA_CLASS, C_DATA), AS(CKA_LABEL, "a"),
                              AS(CKA_LABEL, "b")};
  KT_RV(p11->C_CreateObject(s, dup_label, 3, &h), CKR_TEMPLATE_INCONSISTENT);
  CK_ATTRIBUTE dup_token[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, T),
                              AV(CKA_TOKEN, F)};
  KT_RV(p11->C_CreateObject(s, dup_token, 3, &h), CKR_TEMPLATE_INCONSISTENT);
  CK_ATTRIBUTE dup_class[] = {AV(CKA_CLASS, C_DATA), AV(CKA_CLASS, C_CERT)};
  KT_RV(p11->C_CreateObject(s, dup_class, 2, &h), CKR_TEMPLATE_INCONSISTENT);

  /* invalid values of valid attributes: ATTRIBUTE_VALUE_INVALID */
  CK_OBJECT_CLASS bogus = 0x7fff0000UL;
  CK_ATTRIBUTE bad_class[] = {AV(CKA_CLASS, bogus)};
  KT_RV(p11->C_CreateObject(s, bad_class, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ATTRIBUTE short_class[] = {A(CKA_CLASS, &C_DATA, 1)};
  KT_RV(p11->C_CreateObject(s, short_class, 1, &h),
        CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ULONG four = 1;
  CK_ATTRIBUTE wide_bool[] = {AV(CKA_CLASS, C_DATA), A(CKA_TOKEN, &four, 4)};
  KT_RV(p11->C_CreateObject(s, wide_bool, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ATTRIBUTE empty_bool[] = {AV(CKA_CLASS, C_DATA), A(CKA_PRIVATE, &T, 0)};
  KT_RV(p11->C_CreateObject(s, empty_bool, 2, &h),
        CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ATTRIBUTE null_value[] = {AV(CKA_CLASS, C_DATA), A(CKA_LABEL, NULL, 5)};
  KT_RV(p11->C_CreateObject(s, null_value, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID,
        CKR_ARGUMENTS_BAD);
  CK_CERTIFICATE_TYPE bogus_ct = 0x7777;
  CK_ATTRIBUTE bad_ct[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE,
                           bogus_ct), AS(CKA_SUBJECT, "\x30\x00"),
                           AS(CKA_VALUE, "\x30\x00")};
  KT_RV(p11->C_CreateObject(s, bad_ct, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);

  /* unknown attribute type: ATTRIBUTE_TYPE_INVALID (rule 1) */
  CK_ATTRIBUTE vendor[] = {AV(CKA_CLASS, C_DATA), AS(KT_VENDOR_ATTR, "z")};
  KT_RV(p11->C_CreateObject(s, vendor, 2, &h), CKR_ATTRIBUTE_TYPE_INVALID);
  /* an attribute of another class: TYPE_INVALID or (rule 5's second
   * example) TEMPLATE_INCONSISTENT */
  CK_ATTRIBUTE foreign[] = {AV(CKA_CLASS, C_DATA), AS(CKA_MODULUS, "\x01")};
  KT_RV(p11->C_CreateObject(s, foreign, 2, &h), CKR_ATTRIBUTE_TYPE_INVALID,
        CKR_TEMPLATE_INCONSISTENT);

  /* read-only attributes (footnote 2: must not be specified with
   * C_CreateObject): ATTRIBUTE_READ_ONLY (rule 3) */
  CK_ATTRIBUTE local[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, GENERIC),
                          A(CKA_VALUE, KEY32, 32), AV(CKA_LOCAL, T)};
  KT_RV(p11->C_CreateObject(s, local, 4, &h), CKR_ATTRIBUTE_READ_ONLY);
  local[3].type = CKA_ALWAYS_SENSITIVE;
  KT_RV(p11->C_CreateObject(s, local, 4, &h), CKR_ATTRIBUTE_READ_ONLY);
  local[3].type = CKA_NEVER_EXTRACTABLE;
  KT_RV(p11->C_CreateObject(s, local, 4, &h), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE uid[] = {AV(CKA_CLASS, C_DATA), AS(CKA_UNIQUE_ID, "42")};
  KT_RV(p11->C_CreateObject(s, uid, 2, &h), CKR_ATTRIBUTE_READ_ONLY);

  /* none of the failures left an object behind */
  KT_OK(kt_find(s, NULL, 0, after, 512, &na));
  KT_EQ_UL(na, nb);
  (void)n;
  KT_OK(p11->C_CloseSession(s));
}

static void test_create_access(void)
{
  CK_SESSION_HANDLE ro = open_s(0, 0), rw = open_s(1, 0);
  CK_OBJECT_HANDLE h;
  /* token object in an RO session */
  KT_RV(kt_mk_data(ro, 1, 0, uniq("ro-token"), "v", 1, &h),
        CKR_SESSION_READ_ONLY);
  KT_OK(kt_mk_data(ro, 0, 0, uniq("ro-sess"), "v", 1, &h));
  KT_OK(kt_mk_data(rw, 1, 0, uniq("rw-token"), "v", 1, &h));
  /* private objects need the user */
  KT_RV(kt_mk_data(rw, 1, 1, uniq("priv"), "v", 1, &h),
        CKR_USER_NOT_LOGGED_IN);
  KT_RV(kt_mk_data(ro, 0, 1, uniq("priv-sess"), "v", 1, &h),
        CKR_USER_NOT_LOGGED_IN);
  /* contract: secret key token objects are stored encrypted, so even a
   * CKA_PRIVATE=FALSE one needs a logged-in user */
  KT_RV(kt_mk_secret(rw, 1, 0, 0, uniq("key"), KEY32, 32, &h),
        CKR_USER_NOT_LOGGED_IN);
  KT_OK(kt_login(ro, CKU_USER, USER_PIN));
  KT_OK(kt_mk_data(rw, 1, 1, uniq("priv"), "v", 1, &h));
  KT_OK(kt_mk_data(ro, 0, 1, uniq("priv-sess"), "v", 1, &h));
  KT_RV(kt_mk_data(ro, 1, 1, uniq("priv-ro"), "v", 1, &h),
        CKR_SESSION_READ_ONLY);
  KT_OK(kt_mk_secret(rw, 1, 0, 0, uniq("key"), KEY32, 32, &h));
  KT_OK(kt_mk_secret(rw, 1, 1, 1, uniq("key2"), KEY32, 32, &h));
  /* the SO may create public objects but not private ones */
  KT_OK(p11->C_Logout(rw));
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(kt_login(rw, CKU_SO, SO_PIN));
  KT_OK(kt_mk_data(rw, 1, 0, uniq("by-so"), "v", 1, &h));
  KT_RV(kt_mk_data(rw, 1, 1, uniq("priv-by-so"), "v", 1, &h),
        CKR_USER_NOT_LOGGED_IN);
  KT_OK(p11->C_CloseSession(rw));
}

/* ================================================================== */
/* C_GetAttributeValue (2.40/3.0 §5.7.5: the five cases) */
static void test_get_attribute_rules(void)
{
  CK_SESSION_HANDLE s = open_s(0, 0);
  CK_OBJECT_HANDLE h;
  unsigned char val[100];
  memset(val, 'q', sizeof val);
  KT_OK_F(kt_mk_data(s, 0, 0, "attr", val, sizeof val, &h));

  /* case 3: length query */
  CK_ATTRIBUTE q[] = {{CKA_VALUE, NULL, 0}, {CKA_LABEL, NULL, 12345}};
  KT_OK(p11->C_GetAttributeValue(s, h, q, 2));
  KT_EQ_UL(q[0].ulValueLen, 100);
  KT_EQ_UL(q[1].ulValueLen, 4);

  /* case 4: exact and larger buffers; ulValueLen = exact length */
  char buf[200];
  CK_ATTRIBUTE e = {CKA_VALUE, buf, 100};
  KT_OK(p11->C_GetAttributeValue(s, h, &e, 1));
  KT_EQ_UL(e.ulValueLen, 100);
  e.ulValueLen = sizeof buf;
  KT_OK(p11->C_GetAttributeValue(s, h, &e, 1));
  KT_EQ_UL(e.ulValueLen, 100);
  KT_CHECK(!memcmp(buf, val, 100), "value read back");

  /* case 5: too small -> BUFFER_TOO_SMALL, CK_UNAVAILABLE_INFORMATION */
  CK_ATTRIBUTE sm = {CKA_VALUE, buf, 99};
  KT_RV(p11->C_GetAttributeValue(s, h, &sm, 1), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(sm.ulValueLen, CK_UNAVAILABLE_INFORMATION);

  /* case 2: no such attribute -> TYPE_INVALID, UNAVAILABLE */
  CK_ATTRIBUTE un = {KT_VENDOR_ATTR, buf, sizeof buf};
  KT_RV(p11->C_GetAttributeValue(s, h, &un, 1), CKR_ATTRIBUTE_TYPE_INVALID);
  KT_EQ_UL(un.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  CK_ATTRIBUTE un2 = {CKA_MODULUS, NULL, 0}; /* valid type, not a data attr */
  KT_RV(p11->C_GetAttributeValue(s, h, &un2, 1), CKR_ATTRIBUTE_TYPE_INVALID);
  KT_EQ_UL(un2.ulValueLen, CK_UNAVAILABLE_INFORMATION);

  /* mixed: every entry processed whatever the return value */
  char lab[64], small[5];
  CK_OBJECT_CLASS cls = 0;
  CK_BBOOL tok = 0xAA;
  CK_ATTRIBUTE mix[] = {
      {CKA_LABEL, lab, sizeof lab},
      {KT_VENDOR_ATTR, buf, sizeof buf},
      {CKA_VALUE, small, sizeof small},
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_APPLICATION, NULL, 777},
      {CKA_TOKEN, &tok, sizeof tok},
  };
  KT_RV(p11->C_GetAttributeValue(s, h, mix, KT_ARRAY_LEN(mix)),
        CKR_ATTRIBUTE_TYPE_INVALID, CKR_BUFFER_TOO_SMALL);
  KT_CHECK(mix[0].ulValueLen == 4 && !memcmp(lab, "attr", 4),
           "mixed: label returned (len %lu)", (unsigned long)mix[0].ulValueLen);
  KT_EQ_UL(mix[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  KT_EQ_UL(mix[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  KT_CHECK(mix[3].ulValueLen == sizeof cls && cls == CKO_DATA,
           "mixed: class returned");
  KT_EQ_UL(mix[4].ulValueLen, 0);
  KT_CHECK(mix[5].ulValueLen == 1 && tok == CK_FALSE, "mixed: token returned");

  KT_RV(p11->C_GetAttributeValue(s, h, NULL, 1), CKR_ARGUMENTS_BAD);
  KT_OK(p11->C_CloseSession(s));
}

static void test_sensitive(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1);
  CK_OBJECT_HANDLE h, h2;
  KT_OK_F(kt_mk_secret(s, 1, 1, 1, uniq("sens"), KEY32, 32, &h));
  char buf[64], lab[64];
  /* case 1: sensitive -> ATTRIBUTE_SENSITIVE, UNAVAILABLE, also for a
   * length query */
  CK_ATTRIBUTE v = {CKA_VALUE, buf, sizeof buf};
  KT_RV(p11->C_GetAttributeValue(s, h, &v, 1), CKR_ATTRIBUTE_SENSITIVE);
  KT_EQ_UL(v.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  CK_ATTRIBUTE vq = {CKA_VALUE, NULL, 0};
  KT_RV(p11->C_GetAttributeValue(s, h, &vq, 1), CKR_ATTRIBUTE_SENSITIVE);
  KT_EQ_UL(vq.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  CK_ATTRIBUTE mix[] = {{CKA_LABEL, lab, sizeof lab},
                        {CKA_VALUE, buf, sizeof buf},
                        {KT_VENDOR_ATTR, buf, sizeof buf}};
  KT_RV(p11->C_GetAttributeValue(s, h, mix, 3), CKR_ATTRIBUTE_SENSITIVE,
        CKR_ATTRIBUTE_TYPE_INVALID);
  KT_CHECK(mix[0].ulValueLen > 0 && mix[0].ulValueLen < sizeof lab,
           "label still returned next to a sensitive value");
  KT_EQ_UL(mix[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  KT_EQ_UL(mix[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
  expect_bool(s, h, CKA_SENSITIVE, CK_TRUE, "CKA_SENSITIVE");
  expect_bool(s, h, CKA_LOCAL, CK_FALSE, "CKA_LOCAL of an imported key");
  expect_ul(s, h, CKA_KEY_TYPE, CKK_GENERIC_SECRET, "CKA_KEY_TYPE");
  expect_ul(s, h, CKA_VALUE_LEN, 32, "CKA_VALUE_LEN");

  /* not extractable (footnote 7) is just as unrevealable */
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, GENERIC),
                      AV(CKA_TOKEN, F), AV(CKA_SENSITIVE, F),
                      AV(CKA_EXTRACTABLE, F), A(CKA_VALUE, KEY32, 32)};
  KT_OK_F(p11->C_CreateObject(s, t, KT_ARRAY_LEN(t), &h2));
  v.ulValueLen = sizeof buf;
  KT_RV(p11->C_GetAttributeValue(s, h2, &v, 1), CKR_ATTRIBUTE_SENSITIVE);
  KT_EQ_UL(v.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  /* while a non-sensitive extractable key reveals its value */
  KT_OK(kt_mk_secret(s, 0, 1, 0, uniq("plain"), KEY32, 32, &h2));
  expect_bytes(s, h2, CKA_VALUE, KEY32, 32, "non-sensitive CKA_VALUE");
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* C_SetAttributeValue (§5.7.6, §4.1.2) */
static void test_set_attribute(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1), ro;
  CK_OBJECT_HANDLE h, nm, key;
  const char *l1 = uniq("set1"), *l2 = uniq("set2");
  KT_OK_F(kt_mk_data(s, 1, 0, l1, "v", 1, &h));
  CK_ATTRIBUTE lab = {CKA_LABEL, (void *)l2, strlen(l2)};
  KT_OK(p11->C_SetAttributeValue(s, h, &lab, 1));
  expect_bytes(s, h, CKA_LABEL, l2, strlen(l2), "new label");

  /* visible to another process */
  char *out = NULL, v[128];
  KT_EQ_UL(kt_run_self(&out, 0, "get", slotstr(oslot), hstr(h), NULL), 0);
  KT_CHECK(kt_out_get(out, "label", v, sizeof v) && !strcmp(v, l2),
           "other process reads label: %s, expected '%s'", out, l2);
  free(out);

  /* read-only attributes */
  CK_ATTRIBUTE cls = AV(CKA_CLASS, C_CERT);
  KT_RV(p11->C_SetAttributeValue(s, h, &cls, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE tok = AV(CKA_TOKEN, F);
  KT_RV(p11->C_SetAttributeValue(s, h, &tok, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE prv = AV(CKA_PRIVATE, T);
  KT_RV(p11->C_SetAttributeValue(s, h, &prv, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE uid = AS(CKA_UNIQUE_ID, "1");
  KT_RV(p11->C_SetAttributeValue(s, h, &uid, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE ven = AS(KT_VENDOR_ATTR, "1");
  KT_RV(p11->C_SetAttributeValue(s, h, &ven, 1), CKR_ATTRIBUTE_TYPE_INVALID);
  /* nothing changed by the failures (all-or-nothing) */
  CK_ATTRIBUTE two[] = {AS(CKA_LABEL, "never"), AV(CKA_CLASS, C_CERT)};
  KT_RV(p11->C_SetAttributeValue(s, h, two, 2), CKR_ATTRIBUTE_READ_ONLY);
  expect_bytes(s, h, CKA_LABEL, l2, strlen(l2), "label after failed set");
  expect_ul(s, h, CKA_CLASS, CKO_DATA, "class after failed set");

  /* CKA_COPYABLE "can't be set to TRUE once it is set to FALSE"; whether
   * TRUE -> FALSE is allowed is not spelled out */
  CK_ATTRIBUTE cf = AV(CKA_COPYABLE, F), ct = AV(CKA_COPYABLE, T);
  CK_RV rv = p11->C_SetAttributeValue(s, h, &cf, 1);
  KT_RV(rv, CKR_OK, CKR_ATTRIBUTE_READ_ONLY);
  if (rv == CKR_OK)
    KT_RV(p11->C_SetAttributeValue(s, h, &ct, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_OBJECT_HANDLE nc;
  CK_ATTRIBUTE nct[] = {AV(CKA_CLASS, C_DATA), AV(CKA_PRIVATE, F),
                        AV(CKA_COPYABLE, F)};
  KT_OK(p11->C_CreateObject(s, nct, 3, &nc));
  KT_RV(p11->C_SetAttributeValue(s, nc, &ct, 1), CKR_ATTRIBUTE_READ_ONLY);

  /* RO session cannot modify token objects */
  KT_OK_F(kt_open(oslot, 0, &ro));
  KT_RV(p11->C_SetAttributeValue(ro, h, &lab, 1), CKR_SESSION_READ_ONLY);

  /* CKA_MODIFIABLE = FALSE: C_SetAttributeValue -> ACTION_PROHIBITED
   * (2.40 §5.7 C_SetAttributeValue) */
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_MODIFIABLE, F),
                      AS(CKA_LABEL, "frozen"), AV(CKA_PRIVATE, F)};
  KT_OK_F(p11->C_CreateObject(s, t, 4, &nm));
  expect_bool(s, nm, CKA_MODIFIABLE, CK_FALSE, "CKA_MODIFIABLE");
  KT_RV(p11->C_SetAttributeValue(s, nm, &lab, 1), CKR_ACTION_PROHIBITED);
  expect_bytes(s, nm, CKA_LABEL, "frozen", 6, "unmodifiable label");

  /* CKA_SENSITIVE: FALSE -> TRUE ok, TRUE -> FALSE read-only (footnote
   * 11); CKA_EXTRACTABLE: TRUE -> FALSE ok, back read-only (footnote 12) */
  KT_OK_F(kt_mk_secret(s, 1, 1, 0, uniq("flip"), KEY32, 32, &key));
  CK_ATTRIBUTE st = AV(CKA_SENSITIVE, T), sf = AV(CKA_SENSITIVE, F);
  KT_OK(p11->C_SetAttributeValue(s, key, &st, 1));
  KT_RV(p11->C_SetAttributeValue(s, key, &sf, 1), CKR_ATTRIBUTE_READ_ONLY);
  expect_bool(s, key, CKA_SENSITIVE, CK_TRUE, "CKA_SENSITIVE");
  CK_ATTRIBUTE xf = AV(CKA_EXTRACTABLE, F), xt = AV(CKA_EXTRACTABLE, T);
  KT_OK(p11->C_SetAttributeValue(s, key, &xf, 1));
  KT_RV(p11->C_SetAttributeValue(s, key, &xt, 1), CKR_ATTRIBUTE_READ_ONLY);
  CK_ATTRIBUTE kv = A(CKA_VALUE, KEY32, 16);
  KT_RV(p11->C_SetAttributeValue(s, key, &kv, 1), CKR_ATTRIBUTE_READ_ONLY);
  KT_RV(p11->C_SetAttributeValue(s, key, NULL, 1), CKR_ARGUMENTS_BAD);
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* C_CopyObject (§5.7.3) */
static void test_copy(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1), ro;
  CK_OBJECT_HANDLE h, c, c2, nc, key;
  const char *l1 = uniq("orig"), *l2 = uniq("copy");
  KT_OK_F(kt_mk_data(s, 0, 0, l1, "payload", 7, &h));
  CK_ATTRIBUTE t[] = {A(CKA_LABEL, l2, strlen(l2)), AV(CKA_TOKEN, T)};
  KT_OK_F(p11->C_CopyObject(s, h, t, 2, &c));
  KT_CHECK(c != h && c != CK_INVALID_HANDLE, "new handle");
  expect_bytes(s, c, CKA_LABEL, l2, strlen(l2), "copy label");
  expect_bytes(s, c, CKA_VALUE, "payload", 7, "copy value");
  expect_bool(s, c, CKA_TOKEN, CK_TRUE, "copy became a token object");
  expect_bytes(s, h, CKA_LABEL, l1, strlen(l1), "original label");
  expect_bool(s, h, CKA_TOKEN, CK_FALSE, "original still a session object");
  void *u1 = NULL, *u2 = NULL;
  CK_ULONG ul1 = 0, ul2 = 0;
  if (KT_OK(kt_attr(s, h, CKA_UNIQUE_ID, &u1, &ul1)) &&
      KT_OK(kt_attr(s, c, CKA_UNIQUE_ID, &u2, &ul2)))
    KT_CHECK(ul1 != ul2 || memcmp(u1, u2, ul1), "copy has its own UNIQUE_ID");
  free(u1);
  free(u2);

  /* empty template: exact copy */
  CK_ATTRIBUTE none[1] = {AV(CKA_TOKEN, F)};
  KT_OK(p11->C_CopyObject(s, h, none, 0, &c2));
  expect_bytes(s, c2, CKA_LABEL, l1, strlen(l1), "plain copy label");
  /* CKA_CLASS cannot change */
  CK_ATTRIBUTE cl = AV(CKA_CLASS, C_CERT);
  KT_RV(p11->C_CopyObject(s, h, &cl, 1, &c2), CKR_ATTRIBUTE_READ_ONLY,
        CKR_TEMPLATE_INCONSISTENT);
  /* copying into a token object from an RO session */
  KT_OK_F(kt_open(oslot, 0, &ro));
  KT_RV(p11->C_CopyObject(ro, h, &t[1], 1, &c2), CKR_SESSION_READ_ONLY);
  KT_OK(p11->C_CopyObject(ro, h, none, 0, &c2)); /* session copy is fine */
  /* CKA_COPYABLE = FALSE: ACTION_PROHIBITED */
  CK_ATTRIBUTE nt[] = {AV(CKA_CLASS, C_DATA), AV(CKA_COPYABLE, F),
                       AV(CKA_PRIVATE, F)};
  KT_OK_F(p11->C_CreateObject(s, nt, 3, &nc));
  KT_RV(p11->C_CopyObject(s, nc, none, 0, &c2), CKR_ACTION_PROHIBITED);
  /* a sensitive key cannot be copied into a non-sensitive one */
  KT_OK_F(kt_mk_secret(s, 0, 1, 1, uniq("k"), KEY32, 32, &key));
  CK_ATTRIBUTE sf = AV(CKA_SENSITIVE, F);
  KT_RV(p11->C_CopyObject(s, key, &sf, 1, &c2), CKR_ATTRIBUTE_READ_ONLY,
        CKR_TEMPLATE_INCONSISTENT);
  KT_RV(p11->C_CopyObject(s, 0x7ffffff3UL, none, 0, &c2),
        CKR_OBJECT_HANDLE_INVALID);
  KT_RV(p11->C_CopyObject(s, h, none, 0, NULL), CKR_ARGUMENTS_BAD);
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* C_DestroyObject (§5.7.4) and C_GetObjectSize (§5.7.5) */
static void test_destroy(void)
{
  CK_SESSION_HANDLE s = open_s(1, 0), ro;
  CK_OBJECT_HANDLE h, t, nd;
  char buf[64];
  KT_OK_F(kt_mk_data(s, 0, 0, "doomed", "x", 1, &h));
  KT_OK(p11->C_DestroyObject(s, h));
  KT_RV(p11->C_DestroyObject(s, h), CKR_OBJECT_HANDLE_INVALID);
  KT_RV(kt_label(s, h, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);

  const char *lab = uniq("doomed-token");
  KT_OK_F(kt_mk_data(s, 1, 0, lab, "x", 1, &t));
  KT_OK_F(kt_open(oslot, 0, &ro));
  KT_RV(p11->C_DestroyObject(ro, t), CKR_SESSION_READ_ONLY);
  KT_OK(p11->C_DestroyObject(s, t));
  CK_ULONG n = 9;
  CK_OBJECT_HANDLE f[4];
  KT_OK(kt_find_label(s, lab, f, 4, &n));
  KT_EQ_UL(n, 0);
  /* gone for other processes too */
  char *out = NULL, v[64];
  KT_EQ_UL(kt_run_self(&out, 0, "find", slotstr(oslot), lab, NULL), 0);
  KT_CHECK(kt_out_get(out, "n", v, sizeof v) && !strcmp(v, "0"),
           "other process finds %s destroyed objects", v);
  free(out);

  /* session objects may be destroyed from an RO session */
  KT_OK(kt_mk_data(ro, 0, 0, "ro-doomed", "x", 1, &h));
  KT_OK(p11->C_DestroyObject(ro, h));

  /* CKA_DESTROYABLE = FALSE: ACTION_PROHIBITED */
  CK_ATTRIBUTE tt[] = {AV(CKA_CLASS, C_DATA), AV(CKA_DESTROYABLE, F),
                       AV(CKA_PRIVATE, F)};
  KT_OK_F(p11->C_CreateObject(s, tt, 3, &nd));
  expect_bool(s, nd, CKA_DESTROYABLE, CK_FALSE, "CKA_DESTROYABLE");
  KT_RV(p11->C_DestroyObject(s, nd), CKR_ACTION_PROHIBITED);
  expect_ul(s, nd, CKA_CLASS, CKO_DATA, "undestroyable object still there");
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_CloseSession(s));
}

static void test_object_size(void)
{
  CK_SESSION_HANDLE s = open_s(0, 0);
  CK_OBJECT_HANDLE h;
  CK_ULONG sz = 0;
  char big[4000];
  memset(big, 'b', sizeof big);
  KT_OK_F(kt_mk_data(s, 0, 0, "size", big, sizeof big, &h));
  if (KT_OK(p11->C_GetObjectSize(s, h, &sz)))
    KT_CHECK(sz == CK_UNAVAILABLE_INFORMATION || sz > 0,
             "object size %lu", (unsigned long)sz);
  KT_RV(p11->C_GetObjectSize(s, h, NULL), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_GetObjectSize(s, 0x7ffffff5UL, &sz),
        CKR_OBJECT_HANDLE_INVALID);
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* searching (§5.7.7-5.7.9) */
static void test_find(void)
{
  CK_SESSION_HANDLE s = open_s(1, 0), s2;
  CK_OBJECT_HANDLE d[3], sd[2], cert, all[1024], got[64];
  CK_ULONG n = 0, na = 0;
  unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
  size_t sl, il, nl;
  KT_CHECK_F(kt_cert_parts(&subj, &sl, &iss, &il, &ser, &nl) == 0, "cert");
  const char *fl[3] = {uniq("f0"), uniq("f1"), uniq("f2")};
  const char *app = uniq("findapp");
  for (int i = 0; i < 3; i++) {
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, T),
                        AV(CKA_PRIVATE, F), A(CKA_LABEL, fl[i], strlen(fl[i])),
                        A(CKA_APPLICATION, app, strlen(app))};
    KT_OK_F(p11->C_CreateObject(s, t, 5, &d[i]));
  }
  for (int i = 0; i < 2; i++) {
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, F),
                        AV(CKA_PRIVATE, F),
                        A(CKA_APPLICATION, app, strlen(app))};
    KT_OK_F(p11->C_CreateObject(s, t, 4, &sd[i]));
  }
  const char *cid = uniq("id");
  CK_ATTRIBUTE ct[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE, X509),
                       AV(CKA_TOKEN, T), AV(CKA_PRIVATE, F),
                       A(CKA_ID, cid, strlen(cid)), A(CKA_SUBJECT, subj, sl),
                       A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  KT_OK_F(p11->C_CreateObject(s, ct, KT_ARRAY_LEN(ct), &cert));

  /* empty template: everything visible, no duplicates */
  KT_OK(kt_find(s, NULL, 0, all, 1024, &na));
  for (int i = 0; i < 3; i++)
    KT_CHECK(kt_contains(all, na, d[i]) == 1, "data %d found once", i);
  for (int i = 0; i < 2; i++)
    KT_CHECK(kt_contains(all, na, sd[i]) == 1, "session %d found once", i);
  KT_CHECK(kt_contains(all, na, cert) == 1, "cert found once");
  for (CK_ULONG i = 0; i < na && i < 1024; i++)
    KT_CHECK(kt_contains(all, na, all[i]) == 1, "handle %lu found twice",
             (unsigned long)all[i]);

  /* by label */
  KT_OK(kt_find_label(s, fl[1], got, 64, &n));
  KT_CHECK(n == 1 && got[0] == d[1], "by label: %lu results",
           (unsigned long)n);
  /* by application: 3 token + 2 session objects */
  CK_ATTRIBUTE ta = A(CKA_APPLICATION, app, strlen(app));
  KT_OK(kt_find(s, &ta, 1, got, 64, &n));
  KT_EQ_UL(n, 5);
  /* + CKA_TOKEN */
  CK_ATTRIBUTE tt[] = {A(CKA_APPLICATION, app, strlen(app)),
                       AV(CKA_TOKEN, F)};
  KT_OK(kt_find(s, tt, 2, got, 64, &n));
  KT_CHECK(n == 2 && kt_contains(got, n, sd[0]) && kt_contains(got, n, sd[1]),
           "session objects only: %lu", (unsigned long)n);
  tt[1].pValue = (void *)&T;
  KT_OK(kt_find(s, tt, 2, got, 64, &n));
  KT_EQ_UL(n, 3);
  /* by class */
  CK_ATTRIBUTE tc = AV(CKA_CLASS, C_CERT);
  KT_OK(kt_find(s, &tc, 1, got, 64, &n));
  KT_CHECK(kt_contains(got, n, cert) && !kt_contains(got, n, d[0]),
           "class search");
  for (CK_ULONG i = 0; i < n && i < 64; i++)
    expect_ul(s, got[i], CKA_CLASS, CKO_CERTIFICATE, "found class");
  /* by id + class */
  CK_ATTRIBUTE ti[] = {AV(CKA_CLASS, C_CERT), A(CKA_ID, cid, strlen(cid))};
  KT_OK(kt_find(s, ti, 2, got, 64, &n));
  KT_CHECK(n == 1 && got[0] == cert, "by id: %lu", (unsigned long)n);
  ti[0].pValue = (void *)&C_DATA;
  KT_OK(kt_find(s, ti, 2, got, 64, &n));
  KT_EQ_UL(n, 0);
  /* value that matches nothing; prefix of a label does not match */
  CK_ATTRIBUTE tp = A(CKA_LABEL, fl[1], strlen(fl[1]) - 1);
  KT_OK(kt_find(s, &tp, 1, got, 64, &n));
  KT_EQ_UL(n, 0);
  /* an attribute no object has: no match (or TYPE_INVALID at init) */
  CK_ATTRIBUTE tv = AS(KT_VENDOR_ATTR, "x");
  CK_RV rv = p11->C_FindObjectsInit(s, &tv, 1);
  KT_RV(rv, CKR_OK, CKR_ATTRIBUTE_TYPE_INVALID);
  if (rv == CKR_OK) {
    n = 9;
    KT_OK(p11->C_FindObjects(s, got, 64, &n));
    KT_EQ_UL(n, 0);
    KT_OK(p11->C_FindObjectsFinal(s));
  }

  /* operation state rules */
  KT_RV(p11->C_FindObjects(s, got, 64, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
  KT_OK_F(p11->C_FindObjectsInit(s, &ta, 1));
  KT_RV(p11->C_FindObjectsInit(s, &ta, 1), CKR_OPERATION_ACTIVE);
  n = 9;
  KT_OK(p11->C_FindObjects(s, got, 0, &n)); /* max 0: nothing consumed */
  KT_EQ_UL(n, 0);
  /* small max: one at a time, all 5, then 0 */
  CK_OBJECT_HANDLE seen[8];
  CK_ULONG ns = 0;
  for (int i = 0; i < 8; i++) {
    n = 9;
    if (!KT_OK(p11->C_FindObjects(s, got, 1, &n))) break;
    KT_CHECK(n <= 1, "max 1 returned %lu", (unsigned long)n);
    if (n == 0) break;
    KT_CHECK(!kt_contains(seen, ns, got[0]), "no repeats");
    if (ns < 8) seen[ns++] = got[0];
  }
  KT_EQ_UL(ns, 5);
  /* a second session searches independently */
  KT_OK_F(kt_open(oslot, 0, &s2));
  KT_OK(kt_find_label(s2, fl[2], got, 64, &n));
  KT_CHECK(n == 1 && got[0] == d[2], "second session: %lu", (unsigned long)n);
  KT_OK(p11->C_FindObjectsFinal(s));
  KT_RV(p11->C_FindObjects(s, got, 64, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_FindObjectsInit(s, NULL, 1), CKR_ARGUMENTS_BAD);
  p11->C_FindObjectsFinal(s);
  /* NULL output pointers (an error may or may not end the search) */
  KT_OK(p11->C_FindObjectsInit(s, &ta, 1));
  KT_RV(p11->C_FindObjects(s, NULL, 64, &n), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_FindObjects(s, got, 64, NULL), CKR_ARGUMENTS_BAD,
        CKR_OPERATION_NOT_INITIALIZED);
  KT_RV(p11->C_FindObjectsFinal(s), CKR_OK, CKR_OPERATION_NOT_INITIALIZED);
  free(subj);
  free(iss);
  free(ser);
  KT_OK(p11->C_CloseSession(s2));
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* visibility of private and session objects */
static void test_private_visibility(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1), ro;
  CK_OBJECT_HANDLE p, ps, all[1024];
  CK_ULONG n = 0;
  char buf[64], *out = NULL, v[64];
  const char *lab = uniq("secret-data");
  KT_OK_F(kt_mk_data(s, 1, 1, lab, "hidden", 6, &p));
  KT_OK_F(kt_mk_data(s, 0, 1, uniq("secret-sess"), "hidden", 6, &ps));
  KT_OK_F(kt_open(oslot, 0, &ro));
  KT_OK(kt_find(ro, NULL, 0, all, 1024, &n));
  KT_CHECK(kt_contains(all, n, p) && kt_contains(all, n, ps),
           "logged in: private objects visible in every session");
  expect_bool(s, p, CKA_PRIVATE, CK_TRUE, "CKA_PRIVATE");

  /* another process is not logged in: invisible there */
  KT_EQ_UL(kt_run_self(&out, 0, "find", slotstr(oslot), lab, NULL), 0);
  KT_CHECK(kt_out_get(out, "n", v, sizeof v) && !strcmp(v, "0"),
           "logged-out process finds %s private objects", v);
  free(out);
  KT_EQ_UL(kt_run_self(&out, 0, "get", slotstr(oslot), hstr(p), NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) &&
               !strcmp(v, "CKR_OBJECT_HANDLE_INVALID"),
           "logged-out process reading a private object: %s", v);
  free(out);

  /* after C_Logout: invisible, handles invalid (3.0 §5.6.4 C_Logout) */
  KT_OK(p11->C_Logout(s));
  KT_OK(kt_find(ro, NULL, 0, all, 1024, &n));
  KT_CHECK(!kt_contains(all, n, p) && !kt_contains(all, n, ps),
           "logged out: private objects not found");
  KT_OK(kt_find_label(ro, lab, all, 1024, &n));
  KT_EQ_UL(n, 0);
  KT_RV(kt_label(ro, p, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  KT_RV(kt_label(ro, ps, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  CK_ATTRIBUTE l = AS(CKA_LABEL, "x");
  KT_RV(p11->C_SetAttributeValue(s, p, &l, 1), CKR_OBJECT_HANDLE_INVALID);
  CK_OBJECT_HANDLE c;
  CK_ATTRIBUTE none[1] = {AV(CKA_TOKEN, F)};
  KT_RV(p11->C_CopyObject(s, p, none, 0, &c), CKR_OBJECT_HANDLE_INVALID);
  KT_RV(p11->C_DestroyObject(s, p), CKR_OBJECT_HANDLE_INVALID);
  /* logged in again: found again (and not destroyed by the above) */
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_find_label(ro, lab, all, 1024, &n));
  KT_EQ_UL(n, 1);
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_CloseSession(s));
}

static void test_session_object_lifetime(void)
{
  CK_SESSION_HANDLE a, b;
  CK_OBJECT_HANDLE h, got[8];
  CK_ULONG n = 0;
  char buf[64], *out = NULL, v[64];
  const char *lab = uniq("ephemeral");
  KT_OK_F(kt_open(oslot, 0, &a));
  KT_OK_F(kt_open(oslot, 0, &b));
  KT_OK_F(kt_mk_data(a, 0, 0, lab, "e", 1, &h));
  /* visible to every session of the application */
  KT_OK(kt_find_label(b, lab, got, 8, &n));
  KT_CHECK(n == 1 && got[0] == h, "other session finds it (%lu)",
           (unsigned long)n);
  KT_OK(kt_label(b, h, buf, sizeof buf));
  /* but not to another process */
  KT_EQ_UL(kt_run_self(&out, 0, "find", slotstr(oslot), lab, NULL), 0);
  KT_CHECK(kt_out_get(out, "n", v, sizeof v) && !strcmp(v, "0"),
           "other process finds %s session objects", v);
  free(out);
  KT_EQ_UL(kt_run_self(&out, 0, "get", slotstr(oslot), hstr(h), NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) &&
               !strcmp(v, "CKR_OBJECT_HANDLE_INVALID"),
           "other process reading our session object: %s", v);
  free(out);
  KT_EQ_UL(kt_run_self(&out, 0, "destroy", slotstr(oslot), hstr(h), NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) &&
               !strcmp(v, "CKR_OBJECT_HANDLE_INVALID"),
           "other process destroying our session object: %s", v);
  free(out);
  KT_OK(kt_label(b, h, buf, sizeof buf)); /* still there */
  /* gone when the creating session closes */
  KT_OK(p11->C_CloseSession(a));
  KT_RV(kt_label(b, h, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  KT_OK(kt_find_label(b, lab, got, 8, &n));
  KT_EQ_UL(n, 0);
  KT_OK(p11->C_CloseSession(b));
}

/* ================================================================== */
/* invalid handles */
static void check_bad_object(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                             const char *what)
{
  char buf[64];
  CK_ULONG sz;
  CK_OBJECT_HANDLE c;
  CK_ATTRIBUTE l = AS(CKA_LABEL, "x");
  CK_ATTRIBUTE none[1] = {AV(CKA_TOKEN, F)};
  CK_RV rv;
  rv = kt_label(s, h, buf, sizeof buf);
  KT_CHECK(rv == CKR_OBJECT_HANDLE_INVALID,
           "C_GetAttributeValue(%s = %lu): %s", what, (unsigned long)h,
           kt_rvname(rv));
  rv = p11->C_GetObjectSize(s, h, &sz);
  KT_CHECK(rv == CKR_OBJECT_HANDLE_INVALID, "C_GetObjectSize(%s): %s", what,
           kt_rvname(rv));
  rv = p11->C_SetAttributeValue(s, h, &l, 1);
  KT_CHECK(rv == CKR_OBJECT_HANDLE_INVALID, "C_SetAttributeValue(%s): %s",
           what, kt_rvname(rv));
  rv = p11->C_CopyObject(s, h, none, 0, &c);
  KT_CHECK(rv == CKR_OBJECT_HANDLE_INVALID, "C_CopyObject(%s): %s", what,
           kt_rvname(rv));
  rv = p11->C_DestroyObject(s, h);
  KT_CHECK(rv == CKR_OBJECT_HANDLE_INVALID, "C_DestroyObject(%s): %s", what,
           kt_rvname(rv));
}

static void check_bad_session(CK_SESSION_HANDLE s, const char *what)
{
  CK_SESSION_INFO si;
  CK_OBJECT_HANDLE h;
  CK_ULONG n;
  CK_RV rv;
  rv = p11->C_GetSessionInfo(s, &si);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_GetSessionInfo(%s = %lu): %s",
           what, (unsigned long)s, kt_rvname(rv));
  rv = kt_mk_data(s, 0, 0, "bad", "x", 1, &h);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_CreateObject(%s): %s", what,
           kt_rvname(rv));
  rv = p11->C_FindObjectsInit(s, NULL, 0);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_FindObjectsInit(%s): %s",
           what, kt_rvname(rv));
  rv = p11->C_FindObjects(s, &h, 1, &n);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_FindObjects(%s): %s", what,
           kt_rvname(rv));
  rv = kt_login(s, CKU_USER, USER_PIN);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_Login(%s): %s", what,
           kt_rvname(rv));
  rv = p11->C_CloseSession(s);
  KT_CHECK(rv == CKR_SESSION_HANDLE_INVALID, "C_CloseSession(%s): %s", what,
           kt_rvname(rv));
}

static void test_invalid_handles(void)
{
  CK_SESSION_HANDLE s = open_s(1, 1), s2;
  CK_OBJECT_HANDLE mine, other;
  KT_OK_F(kt_mk_data(s, 0, 0, "mine", "m", 1, &mine));

  check_bad_object(s, CK_INVALID_HANDLE, "handle 0");
  check_bad_object(s, 0x7ffffff7UL, "random handle");
  check_bad_object(s, 0xdeadbeefUL, "random handle");
  check_bad_object(s, (CK_OBJECT_HANDLE)-1, "handle ~0");
  check_bad_object(s, s, "the session handle");
  /* real kernel keys that are not objects of this token */
  key_serial_t decoy = add_key("user", "kt-test-decoy", "x", 1,
                               KEY_SPEC_SESSION_KEYRING);
  KT_CHECK(decoy > 0, "add a decoy key");
  if (decoy > 0) {
    check_bad_object(s, (CK_OBJECT_HANDLE)decoy, "decoy key");
    KT_CHECK(kt_key_describe(decoy, NULL, 0, NULL, 0) == 0,
             "the decoy key survived C_DestroyObject");
  }
  key_serial_t tr = kt_token_keyring(oslot), st = kt_store_keyring();
  if (tr > 0) {
    check_bad_object(s, (CK_OBJECT_HANDLE)tr, "token keyring");
    key_serial_t gen = kt_key_find(tr, "user", "kt:gen", NULL, 0);
    if (gen > 0) check_bad_object(s, (CK_OBJECT_HANDLE)gen, "kt:gen key");
  }
  if (st > 0) check_bad_object(s, (CK_OBJECT_HANDLE)st, "store keyring");
  /* an object of another token, through a session of this one */
  KT_OK_F(kt_open(oslot2, 1, &s2));
  KT_OK_F(kt_mk_data(s2, 1, 0, uniq("elsewhere"), "o", 1, &other));
  check_bad_object(s, other, "object of another token");
  KT_OK(kt_label(s2, other, (char[64]){0}, 64));
  KT_OK(p11->C_CloseSession(s2));

  check_bad_session(CK_INVALID_HANDLE, "session 0");
  check_bad_session(0x7ffffff9UL, "random session");
  check_bad_session(mine, "an object handle");
  if (decoy > 0) check_bad_session((CK_SESSION_HANDLE)decoy, "decoy key");
  key_serial_t pk = add_key("keyring", "kt-test-decoy-ring", NULL, 0,
                            KEY_SPEC_PROCESS_KEYRING);
  KT_CHECK(pk > 0, "add a decoy keyring under @p");
  if (pk > 0)
    check_bad_session((CK_SESSION_HANDLE)pk, "decoy keyring under @p");
  if (tr > 0) check_bad_session((CK_SESSION_HANDLE)tr, "token keyring");
  if (pk > 0) keyctl_unlink(pk, KEY_SPEC_PROCESS_KEYRING);
  if (decoy > 0) keyctl_unlink(decoy, KEY_SPEC_SESSION_KEYRING);

  /* the valid session and object survived all of that */
  if (tr > 0)
    KT_CHECK(kt_token_keyring(oslot) == tr, "token keyring survived");
  expect_bytes(s, mine, CKA_VALUE, "m", 1, "own object");
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
static void register_suites(void)
{
  snprintf(run_label, sizeof run_label, "%d", (int)getpid());
  CU_pSuite s =
      kt_suite("create", suite_init, NULL, setup_init, teardown_fini);
  kt_test(s, "data object defaults", test_create_data_defaults);
  kt_test(s, "data object attributes", test_create_data_full);
  kt_test(s, "X.509 certificate", test_create_cert);
  kt_test(s, "CKR_TEMPLATE_INCOMPLETE", test_create_incomplete);
  kt_test(s, "invalid templates", test_create_bad_values);
  kt_test(s, "session/login requirements", test_create_access);

  s = kt_suite("attributes", NULL, NULL, setup_init, teardown_fini);
  kt_test(s, "C_GetAttributeValue rules", test_get_attribute_rules);
  kt_test(s, "sensitive values", test_sensitive);
  kt_test(s, "C_SetAttributeValue", test_set_attribute);
  kt_test(s, "C_CopyObject", test_copy);
  kt_test(s, "C_DestroyObject", test_destroy);
  kt_test(s, "C_GetObjectSize", test_object_size);

  s = kt_suite("find", NULL, NULL, setup_init, teardown_fini);
  kt_test(s, "C_FindObjects*", test_find);
  kt_test(s, "private object visibility", test_private_visibility);
  kt_test(s, "session object lifetime", test_session_object_lifetime);
  kt_test(s, "invalid handles", test_invalid_handles);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, NULL);
}
