/*
 * Names of addresses in ELF files with elfutils libdwfl: function names
 * from the symbol tables, source lines and inline chains from DWARF, found
 * in the binary itself or in the debug file elfinfo.c picks (the one the
 * unwinder uses too), else through debuginfod. Each dso keeps its Dwfl
 * open, so every string handed out stays valid until symbols_close().
 */

#include <sys/stat.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define SYMBOLS_MAX_DEPTH	64	/* DWARF scopes searched per address */

/* A function symbol at a module address, named by its symbol index. */
struct symbols_sym {
	uint64_t	 addr;
	uint32_t	 size;
	uint32_t	 ndx;
};

struct symbols {
	Dwfl			*dwfl;
	Dwfl_Module		*mod;
	GElf_Addr		 bias;	/* module address - ELF vaddr */
	char			*path;
	struct elf_loads	 image;
	struct symbols_sym	*syms;	/* sorted by address */
	size_t			 nsyms;
	int			 symsread;
	struct htable		 names;	/* display names made from raw ones */
};

struct symbols_name {
	struct hnode		 node;
	const void		*key;
	char			 display[];
};

/*
 * A module's debug file: the one elfinfo.c finds, as for unwinding; else
 * libdwfl's own search, which adds debuginfod. Looked for once: libdwfl
 * asks again each time it wants DWARF it has not got, and with debuginfod
 * each ask may wait for a server's timeout.
 */
static int
symbols_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name,
    Dwarf_Addr base, const char *file, const char *debuglink,
    GElf_Word crc, char **path)
{
	static char		 tried;	/* only its address is used */
	GElf_Addr		 bias;
	Elf			*elf;
	int			 fd;

	if (*userdata == &tried)
		return (-1);
	*userdata = &tried;
	if (file != NULL && (elf = dwfl_module_getelf(mod, &bias)) != NULL &&
	    (fd = elfinfo_debug_file(elf, file, name, path)) != -1)
		return (fd);
	return (dwfl_standard_find_debuginfo(mod, userdata, name, base, file,
	    debuglink, crc, path));
}

static const Dwfl_Callbacks symbols_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = symbols_find_debuginfo,
	.section_address = dwfl_offline_section_address
};

/*
 * libelf's version, and debuginfod as cfg asks (libdwfl reads it from the
 * environment). debuginfod is opt-in; its defaults are made for a daemon.
 */
void
symbols_init(const struct pd_config *cfg)
{
	char	 timeout[16];

	if (elf_version(EV_CURRENT) == EV_NONE)
		fatalx("libelf: %s", elf_errmsg(-1));
	if (cfg->debuginfod_urls != NULL)
		setenv("DEBUGINFOD_URLS", cfg->debuginfod_urls, 1);
#ifndef HAVE_DWFL_DEBUGINFOD
	if (cfg->debuginfod_urls != NULL)
		log_warnx("--debuginfod: this build's elfutils (before 0.178) "
		    "has no debuginfod client; no debug information will be "
		    "fetched");
#endif
	if (cfg->debuginfod_cache != NULL)
		setenv("DEBUGINFOD_CACHE_PATH", cfg->debuginfod_cache, 1);
	if (cfg->debuginfod_timeout != 0) {
		snprintf(timeout, sizeof timeout, "%u",
		    cfg->debuginfod_timeout);
		setenv("DEBUGINFOD_TIMEOUT", timeout, 1);
	}
	if (getenv("DEBUGINFOD_URLS") == NULL)
		return;
	setenv("DEBUGINFOD_CACHE_PATH", PROFDROP_CACHE_DIR "/debuginfod", 0);
	setenv("DEBUGINFOD_TIMEOUT", "5", 0);
	/* One try per binary: a retry would double a hung wait. */
	setenv("DEBUGINFOD_RETRY_LIMIT", "0", 0);
}

/*
 * The PT_LOAD segments that map file offsets to vaddrs. A file whose
 * segments or section headers run past its end was cut short: refuse it.
 */
