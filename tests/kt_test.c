/*
 * kt_test.c - shared helpers for kerntok's black-box PKCS#11 tests.
 * See kt_test.h.  Linked into every test binary; defines no main().
 */
#include "kt_test.h"

#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

void *kt_dl;
CK_FUNCTION_LIST_PTR p11;
CK_FUNCTION_LIST_3_0_PTR p11_3;
CK_C_GetFunctionList kt_GetFunctionList;
CK_C_GetInterfaceList kt_GetInterfaceList;
CK_C_GetInterface kt_GetInterface;
char kt_self[4096];
int kt_hfail;

/* ------------------------------------------------------------------ */
/* return value names (numbers from the PKCS#11 2.40/3.0 specification) */
static const struct { CK_RV rv; const char *name; } rv_names[] = {
  {0x000, "CKR_OK"}, {0x001, "CKR_CANCEL"}, {0x002, "CKR_HOST_MEMORY"},
  {0x003, "CKR_SLOT_ID_INVALID"}, {0x005, "CKR_GENERAL_ERROR"},
  {0x006, "CKR_FUNCTION_FAILED"}, {0x007, "CKR_ARGUMENTS_BAD"},
  {0x008, "CKR_NO_EVENT"}, {0x009, "CKR_NEED_TO_CREATE_THREADS"},
  {0x00A, "CKR_CANT_LOCK"}, {0x010, "CKR_ATTRIBUTE_READ_ONLY"},
  {0x011, "CKR_ATTRIBUTE_SENSITIVE"}, {0x012, "CKR_ATTRIBUTE_TYPE_INVALID"},
  {0x013, "CKR_ATTRIBUTE_VALUE_INVALID"}, {0x01B, "CKR_ACTION_PROHIBITED"},
  {0x020, "CKR_DATA_INVALID"}, {0x021, "CKR_DATA_LEN_RANGE"},
  {0x030, "CKR_DEVICE_ERROR"}, {0x031, "CKR_DEVICE_MEMORY"},
  {0x032, "CKR_DEVICE_REMOVED"}, {0x040, "CKR_ENCRYPTED_DATA_INVALID"},
  {0x041, "CKR_ENCRYPTED_DATA_LEN_RANGE"}, {0x042, "CKR_AEAD_DECRYPT_FAILED"},
  {0x050, "CKR_FUNCTION_CANCELED"}, {0x051, "CKR_FUNCTION_NOT_PARALLEL"},
  {0x054, "CKR_FUNCTION_NOT_SUPPORTED"}, {0x060, "CKR_KEY_HANDLE_INVALID"},
  {0x062, "CKR_KEY_SIZE_RANGE"}, {0x063, "CKR_KEY_TYPE_INCONSISTENT"},
  {0x064, "CKR_KEY_NOT_NEEDED"}, {0x065, "CKR_KEY_CHANGED"},
  {0x066, "CKR_KEY_NEEDED"}, {0x067, "CKR_KEY_INDIGESTIBLE"},
  {0x068, "CKR_KEY_FUNCTION_NOT_PERMITTED"}, {0x069, "CKR_KEY_NOT_WRAPPABLE"},
  {0x06A, "CKR_KEY_UNEXTRACTABLE"}, {0x070, "CKR_MECHANISM_INVALID"},
  {0x071, "CKR_MECHANISM_PARAM_INVALID"}, {0x082, "CKR_OBJECT_HANDLE_INVALID"},
  {0x090, "CKR_OPERATION_ACTIVE"}, {0x091, "CKR_OPERATION_NOT_INITIALIZED"},
  {0x0A0, "CKR_PIN_INCORRECT"}, {0x0A1, "CKR_PIN_INVALID"},
  {0x0A2, "CKR_PIN_LEN_RANGE"}, {0x0A3, "CKR_PIN_EXPIRED"},
  {0x0A4, "CKR_PIN_LOCKED"}, {0x0B0, "CKR_SESSION_CLOSED"},
  {0x0B1, "CKR_SESSION_COUNT"}, {0x0B3, "CKR_SESSION_HANDLE_INVALID"},
  {0x0B4, "CKR_SESSION_PARALLEL_NOT_SUPPORTED"},
  {0x0B5, "CKR_SESSION_READ_ONLY"}, {0x0B6, "CKR_SESSION_EXISTS"},
  {0x0B7, "CKR_SESSION_READ_ONLY_EXISTS"},
  {0x0B8, "CKR_SESSION_READ_WRITE_SO_EXISTS"},
  {0x0C0, "CKR_SIGNATURE_INVALID"}, {0x0C1, "CKR_SIGNATURE_LEN_RANGE"},
  {0x0D0, "CKR_TEMPLATE_INCOMPLETE"}, {0x0D1, "CKR_TEMPLATE_INCONSISTENT"},
  {0x0E0, "CKR_TOKEN_NOT_PRESENT"}, {0x0E1, "CKR_TOKEN_NOT_RECOGNIZED"},
  {0x0E2, "CKR_TOKEN_WRITE_PROTECTED"},
  {0x0F0, "CKR_UNWRAPPING_KEY_HANDLE_INVALID"},
  {0x0F1, "CKR_UNWRAPPING_KEY_SIZE_RANGE"},
  {0x0F2, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT"},
  {0x100, "CKR_USER_ALREADY_LOGGED_IN"}, {0x101, "CKR_USER_NOT_LOGGED_IN"},
  {0x102, "CKR_USER_PIN_NOT_INITIALIZED"}, {0x103, "CKR_USER_TYPE_INVALID"},
  {0x104, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"},
  {0x105, "CKR_USER_TOO_MANY_TYPES"}, {0x110, "CKR_WRAPPED_KEY_INVALID"},
  {0x112, "CKR_WRAPPED_KEY_LEN_RANGE"},
  {0x113, "CKR_WRAPPING_KEY_HANDLE_INVALID"},
  {0x114, "CKR_WRAPPING_KEY_SIZE_RANGE"},
  {0x115, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT"},
  {0x120, "CKR_RANDOM_SEED_NOT_SUPPORTED"}, {0x121, "CKR_RANDOM_NO_RNG"},
  {0x130, "CKR_DOMAIN_PARAMS_INVALID"}, {0x140, "CKR_CURVE_NOT_SUPPORTED"},
  {0x150, "CKR_BUFFER_TOO_SMALL"}, {0x160, "CKR_SAVED_STATE_INVALID"},
  {0x170, "CKR_INFORMATION_SENSITIVE"}, {0x180, "CKR_STATE_UNSAVEABLE"},
  {0x190, "CKR_CRYPTOKI_NOT_INITIALIZED"},
  {0x191, "CKR_CRYPTOKI_ALREADY_INITIALIZED"}, {0x1A0, "CKR_MUTEX_BAD"},
  {0x1A1, "CKR_MUTEX_NOT_LOCKED"}, {0x1B0, "CKR_NEW_PIN_MODE"},
  {0x1B1, "CKR_NEXT_OTP"}, {0x1B5, "CKR_EXCEEDED_MAX_ITERATIONS"},
  {0x1B6, "CKR_FIPS_SELF_TEST_FAILED"}, {0x1B7, "CKR_LIBRARY_LOAD_FAILED"},
  {0x1B8, "CKR_PIN_TOO_WEAK"}, {0x1B9, "CKR_PUBLIC_KEY_INVALID"},
  {0x200, "CKR_FUNCTION_REJECTED"}, {0x201, "CKR_TOKEN_RESOURCE_EXCEEDED"},
  {0x202, "CKR_OPERATION_CANCEL_FAILED"},
};

const char *kt_rvname(CK_RV rv)
{
  static __thread char buf[32];
  for (size_t i = 0; i < KT_ARRAY_LEN(rv_names); i++)
    if (rv_names[i].rv == rv) return rv_names[i].name;
  snprintf(buf, sizeof buf, "0x%lx", (unsigned long)rv);
  return buf;
}

int kt_rv_in(CK_RV rv, const CK_RV *ok, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (rv == ok[i]) return 1;
  return 0;
}

static const char *cur_test(void)
{
  CU_pTest t = CU_get_current_test();
  return t && t->pName ? t->pName : "?";
}

int kt_check_rv(CK_RV got, const CK_RV *exp, size_t n, const char *expr,
                const char *file, unsigned line, const char *func, int fatal)
{
  for (size_t i = 0; i < n; i++)
    if (got == exp[i]) {
      CU_assertImplementation(CU_TRUE, line, expr, file, func, CU_FALSE);
      return 1;
    }
  char msg[1024];
  int o = snprintf(msg, sizeof msg, "%s returned %s, expected ", expr,
                   kt_rvname(got));
  for (size_t i = 0; i < n && o < (int)sizeof msg; i++)
    o += snprintf(msg + o, sizeof msg - o, "%s%s", i ? " or " : "",
                  kt_rvname(exp[i]));
  fprintf(stderr, "  [%s] %s:%u: %s\n", cur_test(), file, line, msg);
  CU_assertImplementation(CU_FALSE, line, msg, file, func,
                          fatal ? CU_TRUE : CU_FALSE);
  return 0;
}

void kt_check(int ok, const char *file, unsigned line, const char *func,
              int fatal, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  if (ok) {
    CU_assertImplementation(CU_TRUE, line, "check", file, func, CU_FALSE);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "  [%s] %s:%u: %s\n", cur_test(), file, line, msg);
  CU_assertImplementation(CU_FALSE, line, msg, file, func,
                          fatal ? CU_TRUE : CU_FALSE);
}

/* ------------------------------------------------------------------ */
/* module loading */
const char *kt_module_path(void)
{
  static char buf[PATH_MAX];
  const char *m = getenv("KT_MODULE");
  if (m && *m) return m;
  const char *b = getenv("KT_BUILD");
  if (!b || !*b) b = "build";
  snprintf(buf, sizeof buf, "%s/kerntok-pkcs11.so", b);
  return buf;
}

int kt_load(void)
{
  const char *path = kt_module_path();
  if (kt_dl) return 0;
  kt_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!kt_dl) {
    fprintf(stderr, "kt_load: dlopen(%s): %s\n", path, dlerror());
    return -1;
  }
  kt_GetFunctionList = (CK_C_GetFunctionList)dlsym(kt_dl, "C_GetFunctionList");
  kt_GetInterfaceList =
      (CK_C_GetInterfaceList)dlsym(kt_dl, "C_GetInterfaceList");
  kt_GetInterface = (CK_C_GetInterface)dlsym(kt_dl, "C_GetInterface");
  if (!kt_GetFunctionList) {
    fprintf(stderr, "kt_load: %s has no C_GetFunctionList\n", path);
    return -1;
  }
  CK_RV rv = kt_GetFunctionList(&p11);
  if (rv != CKR_OK || !p11) {
    fprintf(stderr, "kt_load: C_GetFunctionList: %s\n", kt_rvname(rv));
    return -1;
  }
  if (kt_GetInterface) {
    CK_VERSION v = {3, 0};
    CK_INTERFACE_PTR itf = NULL;
    rv = kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v, &itf, 0);
    if (rv == CKR_OK && itf)
      p11_3 = (CK_FUNCTION_LIST_3_0_PTR)itf->pFunctionList;
  }
  return 0;
}

CK_RV kt_init(void)
{
  CK_C_INITIALIZE_ARGS a;
  memset(&a, 0, sizeof a);
  a.flags = CKF_OS_LOCKING_OK;
  return p11->C_Initialize(&a);
}

CK_RV kt_fini(void) { return p11->C_Finalize(NULL); }

/* ------------------------------------------------------------------ */
/* tokens and sessions */
void kt_pad(CK_UTF8CHAR *dst, size_t len, const char *s)
{
  size_t n = strlen(s);
  memset(dst, ' ', len);
  memcpy(dst, s, n < len ? n : len);
}

int kt_padded_eq(const CK_UTF8CHAR *field, size_t len, const char *s)
{
  CK_UTF8CHAR buf[256];
  if (len > sizeof buf) return 0;
  kt_pad(buf, len, s);
  return memcmp(buf, field, len) == 0;
}

CK_SLOT_ID *kt_slots(CK_ULONG *n)
{
  CK_ULONG cnt = 0;
  if (p11->C_GetSlotList(CK_FALSE, NULL, &cnt) != CKR_OK) return NULL;
  CK_SLOT_ID *v = calloc(cnt + 1, sizeof *v);
  if (!v) return NULL;
  if (p11->C_GetSlotList(CK_FALSE, v, &cnt) != CKR_OK) {
    free(v);
    return NULL;
  }
  *n = cnt;
  return v;
}

CK_RV kt_free_slot(CK_SLOT_ID *slot, int *nfree)
{
  CK_ULONG n = 0;
  CK_SLOT_ID *v = kt_slots(&n);
  int found = 0;
  if (!v) return CKR_GENERAL_ERROR;
  for (CK_ULONG i = 0; i < n; i++) {
    CK_TOKEN_INFO ti;
    if (p11->C_GetTokenInfo(v[i], &ti) != CKR_OK) continue;
    if (!(ti.flags & CKF_TOKEN_INITIALIZED)) {
      if (!found) *slot = v[i];
      found++;
    }
  }
  free(v);
  if (nfree) *nfree = found;
  return found ? CKR_OK : CKR_SLOT_ID_INVALID;
}

CK_RV kt_init_token(const char *label, const char *so_pin, CK_SLOT_ID *slot)
{
  CK_UTF8CHAR lab[32];
  CK_RV rv = kt_free_slot(slot, NULL);
  if (rv != CKR_OK) {
    fprintf(stderr, "kt_init_token: no free slot\n");
    return rv;
  }
  kt_pad(lab, sizeof lab, label);
  rv = p11->C_InitToken(*slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), lab);
  if (rv != CKR_OK)
    fprintf(stderr, "kt_init_token: C_InitToken(%lu): %s\n",
            (unsigned long)*slot, kt_rvname(rv));
  return rv;
}

