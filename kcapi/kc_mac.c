/*
 * kc_mac.c - AES-CMAC (RFC 4493 / SP 800-38B).  A kc_mac is a kc_md of the
 * CMAC kind: the engine choice, key handling and state cloning are the
 * ones kc_md.c implements for HMAC, with kernel "cmac(aes)" and OpenSSL
 * EVP_MAC "CMAC" over AES-N-CBC.
 */
#include <errno.h>
#include "kc_priv.h"

int kc_mac_new(kc_mac **m, const uint8_t *key, size_t klen)
{
	return kc__md_new(m, KC_K_CMAC, 0, key, klen);
}

int kc_mac_update(kc_mac *m, const uint8_t *in, size_t n)
{
	return kc_md_update(m, in, n);
}

int kc_mac_final(kc_mac *m, uint8_t *out, size_t *outlen)
{
	return kc_md_final(m, out, outlen);
}

int kc_mac_dup(const kc_mac *m, kc_mac **copy)
{
	return kc_md_dup(m, copy);
}

void kc_mac_free(kc_mac *m)
{
	kc_md_free(m);
}