static int
symbols_read_loads(struct symbols *s, uint64_t size)
{
	Elf		*elf;
	GElf_Ehdr	 ehdr;
	size_t		 shnum;

	if ((elf = dwfl_module_getelf(s->mod, &s->bias)) == NULL ||
	    gelf_getehdr(elf, &ehdr) == NULL)
		return (-1);
	/* libelf quietly drops section headers past the end; check here. */
	shnum = ehdr.e_shnum != 0 ? ehdr.e_shnum : 1;
	if (ehdr.e_shoff != 0 && (ehdr.e_shoff > size ||
	    (uint64_t)shnum * ehdr.e_shentsize > size - ehdr.e_shoff))
		return (-1);
	return (elfinfo_loads(elf, size, &s->image));
}

static void
symbols_name_free(struct hnode *n, void *arg)
{
	htable_remove(arg, n);
	free(container_of(n, struct symbols_name, node));
}

static void
symbols_destroy(struct symbols *s)
{
	if (s->dwfl != NULL)
		dwfl_end(s->dwfl);
	elfinfo_loads_free(&s->image);
	free(s->syms);
	htable_foreach(&s->names, symbols_name_free, &s->names);
	htable_free(&s->names);
	free(s->path);
	free(s);
}

/* Read the file binary_open() found; it must carry the mapped build-id. */
static struct symbols *
symbols_load(struct dso *dso, int fd, char *path)
{
	struct symbols		*s;
	struct stat		 st;
	unsigned char		 bits[sizeof dso->build_id];
	GElf_Addr		 bias;
	size_t			 len;

	s = xcalloc(1, sizeof *s);
	s->path = path;
	htable_init(&s->names, 64);
	if (fstat(fd, &st) == -1) {
		close(fd);
		goto fail;
	}
	if ((s->dwfl = dwfl_begin(&symbols_callbacks)) == NULL) {
		close(fd);
		goto fail;
	}
	dwfl_report_begin(s->dwfl);
	/* Adding p_vaddr makes module addresses the ELF's own vaddrs. */
	s->mod = dwfl_report_elf(s->dwfl, dso->name, path, fd, 0, true);
	if (s->mod == NULL) {
		close(fd);
		goto fail;
	}
	/* The Dwfl owns fd from here on. */
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0)
		goto fail;
	if (symbols_read_loads(s, st.st_size) != 0) {
		log_debug("%s: truncated or without loadable segments", path);
		goto fail_quiet;
	}

	len = elfinfo_build_id(dwfl_module_getelf(s->mod, &bias), bits,
	    sizeof bits);
	if (dso->build_id_len != 0 && (len != dso->build_id_len ||
	    memcmp(bits, dso->build_id, len) != 0)) {
		log_debug("%s: build-id differs from the mapped file", path);
		goto fail_quiet;
	}
	if (dso->build_id_len == 0 && len > 0) {
		memcpy(dso->build_id, bits, len);
		dso->build_id_len = len;
	}
	return (s);

fail:
	log_debug("%s: %s", path, dwfl_errmsg(-1));
fail_quiet:
	symbols_destroy(s);
	return (NULL);
}

int
symbols_open(struct dso *dso)
{
	struct symbols	*s = NULL;
	char		*path;
	int		 fd;

	if (dso->symbols != NULL)
		return (0);
	if (dso->symbols_failed)
		return (-1);
	if ((fd = binary_open(dso, &path)) == -1) {
		if (dso->kind != DSO_FILE && dso->kind != DSO_SPECIAL)
			return (-1);
	} else
		s = symbols_load(dso, fd, path);
	if (s == NULL) {
		log_debug("%s: no symbols", dso->name);
		dso->symbols_failed = 1;
		return (-1);
	}
	dso->symbols = s;
	return (0);
}

void
symbols_close(struct dso *dso)
{
	if (dso->symbols == NULL)
		return;
	symbols_destroy(dso->symbols);
	dso->symbols = NULL;
}

/* The path the binary's symbols were read from. */
const char *
symbols_path(const struct dso *dso)
{
	const struct symbols	*s = dso->symbols;

	return (s != NULL ? s->path : dso->name);
}

/* A sweep: a binary unused in the last window closes its debug data. */
void
symbols_dso_swept(void *arg, struct dso *dso, int going)
{
	symbols_close(dso);
}

static int
symbols_sym_cmp(const void *a, const void *b)
{
	const struct symbols_sym	*sa = a, *sb = b;

	if (sa->addr != sb->addr)
		return (sa->addr < sb->addr ? -1 : 1);
	return (sa->ndx < sb->ndx ? -1 : sa->ndx > sb->ndx);
}