CK_RV kt_fresh_token(const char *label, const char *so_pin,
                     const char *user_pin, CK_SLOT_ID *slot)
{
  CK_SESSION_HANDLE s;
  CK_RV rv = kt_init_token(label, so_pin, slot);
  const char *step = "C_OpenSession";
  if (rv != CKR_OK) return rv;
  rv = kt_open(*slot, 1, &s);
  if (rv == CKR_OK) {
    step = "C_Login(SO)";
    rv = kt_login(s, CKU_SO, so_pin);
    if (rv == CKR_OK) {
      step = "C_InitPIN";
      rv = p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)user_pin, strlen(user_pin));
      CK_RV r2 = p11->C_Logout(s);
      if (rv == CKR_OK && r2 != CKR_OK) { step = "C_Logout"; rv = r2; }
    }
    CK_RV r3 = p11->C_CloseSession(s);
    if (rv == CKR_OK && r3 != CKR_OK) { step = "C_CloseSession"; rv = r3; }
  }
  if (rv != CKR_OK)
    fprintf(stderr, "kt_fresh_token(%s): %s: %s\n", label, step,
            kt_rvname(rv));
  return rv;
}

int kt_suite_login(const char *label, const char *so_pin, const char *user_pin,
                   CK_SLOT_ID *slot, int *have_token, CK_SESSION_HANDLE *s)
{
  if (kt_init() != CKR_OK) return 1;
  if (!*have_token) {
    if (kt_fresh_token(label, so_pin, user_pin, slot) != CKR_OK) return 1;
    *have_token = 1;
  }
  if (kt_open(*slot, 1, s) != CKR_OK) return 1;
  return kt_login(*s, CKU_USER, user_pin) != CKR_OK;
}

