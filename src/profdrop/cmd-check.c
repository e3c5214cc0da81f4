/*
 * profdrop check: will profdropd run on this host, and with what? The
 * engine's own probes, item by item, and the drop directory's state; exit
 * 0 when it will run, 1 with the fix when it will not.
 */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profdrop.h"
#include "cli.h"

static int	cmd_check_exec(int, char **);

const struct cmd_entry cmd_check_entry = {
	"check", "[-o output-dir]",
	"say whether profdropd will run here, with what the kernel grants",
	cmd_check_exec
};

static void
check_print(void *arg, const char *item, const char *text, int ok)
{
	printf("%-27s %s\n", item, text);
}

/* The drop directory: there and writable, or one profdropd can make. */
static int
check_dir(const char *dir, char **fix)
{
	struct stat	 st;
	char		*parent, *slash;
	int		 ok = 0;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			*fix = alloc_printf("%s is not a directory: remove it "
			    "or choose another --output-dir", dir);
		else if (access(dir, W_OK | X_OK) != 0)
			*fix = alloc_printf("%s is not writable: %s", dir,
			    strerror(errno));
		else
			ok = 1;
		check_print(NULL, "output directory", ok ? dir : *fix, ok);
		return (ok ? 0 : -1);
	}
	parent = alloc_printf("%s", dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	else
		strcpy(parent, "/");
	if (access(parent, W_OK | X_OK) == 0) {
		*fix = alloc_printf("%s: missing; profdropd will create it",
		    dir);
		check_print(NULL, "output directory", *fix, 1);
		free(*fix);
		*fix = NULL;
		ok = 1;
	} else
		*fix = alloc_printf("%s: missing, and %s is not writable: "
		    "create it (mkdir -p)", dir, parent);
	free(parent);
	if (!ok)
		check_print(NULL, "output directory", *fix, 0);
	return (ok ? 0 : -1);
}

static int
cmd_check_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output-dir", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct pd_config	 cfg;
	const char		*dir = NULL;
	char			*cause = NULL, *fix = NULL;
	int			 ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			dir = optarg;
			break;
		default:
			return (cmd_usage(&cmd_check_entry));
		}
	}
	if (optind != argc)
		return (cmd_usage(&cmd_check_entry));
	pd_config_init(&cfg);
	rc = pd_check(&cfg, check_print, NULL, &cause);
	if (dir != NULL && check_dir(dir, &fix) != 0 && rc == 0) {
		cause = fix;
		fix = NULL;
		rc = -1;
	}
	free(fix);
	pd_config_free(&cfg);
	if (rc != 0) {
		printf("%-27s no: %s\n", "profdropd will run", cause);
		free(cause);
		return (1);
	}
	printf("%-27s yes\n", "profdropd will run");
	return (0);
}