/* Of aliases, prefer sized to sizeless, then global, weak, local. */
static int
symbols_sym_rank(struct symbols *s, const struct symbols_sym *ss)
{
	GElf_Sym	 sym;
	GElf_Addr	 addr;
	int		 rank = ss->size != 0 ? 3 : 0;

	if (dwfl_module_getsym_info(s->mod, ss->ndx, &sym, &addr, NULL, NULL,
	    NULL) == NULL)
		return (-1);
	switch (GELF_ST_BIND(sym.st_info)) {
	case STB_GLOBAL:
		return (rank + 2);
	case STB_WEAK:
		return (rank + 1);
	}
	return (rank);
}

/*
 * Sort the function symbols by address once, one per address: libdwfl's
 * own address search (dwfl_module_addrinfo) reads the whole symbol table
 * on every call.
 */
static void
symbols_read_syms(struct symbols *s)
{
	struct symbols_sym	*ss;
	GElf_Sym		 sym;
	GElf_Addr		 addr;
	GElf_Word		 shndx;
	size_t			 i, n;
	int			 count, ndx, type;

	s->symsread = 1;
	if ((count = dwfl_module_getsymtab(s->mod)) <= 0)
		return;
	s->syms = xcalloc(count, sizeof *s->syms);
	for (ndx = 0; ndx < count; ndx++) {
		if (dwfl_module_getsym_info(s->mod, ndx, &sym, &addr, &shndx,
		    NULL, NULL) == NULL)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    shndx == SHN_UNDEF || shndx == SHN_ABS ||
		    shndx == (GElf_Word)-1)
			continue;
		ss = &s->syms[s->nsyms++];
		ss->addr = addr;
		ss->size = sym.st_size > UINT32_MAX ? UINT32_MAX : sym.st_size;
		ss->ndx = ndx;
	}
	if (s->nsyms == 0) {
		free(s->syms);
		s->syms = NULL;
		return;
	}
	qsort(s->syms, s->nsyms, sizeof *s->syms, symbols_sym_cmp);
	for (i = n = 1; i < s->nsyms; i++) {
		if (s->syms[i].addr != s->syms[n - 1].addr)
			s->syms[n++] = s->syms[i];
		else if (symbols_sym_rank(s, &s->syms[i]) >
		    symbols_sym_rank(s, &s->syms[n - 1]))
			s->syms[n - 1] = s->syms[i];
	}
	s->nsyms = n;
	s->syms = xreallocarray(s->syms, n, sizeof *s->syms);
	log_debug("%s: %zu function symbols", s->path, n);
}

/*
 * The raw name of the function symbol containing a module address. A
 * sizeless symbol reaches to the next one.
 */
static const char *
symbols_symbol(struct symbols *s, GElf_Addr addr)
{
	const struct symbols_sym	*ss;
	GElf_Sym			 sym;
	GElf_Addr			 symaddr;
	size_t				 lo = 0, hi, mid;

	if (!s->symsread)
		symbols_read_syms(s);
	hi = s->nsyms;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (NULL);
	ss = &s->syms[lo - 1];
	if (ss->size != 0 && addr - ss->addr >= ss->size)
		return (NULL);
	return (dwfl_module_getsym_info(s->mod, ss->ndx, &sym, &symaddr, NULL,
	    NULL, NULL));
}

/* A display name kept for key (a raw name, or a DIE), or NULL. */
static const char *
symbols_name_find(struct symbols *s, const void *key)
{
	struct symbols_name	*sn;
	struct hnode		*n;
	uint64_t		 h = hash_bytes(&key, sizeof key, 0);

	for (n = htable_find(&s->names, h); n != NULL; n = htable_next_same(n)) {
		sn = container_of(n, struct symbols_name, node);
		if (sn->key == key)
			return (sn->display);
	}
	return (NULL);
}

static const char *
symbols_name_keep(struct symbols *s, const void *key, const char *display)
{
	struct symbols_name	*sn;
	size_t			 len = strlen(display);

	sn = xmalloc(sizeof *sn + len + 1);
	sn->key = key;
	memcpy(sn->display, display, len + 1);
	htable_insert(&s->names, &sn->node, hash_bytes(&key, sizeof key, 0));
	return (sn->display);
}

