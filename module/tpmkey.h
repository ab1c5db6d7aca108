/* tpmkey.h - the module's TPM side.
 *
 * A TPM-protected token (kt_meta.protection == KT_PROT_TPM) keeps no
 * software wrap of its storage key: token.meta holds zeros there, and the
 * key lives in blobs sealed to the TPM under its SRK, in the token directory:
 *
 *   tpm.so    auth = PBKDF2(SO PIN, salt_so)      (kt_pin_kek)
 *   tpm.user  auth = PBKDF2(user PIN, salt_user)
 *   tpm.boot  empty auth, PCR policy: opened by `kerntok unlock` at boot
 *
 * Wrong auth counts toward the TPM's dictionary-attack (DA) lockout as well
 * as toward kerntok's own counter.  The salts of a TPM token never change
 * (a PIN change rewrites one blob file, atomically), so token.meta and the
 * blobs cannot disagree after a crash.
 *
 * Unlock: the boot copy's storage key goes into the uid's persistent keyring
 * as user key "kt:unlock:<uuid hex>" (possessor+user read, nothing for other
 * uids); while it is there C_Login(CKU_USER, NULL_PTR, 0) logs in with it
 * and the token reports CKF_PROTECTED_AUTHENTICATION_PATH.  Every storage
 * key from the TPM or the keyring must open token.meta's check value.
 *
 * TPM access: one tp_ctx per operation, opened and closed under one process
 * lock (a tp_ctx is single-threaded, tp_open may setenv, and a simulator
 * serves one client at a time, so nothing is held between calls).
 * kt_tpm_rv() is the one place a tp_* error becomes a CK_RV.
 */
#ifndef KT_TPMKEY_H
#define KT_TPMKEY_H

#include "kt.h"
#include "tpm/tp.h"

#define KT_TPM_SO_FILE   "tpm.so"
#define KT_TPM_USER_FILE "tpm.user"
#define KT_TPM_BOOT_FILE "tpm.boot"

/* KERNTOK_TCTI: "none" -> software; "device:...", "swtpm:...", "tabrmd",
 * any tctildr string -> that TPM; unset -> device:/dev/tpmrm0 when this
 * process may open it, else software.  NULL means software.
 * kt_tpm_tcti_new() decides for C_InitToken; kt_tpm_tcti() is the TPM of
 * existing TPM tokens (unset: always device:/dev/tpmrm0). */
const char *kt_tpm_tcti_new(void);
const char *kt_tpm_tcti(void);

/* -errno from tp_* (or reading a blob) -> CK_RV, logged with the TPM's own
 * words (tp_last_error of ctx, may be NULL):
 *   -EACCES wrong auth      -> CKR_PIN_INCORRECT (the caller counts it)
 *   -EBUSY  DA lockout      -> CKR_PIN_LOCKED
 *   -EPERM  PCRs differ     -> CKR_FUNCTION_REJECTED (boot copy only)
 *   -EINVAL blob damaged or from another TPM, -ENODEV no TPM, -ENOKEY no
 *   SRK, -ENOENT blob file missing, others -> CKR_DEVICE_ERROR
 *   -EAGAIN TPM out of slots -> CKR_DEVICE_MEMORY; -ENOMEM -> CKR_HOST_MEMORY */
CK_RV kt_tpm_rv(int r, const tp_ctx *ctx, const char *what);

/* Seal `sk` to the TPM as copy (KT_COPY_SO/USER: auth from pin and m's salt;
 * KT_COPY_BOOT: pin NULL, empty auth, pcrs required) and write its file
 * into dirfd atomically. */
CK_RV kt_tpm_seal_copy(int dirfd, const kt_meta *m, int copy, const CK_UTF8CHAR *pin,
                       CK_ULONG n, const tp_pcrsel *pcrs, const uint8_t sk[KT_SK_LEN]);
