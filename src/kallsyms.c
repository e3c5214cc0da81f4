/*
 * The kernel's function symbols from /proc/kallsyms, sorted by address.
 * Names live in one string arena and symbols refer to them by offset, so
 * the ~120k symbols of a distribution kernel cost a few MiB.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprofdrop.h"

#define KALLSYMS_PATH	"/proc/kallsyms"
#define KALLSYMS_SLACK	(1024 * 1024)	/* no function is larger */
#define KALLSYMS_NONE	UINT32_MAX	/* module of the core kernel */

struct ksym {
	uint64_t	 addr;
	uint32_t	 name;		/* arena offsets */
	uint32_t	 module;
};

struct kallsyms {
	struct ksym	*ksyms;
	size_t		 nksyms;
	char		*arena;
	size_t		 arenalen;
	size_t		 arenacap;
};

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
kallsyms_intern(struct kallsyms *ks, const char *s)
{
	size_t	 len = strlen(s) + 1, off = ks->arenalen;

	if (ks->arenalen + len >= KALLSYMS_NONE)
		return (KALLSYMS_NONE);
	while (ks->arenalen + len > ks->arenacap) {
		ks->arenacap *= 2;
		ks->arena = xreallocarray(ks->arena, ks->arenacap, 1);
	}
	memcpy(ks->arena + ks->arenalen, s, len);
	ks->arenalen += len;
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

struct kallsyms *
kallsyms_load(char **cause)
{
	struct kallsyms	*ks;
	struct ksym	*k;
	FILE		*f;
	char		*line = NULL, *name, *module;
	size_t		 linecap = 0, kcap = 4096, nfunc = 0;
	uint64_t	 addr;
	uint32_t	 lastmod = KALLSYMS_NONE;
	int		 sorted = 1;

	if ((f = fopen(KALLSYMS_PATH, "re")) == NULL) {
		xasprintf(cause, "%s: %s", KALLSYMS_PATH, strerror(errno));
		return (NULL);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	ks = xcalloc(1, sizeof *ks);
	ks->arenacap = 65536;
	ks->arena = xmalloc(ks->arenacap);
	ks->ksyms = xreallocarray(NULL, kcap, sizeof *ks->ksyms);
	while (getline(&line, &linecap, f) != -1) {
		if (!kallsyms_parse(line, &addr, &name, &module))
			continue;
		nfunc++;
		if (addr == 0)
			continue;
		if (ks->nksyms == kcap) {
			kcap *= 2;
			ks->ksyms = xreallocarray(ks->ksyms, kcap,
			    sizeof *ks->ksyms);
		}
		if (module == NULL)
			lastmod = KALLSYMS_NONE;
		else if (lastmod == KALLSYMS_NONE ||
		    strcmp(ks->arena + lastmod, module) != 0)
			lastmod = kallsyms_intern(ks, module);
		k = &ks->ksyms[ks->nksyms];
		if (ks->nksyms > 0 && addr < k[-1].addr)
			sorted = 0;
		k->addr = addr;
		k->module = lastmod;
		if ((k->name = kallsyms_intern(ks, name)) == KALLSYMS_NONE) {
			xasprintf(cause, "%s: too many symbols", KALLSYMS_PATH);
			goto fail;
		}
		ks->nksyms++;
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", KALLSYMS_PATH, strerror(errno));
		goto fail;
	}
	if (ks->nksyms == 0) {
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
		qsort(ks->ksyms, ks->nksyms, sizeof *ks->ksyms, kallsyms_cmp);
	ks->ksyms = xreallocarray(ks->ksyms, ks->nksyms, sizeof *ks->ksyms);
	ks->arena = xreallocarray(ks->arena, ks->arenalen, 1);
	ks->arenacap = ks->arenalen;
	log_debug("kallsyms: %zu functions, %zu bytes of names", ks->nksyms,
	    ks->arenalen);
	return (ks);

fail:
	free(line);
	fclose(f);
	kallsyms_free(ks);
	return (NULL);
}

void
kallsyms_free(struct kallsyms *ks)
{
	if (ks == NULL)
		return;
	free(ks->ksyms);
	free(ks->arena);
	free(ks);
}

static int
kallsyms_same_module(const struct kallsyms *ks, const struct ksym *a,
    const struct ksym *b)
{
	if (a->module == b->module)
		return (1);
	if (a->module == KALLSYMS_NONE || b->module == KALLSYMS_NONE)
		return (0);
	return (strcmp(ks->arena + a->module, ks->arena + b->module) == 0);
}

/*
 * Find the symbol at or below addr. kallsyms has no sizes, so an address
 * is refused when it lies past the end of a module or of the kernel text
 * by more than any function could be long.
 */
const char *
kallsyms_lookup(const struct kallsyms *ks, uint64_t addr, const char **module,
    uint64_t *offset)
{
	const struct ksym	*k, *ksyms;
	size_t			 lo = 0, hi, mid;

	if (module != NULL)
		*module = NULL;
	if (offset != NULL)
		*offset = 0;
	if (ks == NULL)
		return (NULL);
	ksyms = ks->ksyms;
	hi = ks->nksyms;
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
	if (addr - k->addr >= KALLSYMS_SLACK && (lo == ks->nksyms ||
	    !kallsyms_same_module(ks, k, &ksyms[lo])))
		return (NULL);
	if (module != NULL && k->module != KALLSYMS_NONE)
		*module = ks->arena + k->module;
	if (offset != NULL)
		*offset = addr - k->addr;
	return (ks->arena + k->name);
}
