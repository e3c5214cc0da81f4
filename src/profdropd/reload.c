/*
 * SIGHUP: read the configuration again. A new one with an error is
 * refused whole; of a valid one, what can change while running is used
 * from the next window on, and every other changed key says it waits
 * for a restart.
 */

#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

/* Keys the daemon takes without a restart. */
static const char *const reload_live[] = {
	"log-level", "verbose", "rotate", "max-age", "max-bytes", "max-files",
	"metrics-file", NULL
};

static int
reload_is_live(const char *key)
{
	const char *const *k;

	for (k = reload_live; *k != NULL; k++) {
		if (strcmp(*k, key) == 0)
			return (1);
	}
	return (0);
}

/* The length of a setting's key, before its "=". */
static size_t
reload_keylen(const char *setting)
{
	return (strcspn(setting, "="));
}

/* Whether settings v[i] is the first of its key. */
static int
reload_first(char **v, size_t i)
{
	size_t	 j, len = reload_keylen(v[i]);

	for (j = 0; j < i; j++) {
		if (reload_keylen(v[j]) == len &&
		    strncmp(v[j], v[i], len) == 0)
			return (0);
	}
	return (1);
}

/* A key's values in dc, joined in order (a list repeats its key); or NULL. */
static char *
reload_values(const struct daemon_config *dc, const char *key, size_t len)
{
	size_t	 i;
	char	*all = NULL, *more;

	for (i = 0; i < dc->nsettings; i++) {
		if (reload_keylen(dc->settings[i]) != len ||
		    strncmp(dc->settings[i], key, len) != 0)
			continue;
		if (all == NULL)
			all = xstrdup(dc->settings[i] + len + 1);
		else {
			xasprintf(&more, "%s, %s", all,
			    dc->settings[i] + len + 1);
			free(all);
			all = more;
		}
	}
	return (all);
}

/* Say what a changed key does now; value NULL: back to its default. */
static void
reload_say(const char *key, size_t len, const char *value)
{
	char	*k = xstrndup(key, len);

	if (reload_is_live(k))
		log_info("SIGHUP: %s = %s", k, value != NULL ? value :
		    "its default");
	else
		log_warnx("SIGHUP: %s changed; it takes effect when profdropd "
		    "restarts", k);
	free(k);
}

/* Report each key whose values differ between cur and next. */
static int
reload_report(const struct daemon_config *cur,
    const struct daemon_config *next)
{
	const char	*key;
	char		*a, *b;
	size_t		 i, len;
	int		 changed = 0;

	for (i = 0; i < next->nsettings; i++) {
		if (!reload_first(next->settings, i))
			continue;
		key = next->settings[i];
		len = reload_keylen(key);
		a = reload_values(next, key, len);
		b = reload_values(cur, key, len);
		if (b == NULL || strcmp(a, b) != 0) {
			reload_say(key, len, a);
			changed = 1;
		}
		free(a);
		free(b);
	}
	for (i = 0; i < cur->nsettings; i++) {
		key = cur->settings[i];
		len = reload_keylen(key);
		if (!reload_first(cur->settings, i))
			continue;
		if ((a = reload_values(next, key, len)) != NULL) {
			free(a);
			continue;
		}
		reload_say(key, len, NULL);
		changed = 1;
	}
	return (changed);
}

/* The settings in force: next's live keys, cur's others. */
static void
reload_settings(struct daemon_config *cur, struct daemon_config *next)
{
	char	**v = NULL, *key;
	size_t	 n = 0, i, k;
	struct daemon_config *from[2] = { next, cur };

	for (k = 0; k < 2; k++) {
		for (i = 0; i < from[k]->nsettings; i++) {
			key = xstrndup(from[k]->settings[i],
			    reload_keylen(from[k]->settings[i]));
			if (reload_is_live(key) == (k == 0)) {
				v = xreallocarray(v, n + 1, sizeof *v);
				v[n++] = xstrdup(from[k]->settings[i]);
			}
			free(key);
		}
	}
	while (cur->nsettings > 0)
		free(cur->settings[--cur->nsettings]);
	free(cur->settings);
	cur->settings = v;
	cur->nsettings = n;
}

void
reload(struct daemon_config *cur, int argc, char **argv)
{
	struct daemon_config	 next;
	char			*cause = NULL, *swap;
	int			 rc;

	if ((rc = options_parse(&next, argc, argv, &cause)) == -1) {
		log_warnx("SIGHUP: %s; the running configuration is kept",
		    cause);
		free(cause);
		options_free(&next);
		return;
	}
	if (rc == 2)
		log_warnx("SIGHUP: %s; stop profdropd to turn it off", cause);
	free(cause);
	/* At the new level: what is said of the change obeys it. */
	cur->log_level = next.log_level;
	log_init(cur->foreground, cur->log_level);
	if (!reload_report(cur, &next))
		log_info("SIGHUP: the configuration has not changed");
	cur->rotate = next.rotate;
	cur->max_age = next.max_age;
	cur->max_bytes = next.max_bytes;
	cur->max_files = next.max_files;
	swap = cur->metrics_file;
	cur->metrics_file = next.metrics_file;
	next.metrics_file = swap;
	reload_settings(cur, &next);
	options_free(&next);
}
