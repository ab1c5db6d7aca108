/* fz.h - shared pieces of kerntok's fuzz targets (fuzz/fuzz_*.c).
 *
 * Header-only on purpose: each target is one translation unit plus the
 * project's static libraries, built by fuzz/fuzz.mk either with libFuzzer
 * (clang -fsanitize=fuzzer,address,undefined) or with fuzz/driver.c (gcc +
 * ASan, one pass over the seed corpus for `make fuzz-check`).
 *
 * Template byte format (fz_template_read), used by fuzz_template and
 * fuzz_module_create and written by fuzz/gen_corpus.c:
 *   entry := sel:u8 [type:u32le if sel == 0xff] mode:u8 value
 *   sel < FZ_NTYPES picks fz_types[sel]; 0xfe ends the current template.
 *   mode % 8:
 *     0  pValue NULL, ulValueLen = u8 (0 = the legal empty query form)
 *     1  bytes: len:u8, then len bytes
 *     2  CK_ULONG from one byte (values >= 0xf0 map to fz_ulongs[])
 *     3  CK_BBOOL: one byte, passed as is (so 2..255 test the 0/1 rule)
 *     4  nested CK_ATTRIBUTE array: count:u8 (% 8) then count entries
 *        (depth 2 at most; deeper ones become mode 1)
 *     5  bytes: len:u16le, then len bytes
 *     6  CK_ULONG array: count:u8 (% 16) then count bytes, one per ULONG
 *     7  CK_DATE-ish: 8 bytes as given
 * Input that runs out mid-entry just ends the template.  Every value is
 * copied into a buffer of exactly its length (so ASan sees overreads).
 */
#ifndef KT_FZ_H
#define KT_FZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkcs11.h"

#define FZ_MAX_ATTRS 64   /* per template */
#define FZ_MAX_DEPTH 2
#define FZ_MAX_TMPL  4

/* Stop with a message: a violated property is a finding like a crash. */
#define FZ_ASSERT(c, ...)                                                  \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "FUZZ PROPERTY FAILED %s:%d: %s: ", \
			        __FILE__, __LINE__, #c);                   \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

typedef struct {
	const uint8_t *p;
	size_t n, off;
} fz_in;

static inline int fz_u8(fz_in *in, uint8_t *v)
{
	if (in->off >= in->n)
		return -1;
	*v = in->p[in->off++];
	return 0;
}

static inline int fz_u16(fz_in *in, uint16_t *v)
{
	if (in->n - in->off < 2)
		return -1;
	*v = (uint16_t)(in->p[in->off] | in->p[in->off + 1] << 8);
	in->off += 2;
	return 0;
}

static inline int fz_u32(fz_in *in, uint32_t *v)
{
	if (in->n - in->off < 4)
		return -1;
	memcpy(v, in->p + in->off, 4);
	in->off += 4;
	return 0;
}

static inline const uint8_t *fz_bytes(fz_in *in, size_t len)
{
	const uint8_t *p;

	if (in->n - in->off < len)
		return NULL;
	p = in->p + in->off;
	in->off += len;
	return p;
}

/* Every attribute type the token knows something about, plus a few it
 * must refuse. */
static const CK_ATTRIBUTE_TYPE fz_types[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_UNIQUE_ID, CKA_APPLICATION,
	CKA_VALUE, CKA_OBJECT_ID, CKA_CERTIFICATE_TYPE, CKA_ISSUER, CKA_SERIAL_NUMBER,
	CKA_AC_ISSUER, CKA_OWNER, CKA_ATTR_TYPES, CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY,
	CKA_JAVA_MIDP_SECURITY_DOMAIN, CKA_URL, CKA_HASH_OF_SUBJECT_PUBLIC_KEY,
	CKA_HASH_OF_ISSUER_PUBLIC_KEY, CKA_NAME_HASH_ALGORITHM, CKA_CHECK_VALUE,
	CKA_KEY_TYPE, CKA_SUBJECT, CKA_ID, CKA_SENSITIVE, CKA_ENCRYPT, CKA_DECRYPT,
	CKA_WRAP, CKA_UNWRAP, CKA_SIGN, CKA_SIGN_RECOVER, CKA_VERIFY, CKA_VERIFY_RECOVER,
	CKA_DERIVE, CKA_START_DATE, CKA_END_DATE, CKA_MODULUS, CKA_MODULUS_BITS,
	CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
	CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT, CKA_PUBLIC_KEY_INFO, CKA_PRIME,
	CKA_SUBPRIME, CKA_BASE, CKA_PRIME_BITS, CKA_SUBPRIME_BITS, CKA_VALUE_BITS,
	CKA_VALUE_LEN, CKA_EXTRACTABLE, CKA_LOCAL, CKA_NEVER_EXTRACTABLE,
	CKA_ALWAYS_SENSITIVE, CKA_KEY_GEN_MECHANISM, CKA_MODIFIABLE, CKA_COPYABLE,
	CKA_DESTROYABLE, CKA_EC_PARAMS, CKA_EC_POINT, CKA_ALWAYS_AUTHENTICATE,
	CKA_WRAP_WITH_TRUSTED, CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE,
	CKA_DERIVE_TEMPLATE, CKA_OTP_FORMAT, CKA_HW_FEATURE_TYPE, CKA_MECHANISM_TYPE,
	CKA_ALLOWED_MECHANISMS, CKA_PROFILE_ID, CKA_GOSTR3410_PARAMS,
	CKA_SECONDARY_AUTH, CKA_X2RATCHET_BAG, CKA_VENDOR_DEFINED,
	CKA_VENDOR_DEFINED | 0x1234, (CK_ATTRIBUTE_TYPE)0x7fffffffUL,
	(CK_ATTRIBUTE_TYPE)-1,
};
#define FZ_NTYPES (sizeof fz_types / sizeof fz_types[0])

