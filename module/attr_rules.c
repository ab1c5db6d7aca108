/* attr_rules.c - the attribute tables: every attribute the PKCS #11 3.0
 * specification describes, and per class / key type which of them an object
 * has, with the footnotes of its table.
 *
 * Sources: base 3.0 4.2 (common attributes: footnote table, CKA_CLASS), 4.4
 * storage objects (incl. 4.4.1 CKA_UNIQUE_ID), 4.5 data, 4.6 certificates
 * (X.509 public key certificate objects), 4.7 keys, 4.8 public keys, 4.9
 * private keys, 4.10 secret keys; curr 3.0 "RSA public / private key
 * objects", "Elliptic curve public / private key objects", the Edwards and
 * Montgomery key objects, "AES secret key objects", "Generic secret key
 * objects" (also used for the CKK_SHA*_HMAC types) and the HKDF key objects.
 *
 * READ_ONLY vs TEMPLATE_INCONSISTENT.  Base 4.1.1 item 3: "If the supplied
 * template specifies a value for a read-only attribute, then the attempt
 * should fail with the error code CKR_ATTRIBUTE_READ_ONLY.  Whether or not a
 * given PKCS #11 attribute is read-only is explicitly stated in the PKCS #11
 * specification; however, a particular library and token may be even more
 * restrictive ... an attribute which PKCS #11 says is not read-only may
 * nonetheless be read-only under certain circumstances (i.e., in conjunction
 * with some combinations of other attributes)".  The spec's explicit
 * statement of which attributes are read-only at creation IS footnotes 2, 4
 * and 6 ("must not be specified when ..."), and 4.4.1 says so in words for
 * CKA_UNIQUE_ID ("... SHALL fail ... CKR_ATTRIBUTE_READ_ONLY").  So every
 * footnote-2/4/6 violation (CKA_LOCAL, CKA_KEY_GEN_MECHANISM,
 * CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_UNIQUE_ID, CKA_MODULUS_BITS
 * and CKA_VALUE_LEN at create, key material at generate / unwrap ...) is
 * CKR_ATTRIBUTE_READ_ONLY.  Item 5 (CKR_TEMPLATE_INCONSISTENT) is for values
 * that are each valid but cannot hold together: the same attribute twice with
 * different values, an attribute of another class / key type (the spec's own
 * example), a class / key type that contradicts the mechanism, and token
 * requirements between attributes (partial RSA CRT set).
 *
 * C_SetAttributeValue / C_CopyObject: base 4.1.2 "All the scenarios in
 * Section 4.1.1 - and the error codes they return - apply to modifying
 * objects", so the same split holds there: an attribute the object's class
 * does not have is CKR_TEMPLATE_INCONSISTENT, a non-spec type
 * CKR_ATTRIBUTE_TYPE_INVALID, and anything without footnote 8 (or the
 * one-way footnotes 10/11/12, or the copy-only storage attributes of 4.4) is
 * CKR_ATTRIBUTE_READ_ONLY.  Data object attributes carry no footnote 8 (2.01
 * said they were modifiable; 2.20 and later dropped that sentence), so they
 * are read-only after creation. */
#include <string.h>
#include "attr_rules.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every attribute of the 3.0 specification ----
 * Kind KT_K_OPAQUE: described by the spec (so not CKR_ATTRIBUTE_TYPE_INVALID)
 * but no class of this token has it (so CKR_TEMPLATE_INCONSISTENT). */
