/*
 * Kernel tracepoints: an event's id and field layout, read from its
 * format file under the tracing directory, since they differ between
 * kernels.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

static FILE *
tracefs_open(const char *dir, const char *event, const char *file)
{
	char	 path[512];

	snprintf(path, sizeof path, "%s/events/%s/%s", dir, event, file);
	return (fopen(path, "r"));
}

/* Read "field:TYPE NAME;\toffset:N;\tsize:N;" lines into fields. */
static int
tracefs_field(const char *line, const char *name, struct tp_field *field)
{
	const char	*p, *end;
	size_t		 len = strlen(name);

	if ((p = strstr(line, "field:")) == NULL ||
	    (end = strchr(p, ';')) == NULL)
		return (0);
	/* The name is the last word before ';', maybe with [N]. */
	for (p = end; p > line && p[-1] != ' ' && p[-1] != '\t'; p--)
		;
	if ((size_t)(end - p) < len || strncmp(p, name, len) != 0 ||
	    (p[len] != ';' && p[len] != '['))
		return (0);
	if ((p = strstr(end, "offset:")) == NULL ||
	    sscanf(p, "offset:%d;", &field->offset) != 1 ||
	    (p = strstr(p, "size:")) == NULL ||
	    sscanf(p, "size:%d;", &field->size) != 1)
		return (0);
	return (1);
}

/*
 * The letters of prev_state, from the print format's flag table: entries
 * "{ 0x00000001, "S" }" on newer kernels, "{ 1, "S"}" on 3.10 and 4.4.
 */
static void
tracefs_states(const char *fmt, struct switch_format *sf)
{
	const char	*p = fmt;
	char		*end;
	unsigned long	 mask;

	sf->nstates = 0;
	while ((p = strstr(p, "{ ")) != NULL &&
	    sf->nstates < sizeof sf->states / sizeof sf->states[0]) {
		p += 2;
		if (*p < '0' || *p > '9')
			continue;
		mask = strtoul(p, &end, 0);
		if (end[0] != ',' || end[1] != ' ' || end[2] != '"' ||
		    end[3] == '\0' || end[4] != '"' || mask == 0)
			continue;
		sf->states[sf->nstates].mask = mask;
		sf->states[sf->nstates].letter = end[3];
		sf->nstates++;
	}
}

int
tracefs_sched_switch(const char *dir, struct switch_format *sf, char **cause)
{
	const char	*event = "sched/sched_switch";
	char		 line[4096];
	FILE		*f;
	int		 found = 0;

	memset(sf, 0, sizeof *sf);
	if ((f = tracefs_open(dir, event, "id")) == NULL ||
	    fscanf(f, "%llu", (unsigned long long *)&sf->id) != 1) {
		if (f != NULL)
			fclose(f);
		xasprintf(cause, "%s/events/%s/id: unreadable; is it a "
		    "tracefs?", dir, event);
		return (-1);
	}
	fclose(f);
	if ((f = tracefs_open(dir, event, "format")) == NULL) {
		xasprintf(cause, "%s/events/%s/format: %s", dir, event,
		    strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		found |= tracefs_field(line, "prev_pid", &sf->prev_pid) << 0;
		found |= tracefs_field(line, "prev_state", &sf->prev_state) << 1;
		found |= tracefs_field(line, "next_pid", &sf->next_pid) << 2;
		if (strncmp(line, "print fmt:", 10) == 0)
			tracefs_states(line, sf);
	}
	fclose(f);
	if (found != 7 || sf->prev_pid.size != 4 || sf->next_pid.size != 4 ||
	    (sf->prev_state.size != 4 && sf->prev_state.size != 8)) {
		xasprintf(cause, "%s/events/%s/format: prev_pid, prev_state "
		    "or next_pid missing or of an unknown size", dir, event);
		return (-1);
	}
	return (0);
}

/* A task state as ps shows it: S, D, ...; R when it was preempted. */
char
tracefs_state_letter(const struct switch_format *sf, uint64_t state)
{
	size_t	 i;

	for (i = 0; i < sf->nstates; i++) {
		if (state & sf->states[i].mask)
			return (sf->states[i].letter);
	}
	return ('R');
}
