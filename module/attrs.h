/* attrs.h - object attributes: the container, its codec, and the PKCS #11
 * template rules (which attribute belongs to which class / key type, which
 * may be given at which call, which may change later, which are secret).
 *
 * Files: attrs.c (container + codec), attr_rules.c (the descriptor tables),
 * attr_template.c (make / copy / get / set / match), attr_rules.h (private
 * interface between those three).
 *
 * Spec references are to "PKCS #11 Cryptographic Token Interface Base
 * Specification Version 3.0" (base) and "... Current Mechanisms Specification
 * Version 3.0" (curr).
 */
#ifndef KT_ATTRS_H
#define KT_ATTRS_H

#include <stddef.h>
#include <stdint.h>
#include "pkcs11.h"

/* One attribute.  val is owned (NULL when len is 0).  Values are stored
 * exactly as PKCS #11 presents them to the application (CK_ULONG and CK_BBOOL
 * in host form), except:
 *   - attribute-array attributes (kind "template": CKA_WRAP_TEMPLATE,
 *     CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE) hold their nested template
 *     ENCODED with kt_attrs_encode (len 0 = empty template);
 *   - CKA_ALLOWED_MECHANISMS holds a CK_MECHANISM_TYPE array (it carries the
 *     CKF_ARRAY_ATTRIBUTE bit but is NOT an attribute array; len 0 = no
 *     restriction, every mechanism allowed). */
typedef struct { CK_ATTRIBUTE_TYPE type; CK_ULONG len; uint8_t *val; } kt_attr;
typedef struct { size_t n, cap; kt_attr *v; } kt_attrs;

void  kt_attrs_init(kt_attrs *a);
void  kt_attrs_free(kt_attrs *a);                 /* wipes every value; a is re-initialized */
const kt_attr *kt_attrs_find(const kt_attrs *a, CK_ATTRIBUTE_TYPE t);
/* add or replace (the old value is wiped); v may be NULL only when len is 0.
 * CKR_HOST_MEMORY, CKR_ARGUMENTS_BAD (v NULL with len > 0). */
CK_RV kt_attrs_put(kt_attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len);
CK_RV kt_attrs_put_bool(kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_BBOOL v);
CK_RV kt_attrs_put_ulong(kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v);
void  kt_attrs_del(kt_attrs *a, CK_ATTRIBUTE_TYPE t);   /* wipes; keeps the order of the rest */
/* dflt when absent or not of the right size */
CK_BBOOL kt_attrs_bool(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_BBOOL dflt);
CK_ULONG kt_attrs_ulong(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG dflt);
/* dst is initialized here (any previous content is NOT freed).  On error dst
 * is left empty.  CKR_HOST_MEMORY. */
CK_RV kt_attrs_copy(kt_attrs *dst, const kt_attrs *src);

/* ---- codec (keyring payloads, files, nested templates) ----
 * Layout, little-endian: "KTA" 0x01 | u32 count | count x (u64 type | u32 len | len bytes).
 * Attribute values themselves are opaque bytes (host-form CK_ULONGs: the blob
 * is for this machine).  encode writes the attributes for which keep(type) is
 * true (NULL keep = all), in container order; *out is malloc'ed and may hold
 * secrets: the caller wipes it (explicit_bzero) before free().
 * decode appends into a (initialized) and is strictly bounds-checked: bad
 * magic/version, truncated input, lengths past the end, trailing bytes, a
 * count above KT_ATTRS_MAX or beyond what the input can hold, duplicate types
 * (also against what a already holds), types that do not fit CK_ULONG, and
 * attribute-array values that are not themselves valid nested encodings all
 * give -EINVAL; -ENOMEM on allocation failure.  On error a is unchanged (what
 * was appended is wiped and dropped).  Plain ints: used below the PKCS #11
 * boundary by the object codec. */
#define KT_ATTRS_MAX 4096u
int kt_attrs_encode(const kt_attrs *a, int (*keep)(CK_ATTRIBUTE_TYPE), uint8_t **out, size_t *outlen);
int kt_attrs_decode(kt_attrs *a, const uint8_t *in, size_t len);

/* ---- rules ---- */
typedef enum { KT_MAKE_CREATE, KT_MAKE_GENERATE, KT_MAKE_UNWRAP, KT_MAKE_DERIVE, KT_MAKE_COPY } kt_make;
#define KT_FROM_TEMPLATE ((CK_ULONG)-1)