/*
 * The name to show for a raw symbol: demangled (C++, Rust legacy without
 * its hash, Rust v0) and without a symbol version ("read@@GLIBC_2.2.5").
 * Made once per name, kept with the file.
 */
static const char *
symbols_function(struct symbols *s, const char *raw)
{
	const char	*at, *kept;
	char		*plain, *demangled = NULL;
	size_t		 len;

	at = strchr(raw, '@');
	if ((at == NULL || at == raw) && raw[0] != '_')
		return (raw);
	if ((kept = symbols_name_find(s, raw)) != NULL)
		return (kept);
	len = at != NULL && at != raw ? (size_t)(at - raw) : strlen(raw);
	plain = xmalloc(len + 1);
	memcpy(plain, raw, len);
	plain[len] = '\0';
	/* Rust's legacy names are C++ ones with a hash: try Rust first. */
	if (plain[0] == '_' && (plain[1] == 'Z' || plain[1] == 'R')) {
#ifdef HAVE_RUST_DEMANGLE
		demangled = rust_demangle(plain, DMGL_PARAMS | DMGL_ANSI);
#endif
		if (demangled == NULL)
			demangled = cplus_demangle_v3(plain,
			    DMGL_PARAMS | DMGL_ANSI);
	}
	kept = symbols_name_keep(s, raw, demangled != NULL ? demangled : plain);
	free(demangled);
	free(plain);
	return (kept);
}

/*
 * Append a line, innermost first. Past the cap, later lines overwrite the
 * last slot: the outermost function is kept, middle inlines are dropped.
 */
static void
symbols_add(struct symbol_info *info, const char *system_name,
    const char *function, const char *file, int line, int start_line)
{
	struct symbol_line	*sl;

	if (info->nlines < PROFDROP_MAX_LINES)
		sl = &info->lines[info->nlines++];
	else
		sl = &info->lines[PROFDROP_MAX_LINES - 1];
	sl->system_name = system_name;
	sl->function = function;
	sl->file = file;
	sl->line = line;
	sl->start_line = start_line;
}

/* The linkage name of a function DIE, through abstract origins. */
static const char *
symbols_die_linkage(Dwarf_Die *die)
{
	Dwarf_Attribute	 attr;
	const char	*name;

	if ((name = dwarf_formstring(dwarf_attr_integrate(die,
	    DW_AT_linkage_name, &attr))) != NULL)
		return (name);
	return (dwarf_formstring(dwarf_attr_integrate(die,
	    DW_AT_MIPS_linkage_name, &attr)));
}

/*
 * The name of an inlined function: demangled from its linkage name; else,
 * as GCC leaves that out around lambdas, built from its DIE's parents
 * (once per DIE, kept with the file: keyed by the DIE's first byte, where
 * no string starts); else its short name.
 */
static void
symbols_add_inline(struct symbols *s, struct symbol_info *info,
    Dwarf_Die *die, const char *file, int line, int start_line)
{
	Dwarf_Attribute	 attr;
	const char	*name, *built;
	char		*full;

	if ((name = symbols_die_linkage(die)) != NULL) {
		symbols_add(info, name, symbols_function(s, name), file, line,
		    start_line);
		return;
	}
	if ((built = symbols_name_find(s, die->addr)) == NULL) {
		full = dwarfname_function(die);
		built = symbols_name_keep(s, die->addr, full != NULL ? full :
		    "");
		free(full);
	}
	if (*built == '\0')
		built = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name,
		    &attr));
	symbols_add(info, built, built, file, line, start_line);
}

static int
symbols_die_udata(Dwarf_Die *die, int name)
{
	Dwarf_Attribute	 attr;
	Dwarf_Word	 value;

	if (dwarf_formudata(dwarf_attr(die, name, &attr), &value) != 0 ||
	    value > INT32_MAX)
		return (0);
	return ((int)value);
}

/*
 * Fill chain from index n with the DIEs under parent that contain pc,
 * outermost first, and return the new count. This walks the CU once; the
 * dwarf_getscopes + dwarf_getscopes_die pair walks it twice and costs far
 * more per address. Namespaces are searched too (C++ functions sit in them).
 */
