/* profdrop: record profiles, and read and show those profdropd writes. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "profdrop.h"
#include "cli.h"

static int	cmd_help_exec(int, char **);

/* help is the table's own command: it reads the table. */
static const struct cmd_entry cmd_help_entry = {
	"help", "[command]", "say what the commands do", cmd_help_exec
};

static const struct cmd_entry *const cmd_table[] = {
	&cmd_check_entry,
	&cmd_collapse_entry,
	&cmd_diff_entry,
	&cmd_flamegraph_entry,
	&cmd_help_entry,
	&cmd_merge_entry,
	&cmd_query_entry,
	&cmd_record_entry,
	&cmd_top_entry,
	NULL
};

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return (cmd_table[i]);
	}
	return (NULL);
}

/* Say how to use a command, on stderr; the exit status of a usage error. */
static int
cmd_help_exec(int argc, char **argv)
{
	const struct cmd_entry	*cmd;
	size_t			 i;

	if (argc > 2)
		return (cmd_usage(&cmd_help_entry));
	if (argc == 2) {
		if ((cmd = cmd_find(argv[1])) == NULL) {
			fprintf(stderr, "profdrop: unknown command: %s\n",
			    argv[1]);
			return (2);
		}
		printf("usage: profdrop %s %s\n%s\n", cmd->name, cmd->usage,
		    cmd->summary);
		return (0);
	}
	for (i = 0; cmd_table[i] != NULL; i++)
		printf("profdrop %s %s\n\t%s\n", cmd_table[i]->name,
		    cmd_table[i]->usage, cmd_table[i]->summary);
	return (0);
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: profdrop [--version] command [argument ...]\n"
	    "commands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*cmd;

	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("profdrop %s\n", PACKAGE_VERSION);
		return (0);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return (0);
	}
	if ((cmd = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "profdrop: unknown command: %s\n", argv[1]);
		usage(stderr);
		return (2);
	}
	/* So that getopt's messages say whose option is wrong. */
	argv[1] = alloc_printf("profdrop %s", cmd->name);
	return (cmd->exec(argc - 1, argv + 1));
}