/* CK_ULONG values a single byte cannot spell */
static const CK_ULONG fz_ulongs[16] = {
	CK_UNAVAILABLE_INFORMATION, CKO_VENDOR_DEFINED, CKK_VENDOR_DEFINED,
	0x80000000UL, 0xffffffffUL, 0x100000000UL, CKM_VENDOR_DEFINED, 4096, 2048, 256,
	CKM_ECDSA, CKM_AES_CBC_PAD, CKM_AES_KEY_WRAP, 0x10000, 1u << 20, 0,
};

static int fz_last_nested;   /* the value just read is a mode-4 array */

static inline int fz_is_array_type(CK_ATTRIBUTE_TYPE t)
{
	/* CKA_WRAP/UNWRAP/DERIVE_TEMPLATE, and any other type with the array
	 * bit but CKA_ALLOWED_MECHANISMS (a CK_MECHANISM_TYPE array) */
	return (t & CKF_ARRAY_ATTRIBUTE) && t != CKA_ALLOWED_MECHANISMS;
}

static inline CK_ULONG fz_ulong_of(uint8_t b)
{
	return b >= 0xf0 ? fz_ulongs[b - 0xf0] : b;
}

/* A decoded template: CK_ATTRIBUTE arrays whose values live in exact-size
 * heap buffers, freed by fz_tmpl_free. */
typedef struct {
	CK_ATTRIBUTE *v;
	CK_ULONG n;
} fz_tmpl;

static int fz_read_attrs(fz_in *in, CK_ATTRIBUTE *v, CK_ULONG max, CK_ULONG *n, int depth,
                         void ***owned, size_t *nowned, int stop_at_sep);

/* Track every allocation so nested arrays are freed without guessing. */
static inline int fz_own(void ***owned, size_t *nowned, void *p)
{
	void **o = realloc(*owned, (*nowned + 1) * sizeof *o);

	if (o == NULL) {
		free(p);
		return -1;
	}
	o[(*nowned)++] = p;
	*owned = o;
	return 0;
}

