/* cmd_tpm.c - kerntok seal / unseal / unlock / lock: move a token between
 * software and TPM protection, add or drop its boot copy, and put its
 * storage key into (or take it out of) the uid's persistent keyring.
 * The work is the module's (module/tpmkey.c); this file asks for PINs,
 * picks the token and says what happened. */
#include <ctype.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "cmd_tpm.h"
#include "kt.h"
#include "tpmkey.h"

#define DEFAULT_PCRS "sha256:7"

static const char seal_usage[] =
	"Usage: kerntok seal --token L [--so-pin P | --so-pin-file F] [--pin U | --pin-file F]\n"
	"       kerntok seal --token L --boot [--pcrs BANK:N,N...] (--pin U | --pin-file F |\n"
	"                                                         --so-pin P | --so-pin-file F)\n"
	"Seal the token's storage key to the TPM (KERNTOK_TCTI; default /dev/tpmrm0).\n"
	"A software token becomes a TPM token: one copy sealed under the SO PIN, one\n"
	"under the user PIN, and token.meta keeps no software wrap.  This needs both\n"
	"PINs (only the SO PIN while no user PIN is set).  For a TPM token, the copies\n"
	"whose PIN is given are sealed afresh.\n"
	"  --boot           add (or re-bind) the boot copy: sealed to the current values\n"
	"                   of --pcrs, with no PIN; `kerntok unlock` opens it at boot.\n"
	"                   Any one PIN proves the right to do so.\n"
	"  --pcrs B:N,...   PCR bank and indexes, e.g. sha256:0,2,4,7 or sha256:0-7\n"
	"                   (banks sha1, sha256, sha384, sha512; default " DEFAULT_PCRS ")\n"
	"  --token L        the token's label\n"
	"  --so-pin P, --so-pin-file F, --pin U, --pin-file F\n"
	"                   the PINs ('-' as file: stdin); asked for on a terminal\n";

static const char unseal_usage[] =
	"Usage: kerntok unseal --token L [--so-pin P | --so-pin-file F] [--pin U | --pin-file F]\n"
	"       kerntok unseal --token L --boot\n"
	"Make a TPM token a software token again: the storage key is wrapped under\n"
	"each PIN in token.meta (both PINs are needed, the user PIN only when set),\n"
	"the tpm.* blobs are removed and the token is locked.\n"
	"  --boot           only remove the boot copy (no PIN needed), and lock\n"
	"  --token L, --so-pin P, --so-pin-file F, --pin U, --pin-file F  as for seal\n";

static const char unlock_usage[] =
	"Usage: kerntok unlock --token L [--timeout SECONDS]\n"
	"Open the token's boot copy (sealed by `kerntok seal --boot`) and put its\n"
	"storage key into this uid's persistent keyring as user key\n"
	"kt:unlock:<token uuid> (readable by this uid only).  Until `kerntok lock`,\n"
	"processes of this uid log in with C_Login(CKU_USER, NULL_PTR, 0) and the\n"
	"token reports a protected authentication path.  Run at boot by\n"
	"kerntok-unlock@<label>.service.  When PCRs changed since the boot copy was\n"
	"sealed, nothing is unlocked and the differing PCRs are named; PINs still work.\n"
	"  --token L          the token's label\n"
	"  --timeout SECONDS  the key expires after that long (default: never)\n";

static const char lock_usage[] =
	"Usage: kerntok lock --token L\n"
	"Remove the token's unlock key: from now on C_Login needs a PIN again.\n"
	"Processes already logged in stay logged in.\n"
	"  --token L   the token's label\n";

struct tpm_opts {
	const char *token, *pcrs, *timeout;
	bool boot;
	pin_src so, user;
};

static void opts_free(struct tpm_opts *o)
{
	pin_free(o->so.value);
	pin_free(o->user.value);
	o->so.value = o->user.value = NULL;
}

