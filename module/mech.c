/* mech.c - the mechanism table: the families' rows merged and sorted once,
 * looked up by bsearch; C_GetMechanismList / C_GetMechanismInfo over it; the
 * key import dispatch.  Weak defaults stand in for the asymmetric family
 * until it is linked in, so the module always builds. */
#include <stdlib.h>
#include <string.h>
#include "mech.h"

__attribute__((weak)) const kt_mech_family kt_mech_family_asym = { NULL, 0 };

__attribute__((weak)) CK_RV kt_key_import_asym(kt_attrs *all)
{
	(void)all;
	return CKR_OK;
}

__attribute__((weak)) CK_RV kt_key_pkcs8_encode(const kt_attrs *priv, uint8_t **der, size_t *n)
{
	(void)priv;
	*der = NULL;
	*n = 0;
	return CKR_KEY_NOT_WRAPPABLE;
}

__attribute__((weak)) CK_RV kt_key_pkcs8_decode(const uint8_t *der, size_t n, kt_attrs *key)
{
	(void)der; (void)n; (void)key;
	return CKR_WRAPPED_KEY_INVALID;
}

/* Built once; read-only afterwards, so lookups take no lock. */
static struct {
	pthread_once_t once;
	const kt_mech **v;
	size_t n;
} tab = { PTHREAD_ONCE_INIT, NULL, 0 };

static int by_type(const void *a, const void *b)
{
	CK_MECHANISM_TYPE x = (*(const kt_mech *const *)a)->type;
	CK_MECHANISM_TYPE y = (*(const kt_mech *const *)b)->type;

	return x < y ? -1 : x > y;
}

static void build(void)
{
	const kt_mech_family *fam[] = { &kt_mech_family_sym, &kt_mech_family_asym };
	size_t i, j, n = 0, k = 0;
	const kt_mech **v;

	for (i = 0; i < sizeof fam / sizeof fam[0]; i++)
		n += fam[i]->n;
	v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return;                      /* no mechanisms rather than a crash */
	for (i = 0; i < sizeof fam / sizeof fam[0]; i++)
		for (j = 0; j < fam[i]->n; j++)
			v[k++] = &fam[i]->rows[j];
	qsort(v, k, sizeof *v, by_type);
	/* a type claimed twice: the first family (symmetric) keeps it */
	for (i = j = 0; i < k; i++) {
		if (j > 0 && v[j - 1]->type == v[i]->type) {
			kt_log_line("kerntok: mechanism 0x%lx defined twice", v[i]->type);
			continue;
		}
		v[j++] = v[i];
	}
	tab.v = v;
	tab.n = j;
}

static void ensure(void)
{
	pthread_once(&tab.once, build);
}

const kt_mech *kt_mech_find(CK_MECHANISM_TYPE type)
{
	size_t lo = 0, hi;

	ensure();
	hi = tab.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		CK_MECHANISM_TYPE t = tab.v[mid]->type;
		if (t == type)
			return tab.v[mid];
		if (t < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

CK_RV kt_mech_list(CK_MECHANISM_TYPE *list, CK_ULONG *n)
{
	size_t i;

	ensure();
	if (list == NULL) {
		*n = tab.n;
		return CKR_OK;
	}
	if (*n < tab.n) {
		*n = tab.n;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < tab.n; i++)
		list[i] = tab.v[i]->type;
	*n = tab.n;
	return CKR_OK;
}

CK_RV kt_mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const kt_mech *m = kt_mech_find(type);

	if (m == NULL)
		return CKR_MECHANISM_INVALID;
	info->ulMinKeySize = m->min_key;
	info->ulMaxKeySize = m->max_key;
	/* software: never CKF_HW; recover functions are not offered */
	info->flags = m->flags & ~(CKF_HW | CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER);
	return CKR_OK;
}

bool kt_key_type_secret(CK_KEY_TYPE t)
{
	switch (t) {
	case CKK_RSA:
	case CKK_DSA:
	case CKK_DH:
	case CKK_EC:
	case CKK_X9_42_DH:
	case CKK_KEA:
	case CKK_GOSTR3410:
	case CKK_EC_EDWARDS:
	case CKK_EC_MONTGOMERY:
		return false;
	default:
		return true;
	}
}

CK_RV kt_key_import_check(kt_attrs *all)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(all, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);

	switch (cls) {
	case CKO_SECRET_KEY:
		return kt_key_import_sym(all);
	case CKO_PUBLIC_KEY:
	case CKO_PRIVATE_KEY:
		return kt_key_import_asym(all);
	default:
		return CKR_OK;
	}
}
