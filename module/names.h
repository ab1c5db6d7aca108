/*
 * names.h - kerntok: symbolic names of PKCS #11 constants, for logging
 * and for the command line.
 *
 * The kt_name_*() functions return the name of a value as it is spelled
 * in include/pkcs11.h ("CKR_PIN_INCORRECT", "CKM_SHA256_RSA_PKCS_PSS",
 * ...), or NULL when the value has no name (vendor-defined or unknown);
 * callers then print the value in hex.  Where PKCS #11 has several names
 * for one value, the current (non-deprecated) one is returned, e.g.
 * CKK_EC rather than CKK_ECDSA.  The returned strings are static.
 *
 * All functions are thread-safe and never allocate.
 */
#ifndef KT_NAMES_H
#define KT_NAMES_H

#include "pkcs11.h"

const char *kt_name_rv(CK_RV rv);
const char *kt_name_attr(CK_ATTRIBUTE_TYPE type);
const char *kt_name_mech(CK_MECHANISM_TYPE mech);
const char *kt_name_class(CK_OBJECT_CLASS cls);
const char *kt_name_keytype(CK_KEY_TYPE type);
const char *kt_name_user(CK_USER_TYPE user);

/*
 * Looks up a mechanism by name, for the CLI.  Accepts the full name
 * ("CKM_SHA256") or the name without its prefix ("SHA256"), in any case,
 * deprecated aliases ("CKM_ECDSA_KEY_PAIR_GEN"), and a number in C
 * syntax ("0x250", "592", also for vendor mechanisms).
 * Returns 0 and stores the value in *mech on success; returns -1 and
 * leaves *mech alone when the name is unknown or an argument is NULL.
 */
int kt_mech_from_name(const char *name, CK_MECHANISM_TYPE *mech);

/*
 * Self-check of the lookup tables: returns 0 when every table is sorted
 * strictly ascending by value (which the binary searches rely on), else
 * the 1-based number of the first table that is not (rv, attr, mech,
 * class, keytype, user in that order).  Used by tests/test_names.c.
 */
int kt_names_check_sorted(void);

#endif /* KT_NAMES_H */
