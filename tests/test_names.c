/*
 * test_names.c - unit tests for module/names.c (PKCS #11 constant names).
 *
 * Stand-alone build:
 *   gcc -std=gnu11 -Wall -Wextra -Werror -Iinclude tests/test_names.c \
 *       module/names.c -lcunit -o /tmp/tn && /tmp/tn
 */
#include <CUnit/Basic.h>
#include <limits.h>
#include <string.h>

#include "../module/names.h"

#define ASSERT_NAME(got, want) \
    do { \
        const char *g_ = (got); \
        CU_ASSERT_PTR_NOT_NULL_FATAL(g_); \
        CU_ASSERT_STRING_EQUAL(g_, want); \
    } while (0)

static void test_tables_sorted(void)
{
    CU_ASSERT_EQUAL(kt_names_check_sorted(), 0);
}

static void test_rv(void)
{
    ASSERT_NAME(kt_name_rv(CKR_OK), "CKR_OK");
    ASSERT_NAME(kt_name_rv(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
    ASSERT_NAME(kt_name_rv(CKR_BUFFER_TOO_SMALL), "CKR_BUFFER_TOO_SMALL");
    ASSERT_NAME(kt_name_rv(0x1b8), "CKR_PIN_TOO_WEAK");
    ASSERT_NAME(kt_name_rv(CKR_ACTION_PROHIBITED), "CKR_ACTION_PROHIBITED");
    ASSERT_NAME(kt_name_rv(CKR_OPERATION_CANCEL_FAILED), "CKR_OPERATION_CANCEL_FAILED");
    ASSERT_NAME(kt_name_rv(CKR_VENDOR_DEFINED), "CKR_VENDOR_DEFINED");
    CU_ASSERT_PTR_NULL(kt_name_rv(0x4));               /* gap in the numbering */
    CU_ASSERT_PTR_NULL(kt_name_rv(0x1c0));             /* p11-kit's wrong value */
    CU_ASSERT_PTR_NULL(kt_name_rv(CKR_VENDOR_DEFINED + 1));
    CU_ASSERT_PTR_NULL(kt_name_rv(ULONG_MAX));
}

static void test_attr(void)
{
    ASSERT_NAME(kt_name_attr(CKA_CLASS), "CKA_CLASS");
    ASSERT_NAME(kt_name_attr(CKA_UNIQUE_ID), "CKA_UNIQUE_ID");
    ASSERT_NAME(kt_name_attr(CKA_VALUE_LEN), "CKA_VALUE_LEN");
    ASSERT_NAME(kt_name_attr(CKA_ECDSA_PARAMS), "CKA_EC_PARAMS");     /* alias */
    ASSERT_NAME(kt_name_attr(CKA_SUB_PRIME_BITS), "CKA_SUBPRIME_BITS");
    ASSERT_NAME(kt_name_attr(CKA_WRAP_TEMPLATE), "CKA_WRAP_TEMPLATE");
    ASSERT_NAME(kt_name_attr(CKA_ALLOWED_MECHANISMS), "CKA_ALLOWED_MECHANISMS");
    ASSERT_NAME(kt_name_attr(CKA_PROFILE_ID), "CKA_PROFILE_ID");
    CU_ASSERT_PTR_NULL(kt_name_attr(0x211));           /* needs CKF_ARRAY_ATTRIBUTE */
    CU_ASSERT_PTR_NULL(kt_name_attr(0x5));
    CU_ASSERT_PTR_NULL(kt_name_attr(CKA_VENDOR_DEFINED | 0x4b54));
}

static void test_mech(void)
{
    ASSERT_NAME(kt_name_mech(CKM_RSA_PKCS_KEY_PAIR_GEN), "CKM_RSA_PKCS_KEY_PAIR_GEN");
    ASSERT_NAME(kt_name_mech(CKM_SHA256), "CKM_SHA256");
    ASSERT_NAME(kt_name_mech(CKM_SHA256_RSA_PKCS_PSS), "CKM_SHA256_RSA_PKCS_PSS");
    ASSERT_NAME(kt_name_mech(CKM_AES_GCM), "CKM_AES_GCM");
    ASSERT_NAME(kt_name_mech(CKM_AES_KEY_WRAP_PAD), "CKM_AES_KEY_WRAP_PAD");
    ASSERT_NAME(kt_name_mech(CKM_EDDSA), "CKM_EDDSA");
    ASSERT_NAME(kt_name_mech(CKM_EC_MONTGOMERY_KEY_PAIR_GEN), "CKM_EC_MONTGOMERY_KEY_PAIR_GEN");
    ASSERT_NAME(kt_name_mech(CKM_HKDF_DERIVE), "CKM_HKDF_DERIVE");
    ASSERT_NAME(kt_name_mech(CKM_SP800_108_FEEDBACK_KDF), "CKM_SP800_108_FEEDBACK_KDF");
    ASSERT_NAME(kt_name_mech(CKM_SALSA20_KEY_GEN), "CKM_SALSA20_KEY_GEN");
    /* one value, several names: the current one wins */
    ASSERT_NAME(kt_name_mech(CKM_ECDSA_KEY_PAIR_GEN), "CKM_EC_KEY_PAIR_GEN");
    ASSERT_NAME(kt_name_mech(CKM_CAST5_CBC), "CKM_CAST128_CBC");
    ASSERT_NAME(kt_name_mech(CKM_VENDOR_DEFINED), "CKM_VENDOR_DEFINED");
    CU_ASSERT_PTR_NULL(kt_name_mech(0x17));
    CU_ASSERT_PTR_NULL(kt_name_mech(0x7fffffff));
    CU_ASSERT_PTR_NULL(kt_name_mech(CKM_VENDOR_DEFINED + 1));
    CU_ASSERT_PTR_NULL(kt_name_mech(ULONG_MAX));
}

static void test_class_keytype_user(void)
{
    ASSERT_NAME(kt_name_class(CKO_DATA), "CKO_DATA");
    ASSERT_NAME(kt_name_class(CKO_PRIVATE_KEY), "CKO_PRIVATE_KEY");
    ASSERT_NAME(kt_name_class(CKO_PROFILE), "CKO_PROFILE");
    ASSERT_NAME(kt_name_class(CKO_VENDOR_DEFINED), "CKO_VENDOR_DEFINED");
    CU_ASSERT_PTR_NULL(kt_name_class(10));

    ASSERT_NAME(kt_name_keytype(CKK_RSA), "CKK_RSA");
    ASSERT_NAME(kt_name_keytype(CKK_ECDSA), "CKK_EC");
    ASSERT_NAME(kt_name_keytype(CKK_AES), "CKK_AES");
    ASSERT_NAME(kt_name_keytype(CKK_EC_EDWARDS), "CKK_EC_EDWARDS");
    ASSERT_NAME(kt_name_keytype(CKK_HKDF), "CKK_HKDF");
    CU_ASSERT_PTR_NULL(kt_name_keytype(0x6));
    CU_ASSERT_PTR_NULL(kt_name_keytype(0x1000));

    ASSERT_NAME(kt_name_user(CKU_SO), "CKU_SO");
    ASSERT_NAME(kt_name_user(CKU_USER), "CKU_USER");
    ASSERT_NAME(kt_name_user(CKU_CONTEXT_SPECIFIC), "CKU_CONTEXT_SPECIFIC");
    CU_ASSERT_PTR_NULL(kt_name_user(3));
    CU_ASSERT_PTR_NULL(kt_name_user(ULONG_MAX));
}

static void test_mech_from_name(void)
{
    CK_MECHANISM_TYPE m;

    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("CKM_SHA256", &m), 0); CU_ASSERT_EQUAL(m, CKM_SHA256);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("SHA256", &m), 0); CU_ASSERT_EQUAL(m, CKM_SHA256);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("sha256", &m), 0); CU_ASSERT_EQUAL(m, CKM_SHA256);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("ckm_aes_gcm", &m), 0); CU_ASSERT_EQUAL(m, CKM_AES_GCM);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("EDDSA", &m), 0); CU_ASSERT_EQUAL(m, CKM_EDDSA);
    m = 1; CU_ASSERT_EQUAL(kt_mech_from_name("RSA_PKCS_KEY_PAIR_GEN", &m), 0);
    CU_ASSERT_EQUAL(m, CKM_RSA_PKCS_KEY_PAIR_GEN);
    /* deprecated aliases */
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("CKM_ECDSA_KEY_PAIR_GEN", &m), 0);
    CU_ASSERT_EQUAL(m, CKM_EC_KEY_PAIR_GEN);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("CAST5_CBC", &m), 0); CU_ASSERT_EQUAL(m, CKM_CAST128_CBC);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("CKM_SHA3_256_KEY_DERIVATION", &m), 0);
    CU_ASSERT_EQUAL(m, CKM_SHA3_256_KEY_DERIVE);
    /* numbers */
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("0x250", &m), 0); CU_ASSERT_EQUAL(m, CKM_SHA256);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("592", &m), 0); CU_ASSERT_EQUAL(m, CKM_SHA256);
    m = 0; CU_ASSERT_EQUAL(kt_mech_from_name("0x80000001", &m), 0); CU_ASSERT_EQUAL(m, 0x80000001UL);
    /* failures leave the output alone */
    m = 42;
    CU_ASSERT_EQUAL(kt_mech_from_name("CKM_NOPE", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("CKM_", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("CKM_SHA256 ", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("0x", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("12abc", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name("0x1ffffffffffffffff", &m), -1);
    CU_ASSERT_EQUAL(kt_mech_from_name(NULL, &m), -1);
    CU_ASSERT_EQUAL(m, 42);
    CU_ASSERT_EQUAL(kt_mech_from_name("SHA256", NULL), -1);
}

/* every named mechanism survives name -> value, with and without CKM_ */
static void test_mech_roundtrip(void)
{
    CK_MECHANISM_TYPE v, m;
    unsigned named = 0;

    for (v = 0; v < 0x5000; v++) {
        const char *name = kt_name_mech(v);

        if (name == NULL)
            continue;
        named++;
        CU_ASSERT_EQUAL(strncmp(name, "CKM_", 4), 0);
        m = ~v;
        CU_ASSERT_EQUAL(kt_mech_from_name(name, &m), 0);
        CU_ASSERT_EQUAL(m, v);
        m = ~v;
        CU_ASSERT_EQUAL(kt_mech_from_name(name + 4, &m), 0);
        CU_ASSERT_EQUAL(m, v);
    }
    CU_ASSERT(named >= 400);    /* 2.40 + 3.0 define over 400 */
}

/* the prefix of every name matches the kind of constant */
static void test_prefixes(void)
{
    CK_ULONG v;

    for (v = 0; v < 0x700; v++) {
        const char *n;

        if ((n = kt_name_rv(v)) != NULL)
            CU_ASSERT_EQUAL(strncmp(n, "CKR_", 4), 0);
        if ((n = kt_name_attr(v)) != NULL)
            CU_ASSERT_EQUAL(strncmp(n, "CKA_", 4), 0);
        if ((n = kt_name_class(v)) != NULL)
            CU_ASSERT_EQUAL(strncmp(n, "CKO_", 4), 0);
        if ((n = kt_name_keytype(v)) != NULL)
            CU_ASSERT_EQUAL(strncmp(n, "CKK_", 4), 0);
        if ((n = kt_name_user(v)) != NULL)
            CU_ASSERT_EQUAL(strncmp(n, "CKU_", 4), 0);
    }
}

int main(void)
{
    CU_pSuite suite;
    unsigned failures;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite("names", NULL, NULL);
    if (suite == NULL ||
        !CU_add_test(suite, "tables sorted", test_tables_sorted) ||
        !CU_add_test(suite, "return values", test_rv) ||
        !CU_add_test(suite, "attributes", test_attr) ||
        !CU_add_test(suite, "mechanisms", test_mech) ||
        !CU_add_test(suite, "classes, key types, users", test_class_keytype_user) ||
        !CU_add_test(suite, "mechanism from name", test_mech_from_name) ||
        !CU_add_test(suite, "mechanism round trip", test_mech_roundtrip) ||
        !CU_add_test(suite, "name prefixes", test_prefixes)) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
               CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