static const kt_atype kt_atypes[] = {
	{ CKA_CLASS, KT_K_ULONG },
	{ CKA_TOKEN, KT_K_BOOL },
	{ CKA_PRIVATE, KT_K_BOOL },
	{ CKA_LABEL, KT_K_BYTES },
	{ CKA_UNIQUE_ID, KT_K_BYTES },
	{ CKA_APPLICATION, KT_K_BYTES },
	{ CKA_VALUE, KT_K_BYTES },
	{ CKA_OBJECT_ID, KT_K_BYTES },
	{ CKA_CERTIFICATE_TYPE, KT_K_ULONG },
	{ CKA_ISSUER, KT_K_BYTES },
	{ CKA_SERIAL_NUMBER, KT_K_BYTES },
	{ CKA_AC_ISSUER, KT_K_OPAQUE },
	{ CKA_OWNER, KT_K_OPAQUE },
	{ CKA_ATTR_TYPES, KT_K_OPAQUE },
	{ CKA_TRUSTED, KT_K_BOOL },
	{ CKA_CERTIFICATE_CATEGORY, KT_K_ULONG },
	{ CKA_JAVA_MIDP_SECURITY_DOMAIN, KT_K_ULONG },
	{ CKA_URL, KT_K_BYTES },
	{ CKA_HASH_OF_SUBJECT_PUBLIC_KEY, KT_K_BYTES },
	{ CKA_HASH_OF_ISSUER_PUBLIC_KEY, KT_K_BYTES },
	{ CKA_NAME_HASH_ALGORITHM, KT_K_ULONG },
	{ CKA_CHECK_VALUE, KT_K_BYTES },
	{ CKA_KEY_TYPE, KT_K_ULONG },
	{ CKA_SUBJECT, KT_K_BYTES },
	{ CKA_ID, KT_K_BYTES },
	{ CKA_SENSITIVE, KT_K_BOOL },
	{ CKA_ENCRYPT, KT_K_BOOL },
	{ CKA_DECRYPT, KT_K_BOOL },
	{ CKA_WRAP, KT_K_BOOL },
	{ CKA_UNWRAP, KT_K_BOOL },
	{ CKA_SIGN, KT_K_BOOL },
	{ CKA_SIGN_RECOVER, KT_K_BOOL },
	{ CKA_VERIFY, KT_K_BOOL },
	{ CKA_VERIFY_RECOVER, KT_K_BOOL },
	{ CKA_DERIVE, KT_K_BOOL },
	{ CKA_START_DATE, KT_K_DATE },
	{ CKA_END_DATE, KT_K_DATE },
	{ CKA_MODULUS, KT_K_BIGINT },
	{ CKA_MODULUS_BITS, KT_K_ULONG },
	{ CKA_PUBLIC_EXPONENT, KT_K_BIGINT },
	{ CKA_PRIVATE_EXPONENT, KT_K_BIGINT },
	{ CKA_PRIME_1, KT_K_BIGINT },
	{ CKA_PRIME_2, KT_K_BIGINT },
	{ CKA_EXPONENT_1, KT_K_BIGINT },
	{ CKA_EXPONENT_2, KT_K_BIGINT },
	{ CKA_COEFFICIENT, KT_K_BIGINT },
	{ CKA_PUBLIC_KEY_INFO, KT_K_BYTES },
	{ CKA_PRIME, KT_K_OPAQUE },
	{ CKA_SUBPRIME, KT_K_OPAQUE },
	{ CKA_BASE, KT_K_OPAQUE },
	{ CKA_PRIME_BITS, KT_K_OPAQUE },
	{ CKA_SUB_PRIME_BITS, KT_K_OPAQUE },
	{ CKA_VALUE_BITS, KT_K_OPAQUE },
	{ CKA_VALUE_LEN, KT_K_ULONG },
	{ CKA_EXTRACTABLE, KT_K_BOOL },
	{ CKA_LOCAL, KT_K_BOOL },
	{ CKA_NEVER_EXTRACTABLE, KT_K_BOOL },
	{ CKA_ALWAYS_SENSITIVE, KT_K_BOOL },
	{ CKA_KEY_GEN_MECHANISM, KT_K_ULONG },
	{ CKA_MODIFIABLE, KT_K_BOOL },
	{ CKA_COPYABLE, KT_K_BOOL },
	{ CKA_DESTROYABLE, KT_K_BOOL },
	{ CKA_EC_PARAMS, KT_K_BYTES },
	{ CKA_EC_POINT, KT_K_BYTES },
	{ CKA_SECONDARY_AUTH, KT_K_OPAQUE },
	{ CKA_AUTH_PIN_FLAGS, KT_K_OPAQUE },
	{ CKA_ALWAYS_AUTHENTICATE, KT_K_BOOL },
	{ CKA_WRAP_WITH_TRUSTED, KT_K_BOOL },
	{ CKA_WRAP_TEMPLATE, KT_K_TEMPLATE },
	{ CKA_UNWRAP_TEMPLATE, KT_K_TEMPLATE },
	{ CKA_DERIVE_TEMPLATE, KT_K_TEMPLATE },
	{ CKA_OTP_FORMAT, KT_K_OPAQUE },
	{ CKA_OTP_LENGTH, KT_K_OPAQUE },
	{ CKA_OTP_TIME_INTERVAL, KT_K_OPAQUE },
	{ CKA_OTP_USER_FRIENDLY_MODE, KT_K_OPAQUE },
	{ CKA_OTP_CHALLENGE_REQUIREMENT, KT_K_OPAQUE },
	{ CKA_OTP_TIME_REQUIREMENT, KT_K_OPAQUE },
	{ CKA_OTP_COUNTER_REQUIREMENT, KT_K_OPAQUE },
	{ CKA_OTP_PIN_REQUIREMENT, KT_K_OPAQUE },
	{ CKA_OTP_COUNTER, KT_K_OPAQUE },
	{ CKA_OTP_TIME, KT_K_OPAQUE },
	{ CKA_OTP_USER_IDENTIFIER, KT_K_OPAQUE },
	{ CKA_OTP_SERVICE_IDENTIFIER, KT_K_OPAQUE },
	{ CKA_OTP_SERVICE_LOGO, KT_K_OPAQUE },
	{ CKA_OTP_SERVICE_LOGO_TYPE, KT_K_OPAQUE },
	{ CKA_GOSTR3410_PARAMS, KT_K_OPAQUE },
	{ CKA_GOSTR3411_PARAMS, KT_K_OPAQUE },
	{ CKA_GOST28147_PARAMS, KT_K_OPAQUE },
	{ CKA_HW_FEATURE_TYPE, KT_K_OPAQUE },
	{ CKA_RESET_ON_INIT, KT_K_OPAQUE },
	{ CKA_HAS_RESET, KT_K_OPAQUE },
	{ CKA_PIXEL_X, KT_K_OPAQUE },
	{ CKA_PIXEL_Y, KT_K_OPAQUE },
	{ CKA_RESOLUTION, KT_K_OPAQUE },
	{ CKA_CHAR_ROWS, KT_K_OPAQUE },
	{ CKA_CHAR_COLUMNS, KT_K_OPAQUE },
	{ CKA_COLOR, KT_K_OPAQUE },
	{ CKA_BITS_PER_PIXEL, KT_K_OPAQUE },
	{ CKA_CHAR_SETS, KT_K_OPAQUE },
	{ CKA_ENCODING_METHODS, KT_K_OPAQUE },
	{ CKA_MIME_TYPES, KT_K_OPAQUE },
	{ CKA_MECHANISM_TYPE, KT_K_OPAQUE },
	{ CKA_REQUIRED_CMS_ATTRIBUTES, KT_K_OPAQUE },
	{ CKA_DEFAULT_CMS_ATTRIBUTES, KT_K_OPAQUE },
	{ CKA_SUPPORTED_CMS_ATTRIBUTES, KT_K_OPAQUE },
	{ CKA_ALLOWED_MECHANISMS, KT_K_MECHS },
	{ CKA_PROFILE_ID, KT_K_OPAQUE },
	/* curr 3.0: X2RATCHET keys */
	{ CKA_X2RATCHET_BAG, KT_K_OPAQUE },
	{ CKA_X2RATCHET_BAGSIZE, KT_K_OPAQUE },
	{ CKA_X2RATCHET_BOBS1STMSG, KT_K_OPAQUE },
	{ CKA_X2RATCHET_CKR, KT_K_OPAQUE },
	{ CKA_X2RATCHET_CKS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_DHP, KT_K_OPAQUE },
	{ CKA_X2RATCHET_DHR, KT_K_OPAQUE },
	{ CKA_X2RATCHET_DHS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_HKR, KT_K_OPAQUE },
	{ CKA_X2RATCHET_HKS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_ISALICE, KT_K_OPAQUE },
	{ CKA_X2RATCHET_NHKR, KT_K_OPAQUE },
	{ CKA_X2RATCHET_NHKS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_NR, KT_K_OPAQUE },
	{ CKA_X2RATCHET_NS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_PNS, KT_K_OPAQUE },
	{ CKA_X2RATCHET_RK, KT_K_OPAQUE },
};

