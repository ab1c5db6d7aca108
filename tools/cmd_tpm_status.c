/* cmd_tpm_status.c - kerntok status: per token, how its storage key is
 * protected, which copies are sealed (and to which PCRs), locked or
 * unlocked, the PIN counters; and the TPM's dictionary-attack state. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "cmd_tpm.h"
#include "kt.h"
#include "tpmkey.h"

static const char usage_text[] =
	"Usage: kerntok status [--token L] [--json]\n"
	"Per token: protection (tpm or software), the sealed copies of its storage\n"
	"key and the boot copy's PCR policy, locked or unlocked, PIN counters; then\n"
	"the TPM (KERNTOK_TCTI) and its dictionary-attack counter.\n"
	"  --token L   only this token\n"
	"  --json      one JSON document\n";

typedef struct {
	p11_token t;
	kt_tpm_status st;
} row;

typedef struct {
	const char *tcti_new, *tcti;
	bool asked, ok;
	uint32_t counter, max;
	int lockout;
	char err[128];
} tpm_info;

static void hex16(char out[33], const uint8_t *p)
{
	cli_hex(out, p, 16);
}

static void print_text(const row *r, size_t n, const tpm_info *ti)
{
	char buf[96], uuid[33];
	size_t i;

	for (i = 0; i < n; i++) {
		const kt_tpm_status *s = &r[i].st;
		printf("token \"");
		cli_put_safe(stdout, r[i].t.label, strlen(r[i].t.label));
		hex16(uuid, s->uuid);
		printf("\" (slot %lu, uuid %s)\n", r[i].t.slot, uuid);
		printf("  protection: %s\n", s->protection == KT_PROT_TPM ? "tpm" : "software");
		if (s->protection == KT_PROT_TPM) {
			tpm_copies_str(buf, sizeof buf, s->copies);
			printf("  sealed:     %s\n", buf);
			if (s->copies & KT_COPY_BOOT) {
				tpm_pcrs_str(buf, sizeof buf, s->boot_pcr_bank, s->boot_pcr_mask);
				printf("  boot copy:  PCR policy %s, no PIN\n", buf);
			}
			if ((s->copies & s->files) != s->copies) {
				tpm_copies_str(buf, sizeof buf, s->copies & ~s->files);
				printf("  missing:    %s (tpm.* file gone: that login fails)\n", buf);
			}
			if (s->unlocked)
				printf("  unlocked:   yes (key %d in the persistent keyring): "
				       "C_Login takes a NULL PIN\n", s->unlock_key);
			else
				printf("  unlocked:   no\n");
		}
		printf("  wrong PINs: user %u/%u, SO %u/%u%s\n", s->user_fails, s->max_tries,
		       s->so_fails, s->max_tries, s->user_pin_set ? "" : " (no user PIN set)");
	}
	if (n == 0)
		printf("no tokens\n");
	printf("new tokens: %s\n", ti->tcti_new ? "tpm" : "software (KERNTOK_TCTI=none or no "
	                                         "usable /dev/tpmrm0)");
	if (!ti->asked)
		return;
	printf("tpm:        %s", ti->tcti ? ti->tcti : "none");
	if (ti->ok)
		printf(", dictionary-attack counter %u/%u%s\n", ti->counter, ti->max,
		       ti->lockout ? ", LOCKED OUT: PIN logins fail until it recovers" : "");
	else
		printf(", unreachable (%s)\n", ti->err);
}

static void print_json(const row *r, size_t n, const tpm_info *ti)
{
	static const struct { uint32_t bit; const char *name; } copies[] = {
		{ KT_COPY_SO, "so" }, { KT_COPY_USER, "user" }, { KT_COPY_BOOT, "boot" },
	};
	char buf[96], uuid[33];
	json_w j;
	size_t i, k;

	json_begin(&j, stdout);
	json_obj(&j, NULL);
	json_arr(&j, "tokens");
	for (i = 0; i < n; i++) {
		const kt_tpm_status *s = &r[i].st;
		json_obj(&j, NULL);
		json_num(&j, "slot", r[i].t.slot);
		json_str(&j, "label", r[i].t.label);
		hex16(uuid, s->uuid);
		json_str(&j, "uuid", uuid);
		json_str(&j, "protection", s->protection == KT_PROT_TPM ? "tpm" : "software");
		json_arr(&j, "sealed");
		for (k = 0; k < sizeof copies / sizeof copies[0]; k++)
			if (s->copies & copies[k].bit)
				json_str(&j, NULL, copies[k].name);
		json_end_arr(&j);
		json_arr(&j, "missing");
		for (k = 0; k < sizeof copies / sizeof copies[0]; k++)
			if ((s->copies & copies[k].bit) && !(s->files & copies[k].bit))
				json_str(&j, NULL, copies[k].name);
		json_end_arr(&j);
		if (s->copies & KT_COPY_BOOT) {
			tpm_pcrs_str(buf, sizeof buf, s->boot_pcr_bank, s->boot_pcr_mask);
			json_str(&j, "boot_pcrs", buf);
		} else {
			json_null(&j, "boot_pcrs");
		}
		json_bool(&j, "unlocked", s->unlocked);
		if (s->unlocked)
			json_num(&j, "unlock_key", (unsigned long long)s->unlock_key);
		else
			json_null(&j, "unlock_key");
		json_bool(&j, "user_pin_set", s->user_pin_set);
		json_obj(&j, "pin_counters");
		json_num(&j, "user_fails", s->user_fails);
		json_num(&j, "so_fails", s->so_fails);
		json_num(&j, "max_tries", s->max_tries);
		json_end_obj(&j);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_str(&j, "new_tokens", ti->tcti_new ? "tpm" : "software");
	if (ti->asked) {
		json_obj(&j, "tpm");
		json_str(&j, "tcti", ti->tcti);
		json_bool(&j, "reachable", ti->ok);
		if (ti->ok) {
			json_num(&j, "da_counter", ti->counter);
			json_num(&j, "da_max_tries", ti->max);
			json_bool(&j, "lockout", ti->lockout != 0);
		} else {
			json_str(&j, "error", ti->err);
		}
		json_end_obj(&j);
	} else {
		json_null(&j, "tpm");
	}
	json_end_obj(&j);
	json_finish(&j);
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "token", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	_cleanup_(freep) p11_token *toks = NULL;
	_cleanup_(freep) row *rows = NULL;
	const char *label = NULL;
	tpm_info ti = { 0 };
	bool json = false, any_tpm = false;
	size_t n = 0, k = 0, i;
	CK_SLOT_ID fs;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': label = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return cli_usage("status", NULL);
		}
	}
	if (optind < argc)
		return cli_usage("status", "unexpected argument");
	r = p11_start();
	if (r != 0)
		return r;
	r = p11_tokens(&toks, &n, &fs);
	if (r == 0 && (rows = calloc(n + 1, sizeof *rows)) == NULL)
		r = 1;
	if (r == 0 && label != NULL) {
		r = p11_find(label, &rows[0].t);
		n = r == 0 ? 1 : 0;
		if (r == 0)
			toks[0] = rows[0].t;
	}
	for (i = 0; r == 0 && i < n; i++) {
		CK_RV rv = kt_tpm_token_status(toks[i].slot, &rows[k].st);
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID)
			continue;                   /* deleted meanwhile */
		if (rv != CKR_OK)
			r = cli_rv(rv, "token status");
		rows[k].t = toks[i];
		any_tpm |= rows[k].st.protection == KT_PROT_TPM;
		k++;
	}
	ti.tcti_new = kt_tpm_tcti_new();
	ti.tcti = kt_tpm_tcti();
	/* a simulator serves one client at a time: only ask when it matters */
	ti.asked = ti.tcti != NULL && (any_tpm || ti.tcti_new != NULL);
	if (ti.asked)
		ti.ok = kt_tpm_da_info(&ti.counter, &ti.max, &ti.lockout, ti.err, sizeof ti.err) == CKR_OK;
	if (r == 0 && json)
		print_json(rows, k, &ti);
	else if (r == 0)
		print_text(rows, k, &ti);
	p11_stop();
	return r;
}
