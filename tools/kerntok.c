/* kerntok.c - the kerntok command: manage tokens in kernel keyrings.
 *
 * One table of commands, as keyutils keyctl.c commands[] and wireguard-tools
 * subcommands[]; each command parses its own options and has --help.
 */
#include <string.h>
#include "cli.h"
#include "cmd_tpm.h"

int cmd_bench(int argc, char **argv);   /* cmd_bench.c */

static const struct cmd cmds[] = {
	{ "init",         cmd_init,         "initialize a token in the free slot" },
	{ "list",         cmd_list,         "list tokens and their objects (keyctl view)" },
	{ "info",         cmd_info,         "store, keyrings, PIN counters, key quota, crypto engine" },
	{ "delete-token", cmd_delete_token, "remove a token: its keyring and its directory" },
	{ "bench",        cmd_bench,        "measure PKCS#11 operations (kerntok, other modules, OpenSSL)" },
	{ "status",       cmd_status,       "protection (tpm/software), sealed copies, locked/unlocked" },
	{ "seal",         cmd_seal,         "seal a token's storage key to the TPM; --boot: boot copy" },
	{ "unseal",       cmd_unseal,       "back to software protection; --boot: drop the boot copy" },
	{ "unlock",       cmd_unlock,       "boot copy -> keyring: C_Login with a NULL PIN works" },
	{ "lock",         cmd_lock,         "remove the unlock key: PINs needed again" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: kerntok <command> [options]\n\nCommands:\n", f);
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\nRun 'kerntok <command> --help' for a command's options.\n"
	      "Store: $KERNTOK_DIR (default /var/lib/kerntok for root, else\n"
	      "$XDG_DATA_HOME/kerntok).\n", f);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
