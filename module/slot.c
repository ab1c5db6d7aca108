/* slot.c - CK_SLOT_INFO and CK_TOKEN_INFO, from the disk and the kernel.
 * The model says how the storage key is kept ("keyring+TPM" when sealed to
 * a TPM: "kernel keyring+TPM" does not fit the 16 bytes of the field); CKF_PROTECTED_AUTHENTICATION_PATH is set while the
 * token is unlocked (tpmkey.h): C_Login then takes a NULL PIN. */
#include <stdio.h>
#include <string.h>
#include "kt.h"
#include "tpmkey.h"

#define MODEL_SOFTWARE "kernel keyring"
#define MODEL_TPM      "keyring+TPM"

#define KT_VERSION_MAJOR 0
#define KT_VERSION_MINOR 1

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}

CK_RV kt_get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO *info)
{
	char d[64];

	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	snprintf(d, sizeof d, "kerntok slot %lu", slot);
	pad(info->slotDescription, sizeof info->slotDescription, d);
	pad(info->manufacturerID, sizeof info->manufacturerID, "kerntok");
	info->flags = CKF_TOKEN_PRESENT;
	info->hardwareVersion.major = KT_VERSION_MAJOR;
	info->hardwareVersion.minor = KT_VERSION_MINOR;
	info->firmwareVersion = info->hardwareVersion;
	return CKR_OK;
}

static CK_FLAGS pin_flags(uint32_t fails, uint32_t max, CK_FLAGS low, CK_FLAGS final, CK_FLAGS locked)
{
	if (fails >= max)
		return locked;
	if (fails + 1 == max)
		return final | (fails ? low : 0);
	return fails ? low : 0;
}

CK_RV kt_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
	kt_token *t = NULL;
	uint8_t uuid[16];
	kr_quota q;
	bool tpm;
	CK_RV rv;

	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	memset(info, 0, sizeof *info);
	pad(info->manufacturerID, sizeof info->manufacturerID, "kerntok");
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxPinLen = KT_PIN_MAX;
	info->ulMinPinLen = KT_PIN_MIN;
	info->hardwareVersion.major = KT_VERSION_MAJOR;
	info->hardwareVersion.minor = KT_VERSION_MINOR;
	info->firmwareVersion = info->hardwareVersion;
	info->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
	/* keyring quota is the token's memory: every object is a key */
	if (kr_quota_get(&q) == 0) {
		info->ulTotalPublicMemory = info->ulTotalPrivateMemory = q.maxbytes;
		info->ulFreePublicMemory = info->ulFreePrivateMemory =
			q.maxbytes > q.bytes ? q.maxbytes - q.bytes : 0;
	} else {
		info->ulTotalPublicMemory = info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
		info->ulFreePublicMemory = info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	}
	rv = kt_token_get(slot, &t);
	if (rv == CKR_TOKEN_NOT_RECOGNIZED) {
		/* the free slot: a token that is present but not initialized;
		 * the model says what C_InitToken would make */
		pad(info->model, sizeof info->model, kt_tpm_tcti_new() ? MODEL_TPM : MODEL_SOFTWARE);
		pad(info->label, sizeof info->label, "");
		pad(info->serialNumber, sizeof info->serialNumber, "");
		info->ulSessionCount = info->ulRwSessionCount = 0;
		return CKR_OK;
	}
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&t->meta_lock);
	tpm = t->meta.protection == KT_PROT_TPM;
	memcpy(uuid, t->meta.uuid, sizeof uuid);
	pad(info->model, sizeof info->model, tpm ? MODEL_TPM : MODEL_SOFTWARE);
	memcpy(info->label, t->meta.label, sizeof info->label);
	memcpy(info->serialNumber, t->meta.serial, sizeof info->serialNumber);
	info->flags |= CKF_TOKEN_INITIALIZED;
	if (t->meta.user_pin_set)
		info->flags |= CKF_USER_PIN_INITIALIZED;
	info->flags |= pin_flags(t->meta.user_fails, t->meta.max_tries, CKF_USER_PIN_COUNT_LOW,
	                         CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
	info->flags |= pin_flags(t->meta.so_fails, t->meta.max_tries, CKF_SO_PIN_COUNT_LOW,
	                         CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
	pthread_mutex_unlock(&t->meta_lock);
	if (tpm && kt_unlocked(uuid))
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	info->ulSessionCount = kt_session_count(slot, false);
	info->ulRwSessionCount = kt_session_count(slot, true);
	kt_token_put(t);
	return CKR_OK;
}
