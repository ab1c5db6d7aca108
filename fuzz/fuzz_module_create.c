/* fuzz_module_create.c - C_CreateObject through the module's real entry
 * points (C_GetFunctionList of the static library: the same code the .so
 * exports), on a token in a temporary store, with the template decoded from
 * the input (format: fz.h); then C_GetAttributeValue / C_SetAttributeValue /
 * C_CopyObject / C_FindObjects* on what was created, and C_DestroyObject.
 *
 * Input: sel:u8, then up to four templates separated by 0xfe: [0] create,
 * [1] set, [2] copy, [3] read / find.  sel % 4 picks the session: a R/W or
 * R/O session of a caller logged in as the user, or of a second caller that
 * is not logged in.
 * Properties: every return value is one the spec lists for the call (no
 * CKR_GENERAL_ERROR for a bad template); the not-logged-in caller never
 * sees a private object nor reads a secret or private key's CKA_VALUE;
 * created objects can be destroyed (or are CKA_DESTROYABLE false). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <keyutils.h>
#include <openssl/evp.h>
#include "fz.h"

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp);

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_FUNCTION_LIST_PTR fa, fb;     /* A: logged in as user; B: public */
static CK_SESSION_HANDLE sess[4];       /* A rw, A ro, B rw, B ro */
static char dir[96];
static int leftovers;

static void die(const char *what, CK_RV rv)
{
	fprintf(stderr, "fuzz_module_create: %s: 0x%lx\n", what, rv);
	exit(1);
}

static char store_desc[32];              /* "kerntok:<16 hex>" of dir */

/* at exit: OpenSSL may be gone by then, so the name is computed up front */
static void store_desc_init(void)
{
	char real[4096];
	uint8_t md[32];
	unsigned int l = 0, i;

	if (realpath(dir, real) == NULL || !EVP_Digest(real, strlen(real), md, &l, EVP_sha256(), NULL))
		return;
	memcpy(store_desc, "kerntok:", 8);
	for (i = 0; i < 8; i++)
		sprintf(store_desc + 8 + 2 * i, "%02x", md[i]);
}

static void rm_store(void)
{
	char cmd[160];
	key_serial_t k;

	if (dir[0] == '\0')
		return;
	/* the store keyring the module made in @u */
	k = store_desc[0] ? keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", store_desc, 0) : -1;
	if (k > 0)
		keyctl_unlink(k, KEY_SPEC_USER_KEYRING);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_module_create: could not remove %s\n", dir);
}

static void sessions_up(void)
{
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s;
	CK_RV rv;

	memset(label, ' ', sizeof label);
	memcpy(label, "fuzz", 4);
	if ((rv = fa->C_InitToken(0, (CK_UTF8CHAR_PTR)SO_PIN, 8, label)) != CKR_OK)
		die("C_InitToken", rv);
	if ((rv = fa->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) ||
	    (rv = fa->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 8)) ||
	    (rv = fa->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4)) ||
	    (rv = fa->C_CloseSession(s)))
		die("token setup", rv);
	if ((rv = fa->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sess[0])) ||
	    (rv = fa->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &sess[1])) ||
	    (rv = fa->C_Login(sess[0], CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4)) ||
	    (rv = fb->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sess[2])) ||
	    (rv = fb->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &sess[3])))
		die("sessions", rv);
	leftovers = 0;
}

static void reset_token(void)
{
	fa->C_CloseAllSessions(0);
	fb->C_CloseAllSessions(0);
	sessions_up();                       /* C_InitToken wipes every object */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	CK_C_INITIALIZE_ARGS ia;
	CK_RV rv;

	(void)argc; (void)argv;
	snprintf(dir, sizeof dir, "%s/kt-fuzz-module.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("KERNTOK_DIR", dir, 1);
	store_desc_init();
	atexit(rm_store);
	if (C_GetFunctionList(&fa) != CKR_OK || C_GetFunctionList(&fb) != CKR_OK || fa == fb)
		die("C_GetFunctionList (two views)", CKR_GENERAL_ERROR);
	memset(&ia, 0, sizeof ia);
	ia.flags = CKF_OS_LOCKING_OK;
	if ((rv = fa->C_Initialize(&ia)) != CKR_OK || (rv = fb->C_Initialize(&ia)) != CKR_OK)
		die("C_Initialize", rv);
	sessions_up();
	return 0;
}

static int rv_in(CK_RV rv, const CK_RV *ok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rv == ok[i])
			return 1;
	return 0;
}

/* base 3.0, 5.7: C_CreateObject / C_CopyObject / C_SetAttributeValue */
static const CK_RV create_rvs[] = {
	CKR_OK, CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_TYPE_INVALID,
	CKR_ATTRIBUTE_VALUE_INVALID, CKR_CURVE_NOT_SUPPORTED, CKR_DEVICE_MEMORY,
	CKR_DOMAIN_PARAMS_INVALID, CKR_HOST_MEMORY, CKR_SESSION_READ_ONLY,
	CKR_TEMPLATE_INCOMPLETE, CKR_TEMPLATE_INCONSISTENT, CKR_USER_NOT_LOGGED_IN,
	CKR_ACTION_PROHIBITED, CKR_OBJECT_HANDLE_INVALID, CKR_PIN_EXPIRED,
};
static const CK_RV get_rvs[] = {
	CKR_OK, CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID,
	CKR_BUFFER_TOO_SMALL, CKR_OBJECT_HANDLE_INVALID, CKR_HOST_MEMORY,
};

