/* cmd_init.c - kerntok init: C_InitToken in the free slot, then the user PIN. */
#include <getopt.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
	"Usage: kerntok init --label L [--so-pin P | --so-pin-file F]\n"
	"                    [--pin U | --pin-file F] [--max-tries N]\n"
	"Initialize a new token in the free slot and set its user PIN.\n"
	"  --label L        token label, 1..32 bytes, unique in the store\n"
	"  --so-pin P       security officer PIN (4..64 bytes)\n"
	"  --so-pin-file F  read the SO PIN from the first line of F ('-': stdin)\n"
	"  --pin U          user PIN (4..64 bytes)\n"
	"  --pin-file F     read the user PIN from the first line of F\n"
	"  --max-tries N    wrong PINs before lock-out (1..1000, default 10)\n"
	"Without PIN options, on a terminal, the PINs are asked for.\n";

struct init_opts {
	const char *label, *tries;
	pin_src so, user;
};

static void opts_free(struct init_opts *o)
{
	pin_free(o->so.value);
	pin_free(o->user.value);
}

static int parse(int argc, char **argv, struct init_opts *o)
{
	static const struct option lo[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "so-pin", required_argument, NULL, 'S' },
		{ "so-pin-file", required_argument, NULL, 's' },
		{ "pin", required_argument, NULL, 'P' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "max-tries", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long n;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o->label = optarg; break;
		case 'S': pin_free(o->so.value); o->so.value = pin_take_arg(optarg); break;
		case 's': o->so.file = optarg; break;
		case 'P': pin_free(o->user.value); o->user.value = pin_take_arg(optarg); break;
		case 'p': o->user.file = optarg; break;
		case 't': o->tries = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return cli_usage("init", NULL);
		}
	}
	if (optind < argc)
		return cli_usage("init", "unexpected argument");
	if (o->label == NULL || o->label[0] == '\0')
		return cli_usage("init", "--label is required");
	if (strlen(o->label) > 32)
		return cli_usage("init", "a label is at most 32 bytes");
	if (o->tries != NULL && (!cli_parse_uint(o->tries, 1000, &n) || n == 0))
		return cli_usage("init", "--max-tries wants a number 1..1000");
	return 0;
}

/* C_InitToken, then SO login and C_InitPIN in a RW session. */
static int init_token(CK_SLOT_ID slot, const struct init_opts *o, const char *so, const char *user)
{
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int r;

	memset(label, ' ', sizeof label);
	memcpy(label, o->label, strlen(o->label));
	if (o->tries != NULL && setenv("KERNTOK_PIN_TRIES", o->tries, 1) < 0)
		return 1;
	rv = C_InitToken(slot, (CK_UTF8CHAR *)so, (CK_ULONG)strlen(so), label);
	if (rv != CKR_OK)
		return cli_rv(rv, "C_InitToken");
	r = p11_session(slot, true, &s);
	if (r != 0)
		return r;
	r = p11_login(s, CKU_SO, so);
	if (r == 0) {
		rv = C_InitPIN(s, (CK_UTF8CHAR *)user, (CK_ULONG)strlen(user));
		r = rv == CKR_OK ? 0 : cli_rv(rv, "C_InitPIN");
		(void)C_Logout(s);
	}
	(void)C_CloseSession(s);
	return r;
}

int cmd_init(int argc, char **argv)
{
	struct init_opts o = { 0 };
	_cleanup_(pin_freep) char *so = NULL;
	_cleanup_(pin_freep) char *user = NULL;
	_cleanup_(freep) p11_token *toks = NULL;
	CK_SLOT_ID slot;
	size_t n, i;
	int r;

	r = parse(argc, argv, &o);
	if (r == 0)
		r = pin_get(&o.so, "SO PIN", true, &so);
	if (r == 0)
		r = pin_get(&o.user, "User PIN", true, &user);
	opts_free(&o);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = p11_start();
	if (r != 0)
		return r;
	r = p11_tokens(&toks, &n, &slot);
	for (i = 0; r == 0 && i < n; i++)
		if (strcmp(toks[i].label, o.label) == 0) {
			cli_err("a token labelled \"%s\" exists already (slot %lu)", o.label, toks[i].slot);
			r = 1;
		}
	if (r == 0 && slot == CK_UNAVAILABLE_INFORMATION) {
		cli_err("no free slot: the store is full");
		r = 1;
	}
	if (r == 0)
		r = init_token(slot, &o, so, user);
	if (r == 0)
		printf("token %s initialized in slot %lu\n", o.label, slot);
	p11_stop();
	return r;
}
