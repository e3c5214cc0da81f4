/* A command's usage line, the exit status for a misused command. */

#include <stdio.h>

#include "cli.h"

int
cmd_usage(const struct cmd_entry *cmd)
{
	fprintf(stderr, "usage: profdrop %s %s\n", cmd->name, cmd->usage);
	return (2);
}