/* Unseal a copy into *sk (secret memory, kt_secret_free); checks it
 * against m->check.  Boot copy: on CKR_FUNCTION_REJECTED *mismatch (may be
 * NULL) gets the PCRs (bit i = PCR i) whose values changed. */
CK_RV kt_tpm_open_copy(int dirfd, const kt_meta *m, int copy, const CK_UTF8CHAR *pin,
                       CK_ULONG n, uint8_t **sk, uint32_t *mismatch);
void  kt_tpm_drop_copies(int dirfd, unsigned copies);     /* unlink their files */

/* token.meta's check value: a constant sealed under the storage key */
int  kt_sk_check_make(kt_meta *m, const uint8_t sk[KT_SK_LEN]);
bool kt_sk_check_ok(const kt_meta *m, const uint8_t sk[KT_SK_LEN]);

/* ---- the unlock key in the uid's persistent keyring ---- */
bool  kt_unlocked(const uint8_t uuid[16]);
/* CKR_ARGUMENTS_BAD: not unlocked (a NULL PIN is only valid with a protected
 * path); CKR_PIN_INCORRECT: the key there does not open this token. */
CK_RV kt_unlock_read(const kt_meta *m, uint8_t **sk);
int   kt_unlock_remove(const uint8_t uuid[16]);           /* -ENOKEY: was not unlocked */

/* ---- management, for the kerntok tool ---- */
/* Software -> TPM (needs so, and user when the user PIN is set), or for a
 * TPM token: re-seal the copies whose PIN is given.  *sealed: KT_COPY_*. */
CK_RV kt_tpm_protect(CK_SLOT_ID slot, const CK_UTF8CHAR *so, CK_ULONG so_n,
                     const CK_UTF8CHAR *user, CK_ULONG user_n, unsigned *sealed);
/* TPM -> software: both PINs (user when set); removes the tpm.* files and
 * the unlock key. */
CK_RV kt_tpm_unprotect(CK_SLOT_ID slot, const CK_UTF8CHAR *so, CK_ULONG so_n,
                       const CK_UTF8CHAR *user, CK_ULONG user_n);
/* Add (or re-bind) the boot copy, sealed to the current values of pcrs;
 * the storage key comes from the given PIN (so: SO PIN). */
CK_RV kt_tpm_boot_seal(CK_SLOT_ID slot, bool so, const CK_UTF8CHAR *pin, CK_ULONG n,
                       const tp_pcrsel *pcrs);
CK_RV kt_tpm_boot_drop(CK_SLOT_ID slot);                  /* and lock */
/* Boot copy -> unlock key (timeout 0: none).  CKR_FUNCTION_REJECTED with
 * *mismatch set: PCRs changed; CKR_KEY_NEEDED: the token has no boot copy. */
CK_RV kt_tpm_unlock(CK_SLOT_ID slot, unsigned timeout, kr_serial *key, uint32_t *mismatch);
CK_RV kt_tpm_lock(CK_SLOT_ID slot, bool *was_unlocked);

typedef struct {
	uint8_t  uuid[16];
	uint32_t protection, copies, files;   /* files: KT_COPY_* whose file exists */
	uint32_t boot_pcr_bank, boot_pcr_mask;
	uint32_t user_fails, so_fails, max_tries;
	bool     user_pin_set, unlocked;
	kr_serial unlock_key;
} kt_tpm_status;
CK_RV kt_tpm_token_status(CK_SLOT_ID slot, kt_tpm_status *st);
/* The TPM's dictionary-attack state; err gets tp_last_error on failure. */
CK_RV kt_tpm_da_info(uint32_t *counter, uint32_t *max, int *lockout, char *err, size_t errlen);

/* login.c, for the management calls: check a PIN exactly as C_Login does
 * (counted; TPM or software) while the caller holds the token directory
 * lock; and the software wrap of the storage key under a PIN. */
CK_RV kt_pin_open_inlock(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, uint8_t **sk);
int   kt_pin_wrap(kt_meta *m, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, const uint8_t *sk);

#endif