CK_RV kt_gen_sign_pair(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                       CK_MECHANISM_TYPE gen, int token, const char *label,
                       CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
  static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                       0x3d, 0x03, 0x01, 0x07};
  static const unsigned char ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
  static const CK_BBOOL t = CK_TRUE;
  CK_MECHANISM m = {gen, NULL, 0};
  CK_ULONG bits = 2048;
  CK_BYTE e[] = {1, 0, 1};
  CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE pt[4] = {
      {CKA_TOKEN, &tok, 1}, {CKA_VERIFY, (void *)&t, 1}};
  CK_ATTRIBUTE kt[] = {
      {CKA_TOKEN, &tok, 1},        {CKA_PRIVATE, (void *)&t, 1},
      {CKA_SENSITIVE, (void *)&t, 1}, {CKA_SIGN, (void *)&t, 1},
      {CKA_LABEL, (void *)label, strlen(label)}};
  CK_ULONG np = 2;
  if (gen == CKM_RSA_PKCS_KEY_PAIR_GEN) {
    pt[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits};
    pt[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, e, sizeof e};
  } else if (gen == CKM_EC_KEY_PAIR_GEN) {
    pt[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)p256, sizeof p256};
  } else {
    pt[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)ed25519, sizeof ed25519};
  }
  return f->C_GenerateKeyPair(s, &m, pt, np, kt, KT_ARRAY_LEN(kt), pub, priv);
}