const kt_atype *kt_atype_find(CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < N(kt_atypes); i++)
		if (kt_atypes[i].type == t)
			return &kt_atypes[i];
	return NULL;
}

/* ---- value checks ---- */

static CK_RV ulong_of(const uint8_t *v, CK_ULONG len, CK_ULONG *out)
{
	if (len != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, v, sizeof(*out));
	return CKR_OK;
}

static CK_RV check_date(const uint8_t *v, CK_ULONG len)
{
	unsigned month, day;
	CK_ULONG i;

	if (len == 0)
		return CKR_OK;
	if (len != sizeof(CK_DATE))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	for (i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return CKR_ATTRIBUTE_VALUE_INVALID;
	month = (unsigned)(v[4] - '0') * 10 + (unsigned)(v[5] - '0');
	day = (unsigned)(v[6] - '0') * 10 + (unsigned)(v[7] - '0');
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

static CK_RV kind_bool(const uint8_t *v, CK_ULONG len)
{
	if (len != sizeof(CK_BBOOL) || (v[0] != CK_FALSE && v[0] != CK_TRUE))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

static CK_RV kind_ulong(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return len == sizeof(CK_ULONG) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV kind_bigint(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return len != 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV kind_template(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return len % sizeof(CK_ATTRIBUTE) == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV kind_mechs(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return len % sizeof(CK_MECHANISM_TYPE) == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

/* Indexed by enum kt_kind; NULL: anything goes.  KT_K_TEMPLATE's inner
 * entries are checked by attr_template.c. */
static const kt_check_fn kt_kind_checks[] = {
	[KT_K_OPAQUE] = NULL,
	[KT_K_BOOL] = kind_bool,
	[KT_K_ULONG] = kind_ulong,
	[KT_K_BYTES] = NULL,
	[KT_K_BIGINT] = kind_bigint,
	[KT_K_DATE] = check_date,
	[KT_K_TEMPLATE] = kind_template,
	[KT_K_MECHS] = kind_mechs,
};

CK_RV kt_kind_check(uint8_t kind, const uint8_t *v, CK_ULONG len)
{
	if (kind >= N(kt_kind_checks) || kt_kind_checks[kind] == NULL)
		return CKR_OK;
	return kt_kind_checks[kind](v, len);
}

static CK_RV check_nonempty(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return len == 0 ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
}

static CK_RV check_positive(const uint8_t *v, CK_ULONG len)
{
	CK_ULONG x = 0;
	CK_RV rv = ulong_of(v, len, &x);

	if (rv == CKR_OK && x == 0)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	return rv;
}

/* 0..3: CK_CERTIFICATE_CATEGORY_* and CK_SECURITY_DOMAIN_* both end at 3. */
static CK_RV check_upto3(const uint8_t *v, CK_ULONG len)
{
	CK_ULONG x = 0;
	CK_RV rv = ulong_of(v, len, &x);

	if (rv == CKR_OK && x > 3)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	return rv;
}

static int aes_len_ok(CK_ULONG n)
{
	return n == 16 || n == 24 || n == 32;
}

static CK_RV check_aes_value(const uint8_t *v, CK_ULONG len)
{
	(void)v;
	return aes_len_ok(len) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV check_aes_value_len(const uint8_t *v, CK_ULONG len)
{
	CK_ULONG x = 0;
	CK_RV rv = ulong_of(v, len, &x);

	if (rv == CKR_OK && !aes_len_ok(x))
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	return rv;
}

/* One DER TLV spanning exactly the value (definite length, <= 4 length
 * bytes, low tag numbers).  Enough to reject what is not DER at all. */
static CK_RV check_der(const uint8_t *v, CK_ULONG len)
{
	CK_ULONG hdr = 2, body = 0, i, nlen;

	if (len < 2 || (v[0] & 0x1f) == 0x1f)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (v[1] < 0x80) {
		body = v[1];
	} else {
		nlen = v[1] & 0x7f;
		if (nlen == 0 || nlen > 4 || len < 2 + nlen)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		for (i = 0; i < nlen; i++)
			body = (body << 8) | v[2 + i];
		hdr += nlen;
	}
	return body == len - hdr ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV check_der_opt(const uint8_t *v, CK_ULONG len)
{
	return len == 0 ? CKR_OK : check_der(v, len);
}

/* ---- the tables ---- */

#define R(t, f, d)        { (t), (f), (d), 0, NULL }
#define RV(t, f, d, v)    { (t), (f), (d), (v), NULL }
#define RC(t, f, d, c)    { (t), (f), (d), 0, (c) }
#define LAYER(name, arr)  static const kt_layer name = { arr, N(arr) }

/* base 4.2 + 4.4 + 4.4.1: every storage object.  CKA_CLASS is
 * handled by kt_template_make itself; here it is read-only afterwards. */
static const kt_arule r_storage[] = {
	R(CKA_CLASS, 0, KT_D_NONE),
	R(CKA_TOKEN, KT_FCOPY, KT_D_FALSE),
	R(CKA_PRIVATE, KT_FCOPY, KT_D_PRIVATE),
	R(CKA_MODIFIABLE, KT_FCOPY, KT_D_TRUE),
	R(CKA_LABEL, KT_F8, KT_D_EMPTY),
	R(CKA_COPYABLE, KT_F12, KT_D_TRUE),       /* "Can't be set to TRUE once it is set to FALSE" */
	R(CKA_DESTROYABLE, KT_FCOPY, KT_D_TRUE),
	R(CKA_UNIQUE_ID, KT_F2 | KT_F4 | KT_F6, KT_D_NONE),
};
LAYER(l_storage, r_storage);

/* base 4.5: data objects. */
static const kt_arule r_data[] = {
	R(CKA_APPLICATION, 0, KT_D_EMPTY),
	RC(CKA_OBJECT_ID, 0, KT_D_EMPTY, check_der_opt),
	R(CKA_VALUE, 0, KT_D_EMPTY),
};
LAYER(l_data, r_data);

/* base 4.6: common certificate attributes. */
static const kt_arule r_cert[] = {
	R(CKA_CERTIFICATE_TYPE, KT_F1, KT_D_NONE),
	R(CKA_TRUSTED, KT_F10, KT_D_FALSE),
	RC(CKA_CERTIFICATE_CATEGORY, 0, KT_D_ULONG, check_upto3),
	R(CKA_CHECK_VALUE, 0, KT_D_NONE),
	R(CKA_START_DATE, 0, KT_D_EMPTY),
	R(CKA_END_DATE, 0, KT_D_EMPTY),
	R(CKA_PUBLIC_KEY_INFO, 0, KT_D_EMPTY),
};
LAYER(l_cert, r_cert);

/* base 4.6, X.509 public key certificate objects.  "Only the CKA_ID,
 * CKA_ISSUER, and CKA_SERIAL_NUMBER attributes may be modified after the object is
 * created."  CKA_VALUE / CKA_URL / hashes: see x509_finish. */
static const kt_arule r_x509[] = {
	R(CKA_SUBJECT, KT_F1, KT_D_NONE),
	R(CKA_ID, KT_F8, KT_D_EMPTY),
	R(CKA_ISSUER, KT_F8, KT_D_EMPTY),
	R(CKA_SERIAL_NUMBER, KT_F8, KT_D_EMPTY),
	R(CKA_VALUE, KT_F1, KT_D_NONE),
	R(CKA_URL, 0, KT_D_EMPTY),
	R(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, 0, KT_D_EMPTY),
	R(CKA_HASH_OF_ISSUER_PUBLIC_KEY, 0, KT_D_EMPTY),
	RC(CKA_JAVA_MIDP_SECURITY_DOMAIN, 0, KT_D_ULONG, check_upto3),
	RV(CKA_NAME_HASH_ALGORITHM, 0, KT_D_ULONG, CKM_SHA_1),
};
LAYER(l_x509, r_x509);

/* base 4.7: every key.  CKA_KEY_TYPE: handled by make. */
static const kt_arule r_key[] = {
	R(CKA_KEY_TYPE, KT_F1 | KT_F5, KT_D_NONE),
	R(CKA_ID, KT_F8, KT_D_EMPTY),
	R(CKA_START_DATE, KT_F8, KT_D_EMPTY),
	R(CKA_END_DATE, KT_F8, KT_D_EMPTY),
	R(CKA_DERIVE, KT_F8, KT_D_FALSE),
	R(CKA_LOCAL, KT_F2 | KT_F4 | KT_F6, KT_D_FALSE),
	RV(CKA_KEY_GEN_MECHANISM, KT_F2 | KT_F4 | KT_F6, KT_D_ULONG, CK_UNAVAILABLE_INFORMATION),
	R(CKA_ALLOWED_MECHANISMS, 0, KT_D_EMPTY),
};
LAYER(l_key, r_key);

/* base 4.8: public keys.  Usage defaults: footnote 9
 * (token-specific): CK_TRUE. */
static const kt_arule r_pub[] = {
	R(CKA_SUBJECT, KT_F8, KT_D_EMPTY),
	R(CKA_ENCRYPT, KT_F8, KT_D_TRUE),
	R(CKA_VERIFY, KT_F8, KT_D_TRUE),
	R(CKA_VERIFY_RECOVER, KT_F8, KT_D_TRUE),
	R(CKA_WRAP, KT_F8, KT_D_TRUE),
	R(CKA_TRUSTED, KT_F10, KT_D_FALSE),
	R(CKA_WRAP_TEMPLATE, 0, KT_D_EMPTY),
	R(CKA_PUBLIC_KEY_INFO, 0, KT_D_EMPTY),
};
LAYER(l_pub, r_pub);

/* base 4.9: private keys. */
static const kt_arule r_priv[] = {
	R(CKA_SUBJECT, KT_F8, KT_D_EMPTY),
	R(CKA_SENSITIVE, KT_F8 | KT_F11, KT_D_FALSE),
	R(CKA_DECRYPT, KT_F8, KT_D_TRUE),
	R(CKA_SIGN, KT_F8, KT_D_TRUE),
	R(CKA_SIGN_RECOVER, KT_F8, KT_D_TRUE),
	R(CKA_UNWRAP, KT_F8, KT_D_TRUE),
	R(CKA_EXTRACTABLE, KT_F8 | KT_F12, KT_D_TRUE),
	R(CKA_ALWAYS_SENSITIVE, KT_F2 | KT_F4 | KT_F6, KT_D_FALSE),
	R(CKA_NEVER_EXTRACTABLE, KT_F2 | KT_F4 | KT_F6, KT_D_FALSE),
	R(CKA_WRAP_WITH_TRUSTED, KT_F11, KT_D_FALSE),
	R(CKA_UNWRAP_TEMPLATE, 0, KT_D_EMPTY),
	R(CKA_DERIVE_TEMPLATE, 0, KT_D_EMPTY),
	R(CKA_ALWAYS_AUTHENTICATE, 0, KT_D_FALSE),
	R(CKA_PUBLIC_KEY_INFO, KT_F8, KT_D_EMPTY),
};
LAYER(l_priv, r_priv);

/* base 4.10: secret keys.  CKA_CHECK_VALUE: computed / verified
 * by the module (a template value is kept for it to compare). */
static const kt_arule r_secret[] = {
	R(CKA_SENSITIVE, KT_F8 | KT_F11, KT_D_FALSE),
	R(CKA_ENCRYPT, KT_F8, KT_D_TRUE),
	R(CKA_DECRYPT, KT_F8, KT_D_TRUE),
	R(CKA_SIGN, KT_F8, KT_D_TRUE),
	R(CKA_VERIFY, KT_F8, KT_D_TRUE),
	R(CKA_WRAP, KT_F8, KT_D_TRUE),
	R(CKA_UNWRAP, KT_F8, KT_D_TRUE),
	R(CKA_EXTRACTABLE, KT_F8 | KT_F12, KT_D_TRUE),
	R(CKA_ALWAYS_SENSITIVE, KT_F2 | KT_F4 | KT_F6, KT_D_FALSE),
	R(CKA_NEVER_EXTRACTABLE, KT_F2 | KT_F4 | KT_F6, KT_D_FALSE),
	R(CKA_CHECK_VALUE, 0, KT_D_NONE),
	R(CKA_WRAP_WITH_TRUSTED, KT_F11, KT_D_FALSE),
	R(CKA_TRUSTED, KT_F10, KT_D_FALSE),
	R(CKA_WRAP_TEMPLATE, 0, KT_D_EMPTY),
	R(CKA_UNWRAP_TEMPLATE, 0, KT_D_EMPTY),
	R(CKA_DERIVE_TEMPLATE, 0, KT_D_EMPTY),
};
LAYER(l_secret, r_secret);

/* curr: RSA public key objects. */
static const kt_arule r_rsa_pub[] = {
	R(CKA_MODULUS, KT_F1 | KT_F4, KT_D_NONE),
	RC(CKA_MODULUS_BITS, KT_F2 | KT_F3, KT_D_NONE, check_positive),
	R(CKA_PUBLIC_EXPONENT, KT_F1, KT_D_NONE),
};
LAYER(l_rsa_pub, r_rsa_pub);

/* curr: RSA private key objects. */
static const kt_arule r_rsa_priv[] = {
	R(CKA_MODULUS, KT_F1 | KT_F4 | KT_F6, KT_D_NONE),
	R(CKA_PUBLIC_EXPONENT, KT_F4 | KT_F6, KT_D_NONE),
	R(CKA_PRIVATE_EXPONENT, KT_F1 | KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
	R(CKA_PRIME_1, KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
	R(CKA_PRIME_2, KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
	R(CKA_EXPONENT_1, KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
	R(CKA_EXPONENT_2, KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
	R(CKA_COEFFICIENT, KT_F4 | KT_F6 | KT_F7, KT_D_NONE),
};
LAYER(l_rsa_priv, r_rsa_priv);

/* curr: EC, Edwards and Montgomery public key objects (same table). */
static const kt_arule r_ec_pub[] = {
	RC(CKA_EC_PARAMS, KT_F1 | KT_F3, KT_D_NONE, check_der),
	RC(CKA_EC_POINT, KT_F1 | KT_F4, KT_D_NONE, check_nonempty),
};
LAYER(l_ec_pub, r_ec_pub);

/* curr: EC, Edwards and Montgomery private key objects (same table). */
static const kt_arule r_ec_priv[] = {
	RC(CKA_EC_PARAMS, KT_F1 | KT_F4 | KT_F6, KT_D_NONE, check_der),
	RC(CKA_VALUE, KT_F1 | KT_F4 | KT_F6 | KT_F7, KT_D_NONE, check_nonempty),
};
LAYER(l_ec_priv, r_ec_priv);

/* curr: AES secret key objects: VALUE 1,4,6,7, VALUE_LEN 2,3,6. */
static const kt_arule r_aes[] = {
	RC(CKA_VALUE, KT_F1 | KT_F4 | KT_F6 | KT_F7, KT_D_NONE, check_aes_value),
	RC(CKA_VALUE_LEN, KT_F2 | KT_F3 | KT_F6, KT_D_NONE, check_aes_value_len),
};
LAYER(l_aes, r_aes);

/* curr generic secret (and the HMAC / HKDF key types, same table):
 * VALUE 1,4,6,7, VALUE_LEN 2,3. */
static const kt_arule r_generic[] = {
	RC(CKA_VALUE, KT_F1 | KT_F4 | KT_F6 | KT_F7, KT_D_NONE, check_nonempty),
	RC(CKA_VALUE_LEN, KT_F2 | KT_F3, KT_D_NONE, check_positive),
};
LAYER(l_generic, r_generic);

/* ---- token-computed attributes and cross-attribute rules ---- */

static CK_RV secret_finish(kt_attrs *out, kt_make how)
{
	const kt_attr *v = kt_attrs_find(out, CKA_VALUE);
	CK_RV rv = CKR_OK;

	if (how == KT_MAKE_CREATE && v != NULL)
		rv = kt_attrs_put_ulong(out, CKA_VALUE_LEN, v->len);
	return rv;
}

static CK_RV rsa_pub_finish(kt_attrs *out, kt_make how)
{
	const kt_attr *m = kt_attrs_find(out, CKA_MODULUS);
	CK_ULONG i = 0, bits = 0;
	uint8_t top;
	CK_RV rv = CKR_OK;

	if (how != KT_MAKE_CREATE || m == NULL)
		return CKR_OK;
	while (i < m->len && m->val[i] == 0)
		i++;
	if (i < m->len) {
		bits = (m->len - i - 1) * 8;
		for (top = m->val[i]; top != 0; top >>= 1)
			bits++;
	}
	if (bits == 0)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else
		rv = kt_attrs_put_ulong(out, CKA_MODULUS_BITS, bits);
	return rv;
}

/* Token requirement (4.1.1 item 5, last example): the CRT set is all or none. */
static CK_RV rsa_priv_finish(kt_attrs *out, kt_make how)
{
	static const CK_ATTRIBUTE_TYPE crt[] = {
		CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
	};
	size_t i, have = 0;

	(void)how;
	for (i = 0; i < N(crt); i++)
		have += kt_attrs_find(out, crt[i]) != NULL;
	return (have == 0 || have == N(crt)) ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
}

/* base 4.6, X.509 table footnotes: CKA_VALUE "must be non-empty if CKA_URL is
 * empty"; the hashes "can only be empty if CKA_URL is empty". */
static CK_RV x509_finish(kt_attrs *out, kt_make how)
{
	const kt_attr *v = kt_attrs_find(out, CKA_VALUE), *u = kt_attrs_find(out, CKA_URL);
	const kt_attr *hs = kt_attrs_find(out, CKA_HASH_OF_SUBJECT_PUBLIC_KEY);
	const kt_attr *hi = kt_attrs_find(out, CKA_HASH_OF_ISSUER_PUBLIC_KEY);
	int url = u != NULL && u->len != 0;
	CK_RV rv = CKR_OK;

	(void)how;
	if (!url && (v == NULL || v->len == 0))
		rv = CKR_TEMPLATE_INCOMPLETE;
	else if (url && (hs == NULL || hs->len == 0 || hi == NULL || hi->len == 0))
		rv = CKR_TEMPLATE_INCOMPLETE;
	return rv;
}

/* ---- the object kinds this token supports ---- */

#define KEYP(c, k, l1, l2, fin) { (c), (k), { &l_storage, &l_key, (l1), (l2) }, (fin) }

static const kt_profile kt_profiles[] = {
	{ CKO_DATA, KT_SUB_NONE, { &l_storage, &l_data, NULL, NULL }, NULL },
	{ CKO_CERTIFICATE, CKC_X_509, { &l_storage, &l_cert, &l_x509, NULL }, x509_finish },
	KEYP(CKO_PUBLIC_KEY, CKK_RSA, &l_pub, &l_rsa_pub, rsa_pub_finish),
	KEYP(CKO_PUBLIC_KEY, CKK_EC, &l_pub, &l_ec_pub, NULL),
	KEYP(CKO_PUBLIC_KEY, CKK_EC_EDWARDS, &l_pub, &l_ec_pub, NULL),
	KEYP(CKO_PUBLIC_KEY, CKK_EC_MONTGOMERY, &l_pub, &l_ec_pub, NULL),
	KEYP(CKO_PRIVATE_KEY, CKK_RSA, &l_priv, &l_rsa_priv, rsa_priv_finish),
	KEYP(CKO_PRIVATE_KEY, CKK_EC, &l_priv, &l_ec_priv, NULL),
	KEYP(CKO_PRIVATE_KEY, CKK_EC_EDWARDS, &l_priv, &l_ec_priv, NULL),
	KEYP(CKO_PRIVATE_KEY, CKK_EC_MONTGOMERY, &l_priv, &l_ec_priv, NULL),
	KEYP(CKO_SECRET_KEY, CKK_AES, &l_secret, &l_aes, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_GENERIC_SECRET, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_SHA_1_HMAC, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_SHA224_HMAC, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_SHA256_HMAC, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_SHA384_HMAC, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_SHA512_HMAC, &l_secret, &l_generic, secret_finish),
	KEYP(CKO_SECRET_KEY, CKK_HKDF, &l_secret, &l_generic, secret_finish),
};

/* Which attribute names the sub-type of a class. */
static const struct {
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE_TYPE attr;
} kt_subattrs[] = {
	{ CKO_CERTIFICATE, CKA_CERTIFICATE_TYPE },
	{ CKO_PUBLIC_KEY, CKA_KEY_TYPE },
	{ CKO_PRIVATE_KEY, CKA_KEY_TYPE },
	{ CKO_SECRET_KEY, CKA_KEY_TYPE },
};

CK_ATTRIBUTE_TYPE kt_class_subattr(CK_OBJECT_CLASS cls)
{
	size_t i;

	for (i = 0; i < N(kt_subattrs); i++)
		if (kt_subattrs[i].cls == cls)
			return kt_subattrs[i].attr;
	return KT_SUB_NONE;
}

int kt_class_known(CK_OBJECT_CLASS cls)
{
	size_t i;

	for (i = 0; i < N(kt_profiles); i++)
		if (kt_profiles[i].cls == cls)
			return 1;
	return 0;
}

int kt_sub_known(CK_OBJECT_CLASS cls, CK_ULONG sub)
{
	CK_ATTRIBUTE_TYPE family = kt_class_subattr(cls);
	size_t i;

	for (i = 0; i < N(kt_profiles); i++)
		if (kt_profiles[i].sub == sub && kt_class_subattr(kt_profiles[i].cls) == family)
			return 1;
	return 0;
}

const kt_profile *kt_profile_find(CK_OBJECT_CLASS cls, CK_ULONG sub)
{
	size_t i;

	if (kt_class_subattr(cls) == KT_SUB_NONE)
		sub = KT_SUB_NONE;
	for (i = 0; i < N(kt_profiles); i++)
		if (kt_profiles[i].cls == cls && kt_profiles[i].sub == sub)
			return &kt_profiles[i];
	return NULL;
}

const kt_profile *kt_profile_of(const kt_attrs *obj)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(obj, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_ATTRIBUTE_TYPE sa = kt_class_subattr(cls);
	CK_ULONG sub = KT_SUB_NONE;

	if (sa != KT_SUB_NONE)
		sub = kt_attrs_ulong(obj, sa, CK_UNAVAILABLE_INFORMATION);
	return kt_profile_find(cls, sub);
}

const kt_arule *kt_profile_rule(const kt_profile *p, CK_ATTRIBUTE_TYPE t)
{
	size_t l, i;

	for (l = 0; l < KT_MAX_LAYERS && p->layers[l] != NULL; l++)
		for (i = 0; i < p->layers[l]->n; i++)
			if (p->layers[l]->v[i].type == t)
				return &p->layers[l]->v[i];
	return NULL;
}

int kt_attr_is_secret(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t)
{
	const kt_arule *r;
	size_t i;

	for (i = 0; i < N(kt_profiles); i++) {
		if (kt_profiles[i].cls != cls)
			continue;
		r = kt_profile_rule(&kt_profiles[i], t);
		if (r != NULL && (r->flags & KT_F7))
			return 1;
	}
	return 0;
}

int kt_attr_is_template(CK_ATTRIBUTE_TYPE t)
{
	const kt_atype *a = kt_atype_find(t);

	return a != NULL && a->kind == KT_K_TEMPLATE;
}
