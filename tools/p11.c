/* p11.c - the tool's PKCS#11 side: the module's own C_* functions, linked
 * in statically (libkt_module.a), called exactly as an application would. */
#include <string.h>
#include "cli.h"

int p11_start(void)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV rv = C_Initialize(&args);

	return rv == CKR_OK ? 0 : cli_rv(rv, "C_Initialize");
}

void p11_stop(void)
{
	(void)C_Finalize(NULL);
}

static int slot_ids(CK_SLOT_ID **ids, CK_ULONG *n)
{
	CK_RV rv;

	*ids = NULL;
	for (;;) {                          /* tokens may come and go between the calls */
		rv = C_GetSlotList(CK_TRUE, NULL, n);
		if (rv != CKR_OK)
			break;
		free(*ids);
		*ids = calloc(*n + 1, sizeof **ids);
		if (*ids == NULL)
			return cli_rv(CKR_HOST_MEMORY, "slot list");
		rv = C_GetSlotList(CK_TRUE, *ids, n);
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (rv != CKR_OK) {
		free(*ids);
		*ids = NULL;
		return cli_rv(rv, "C_GetSlotList");
	}
	return 0;
}

int p11_tokens(p11_token **toks, size_t *n, CK_SLOT_ID *free_slot)
{
	_cleanup_(freep) CK_SLOT_ID *ids = NULL;
	p11_token *t;
	CK_ULONG k, i;
	CK_RV rv;
	int r;

	*toks = NULL;
	*n = 0;
	*free_slot = CK_UNAVAILABLE_INFORMATION;
	r = slot_ids(&ids, &k);
	if (r != 0)
		return r;
	t = calloc(k + 1, sizeof *t);
	if (t == NULL)
		return cli_rv(CKR_HOST_MEMORY, "slot list");
	for (i = 0; i < k; i++) {
		p11_token *x = &t[*n];
		rv = C_GetTokenInfo(ids[i], &x->info);
		if (rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_PRESENT)
			continue;                   /* deleted meanwhile */
		if (rv != CKR_OK) {
			free(t);
			return cli_rv(rv, "C_GetTokenInfo");
		}
		if (!(x->info.flags & CKF_TOKEN_INITIALIZED)) {
			*free_slot = ids[i];
			continue;
		}
		x->slot = ids[i];
		cli_trim(x->label, x->info.label, sizeof x->info.label);
		cli_trim(x->serial, x->info.serialNumber, sizeof x->info.serialNumber);
		(*n)++;
	}
	*toks = t;
	return 0;
}

int p11_find(const char *label, p11_token *out)
{
	_cleanup_(freep) p11_token *t = NULL;
	CK_SLOT_ID fs;
	size_t n, i, hits = 0;
	int r;

	r = p11_tokens(&t, &n, &fs);
	if (r != 0)
		return r;
	for (i = 0; i < n; i++)
		if (strcmp(t[i].label, label) == 0) {
			if (hits++ == 0)
				*out = t[i];
		}
	if (hits == 1)
		return 0;
	if (hits == 0)
		cli_err("no token labelled \"%s\" (see `kerntok list`)", label);
	else
		cli_err("%zu tokens are labelled \"%s\"", hits, label);
	return 1;
}

int p11_session(CK_SLOT_ID slot, bool rw, CK_SESSION_HANDLE *s)
{
	CK_FLAGS f = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_RV rv = C_OpenSession(slot, f, NULL, NULL, s);

	return rv == CKR_OK ? 0 : cli_rv(rv, "C_OpenSession");
}

int p11_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
	CK_RV rv = C_Login(s, who, (CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));

	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	return cli_rv(rv, who == CKU_SO ? "C_Login (SO)" : "C_Login (user)");
}

int p11_objects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE **h, size_t *n)
{
	CK_OBJECT_HANDLE *v = NULL, *nv;
	CK_ULONG got;
	size_t cap = 0;
	CK_RV rv;

	*h = NULL;
	*n = 0;
	rv = C_FindObjectsInit(s, NULL, 0);
	if (rv != CKR_OK)
		return cli_rv(rv, "C_FindObjectsInit");
	do {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof *v);
			if (nv == NULL) {
				rv = CKR_HOST_MEMORY;
				break;
			}
			v = nv;
		}
		rv = C_FindObjects(s, v + *n, (CK_ULONG)(cap - *n), &got);
		*n += rv == CKR_OK ? got : 0;
	} while (rv == CKR_OK && got > 0);
	(void)C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		free(v);
		*n = 0;
		return cli_rv(rv, "C_FindObjects");
	}
	*h = v;
	return 0;
}

long p11_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, void **out)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };

	*out = NULL;
	if (C_GetAttributeValue(s, h, &a, 1) != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return -1;
	a.pValue = malloc(a.ulValueLen + 1);
	if (a.pValue == NULL)
		return -1;
	if (C_GetAttributeValue(s, h, &a, 1) != CKR_OK) {
		free(a.pValue);
		return -1;
	}
	((char *)a.pValue)[a.ulValueLen] = '\0';
	*out = a.pValue;
	return (long)a.ulValueLen;
}

bool p11_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, CK_ULONG *v)
{
	CK_ATTRIBUTE a = { t, v, sizeof *v };

	return C_GetAttributeValue(s, h, &a, 1) == CKR_OK && a.ulValueLen == sizeof *v;
}

int p11_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = { t, &b, sizeof b };

	if (C_GetAttributeValue(s, h, &a, 1) != CKR_OK || a.ulValueLen != sizeof b)
		return -1;
	return b ? 1 : 0;
}