CK_RV kt_slot_by_label(const char *label, CK_SLOT_ID *slot)
{
  CK_ULONG n = 0;
  CK_SLOT_ID *v = kt_slots(&n);
  int found = 0;
  if (!v) return CKR_GENERAL_ERROR;
  for (CK_ULONG i = 0; i < n && !found; i++) {
    CK_TOKEN_INFO ti;
    if (p11->C_GetTokenInfo(v[i], &ti) != CKR_OK) continue;
    if ((ti.flags & CKF_TOKEN_INITIALIZED) &&
        kt_padded_eq(ti.label, sizeof ti.label, label)) {
      *slot = v[i];
      found = 1;
    }
  }
  free(v);
  return found ? CKR_OK : CKR_SLOT_ID_INVALID;
}

CK_RV kt_open(CK_SLOT_ID slot, int rw, CK_SESSION_HANDLE *s)
{
  CK_FLAGS f = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
  return p11->C_OpenSession(slot, f, NULL, NULL, s);
}

CK_RV kt_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
  return p11->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

CK_RV kt_token_flags(CK_SLOT_ID slot, CK_FLAGS *flags)
{
  CK_TOKEN_INFO ti;
  CK_RV rv = p11->C_GetTokenInfo(slot, &ti);
  if (rv == CKR_OK) *flags = ti.flags;
  return rv;
}

CK_RV kt_state(CK_SESSION_HANDLE s, CK_STATE *state)
{
  CK_SESSION_INFO si;
  CK_RV rv = p11->C_GetSessionInfo(s, &si);
  if (rv == CKR_OK) *state = si.state;
  return rv;
}

/* ------------------------------------------------------------------ */
/* objects */
CK_RV kt_mk_data(CK_SESSION_HANDLE s, int token, int priv, const char *label,
                 const void *val, size_t vlen, CK_OBJECT_HANDLE *h)
{
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL tok = token ? CK_TRUE : CK_FALSE, pv = priv ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_TOKEN, &tok, sizeof tok},
      {CKA_PRIVATE, &pv, sizeof pv},
      {CKA_LABEL, (void *)label, strlen(label)},
      {CKA_VALUE, (void *)val, vlen},
  };
  return p11->C_CreateObject(s, t, val ? 5 : 4, h);
}

CK_RV kt_mk_secret(CK_SESSION_HANDLE s, int token, int priv, int sensitive,
                   const char *label, const void *val, size_t vlen,
                   CK_OBJECT_HANDLE *h)
{
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_BBOOL tok = token ? CK_TRUE : CK_FALSE, pv = priv ? CK_TRUE : CK_FALSE;
  CK_BBOOL sens = sensitive ? CK_TRUE : CK_FALSE, ext = CK_TRUE;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, &tok, sizeof tok},
      {CKA_PRIVATE, &pv, sizeof pv},
      {CKA_SENSITIVE, &sens, sizeof sens},
      {CKA_EXTRACTABLE, &ext, sizeof ext},
      {CKA_LABEL, (void *)label, strlen(label)},
      {CKA_VALUE, (void *)val, vlen},
  };
  return p11->C_CreateObject(s, t, KT_ARRAY_LEN(t), h);
}

CK_RV kt_find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
              CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
  CK_OBJECT_HANDLE chunk[64];
  CK_ULONG got, total = 0;
  CK_RV rv = p11->C_FindObjectsInit(s, t, n);
  if (rv != CKR_OK) return rv;
  for (;;) {
    got = 0;
    rv = p11->C_FindObjects(s, chunk, KT_ARRAY_LEN(chunk), &got);
    if (rv != CKR_OK || got == 0) break;
    for (CK_ULONG i = 0; i < got; i++, total++)
      if (total < max) out[total] = chunk[i];
    if (got > KT_ARRAY_LEN(chunk)) { rv = CKR_GENERAL_ERROR; break; }
  }
  CK_RV r2 = p11->C_FindObjectsFinal(s);
  if (rv == CKR_OK) rv = r2;
  *count = total;
  return rv;
}

CK_RV kt_find_label(CK_SESSION_HANDLE s, const char *label,
                    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
  CK_ATTRIBUTE t[] = {{CKA_LABEL, (void *)label, strlen(label)}};
  return kt_find(s, t, 1, out, max, count);
}

int kt_contains(const CK_OBJECT_HANDLE *v, CK_ULONG n, CK_OBJECT_HANDLE h)
{
  int c = 0;
  for (CK_ULONG i = 0; i < n; i++) c += v[i] == h;
  return c;
}