/* Validate an application template for a new object and build its full
 * attribute set in out (initialized here; left empty on error).
 *
 * cls / keytype: KT_FROM_TEMPLATE = take them from the template (CKA_CLASS
 * missing -> CKR_TEMPLATE_INCOMPLETE; CKA_KEY_TYPE missing on a key ->
 * CKR_TEMPLATE_INCOMPLETE; CKA_CERTIFICATE_TYPE missing on a certificate ->
 * CKR_TEMPLATE_INCOMPLETE).  Otherwise the value the mechanism implies; a
 * template value that differs -> CKR_TEMPLATE_INCONSISTENT (base, key
 * management functions, C_GenerateKey: "If it does supply a key type which is inconsistent with the
 * generation mechanism, C_GenerateKey fails and returns
 * CKR_TEMPLATE_INCONSISTENT.  The CKA_CLASS attribute is treated similarly").
 *
 * Error codes (base 4.1.1 "Creating objects", footnote table in 4.2):
 *   tmpl NULL with n > 0                                  CKR_ARGUMENTS_BAD
 *   pValue NULL with ulValueLen > 0                       CKR_ATTRIBUTE_VALUE_INVALID
 *   type not described by the spec (incl. vendor types)   CKR_ATTRIBUTE_TYPE_INVALID
 *   spec attribute that the class / key type does not
 *   have (4.1.1's own example), or that this token does
 *   not support                                           CKR_TEMPLATE_INCONSISTENT
 *   same type twice with different values                 CKR_TEMPLATE_INCONSISTENT (identical: accepted)
 *   read-only attribute, or one whose footnote (2/4/6)
 *   says "must not be specified" for this call            CKR_ATTRIBUTE_READ_ONLY (see attr_rules.c)
 *   CKA_TRUSTED = CK_TRUE without is_so (footnote 10)     CKR_ATTRIBUTE_READ_ONLY
 *   bad size / value (CK_BBOOL: exactly 1 byte, 0 or 1;
 *   CK_ULONG: sizeof(CK_ULONG); CK_DATE: empty or 8 ASCII
 *   digits with month 01-12 and day 01-31; unsupported
 *   class / key type / certificate type; AES key not
 *   16/24/32 bytes ...)                                   CKR_ATTRIBUTE_VALUE_INVALID
 *   required attribute missing (footnotes 1/3/5)          CKR_TEMPLATE_INCOMPLETE
 *
 * Defaults filled: CKA_TOKEN false; CKA_PRIVATE CK_TRUE for private and
 * secret keys, CK_FALSE for data, certificates and public keys (footnote 9:
 * token-specific); CKA_MODIFIABLE / COPYABLE / DESTROYABLE true; CKA_LABEL,
 * CKA_ID, CKA_SUBJECT, dates and other "default empty" attributes empty; key
 * usage flags for the class (encrypt/verify/verify-recover/wrap on public,
 * decrypt/sign/sign-recover/unwrap on private, all six on secret) CK_TRUE
 * (footnote 9: token-specific), CKA_DERIVE false, CKA_SENSITIVE false,
 * CKA_EXTRACTABLE true, CKA_WRAP_WITH_TRUSTED / TRUSTED /
 * ALWAYS_AUTHENTICATE false, CKA_ALLOWED_MECHANISMS empty (= all), templates
 * empty.  On every key: CKA_LOCAL false, CKA_KEY_GEN_MECHANISM
 * CK_UNAVAILABLE_INFORMATION and (private / secret) CKA_ALWAYS_SENSITIVE /
 * CKA_NEVER_EXTRACTABLE false: what base C_CreateObject and C_UnwrapKey
 * require; C_GenerateKey(Pair) / C_DeriveKey callers overwrite
 * them with kt_attrs_put afterwards.  For KT_MAKE_CREATE the token also
 * computes CKA_VALUE_LEN of secret keys and CKA_MODULUS_BITS of RSA public
 * keys from the key material.  NOT filled: CKA_UNIQUE_ID, CKA_CHECK_VALUE
 * (the module computes / verifies it: a template value is allowed and kept).
 *
 * KT_MAKE_DERIVE has no footnotes of its own; it is treated like GENERATE for
 * what must not be given (footnote 4: key material, CKA_LOCAL, ...), and
 * requires nothing beyond the key type (CKA_VALUE_LEN is the mechanism's
 * business).  KT_MAKE_COPY is not a template_make mode: use kt_template_copy
 * (CKR_ARGUMENTS_BAD). */
CK_RV kt_template_make(kt_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG n, kt_make how,
                       CK_OBJECT_CLASS cls, CK_KEY_TYPE keytype);
/* Same, for a caller that knows whether the SO is logged in (CKA_TRUSTED). */
CK_RV kt_template_make_ex(kt_attrs *out, const CK_ATTRIBUTE *tmpl, CK_ULONG n, kt_make how,
                          CK_OBJECT_CLASS cls, CK_KEY_TYPE keytype, int is_so);

/* C_CopyObject (base 4.1.3): out (initialized here) = src with the template's
 * changes, minus CKA_UNIQUE_ID (the module assigns a new one).
 *   src CKA_COPYABLE false                              CKR_ACTION_PROHIBITED
 *   changeable: CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_DESTROYABLE (base
 *   4.4), every footnote-8 attribute, CKA_COPYABLE only to false, SENSITIVE
 *   only false->true, EXTRACTABLE only true->false, WRAP_WITH_TRUSTED only
 *   false->true, CKA_TRUSTED only by the SO (kt_template_copy_ex); any other
 *   attribute of the object                             CKR_ATTRIBUTE_READ_ONLY
 *   attribute the object's class / key type lacks       CKR_TEMPLATE_INCONSISTENT
 *   other codes as kt_template_make.
 * CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE / CKA_LOCAL are copied from src. */
