/*
 * pdretime IN OUT START DURATION: profile IN written to OUT as a window
 * that starts START seconds after the epoch and lasts DURATION seconds,
 * through the profile model; the tests build drop directories of known
 * times with it.
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "profdrop.h"

int
main(int argc, char **argv)
{
	struct pd_profile	*p, copy;
	char			*cause, *end1, *end2;
	long long		 start, duration;
	int			 fd;

	if (argc != 5) {
		fprintf(stderr, "usage: pdretime in out start duration\n");
		return (2);
	}
	start = strtoll(argv[3], &end1, 10);
	duration = strtoll(argv[4], &end2, 10);
	if (*end1 != '\0' || *end2 != '\0' || start <= 0 || duration <= 0) {
		fprintf(stderr, "pdretime: give whole seconds\n");
		return (2);
	}
	if (pd_profile_read_file(argv[1], 0, &p, &cause) != 0) {
		fprintf(stderr, "pdretime: %s\n", cause);
		return (1);
	}
	copy = *p;
	copy.time_nanos = (int64_t)start * 1000000000;
	copy.duration_nanos = (int64_t)duration * 1000000000;
	if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		perror(argv[2]);
		return (1);
	}
	if (pd_profile_write(&copy, fd, &cause) != 0) {
		fprintf(stderr, "pdretime: %s\n", cause);
		return (1);
	}
	if (close(fd) != 0) {
		perror(argv[2]);
		return (1);
	}
	pd_profile_free(p);
	return (0);
}