/* 0 ok, -1 --help shown, else an exit code. */
static int parse(const char *cmd, const char *usage, int argc, char **argv, struct tpm_opts *o)
{
	static const struct option lo[] = {
		{ "token", required_argument, NULL, 't' },
		{ "so-pin", required_argument, NULL, 'S' },
		{ "so-pin-file", required_argument, NULL, 's' },
		{ "pin", required_argument, NULL, 'P' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "boot", no_argument, NULL, 'b' },
		{ "pcrs", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool pins = strcmp(cmd, "seal") == 0 || strcmp(cmd, "unseal") == 0;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (!pins && strchr("SsPpbr", c) != NULL && c != 0)
			return cli_usage(cmd, "unexpected option");
		if (strcmp(cmd, "unlock") != 0 && c == 'T')
			return cli_usage(cmd, "unexpected option");
		switch (c) {
		case 't': o->token = optarg; break;
		case 'S': pin_free(o->so.value); o->so.value = pin_take_arg(optarg); break;
		case 's': o->so.file = optarg; break;
		case 'P': pin_free(o->user.value); o->user.value = pin_take_arg(optarg); break;
		case 'p': o->user.file = optarg; break;
		case 'b': o->boot = true; break;
		case 'r': o->pcrs = optarg; break;
		case 'T': o->timeout = optarg; break;
		case 'h': fputs(usage, stdout); return -1;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument");
	if (o->token == NULL)
		return cli_usage(cmd, "--token is required");
	if (o->pcrs != NULL && !o->boot)
		return cli_usage(cmd, "--pcrs goes with --boot");
	if (strcmp(cmd, "unseal") == 0 && o->boot &&
	    (o->so.value || o->so.file || o->user.value || o->user.file))
		return cli_usage(cmd, "--boot needs no PIN");
	return 0;
}

/* ------------------------------------------------------------ PCR syntax */

static const struct { const char *name; uint16_t bits; } banks[] = {
	{ "sha1", 1 }, { "sha256", 256 }, { "sha384", 384 }, { "sha512", 512 },
};

bool tpm_pcrs_parse(const char *s, uint16_t *bank, uint32_t *mask)
{
	const char *colon = strchr(s, ':'), *p;
	unsigned long a, b;
	char *end;
	size_t i;

	*bank = 0;
	*mask = 0;
	if (colon == NULL)
		return false;
	for (i = 0; i < sizeof banks / sizeof banks[0]; i++)
		if (strlen(banks[i].name) == (size_t)(colon - s) &&
		    strncmp(s, banks[i].name, (size_t)(colon - s)) == 0)
			*bank = banks[i].bits;
	if (*bank == 0)
		return false;
	for (p = colon + 1;; p = end + 1) {
		if (!isdigit((unsigned char)*p))
			return false;
		a = b = strtoul(p, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return false;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > 23 || b > 23 || a > b)
			return false;
		for (; a <= b; a++)
			*mask |= 1u << a;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
	}
}

void tpm_pcrs_str(char *buf, size_t n, uint32_t bank, uint32_t mask)
{
	const char *name = "?";
	size_t i, k;
	int pcr;

	for (i = 0; i < sizeof banks / sizeof banks[0]; i++)
		if (banks[i].bits == bank)
			name = banks[i].name;
	k = (size_t)snprintf(buf, n, "%s:", name);
	for (pcr = 0; pcr < 24 && k < n; pcr++)
		if (mask & (1u << pcr))
			k += (size_t)snprintf(buf + k, n - k, "%s%d", buf[k - 1] == ':' ? "" : ",", pcr);
}

void tpm_copies_str(char *buf, size_t n, uint32_t copies)
{
	snprintf(buf, n, "%s%s%s%s", copies & KT_COPY_SO ? "so" : "",
	         (copies & KT_COPY_SO) && (copies & (KT_COPY_USER | KT_COPY_BOOT)) ? ", " : "",
	         copies & KT_COPY_USER ? (copies & KT_COPY_BOOT ? "user, " : "user") : "",
	         copies & KT_COPY_BOOT ? "boot" : "");
	if (copies == 0)
		snprintf(buf, n, "none");
}

/* ----------------------------------------------------------- the token */

static int find_token(const char *label, p11_token *t, kt_tpm_status *st)
{
	CK_RV rv;
	int r;

	r = p11_find(label, t);
	if (r != 0)
		return r;
	rv = kt_tpm_token_status(t->slot, st);
	return rv == CKR_OK ? 0 : cli_rv(rv, "token status");
}

static int get_pin(pin_src *src, const char *prompt, char **pin)
{
	return pin_get(src, prompt, false, pin);
}

static bool given(const pin_src *p)
{
	return p->value != NULL || p->file != NULL;
}

#define U(p) ((const CK_UTF8CHAR *)(p))
#define L(p) ((p) != NULL ? (CK_ULONG)strlen(p) : 0)

static int seal_boot(const p11_token *t, const kt_tpm_status *st, struct tpm_opts *o)
{
	_cleanup_(pin_freep) char *pin = NULL;
	char pcrs[96];
	tp_pcrsel sel;
	bool so = given(&o->so) && !given(&o->user);
	CK_RV rv;
	int r;

	if (!tpm_pcrs_parse(o->pcrs ? o->pcrs : DEFAULT_PCRS, &sel.hash_alg_bits, &sel.mask))
		return cli_usage("seal", "--pcrs wants BANK:N[,N|-N...], e.g. sha256:0,2,4,7");
	if (st->protection != KT_PROT_TPM) {
		cli_err("token \"%s\" is protected in software: `kerntok seal --token %s` first",
		        t->label, t->label);
		return 1;
	}
	r = get_pin(so ? &o->so : &o->user, so ? "SO PIN" : "User PIN", &pin);
	if (r != 0)
		return r;
	rv = kt_tpm_boot_seal(t->slot, so, U(pin), L(pin), &sel);
	if (rv != CKR_OK)
		return cli_rv(rv, "seal boot copy");
	tpm_pcrs_str(pcrs, sizeof pcrs, sel.hash_alg_bits, sel.mask);
	printf("token %s: boot copy sealed to the current values of %s (no PIN)\n"
	       "  `kerntok unlock --token %s` opens it while those PCRs keep their values\n",
	       t->label, pcrs, t->label);
	return 0;
}

/* After parse(): open the module, or free the options (PINs wiped) and fail. */
static int start(int r, struct tpm_opts *o)
{
	if (r == 0)
		r = p11_start();
	if (r != 0)
		opts_free(o);
	return r;
}

int cmd_seal(int argc, char **argv)
{
	struct tpm_opts o = { 0 };
	_cleanup_(pin_freep) char *so = NULL;
	_cleanup_(pin_freep) char *user = NULL;
	kt_tpm_status st;
	char copies[32];
	unsigned sealed = 0;
	p11_token t;
	CK_RV rv;
	int r;

	r = parse("seal", seal_usage, argc, argv, &o);
	r = start(r, &o);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = find_token(o.token, &t, &st);
	if (r == 0 && o.boot) {
		r = seal_boot(&t, &st, &o);
		goto out;
	}
	if (r == 0 && st.protection == KT_PROT_SOFTWARE) {
		/* every copy must be re-made: ask for what is missing */
		r = get_pin(&o.so, "SO PIN", &so);
		if (r == 0 && st.user_pin_set)
			r = get_pin(&o.user, "User PIN", &user);
	} else if (r == 0) {
		bool any = given(&o.so) || given(&o.user);
		if (given(&o.so) || (!any && isatty(STDIN_FILENO)))
			r = get_pin(&o.so, "SO PIN", &so);
		if (r == 0 && st.user_pin_set && (given(&o.user) || (!any && isatty(STDIN_FILENO))))
			r = get_pin(&o.user, "User PIN", &user);
		if (r == 0 && so == NULL && user == NULL)
			r = cli_usage("seal", "give the PIN(s) whose copies are to be re-sealed");
	}
	if (r != 0)
		goto out;
	rv = kt_tpm_protect(t.slot, U(so), L(so), U(user), L(user), &sealed);
	if (rv != CKR_OK) {
		r = cli_rv(rv, "seal");
		goto out;
	}
	tpm_copies_str(copies, sizeof copies, sealed);
	if (st.protection == KT_PROT_SOFTWARE) {
		printf("token %s: storage key sealed to the TPM (copies: %s); token.meta keeps no "
		       "software wrap\n", t.label, copies);
	} else {
		printf("token %s: re-sealed the %s cop%s", t.label, copies,
		       sealed == (KT_COPY_SO | KT_COPY_USER) ? "ies" : "y");
		if (st.user_pin_set && sealed != (KT_COPY_SO | KT_COPY_USER))
			printf(" (the %s copy is as it was)", sealed & KT_COPY_SO ? "user" : "SO");
		putchar('\n');
	}
out:
	opts_free(&o);
	p11_stop();
	return r;
}

int cmd_unseal(int argc, char **argv)
{
	struct tpm_opts o = { 0 };
	_cleanup_(pin_freep) char *so = NULL;
	_cleanup_(pin_freep) char *user = NULL;
	kt_tpm_status st;
	p11_token t;
	CK_RV rv;
	int r;

	r = parse("unseal", unseal_usage, argc, argv, &o);
	r = start(r, &o);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = find_token(o.token, &t, &st);
	if (r == 0 && o.boot) {
		rv = kt_tpm_boot_drop(t.slot);
		r = rv == CKR_OK ? 0 : cli_rv(rv, "unseal --boot");
		if (r == 0)
			printf("token %s: %s; locked\n", t.label, st.copies & KT_COPY_BOOT ?
			       "boot copy removed" : "had no boot copy");
		goto out;
	}
	if (r == 0 && st.protection != KT_PROT_TPM) {
		printf("token %s: protected in software already\n", t.label);
		goto out;
	}
	if (r == 0)
		r = get_pin(&o.so, "SO PIN", &so);
	if (r == 0 && st.user_pin_set)
		r = get_pin(&o.user, "User PIN", &user);
	if (r != 0)
		goto out;
	rv = kt_tpm_unprotect(t.slot, U(so), L(so), U(user), L(user));
	if (rv != CKR_OK) {
		r = cli_rv(rv, "unseal");
		goto out;
	}
	printf("token %s: storage key wrapped under the PINs in token.meta (protection software); "
	       "TPM copies removed\n", t.label);
out:
	opts_free(&o);
	p11_stop();
	return r;
}

int cmd_unlock(int argc, char **argv)
{
	struct tpm_opts o = { 0 };
	unsigned long timeout = 0;
	char pcrs[96], sealed[96];
	kt_tpm_status st;
	uint32_t mismatch = 0;
	kr_serial key = 0;
	p11_token t;
	CK_RV rv;
	int r;

	r = parse("unlock", unlock_usage, argc, argv, &o);
	if (r == 0 && o.timeout != NULL && (!cli_parse_uint(o.timeout, 0xffffffffUL, &timeout) ||
	                                    timeout == 0))
		r = cli_usage("unlock", "--timeout wants a number of seconds > 0");
	r = start(r, &o);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = find_token(o.token, &t, &st);
	if (r != 0)
		goto out;
	if (st.protection != KT_PROT_TPM || !(st.copies & KT_COPY_BOOT)) {
		cli_err("token \"%s\" has no boot copy: `kerntok seal --token %s --boot` makes one",
		        t.label, t.label);
		r = 1;
		goto out;
	}
	rv = kt_tpm_unlock(t.slot, (unsigned)timeout, &key, &mismatch);
	tpm_pcrs_str(sealed, sizeof sealed, st.boot_pcr_bank, st.boot_pcr_mask);
	if (rv == CKR_FUNCTION_REJECTED) {
		tpm_pcrs_str(pcrs, sizeof pcrs, st.boot_pcr_bank, mismatch);
		cli_err("unlock %s: refused by the TPM: PCR values changed since the boot copy was "
		        "sealed: %s (sealed to %s)", t.label, mismatch ? pcrs : "unknown", sealed);
		fprintf(stderr, "  Nothing was changed and the PINs still log in.  If the change was "
		        "intended (firmware, boot loader or kernel update), re-bind with\n"
		        "  kerntok seal --token %s --boot --pcrs %s\n", t.label, sealed);
		r = 1;
		goto out;
	}
	if (rv != CKR_OK) {
		r = cli_rv(rv, "unlock");
		goto out;
	}
	printf("token %s unlocked: key %d kt:unlock:", t.label, key);
	for (size_t i = 0; i < 16; i++)
		printf("%02x", st.uuid[i]);
	printf(" in the persistent keyring of uid %u", (unsigned)getuid());
	if (timeout > 0)
		printf(", expires in %lu s", timeout);
	printf("\n  C_Login(CKU_USER, NULL_PTR, 0) logs in until `kerntok lock --token %s`\n",
	       t.label);
out:
	p11_stop();
	return r;
}

int cmd_lock(int argc, char **argv)
{
	struct tpm_opts o = { 0 };
	kt_tpm_status st;
	bool was = false;
	p11_token t;
	CK_RV rv;
	int r;

	r = parse("lock", lock_usage, argc, argv, &o);
	r = start(r, &o);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = find_token(o.token, &t, &st);
	if (r == 0) {
		rv = kt_tpm_lock(t.slot, &was);
		r = rv == CKR_OK ? 0 : cli_rv(rv, "lock");
	}
	if (r == 0)
		printf("token %s %s\n", t.label, was ? "locked: its unlock key is gone"
		                                      : "was not unlocked");
	p11_stop();
	return r;
}
