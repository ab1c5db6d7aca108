/* cmd_tpm.h - the TPM commands of the kerntok tool (cmd_tpm.c,
 * cmd_tpm_status.c): seal, unseal, unlock, lock, status. */
#ifndef KT_CMD_TPM_H
#define KT_CMD_TPM_H

#include <stddef.h>
#include <stdint.h>

int cmd_seal(int argc, char **argv);
int cmd_unseal(int argc, char **argv);
int cmd_unlock(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* "sha256:0,2,4,7" <-> bank (bits: 1, 256, 384, 512) + PCR mask */
bool tpm_pcrs_parse(const char *s, uint16_t *bank, uint32_t *mask);
void tpm_pcrs_str(char *buf, size_t n, uint32_t bank, uint32_t mask);
/* "so, user, boot" (or "none") */
void tpm_copies_str(char *buf, size_t n, uint32_t copies);

#endif