static int
symbols_descend(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *chain, int n)
{
	Dwarf_Die	*die = &chain[n];
	int		 found;

	if (n == SYMBOLS_MAX_DEPTH || dwarf_child(parent, die) != 0)
		return (n);
	do {
		switch (dwarf_tag(die)) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
		case DW_TAG_entry_point:
		case DW_TAG_lexical_block:
			if (dwarf_haspc(die, pc) == 1)
				return (symbols_descend(die, pc, chain, n + 1));
			break;
		case DW_TAG_namespace:
		case DW_TAG_module:
			found = symbols_descend(die, pc, chain, n + 1);
			if (found > n + 1)
				return (found);
			break;
		}
	} while (dwarf_siblingof(die, die) == 0);
	return (n);
}

/*
 * Add the lines of the DWARF scopes around addr (a module address) from
 * the innermost out: each inlined subroutine gives a line in its own code,
 * and its call site the line in the function it was inlined into. symname,
 * from the symbol table, names the outermost function when known.
 */
static void
symbols_scopes(struct symbols *s, Dwarf_Addr addr, const char *symname,
    const char *file, int line, struct symbol_info *info)
{
	Dwarf_Die	*cu, split, chain[SYMBOLS_MAX_DEPTH];
	Dwarf_Files	*files;
	Dwarf_Addr	 bias;
	Dwarf_Word	 idx;
	Dwarf_Attribute	 attr;
	const char	*name;
	uint8_t		 type;
	int		 n, tag, decl;

	if ((cu = dwfl_module_addrdie(s->mod, addr, &bias)) == NULL)
		return;
	/* With split DWARF, the functions are in the .dwo unit. */
	if (dwarf_cu_info(cu->cu, NULL, &type, NULL, &split, NULL, NULL,
	    NULL) == 0 && type == DW_UT_skeleton &&
	    dwarf_tag(&split) == DW_TAG_compile_unit)
		cu = &split;
	if (dwarf_getsrcfiles(cu, &files, NULL) != 0)
		files = NULL;

	n = symbols_descend(cu, addr - bias, chain, 0);
	while (n-- > 0) {
		tag = dwarf_tag(&chain[n]);
		if (tag != DW_TAG_inlined_subroutine &&
		    tag != DW_TAG_subprogram && tag != DW_TAG_entry_point)
			continue;
		if (dwarf_decl_line(&chain[n], &decl) != 0)
			decl = 0;
		if (tag != DW_TAG_inlined_subroutine) {
			if ((name = symname) == NULL &&
			    (name = symbols_die_linkage(&chain[n])) == NULL)
				name = dwarf_diename(&chain[n]);
			symbols_add(info, name, name != NULL ?
			    symbols_function(s, name) : NULL, file, line, decl);
			break;
		}
		symbols_add_inline(s, info, &chain[n], file, line, decl);
		file = NULL;
		if (files != NULL && dwarf_formudata(dwarf_attr(&chain[n],
		    DW_AT_call_file, &attr), &idx) == 0)
			file = dwarf_filesrc(files, idx, NULL, NULL);
		line = symbols_die_udata(&chain[n], DW_AT_call_line);
	}
}

void
symbols_lookup(struct dso *dso, uint64_t addr, struct symbol_info *info)
{
	struct symbols		*s;
	struct elf_load		*l;
	Dwfl_Line		*dl;
	GElf_Addr		 maddr;
	const char		*name, *file = NULL;
	size_t			 i;
	int			 line = 0;

	info->nlines = 0;
	info->vaddr = 0;
	if (symbols_open(dso) != 0)
		return;
	s = dso->symbols;

	for (i = 0; i < s->image.nloads; i++) {
		l = &s->image.loads[i];
		if (addr >= l->offset && addr - l->offset < l->filesz)
			break;
	}
	if (i == s->image.nloads)
		return;
	info->vaddr = addr - l->offset + l->vaddr;
	maddr = info->vaddr + s->bias;

	name = symbols_symbol(s, maddr);
	if ((dl = dwfl_module_getsrc(s->mod, maddr)) != NULL &&
	    (file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL)) == NULL)
		line = 0;
	symbols_scopes(s, maddr, name, file, line, info);
	if (info->nlines == 0 && (name != NULL || file != NULL))
		symbols_add(info, name, name != NULL ?
		    symbols_function(s, name) : NULL, file, line, 0);
}
