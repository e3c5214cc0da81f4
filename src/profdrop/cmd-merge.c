/* profdrop merge: profiles of one type summed into one. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "profdrop.h"
#include "cli.h"

static int	cmd_merge_exec(int, char **);

const struct cmd_entry cmd_merge_entry = {
	"merge", "-o output file ...",
	"sum profiles of the same sample types into one",
	cmd_merge_exec
};

static int
cmd_merge_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct mergeout		*mo;
	struct pd_profile	*p;
	const char		*out = NULL;
	char			*cause;
	int			 ch, i;

	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		default:
			return (cmd_usage(&cmd_merge_entry));
		}
	}
	if (out == NULL || optind == argc)
		return (cmd_usage(&cmd_merge_entry));

	mo = mergeout_new();
	for (i = optind; i < argc; i++) {
		if (pd_profile_read_file(argv[i], 0, &p, &cause) != 0 ||
		    mergeout_add(mo, p, argv[i], &cause) != 0)
			goto fail;
	}
	if (mergeout_write(mo, out, &cause) != 0)
		goto fail;
	mergeout_free(mo);
	return (0);

fail:
	fprintf(stderr, "profdrop merge: %s\n", cause);
	free(cause);
	mergeout_free(mo);
	return (1);
}