CK_RV kt_template_copy(kt_attrs *out, const kt_attrs *src, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV kt_template_copy_ex(kt_attrs *out, const kt_attrs *src, const CK_ATTRIBUTE *tmpl, CK_ULONG n, int is_so);

/* C_GetAttributeValue (base 5.7), for every entry, in the spec's order:
 *   1. cannot be revealed (kt_attr_hidden)      len = CK_UNAVAILABLE_INFORMATION  -> CKR_ATTRIBUTE_SENSITIVE
 *   2. the object does not have it              len = CK_UNAVAILABLE_INFORMATION  -> CKR_ATTRIBUTE_TYPE_INVALID
 *   3. pValue NULL                              len = exact length
 *   4. buffer big enough                        copied, len = exact length
 *   5. otherwise                                len = CK_UNAVAILABLE_INFORMATION  -> CKR_BUFFER_TOO_SMALL
 * Attribute arrays (CKA_WRAP/UNWRAP/DERIVE_TEMPLATE): the length is
 * count * sizeof(CK_ATTRIBUTE); with pValue set, the inner entries get their
 * type set and are filled with rules 3-5 (inner pValue NULL -> length).
 * Every entry is processed.  When several errors occur the result is, in
 * this order of precedence, CKR_ATTRIBUTE_SENSITIVE, then
 * CKR_ATTRIBUTE_TYPE_INVALID, then CKR_BUFFER_TOO_SMALL (the spec lets the
 * token return any of them).  CKR_OK only if every entry succeeded.
 * tmpl NULL with n > 0: CKR_ARGUMENTS_BAD; a corrupt stored template:
 * CKR_GENERAL_ERROR; CKR_HOST_MEMORY. */
CK_RV kt_attrs_get(const kt_attrs *obj, CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* C_SetAttributeValue (base 4.1.2, 5.7): checks every entry, then applies
 * them all; atomic: on any error obj is unchanged.
 *   object CKA_MODIFIABLE false                  CKR_ACTION_PROHIBITED
 *   footnote-8 attributes (and the storage CKA_LABEL, X.509 CKA_ID / ISSUER /
 *   SERIAL_NUMBER) change freely; SENSITIVE / WRAP_WITH_TRUSTED only to
 *   CK_TRUE, EXTRACTABLE / COPYABLE only to CK_FALSE (footnotes 11, 12);
 *   CKA_TRUSTED only when is_so (footnote 10); anything else, including
 *   CKA_TOKEN / CKA_PRIVATE / CKA_MODIFIABLE / CKA_DESTROYABLE (copy only),
 *   CKA_CLASS, key material, CKA_UNIQUE_ID ...  CKR_ATTRIBUTE_READ_ONLY
 *   attribute the object's class / key type lacks CKR_TEMPLATE_INCONSISTENT
 *   not a spec attribute                         CKR_ATTRIBUTE_TYPE_INVALID
 *   bad size / value                             CKR_ATTRIBUTE_VALUE_INVALID
 *   same type twice, different values            CKR_TEMPLATE_INCONSISTENT
 *   class without rules (e.g. CKO_PROFILE)       CKR_ACTION_PROHIBITED */
CK_RV kt_attrs_set(kt_attrs *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n, int is_so);

/* C_FindObjects: 1 when every template attribute is present on obj with
 * identical bytes (attribute arrays: the same set of inner attributes).
 * Attributes that kt_attr_hidden hides never match; an entry with pValue NULL
 * and ulValueLen > 0 never matches.  An empty template matches everything. */
int kt_attrs_match(const kt_attrs *obj, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* Same with a stored template on the right (CKA_WRAP_TEMPLATE checks etc.):
 * 1 when every attribute of tmpl is on obj with identical bytes. */
int kt_attrs_match_attrs(const kt_attrs *obj, const kt_attrs *tmpl);

/* Secret material (footnote 7; stored encrypted by the object codec): RSA
 * private exponent, primes, exponents, coefficient; EC / EdDSA / Montgomery
 * private CKA_VALUE; secret key CKA_VALUE. */
int kt_attr_is_secret(CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t);
/* 1 when C_GetAttributeValue must not reveal t of obj: t is secret for the
 * object's class and the object has CKA_SENSITIVE true or CKA_EXTRACTABLE
 * false (or lacks them). */
int kt_attr_hidden(const kt_attrs *obj, CK_ATTRIBUTE_TYPE t);
/* 1 for the attribute-array types (values are nested CK_ATTRIBUTE arrays). */
int kt_attr_is_template(CK_ATTRIBUTE_TYPE t);
/* Decode a stored attribute-array attribute of obj into out (initialized
 * here).  Absent or empty: out stays empty, CKR_OK.  CKR_GENERAL_ERROR if the
 * stored value is corrupt, CKR_HOST_MEMORY. */
CK_RV kt_attrs_get_template(const kt_attrs *obj, CK_ATTRIBUTE_TYPE t, kt_attrs *out);

#endif