static void read_back(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                      const fz_tmpl *q)
{
	CK_ATTRIBUTE *t;
	CK_ULONG i, sz;
	CK_RV rv;

	rv = f->C_GetObjectSize(s, h, &sz);
	FZ_ASSERT(rv == CKR_OK || rv == CKR_OBJECT_HANDLE_INVALID, "C_GetObjectSize 0x%lx", rv);
	if (q->n == 0)
		return;
	t = calloc(q->n, sizeof *t);
	if (t == NULL)
		return;
	for (i = 0; i < q->n; i++)
		t[i].type = q->v[i].type;
	rv = f->C_GetAttributeValue(s, h, t, q->n);
	FZ_ASSERT(rv_in(rv, get_rvs, sizeof get_rvs / sizeof get_rvs[0]) && rv != CKR_BUFFER_TOO_SMALL,
	          "C_GetAttributeValue (lengths) 0x%lx", rv);
	for (i = 0; i < q->n; i++)
		if (t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION && t[i].ulValueLen < (1u << 20))
			t[i].pValue = calloc(1, t[i].ulValueLen + 1);
	rv = f->C_GetAttributeValue(s, h, t, q->n);
	FZ_ASSERT(rv_in(rv, get_rvs, sizeof get_rvs / sizeof get_rvs[0]) && rv != CKR_BUFFER_TOO_SMALL,
	          "C_GetAttributeValue (values) 0x%lx", rv);
	for (i = 0; i < q->n; i++)
		free(t[i].pValue);
	free(t);
}

/* The public caller must not see private objects nor read key material. */
static void outsider_view(CK_OBJECT_HANDLE h, CK_BBOOL priv, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
	CK_RV rv = fb->C_GetAttributeValue(sess[3], h, &a, 1);

	if (priv)
		FZ_ASSERT(rv == CKR_OBJECT_HANDLE_INVALID,
		          "the logged-out caller reached a private object: 0x%lx", rv);
	else if (cls == CKO_SECRET_KEY || cls == CKO_PRIVATE_KEY)
		FZ_ASSERT(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID,
		          "the logged-out caller read key material of class %lu: 0x%lx", cls, rv);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fz_in in = { d, n, 0 };
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h = 0, h2 = 0, found[8];
	CK_ULONG nf = 0;
	CK_BBOOL tok = CK_FALSE, priv = CK_FALSE;
	CK_OBJECT_CLASS cls = CK_UNAVAILABLE_INFORMATION;
	uint8_t sel = 0;
	fz_tmpls ts;
	CK_RV rv;

	if (fa == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (fz_u8(&in, &sel) < 0)
		return 0;
	f = (sel & 3) < 2 ? fa : fb;
	s = sess[sel & 3];
	fz_tmpls_read(&in, &ts);

	rv = f->C_CreateObject(s, ts.t[0].v, ts.t[0].n, &h);
	FZ_ASSERT(rv_in(rv, create_rvs, sizeof create_rvs / sizeof create_rvs[0]),
	          "C_CreateObject returned 0x%lx", rv);
	if (rv != CKR_OK)
		goto out;
	FZ_ASSERT(h != CK_INVALID_HANDLE, "CKR_OK with handle 0");
	{
		CK_ATTRIBUTE a[] = { { CKA_TOKEN, &tok, 1 }, { CKA_PRIVATE, &priv, 1 },
		                     { CKA_CLASS, &cls, sizeof cls } };
		rv = f->C_GetAttributeValue(s, h, a, 3);
		FZ_ASSERT(rv == CKR_OK, "basic attributes of a new object: 0x%lx", rv);
	}
	if (tok)
		outsider_view(h, priv, cls);
	read_back(f, s, h, &ts.t[3]);

	rv = f->C_SetAttributeValue(s, h, ts.t[1].v, ts.t[1].n);
	FZ_ASSERT(rv_in(rv, create_rvs, sizeof create_rvs / sizeof create_rvs[0]),
	          "C_SetAttributeValue returned 0x%lx", rv);
	rv = f->C_CopyObject(s, h, ts.t[2].v, ts.t[2].n, &h2);
	FZ_ASSERT(rv_in(rv, create_rvs, sizeof create_rvs / sizeof create_rvs[0]),
	          "C_CopyObject returned 0x%lx", rv);
	if (rv == CKR_OK) {
		CK_BBOOL t2 = CK_FALSE, p2 = CK_FALSE;
		CK_OBJECT_CLASS c2 = 0;
		CK_ATTRIBUTE a[] = { { CKA_TOKEN, &t2, 1 }, { CKA_PRIVATE, &p2, 1 },
		                     { CKA_CLASS, &c2, sizeof c2 } };
		FZ_ASSERT(f->C_GetAttributeValue(s, h2, a, 3) == CKR_OK, "copy's basic attributes");
		if (t2)
			outsider_view(h2, p2, c2);
		rv = f->C_DestroyObject(s, h2);
		FZ_ASSERT(rv == CKR_OK || rv == CKR_ACTION_PROHIBITED, "destroy copy: 0x%lx", rv);
		leftovers += rv != CKR_OK;
	}

	rv = f->C_FindObjectsInit(s, ts.t[3].v, ts.t[3].n);
	FZ_ASSERT(rv == CKR_OK || rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_ATTRIBUTE_TYPE_INVALID,
	          "C_FindObjectsInit 0x%lx", rv);
	if (rv == CKR_OK) {
		FZ_ASSERT(f->C_FindObjects(s, found, 8, &nf) == CKR_OK, "C_FindObjects");
		FZ_ASSERT(f->C_FindObjectsFinal(s) == CKR_OK, "C_FindObjectsFinal");
	}

	rv = f->C_DestroyObject(s, h);
	FZ_ASSERT(rv == CKR_OK || rv == CKR_ACTION_PROHIBITED, "destroy: 0x%lx", rv);
	leftovers += rv != CKR_OK;
	if (leftovers > 200)
		reset_token();
out:
	fz_tmpls_free(&ts);
	return 0;
}