CK_RV kt_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
              void **val, CK_ULONG *len)
{
  CK_ATTRIBUTE a = {t, NULL, 0};
  *val = NULL;
  CK_RV rv = p11->C_GetAttributeValue(s, h, &a, 1);
  if (rv != CKR_OK) return rv;
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > (1u << 26))
    return CKR_GENERAL_ERROR;
  a.pValue = calloc(1, a.ulValueLen + 1);
  if (!a.pValue) return CKR_HOST_MEMORY;
  rv = p11->C_GetAttributeValue(s, h, &a, 1);
  if (rv != CKR_OK) {
    free(a.pValue);
    return rv;
  }
  *val = a.pValue;
  *len = a.ulValueLen;
  return CKR_OK;
}

CK_RV kt_attr_ul(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
                 CK_ULONG *v)
{
  CK_ATTRIBUTE a = {t, v, sizeof *v};
  CK_RV rv = p11->C_GetAttributeValue(s, h, &a, 1);
  if (rv == CKR_OK && a.ulValueLen != sizeof *v) return CKR_GENERAL_ERROR;
  return rv;
}

CK_RV kt_attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                   CK_ATTRIBUTE_TYPE t, CK_BBOOL *v)
{
  CK_ATTRIBUTE a = {t, v, sizeof *v};
  CK_RV rv = p11->C_GetAttributeValue(s, h, &a, 1);
  if (rv == CKR_OK && a.ulValueLen != sizeof *v) return CKR_GENERAL_ERROR;
  return rv;
}

CK_RV kt_label(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *buf, size_t sz)
{
  CK_ATTRIBUTE a = {CKA_LABEL, buf, sz - 1};
  CK_RV rv = p11->C_GetAttributeValue(s, h, &a, 1);
  if (rv == CKR_OK && a.ulValueLen < sz) buf[a.ulValueLen] = 0;
  else buf[0] = 0;
  return rv;
}

/* ------------------------------------------------------------------ */
/* X.509 test certificate: EC P-256, subject = issuer = CN=kt,
 * generated once with: openssl req -x509 -newkey ec
 *   -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=kt -days 36500
 *   -outform DER */
const unsigned char kt_cert_der[] = {
  0x30, 0x82, 0x01, 0x72, 0x30, 0x82, 0x01, 0x17, 0xa0, 0x03, 0x02, 0x01,
  0x02, 0x02, 0x14, 0x6a, 0x39, 0x3a, 0x20, 0xb7, 0xe5, 0xea, 0xc4, 0xcb,
  0x58, 0x83, 0x56, 0x85, 0xee, 0x10, 0xa3, 0x61, 0x88, 0xae, 0x44, 0x30,
  0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
  0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02,
  0x6b, 0x74, 0x30, 0x20, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x33,
  0x31, 0x36, 0x31, 0x35, 0x34, 0x36, 0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32,
  0x36, 0x31, 0x30, 0x33, 0x30, 0x31, 0x36, 0x31, 0x35, 0x34, 0x36, 0x5a,
  0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
  0x02, 0x6b, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
  0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x18, 0x7b, 0xa2, 0xc5, 0x14, 0x1e,
  0xd6, 0x3c, 0x56, 0xce, 0xe2, 0x35, 0x5d, 0xae, 0x15, 0xda, 0xb6, 0xc3,
  0x4a, 0x97, 0xde, 0xe2, 0x24, 0xcc, 0xd5, 0xb0, 0x16, 0x0e, 0xe5, 0xf7,
  0x12, 0x71, 0xa0, 0x0d, 0xd0, 0xa9, 0x8c, 0x5c, 0x79, 0xda, 0xc0, 0x08,
  0xdc, 0x7a, 0x93, 0xe7, 0xaf, 0xd3, 0x62, 0x30, 0x81, 0x7d, 0xc6, 0x9d,
  0xe4, 0x01, 0x2f, 0x91, 0xc5, 0xa2, 0x7f, 0x12, 0xce, 0xd2, 0xa3, 0x53,
  0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04,
  0x14, 0x7f, 0x71, 0xc9, 0x7b, 0x09, 0xe6, 0x9d, 0xcb, 0xa6, 0x84, 0x51,
  0x98, 0x25, 0xd3, 0x0b, 0x12, 0x19, 0x79, 0x4b, 0x67, 0x30, 0x1f, 0x06,
  0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x7f, 0x71,
  0xc9, 0x7b, 0x09, 0xe6, 0x9d, 0xcb, 0xa6, 0x84, 0x51, 0x98, 0x25, 0xd3,
  0x0b, 0x12, 0x19, 0x79, 0x4b, 0x67, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
  0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30,
  0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
  0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xad, 0x17, 0x5e, 0x28, 0xa1,
  0xb2, 0xb0, 0x89, 0xb6, 0x24, 0x9c, 0x82, 0x16, 0xef, 0xe7, 0xa9, 0x14,
  0x71, 0x3a, 0x36, 0x4d, 0x41, 0xda, 0xac, 0x97, 0xe8, 0xf9, 0x2b, 0x7d,
  0x18, 0xce, 0xd4, 0x02, 0x21, 0x00, 0xfa, 0x46, 0x31, 0xb4, 0xf4, 0x57,
  0x54, 0x32, 0x3a, 0xa8, 0x26, 0x3f, 0x80, 0x5a, 0x7e, 0xf6, 0x6e, 0xb9,
  0x76, 0x95, 0xbe, 0xb9, 0x8e, 0xf7, 0xdb, 0x72, 0x87, 0x52, 0xf8, 0x57,
  0x80, 0xce
};
const size_t kt_cert_der_len = sizeof kt_cert_der;

