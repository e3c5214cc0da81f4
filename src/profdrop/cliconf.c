/*
 * The drop directory profdropd writes to, found as the daemon finds it:
 * PROFDROP_OUTPUT_DIR in the environment, else output-dir in
 * profdrop.conf, else the directory built in.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdrop.h"
#include "cli.h"

/* line without its leading and trailing blanks. */
static char *
cliconf_trim(char *line)
{
	char	*end;

	line += strspn(line, " \t");
	for (end = line + strlen(line); end > line &&
	    strchr(" \t\r\n", end[-1]) != NULL; end--)
		;
	*end = '\0';
	return (line);
}

/* *dir: the file's last output-dir, allocated; NULL if it names none. */
static int
cliconf_read(const char *path, char **dir, char **cause)
{
	char	 line[4096], *key, *eq;
	FILE	*f;
	int	 n = 0;

	*dir = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return (0);
		*cause = alloc_printf("%s: %s; name the drop directory with "
		    "--dir", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			*cause = alloc_printf("%s:%d: line too long", path, n);
			goto fail;
		}
		key = cliconf_trim(line);
		if (*key == '#' || *key == '\0' ||
		    (eq = strchr(key, '=')) == NULL)
			continue;	/* profdropd says what is wrong there */
		*eq = '\0';
		if (strcmp(cliconf_trim(key), "output-dir") != 0)
			continue;
		free(*dir);
		*dir = alloc_printf("%s", cliconf_trim(eq + 1));
	}
	if (ferror(f)) {
		*cause = alloc_printf("%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	return (0);

fail:
	fclose(f);
	free(*dir);
	*dir = NULL;
	return (-1);
}

char *
cliconf_drop_dir(char **cause)
{
	const char	*env;
	char		*dir;

	if ((env = getenv("PROFDROP_OUTPUT_DIR")) != NULL && *env != '\0')
		return (alloc_printf("%s", env));
	if (cliconf_read(PROFDROP_CONF, &dir, cause) != 0)
		return (NULL);
	if (dir == NULL || *dir == '\0') {
		free(dir);
		dir = alloc_printf("%s", PROFDROP_OUTPUT_DIR);
	}
	return (dir);
}
