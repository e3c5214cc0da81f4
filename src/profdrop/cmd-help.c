/* profdrop help [command]: what the commands do. */

#include <stdio.h>
#include <string.h>

#include "cli.h"

static int	cmd_help_exec(int, char **);

const struct cmd_entry cmd_help_entry = {
	"help", "[command]", "say what the commands do", cmd_help_exec
};

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