static int dup_der(void *obj, int (*i2d)(void *, unsigned char **),
                   unsigned char **out, size_t *len)
{
  unsigned char *p = NULL;
  int n = i2d(obj, &p);
  if (n <= 0) return -1;
  *out = malloc(n);
  if (!*out) { OPENSSL_free(p); return -1; }
  memcpy(*out, p, n);
  *len = n;
  OPENSSL_free(p);
  return 0;
}

static int i2d_name(void *o, unsigned char **p) { return i2d_X509_NAME(o, p); }
static int i2d_int(void *o, unsigned char **p)
{
  return i2d_ASN1_INTEGER(o, p);
}

int kt_cert_parts(unsigned char **subj, size_t *subj_len, unsigned char **iss,
                  size_t *iss_len, unsigned char **serial, size_t *serial_len)
{
  const unsigned char *p = kt_cert_der;
  X509 *x = d2i_X509(NULL, &p, kt_cert_der_len);
  int r = -1;
  if (!x) return -1;
  if (dup_der(X509_get_subject_name(x), i2d_name, subj, subj_len) == 0 &&
      dup_der(X509_get_issuer_name(x), i2d_name, iss, iss_len) == 0 &&
      dup_der(X509_get_serialNumber(x), i2d_int, serial, serial_len) == 0)
    r = 0;
  X509_free(x);
  return r;
}

/* ------------------------------------------------------------------ */
/* keyrings */
int kt_store_desc(char *buf, size_t sz)
{
  const char *d = getenv("KERNTOK_DIR");
  char real[PATH_MAX];
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  char hex[17];
  if (!d || !realpath(d, real)) return -1;
  if (!EVP_Digest(real, strlen(real), md, &mdlen, EVP_sha256(), NULL))
    return -1;
  kt_hex(md, 8, hex);
  snprintf(buf, sz, "kerntok:%s", hex);
  return 0;
}

int kt_key_list(key_serial_t ring, key_serial_t **out)
{
  void *buf = NULL;
  long n = keyctl_read_alloc(ring, &buf);
  if (n < 0) return -1;
  *out = buf;
  return (int)(n / sizeof(key_serial_t));
}

int kt_key_describe(key_serial_t k, char *type, size_t tsz, char *desc,
                    size_t dsz)
{
  char *d = NULL;
  if (keyctl_describe_alloc(k, &d) < 0) return -1;
  /* type;uid;gid;perm;description */
  char *p = d, *f[5];
  for (int i = 0; i < 4; i++) {
    f[i] = p;
    p = strchr(p, ';');
    if (!p) { free(d); return -1; }
    *p++ = 0;
  }
  f[4] = p;
  if (type) snprintf(type, tsz, "%s", f[0]);
  if (desc) snprintf(desc, dsz, "%s", f[4]);
  free(d);
  return 0;
}

key_serial_t kt_key_find(key_serial_t ring, const char *type,
                         const char *prefix, char *desc, size_t dsz)
{
  key_serial_t *v = NULL, found = -1;
  int n = kt_key_list(ring, &v);
  for (int i = 0; i < n; i++) {
    char t[64], d[512];
    if (kt_key_describe(v[i], t, sizeof t, d, sizeof d)) continue;
    if (type && strcmp(t, type)) continue;
    if (strncmp(d, prefix, strlen(prefix))) continue;
    found = v[i];
    if (desc) snprintf(desc, dsz, "%s", d);
    break;
  }
  free(v);
  return found;
}

key_serial_t kt_store_keyring(void)
{
  char d[64];
  if (kt_store_desc(d, sizeof d)) return -1;
  key_serial_t u = keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 0);
  if (u < 0) return -1;
  return kt_key_find(u, "keyring", d, NULL, 0);
}

key_serial_t kt_token_keyring(CK_SLOT_ID slot)
{
  char pre[64];
  key_serial_t st = kt_store_keyring();
  if (st < 0) return -1;
  snprintf(pre, sizeof pre, "kt:token:%lu:", (unsigned long)slot);
  return kt_key_find(st, "keyring", pre, NULL, 0);
}

void kt_cleanup_store(void)
{
  key_serial_t st = kt_store_keyring();
  if (st >= 0) keyctl_unlink(st, KEY_SPEC_USER_KEYRING);
}