static int fz_read_value(fz_in *in, CK_ATTRIBUTE *a, int depth, void ***owned, size_t *nowned)
{
	uint8_t mode, b, cnt;
	uint16_t l16;
	const uint8_t *src = NULL;
	size_t len = 0, i;
	void *buf = NULL;

	a->pValue = NULL;
	a->ulValueLen = 0;
	fz_last_nested = 0;
	if (fz_u8(in, &mode) < 0)
		return -1;
	switch (mode % 8) {
	case 0:
		if (fz_u8(in, &b) < 0)
			return -1;
		a->ulValueLen = b;
		return 0;
	case 1:
		if (fz_u8(in, &b) < 0 || (src = fz_bytes(in, b)) == NULL)
			return -1;
		len = b;
		break;
	case 2: {
		CK_ULONG u;
		if (fz_u8(in, &b) < 0)
			return -1;
		u = fz_ulong_of(b);
		buf = malloc(sizeof u);
		if (buf == NULL || fz_own(owned, nowned, buf) < 0)
			return -1;
		memcpy(buf, &u, sizeof u);
		a->pValue = buf;
		a->ulValueLen = sizeof u;
		return 0;
	}
	case 3:
		if ((src = fz_bytes(in, 1)) == NULL)
			return -1;
		len = 1;
		break;
	case 4: {
		CK_ATTRIBUTE *inner;
		CK_ULONG k = 0;
		if (fz_u8(in, &cnt) < 0)
			return -1;
		cnt %= 8;
		if (depth >= FZ_MAX_DEPTH) {
			/* too deep: treat the count as a byte length */
			if ((src = fz_bytes(in, cnt)) == NULL)
				return -1;
			len = cnt;
			break;
		}
		inner = calloc(cnt ? cnt : 1, sizeof *inner);
		if (inner == NULL || fz_own(owned, nowned, inner) < 0)
			return -1;
		(void)fz_read_attrs(in, inner, cnt, &k, depth + 1, owned, nowned, 0);
		a->pValue = cnt ? inner : NULL;
		a->ulValueLen = k * sizeof *inner;
		fz_last_nested = 1;
		return 0;
	}
	case 5:
		if (fz_u16(in, &l16) < 0 || (src = fz_bytes(in, l16)) == NULL)
			return -1;
		len = l16;
		break;
	case 6: {
		CK_ULONG *m;
		if (fz_u8(in, &cnt) < 0)
			return -1;
		cnt %= 16;
		m = malloc(cnt ? cnt * sizeof *m : 1);
		if (m == NULL || fz_own(owned, nowned, m) < 0)
			return -1;
		for (i = 0; i < cnt; i++) {
			if (fz_u8(in, &b) < 0)
				return -1;
			m[i] = fz_ulong_of(b);
		}
		a->pValue = m;
		a->ulValueLen = cnt * sizeof *m;
		return 0;
	}
	default:
		if ((src = fz_bytes(in, 8)) == NULL)
			return -1;
		len = 8;
		break;
	}
	/* exact-size copy; an empty value keeps a non-NULL pointer half the
	 * time (both forms are legal) */
	buf = malloc(len ? len : 1);
	if (buf == NULL || fz_own(owned, nowned, buf) < 0)
		return -1;
	if (len)
		memcpy(buf, src, len);
	a->pValue = (len || (in->off & 1)) ? buf : NULL;
	a->ulValueLen = len;
	return 0;
}

/* Reads up to max entries; returns 1 when a separator (0xfe) ended it. */
static int fz_read_attrs(fz_in *in, CK_ATTRIBUTE *v, CK_ULONG max, CK_ULONG *n, int depth,
                         void ***owned, size_t *nowned, int stop_at_sep)
{
	uint8_t sel;
	uint32_t t32;

	*n = 0;
	while (*n < max) {
		if (fz_u8(in, &sel) < 0)
			return 0;
		if (sel == 0xfe && stop_at_sep)
			return 1;
		if (sel == 0xff) {
			if (fz_u32(in, &t32) < 0)
				return 0;
			v[*n].type = t32;
		} else {
			v[*n].type = fz_types[sel % FZ_NTYPES];
		}
		if (fz_read_value(in, &v[*n], depth, owned, nowned) < 0)
			return 0;
		/* An attribute array's value holds pointers: the module has to
		 * trust them (they are the application's memory), so only mode 4
		 * may build one.  Other bytes keep a length that is not a whole
		 * number of CK_ATTRIBUTEs (the size check still gets exercised). */
		if (fz_is_array_type(v[*n].type) && v[*n].pValue != NULL && !fz_last_nested)
			v[*n].ulValueLen %= sizeof(CK_ATTRIBUTE);
		(*n)++;
	}
	return 0;
}

/* Up to FZ_MAX_TMPL templates separated by 0xfe. */
typedef struct {
	fz_tmpl t[FZ_MAX_TMPL];
	void **owned;
	size_t nowned;
} fz_tmpls;

static inline void fz_tmpls_read(fz_in *in, fz_tmpls *ts)
{
	int i, more = 1;

	memset(ts, 0, sizeof *ts);
	for (i = 0; i < FZ_MAX_TMPL; i++) {
		/* always a real array, so a count of 0 comes with a pointer */
		ts->t[i].v = calloc(FZ_MAX_ATTRS, sizeof(CK_ATTRIBUTE));
		if (ts->t[i].v != NULL && more)
			more = fz_read_attrs(in, ts->t[i].v, FZ_MAX_ATTRS, &ts->t[i].n, 0,
			                     &ts->owned, &ts->nowned, 1);
	}
}

static inline void fz_tmpls_free(fz_tmpls *ts)
{
	size_t i;

	for (i = 0; i < ts->nowned; i++)
		free(ts->owned[i]);
	free(ts->owned);
	for (i = 0; i < FZ_MAX_TMPL; i++)
		free(ts->t[i].v);
	memset(ts, 0, sizeof *ts);
}

/* The fixed storage key and token uuid of the codec targets. */
static const uint8_t fz_key[32] = "kerntok fuzz storage key 32 byte";
static const uint8_t fz_uuid[16] = "kerntok-fuzz-uid";
static const uint8_t fz_objid[16] = "kerntok-objid-16";

#endif
