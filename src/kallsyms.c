/*
 * The kernel's function symbols from /proc/kallsyms, sorted by address.
 * Names live in one string arena and symbols refer to them by offset, so
 * the ~120k symbols of a distribution kernel cost a few MiB.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profdropd.h"

#define KALLSYMS_PATH	"/proc/kallsyms"
#define KALLSYMS_SLACK	(1024 * 1024)	/* no function is larger */
#define KALLSYMS_NONE	UINT32_MAX	/* module of the core kernel */

struct ksym {
	uint64_t	 addr;
	uint32_t	 name;		/* arena offsets */
	uint32_t	 module;
};

static struct ksym	*ksyms;
static size_t		 nksyms;
static char		*arena;
static size_t		 arenalen;
static size_t		 arenacap;

static int
kallsyms_cmp(const void *a, const void *b)
{
	const struct ksym	*ka = a, *kb = b;

	if (ka->addr != kb->addr)
		return (ka->addr < kb->addr ? -1 : 1);
	/* Names were appended in file order: keep it among aliases. */
	return (ka->name < kb->name ? -1 : ka->name > kb->name);
}

/* Copy s into the arena; return its offset or KALLSYMS_NONE when full. */
static uint32_t
kallsyms_intern(const char *s)
{
	size_t	 len = strlen(s) + 1, off = arenalen;

	if (arenalen + len >= KALLSYMS_NONE)
		return (KALLSYMS_NONE);
	while (arenalen + len > arenacap) {
		arenacap *= 2;
		arena = xreallocarray(arena, arenacap, 1);
	}
	memcpy(arena + arenalen, s, len);
	arenalen += len;
	return (off);
}

/*
 * Parse one "ADDR TYPE NAME[\t[MODULE]]" line. Return 1 for a function
 * symbol, 0 for anything else.
 */
static int
kallsyms_parse(char *line, uint64_t *addr, char **name, char **module)
{
	char	*ep, *cp;
	int	 digit;

	/* Sixteen hex digits at most: strtoull costs more than reading. */
	*addr = 0;
	for (ep = line; ep - line < 16; ep++) {
		if (*ep >= '0' && *ep <= '9')
			digit = *ep - '0';
		else if (*ep >= 'a' && *ep <= 'f')
			digit = *ep - 'a' + 10;
		else
			break;
		*addr = *addr << 4 | digit;
	}
	if (ep == line || ep[0] != ' ' || ep[1] == '\0' || ep[2] != ' ')
		return (0);
	switch (ep[1]) {
	case 't':
	case 'T':
	case 'w':
	case 'W':
		break;
	default:
		return (0);
	}
	*name = ep + 3;
	(*name)[strcspn(*name, "\n")] = '\0';
	*module = NULL;
	if ((cp = strchr(*name, '\t')) != NULL) {
		*cp++ = '\0';
		if (*cp == '[') {
			*module = cp + 1;
			(*module)[strcspn(*module, "]")] = '\0';
		}
	}
	return (**name != '\0');
}

int
kallsyms_load(char **cause)
{
	FILE		*f;
	char		*line = NULL, *name, *module;
	size_t		 linecap = 0, kcap = 4096, nfunc = 0;
	uint64_t	 addr;
	uint32_t	 lastmod = KALLSYMS_NONE;
	int		 sorted = 1;

	kallsyms_free();
	if ((f = fopen(KALLSYMS_PATH, "re")) == NULL) {
		xasprintf(cause, "%s: %s", KALLSYMS_PATH, strerror(errno));
		return (-1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	arenacap = 65536;
	arena = xmalloc(arenacap);
	ksyms = xreallocarray(NULL, kcap, sizeof *ksyms);
	while (getline(&line, &linecap, f) != -1) {
		if (!kallsyms_parse(line, &addr, &name, &module))
			continue;
		nfunc++;
		if (addr == 0)
			continue;
		if (nksyms == kcap) {
			kcap *= 2;
			ksyms = xreallocarray(ksyms, kcap, sizeof *ksyms);
		}
		if (module == NULL)
			lastmod = KALLSYMS_NONE;
		else if (lastmod == KALLSYMS_NONE ||
		    strcmp(arena + lastmod, module) != 0)
			lastmod = kallsyms_intern(module);
		if (nksyms > 0 && addr < ksyms[nksyms - 1].addr)
			sorted = 0;
		ksyms[nksyms].addr = addr;
		ksyms[nksyms].module = lastmod;
		if ((ksyms[nksyms].name = kallsyms_intern(name)) ==
		    KALLSYMS_NONE) {
			xasprintf(cause, "%s: too many symbols", KALLSYMS_PATH);
			goto fail;
		}
		nksyms++;
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", KALLSYMS_PATH, strerror(errno));
		goto fail;
	}
	if (nksyms == 0) {
		if (nfunc != 0)
			xasprintf(cause, "%s: addresses are hidden; run as "
			    "root (CAP_SYSLOG) or set sysctl "
			    "kernel.kptr_restrict=0 and "
			    "kernel.perf_event_paranoid=1", KALLSYMS_PATH);
		else
			xasprintf(cause, "%s: no function symbols",
			    KALLSYMS_PATH);
		goto fail;
	}
	free(line);
	fclose(f);

	/* The file is mostly in address order; aliases keep file order. */
	if (!sorted)
		qsort(ksyms, nksyms, sizeof *ksyms, kallsyms_cmp);
	ksyms = xreallocarray(ksyms, nksyms, sizeof *ksyms);
	arena = xreallocarray(arena, arenalen, 1);
	arenacap = arenalen;
	log_debug("kallsyms: %zu functions, %zu bytes of names", nksyms,
	    arenalen);
	return (0);

fail:
	free(line);
	fclose(f);
	kallsyms_free();
	return (-1);
}

void
kallsyms_free(void)
{
	free(ksyms);
	free(arena);
	ksyms = NULL;
	arena = NULL;
	nksyms = arenalen = arenacap = 0;
}

static int
kallsyms_same_module(const struct ksym *a, const struct ksym *b)
{
	if (a->module == b->module)
		return (1);
	if (a->module == KALLSYMS_NONE || b->module == KALLSYMS_NONE)
		return (0);
	return (strcmp(arena + a->module, arena + b->module) == 0);
}

/*
 * Find the symbol at or below addr. kallsyms has no sizes, so an address
 * is refused when it lies past the end of a module or of the kernel text
 * by more than any function could be long.
 */
const char *
kallsyms_lookup(uint64_t addr, const char **module, uint64_t *offset)
{
	const struct ksym	*k;
	size_t			 lo = 0, hi = nksyms, mid;

	if (module != NULL)
		*module = NULL;
	if (offset != NULL)
		*offset = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (NULL);
	k = &ksyms[lo - 1];
	if (addr - k->addr >= KALLSYMS_SLACK && (lo == nksyms ||
	    !kallsyms_same_module(k, &ksyms[lo])))
		return (NULL);
	if (module != NULL && k->module != KALLSYMS_NONE)
		*module = arena + k->module;
	if (offset != NULL)
		*offset = addr - k->addr;
	return (arena + k->name);
}
