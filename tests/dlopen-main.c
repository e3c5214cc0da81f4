/*
 * dlopen-main: runs code from a library loaded with dlopen(), whose
 * mapping the profiler learns of only after the process started.
 *
 *	main -> plugin_entry -> plugin_hot	(the last two in libhotplug.so)
 *
 * usage: dlopen-main [SECONDS [LIBRARY [GO-FILE]]]
 * LIBRARY defaults to libhotplug.so next to the executable.  With GO-FILE,
 * the library is loaded only once that file exists, so a profiler started
 * first learns of the mapping as it happens.
 */

#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "testprog.h"

int
main(int argc, char **argv)
{
	void		 (*entry)(long long);
	void		*h;
	long long	 seconds = 5;
	char		 path[PATH_MAX], *slash;
	ssize_t		 n;
	struct timespec	 tick = { 0, 10000000 };

	if (argc > 1)
		seconds = count_arg(argv[1], 0,
		    "dlopen-main [SECONDS [LIBRARY [GO-FILE]]]");
	if (argc > 2)
		snprintf(path, sizeof path, "%s", argv[2]);
	else {
		n = readlink("/proc/self/exe", path, sizeof path - 1);
		if (n == -1) {
			perror("/proc/self/exe");
			return 1;
		}
		path[n] = '\0';
		slash = strrchr(path, '/');
		snprintf(slash + 1, sizeof path - (slash + 1 - path),
		    "libhotplug.so");
	}
	while (argc > 3 && access(argv[3], F_OK) != 0)
		nanosleep(&tick, NULL);
	if ((h = dlopen(path, RTLD_NOW)) == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	if ((*(void **)&entry = dlsym(h, "plugin_entry")) == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	entry(seconds);
	/* After the call, so it is not a tail call and main stays on the stack. */
	dlclose(h);
	return 0;
}