/* ------------------------------------------------------------------ */
/* child processes */
static int decode_status(int st)
{
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

static unsigned test_timeout = 60;

void kt_child_watchdog(void) { alarm(test_timeout); }

int kt_fork(int (*fn)(void *), void *arg)
{
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    kt_child_watchdog();
    int r = fn(arg);
    fflush(NULL);
    _exit(r & 0xff);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return decode_status(st);
}

int kt_run_self(char **out, int new_session, ...)
{
  const char *argv[64];
  int n = 0;
  va_list ap;
  if (new_session) {
    argv[n++] = "keyctl";
    argv[n++] = "session";
    argv[n++] = "-";
  }
  /* under `make valgrind` the helpers run under valgrind as well */
  const char *vg = getenv("KT_VALGRIND");
  if (vg && !strcmp(vg, "1")) {
    argv[n++] = "valgrind";
    argv[n++] = "-q";
    argv[n++] = "--error-exitcode=99";
    argv[n++] = "--leak-check=full";
    argv[n++] = "--errors-for-leak-kinds=definite";
    if (access("tests/valgrind.supp", R_OK) == 0)
      argv[n++] = "--suppressions=tests/valgrind.supp";
  }
  argv[n++] = kt_self;
  argv[n++] = "helper";
  va_start(ap, new_session);
  for (const char *a; (a = va_arg(ap, const char *)) && n < 62;)
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;

  int pfd[2];
  if (out) *out = NULL;
  if (pipe2(pfd, O_CLOEXEC)) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pfd[1], 1);
    signal(SIGALRM, SIG_DFL);
    kt_child_watchdog(); /* alarms survive execve */
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(pfd[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(pfd[0], buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += r;
  }
  buf[len] = 0;
  close(pfd[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) { st = -1; break; }
  if (out) *out = buf;
  else free(buf);
  return st == -1 ? -1 : decode_status(st);
}

const char *kt_out_get(const char *out, const char *key, char *buf, size_t sz)
{
  size_t kl = strlen(key);
  for (const char *p = out; p && *p;) {
    const char *e = strchr(p, '\n');
    size_t ll = e ? (size_t)(e - p) : strlen(p);
    if (ll > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
      size_t vl = ll - kl - 1;
      if (vl >= sz) vl = sz - 1;
      memcpy(buf, p + kl + 1, vl);
      buf[vl] = 0;
      return buf;
    }
    p = e ? e + 1 : NULL;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* built-in helper modes */
static CK_ULONG ularg(const char *s) { return strtoul(s, NULL, 0); }

static int helper_builtin(int argc, char **argv)
{
  const char *m = argv[0];
  CK_RV rv;
  CK_SESSION_HANDLE s;

  if (!strcmp(m, "uninit")) {
    CK_ULONG n = 0;
    printf("rv %s\n", kt_rvname(p11->C_GetSlotList(CK_FALSE, NULL, &n)));
    return 0;
  }
  if ((rv = kt_init()) != CKR_OK) {
    fprintf(stderr, "helper: C_Initialize: %s\n", kt_rvname(rv));
    return 3;
  }
  if (!strcmp(m, "sessinfo") && argc == 2) {
    CK_SESSION_INFO si;
    printf("rv %s\n", kt_rvname(p11->C_GetSessionInfo(ularg(argv[1]), &si)));
    kt_fini();
    return 0;
  }
  if (argc < 2) return -1;
  CK_SLOT_ID slot = ularg(argv[1]);
  if (!strcmp(m, "tokinfo")) {
    CK_FLAGS f = 0;
    rv = kt_token_flags(slot, &f);
    printf("rv %s\nflags 0x%lx\n", kt_rvname(rv), (unsigned long)f);
    kt_fini();
    return 0;
  }
  if (!strcmp(m, "login") && argc == 4) {
    CK_USER_TYPE ut = ularg(argv[2]);
    CK_FLAGS f = 0;
    rv = kt_open(slot, ut == CKU_SO, &s);
    if (rv == CKR_OK) rv = kt_login(s, ut, argv[3]);
    printf("rv %s\n", kt_rvname(rv));
    kt_token_flags(slot, &f);
    printf("flags 0x%lx\n", (unsigned long)f);
    kt_fini();
    return 0;
  }
  int rw = !strcmp(m, "destroy") || !strcmp(m, "setlabel");
  if ((rv = kt_open(slot, rw, &s)) != CKR_OK) {
    fprintf(stderr, "helper: C_OpenSession(%lu): %s\n", (unsigned long)slot,
            kt_rvname(rv));
    kt_fini();
    return 3;
  }
  int ret = 0;
  if (!strcmp(m, "get") && argc == 3) {
    char lab[256];
    rv = kt_label(s, ularg(argv[2]), lab, sizeof lab);
    printf("rv %s\n", kt_rvname(rv));
    if (rv == CKR_OK) printf("label %s\n", lab);
  } else if (!strcmp(m, "find") && argc == 3) {
    CK_OBJECT_HANDLE h[256];
    CK_ULONG n = 0;
    rv = kt_find_label(s, argv[2], h, 256, &n);
    printf("rv %s\nn %lu\n", kt_rvname(rv), (unsigned long)n);
    for (CK_ULONG i = 0; i < n && i < 256; i++)
      printf("h %lu\n", (unsigned long)h[i]);
  } else if (!strcmp(m, "destroy") && argc == 3) {
    printf("rv %s\n", kt_rvname(p11->C_DestroyObject(s, ularg(argv[2]))));
  } else if (!strcmp(m, "setlabel") && argc == 4) {
    CK_ATTRIBUTE a = {CKA_LABEL, argv[3], strlen(argv[3])};
    printf("rv %s\n",
           kt_rvname(p11->C_SetAttributeValue(s, ularg(argv[2]), &a, 1)));
  } else if (!strcmp(m, "list") && (argc == 2 || argc == 3)) {
    if (argc == 3 && (rv = kt_login(s, CKU_USER, argv[2])) != CKR_OK)
      fprintf(stderr, "helper list: C_Login: %s\n", kt_rvname(rv));
    CK_ULONG max = 100000, n = 0;
    CK_OBJECT_HANDLE *h = calloc(max, sizeof *h);
    rv = kt_find(s, NULL, 0, h, max, &n);
    printf("rv %s\nn %lu\n", kt_rvname(rv), (unsigned long)n);
    for (CK_ULONG i = 0; i < n && i < max; i++) {
      void *lab = NULL, *val = NULL;
      CK_ULONG ll = 0, vl = 0;
      CK_RV r1 = kt_attr(s, h[i], CKA_LABEL, &lab, &ll);
      CK_RV r2 = kt_attr(s, h[i], CKA_VALUE, &val, &vl);
      char *lh = malloc(2 * ll + 2), *vh = malloc(2 * vl + 2);
      printf("o %lu %s %s\n", (unsigned long)h[i],
             r1 == CKR_OK ? (ll ? kt_hex(lab, ll, lh) : "=") : "-",
             r2 == CKR_OK ? (vl ? kt_hex(val, vl, vh) : "=") : "-");
      free(lab); free(val); free(lh); free(vh);
    }
    free(h);
  } else {
    ret = -1;
  }
  p11->C_CloseSession(s);
  kt_fini();
  fflush(stdout);
  return ret;
}

/* ------------------------------------------------------------------ */
/* CUnit glue: per-test watchdog around the suite's own setup/teardown */
static struct suite_hooks {
  CU_pSuite s;
  CU_SetUpFunc setup;
  CU_TearDownFunc teardown;
} hooks[64];
static int nhooks;

static void on_alarm(int sig)
{
  char msg[512];
  CU_pSuite s = CU_get_current_suite();
  CU_pTest t = CU_get_current_test();
  (void)sig;
  int n = snprintf(msg, sizeof msg,
                   "\nTIMEOUT: test %s/%s still running after %u s\n",
                   s && s->pName ? s->pName : "?",
                   t && t->pName ? t->pName : "?", test_timeout);
  if (write(2, msg, n) < 0) {}
  _exit(124);
}

static struct suite_hooks *hooks_for_current(void)
{
  CU_pSuite s = CU_get_current_suite();
  for (int i = 0; i < nhooks; i++)
    if (hooks[i].s == s) return &hooks[i];
  return NULL;
}

static void generic_setup(void)
{
  struct suite_hooks *h = hooks_for_current();
  alarm(test_timeout);
  if (h && h->setup) h->setup();
}

static void generic_teardown(void)
{
  struct suite_hooks *h = hooks_for_current();
  if (h && h->teardown) h->teardown();
  alarm(0);
}

CU_pSuite kt_suite(const char *name, CU_InitializeFunc init,
                   CU_CleanupFunc clean, CU_SetUpFunc setup,
                   CU_TearDownFunc teardown)
{
  CU_pSuite s = CU_add_suite_with_setup_and_teardown(
      name, init, clean, generic_setup, generic_teardown);
  if (s && nhooks < (int)KT_ARRAY_LEN(hooks)) {
    hooks[nhooks].s = s;
    hooks[nhooks].setup = setup;
    hooks[nhooks].teardown = teardown;
    nhooks++;
  }
  return s;
}

void kt_test(CU_pSuite s, const char *name, CU_TestFunc fn)
{
  if (s) CU_add_test(s, name, fn);
}

/* ------------------------------------------------------------------ */
static char tmpdir[64];

const char *kt_tmpdir(void)
{
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kt-test.XXXXXX");
    if (!mkdtemp(tmpdir)) tmpdir[0] = 0;
  }
  return tmpdir;
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *f)
{
  (void)st; (void)flag; (void)f;
  remove(p);
  return 0;
}

int kt_main(int argc, char **argv, void (*register_suites)(void),
            kt_helper_fn helper)
{
  ssize_t n = readlink("/proc/self/exe", kt_self, sizeof kt_self - 1);
  if (n <= 0) snprintf(kt_self, sizeof kt_self, "%s", argv[0]);
  else kt_self[n] = 0;

  if (argc > 1 && !strcmp(argv[1], "helper")) {
    if (argc < 3) return 2;
    if (kt_load()) return 3;
    int r = helper ? helper(argc - 2, argv + 2) : -1;
    if (r == -1) r = helper_builtin(argc - 2, argv + 2);
    if (r == -1) {
      fprintf(stderr, "unknown helper mode %s\n", argv[2]);
      r = 2;
    }
    fflush(NULL);
    return r;
  }

  const char *to = getenv("KT_TEST_TIMEOUT");
  if (to && atoi(to) > 0) test_timeout = atoi(to);
  else if (getenv("KT_VALGRIND") || getenv("KT_ASAN")) test_timeout = 300;
  signal(SIGALRM, on_alarm);
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  setvbuf(stdout, NULL, _IOLBF, 0);

  if (kt_load()) {
    fprintf(stderr, "FAIL: cannot load the module under test (%s)\n",
            kt_module_path());
    return 1;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  register_suites();
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_ErrorCode err = CU_basic_run_tests();
  CU_pRunSummary sum = CU_get_run_summary();
  int failed = err != CUE_SUCCESS || sum->nSuitesFailed ||
               sum->nTestsFailed || sum->nAssertsFailed;
  CU_cleanup_registry();

  p11->C_Finalize(NULL); /* whatever state the last test left */
  kt_cleanup_store();
  if (tmpdir[0]) nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  printf("%s\n", failed ? "FAILED" : "OK");
  return failed ? 1 : 0;
}

/* ------------------------------------------------------------------ */
void kt_msleep(unsigned ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

double kt_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *kt_hex(const void *p, size_t n, char *buf)
{
  static const char d[] = "0123456789abcdef";
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    buf[2 * i] = d[b[i] >> 4];
    buf[2 * i + 1] = d[b[i] & 15];
  }
  buf[2 * n] = 0;
  return buf;
}
