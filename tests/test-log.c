/*
 * log.c: a warning said again within a minute is counted, and the count
 * said before the next other warning; levels hide what is below them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/log.c"
#include "check.h"

int
main(void)
{
	char	 path[] = "/tmp/test-log.XXXXXX", buf[4096];
	FILE	*f;
	size_t	 n;
	int	 fd, saved = dup(2), i;

	if ((fd = mkstemp(path)) == -1 || dup2(fd, 2) == -1)
		return (1);
	log_init(1, PD_LOG_INFO);
	for (i = 0; i < 5; i++)
		log_warnx("the ring of cpu %d is full", 3);
	log_warnx("something else");
	log_debug("not at this level");
	log_info("an info line");
	log_init(1, PD_LOG_WARN);
	log_info("not at warn");
	fflush(stderr);
	dup2(saved, 2);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	printf("%s", buf);
	CHECK(strcmp(buf,
	    "profdropd: the ring of cpu 3 is full\n"
	    "profdropd: (the last warning 4 times more)\n"
	    "profdropd: something else\n"
	    "profdropd: an info line\n") == 0, "got: %s", buf);
	return (check_done("test-log"));
}
