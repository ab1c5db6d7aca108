/* attr_rules.h - private interface between attr_rules.c (the descriptor
 * tables) and attrs.c / attr_template.c.  Not for the rest of the module:
 * use attrs.h. */
#ifndef KT_ATTR_RULES_H
#define KT_ATTR_RULES_H

#include <stdint.h>
#include "attrs.h"

/* How a value is represented (and so validated). */
enum kt_kind {
	KT_K_OPAQUE = 0,   /* a spec attribute this token never stores */
	KT_K_BOOL,         /* CK_BBOOL: exactly 1 byte, CK_FALSE or CK_TRUE */
	KT_K_ULONG,        /* CK_ULONG: exactly sizeof(CK_ULONG) */
	KT_K_BYTES,        /* byte array / RFC 2279 string: anything */
	KT_K_BIGINT,       /* big integer: at least one byte */
	KT_K_DATE,         /* CK_DATE: empty, or 8 ASCII digits YYYYMMDD */
	KT_K_TEMPLATE,     /* CK_ATTRIBUTE array; stored encoded */
	KT_K_MECHS,        /* CK_MECHANISM_TYPE array */
};

/* Extra value check: CKR_OK or CKR_ATTRIBUTE_VALUE_INVALID. */
typedef CK_RV (*kt_check_fn)(const uint8_t *v, CK_ULONG len);

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	uint8_t kind;                      /* enum kt_kind */
} kt_atype;

/* Footnotes of base 3.0 4.2 "Common footnotes for object attribute tables",
 * plus two flags of this token. */
#define KT_F1    0x0001u   /* must be specified at C_CreateObject */
#define KT_F2    0x0002u   /* must not be specified at C_CreateObject */
#define KT_F3    0x0004u   /* must be specified at C_GenerateKey(Pair) */
#define KT_F4    0x0008u   /* must not be specified at C_GenerateKey(Pair) (and C_DeriveKey) */
#define KT_F5    0x0010u   /* must be specified at C_UnwrapKey */
#define KT_F6    0x0020u   /* must not be specified at C_UnwrapKey */
#define KT_F7    0x0040u   /* cannot be revealed if SENSITIVE true or EXTRACTABLE false */
#define KT_F8    0x0080u   /* modifiable: C_SetAttributeValue and C_CopyObject */
#define KT_F10   0x0100u   /* only the SO may set it to CK_TRUE */
#define KT_F11   0x0200u   /* read-only once CK_TRUE (may only go false -> true) */
#define KT_F12   0x0400u   /* read-only once CK_FALSE (may only go true -> false) */
#define KT_FCOPY 0x0800u   /* changeable during C_CopyObject only (base 4.4) */

/* Default filled by kt_template_make when the template has no value. */
enum kt_dflt { KT_D_NONE = 0, KT_D_FALSE, KT_D_TRUE, KT_D_EMPTY, KT_D_ULONG, KT_D_PRIVATE };

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	uint16_t flags;                    /* KT_F* */
	uint8_t dflt;                      /* enum kt_dflt */
	CK_ULONG dval;                     /* KT_D_ULONG */
	kt_check_fn check;                 /* NULL: the kind's check only */
} kt_arule;

typedef struct {
	const kt_arule *v;
	size_t n;
} kt_layer;

/* Cross-attribute checks and token-computed attributes after a template was
 * applied (kt_template_make); CKR_OK or a template error. */
typedef CK_RV (*kt_finish_fn)(kt_attrs *out, kt_make how);

#define KT_MAX_LAYERS 4
#define KT_SUB_NONE   ((CK_ULONG)-1)     /* data objects have no sub-type */

/* One object kind: a class plus its key type / certificate type. */
typedef struct {
	CK_OBJECT_CLASS cls;
	CK_ULONG sub;
	const kt_layer *layers[KT_MAX_LAYERS];
	kt_finish_fn finish;
} kt_profile;

const kt_atype *kt_atype_find(CK_ATTRIBUTE_TYPE t);          /* NULL: not a spec attribute */
CK_ATTRIBUTE_TYPE kt_class_subattr(CK_OBJECT_CLASS cls);     /* CKA_KEY_TYPE / CKA_CERTIFICATE_TYPE / KT_SUB_NONE */
int kt_class_known(CK_OBJECT_CLASS cls);                     /* creatable by this token */
int kt_sub_known(CK_OBJECT_CLASS cls, CK_ULONG sub);         /* key type / cert type supported for some class of that family */
const kt_profile *kt_profile_find(CK_OBJECT_CLASS cls, CK_ULONG sub);
const kt_profile *kt_profile_of(const kt_attrs *obj);
const kt_arule *kt_profile_rule(const kt_profile *p, CK_ATTRIBUTE_TYPE t);
CK_RV kt_kind_check(uint8_t kind, const uint8_t *v, CK_ULONG len);

#endif
