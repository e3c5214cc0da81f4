/*
 * Unit test of symbols.c and kallsyms.c. Usage: test-symbols [SYMTEST], where
 * SYMTEST is tests/symtest built with -O2 -g (default: symtest next to this
 * program). Exits 0 when every check passes and 1 otherwise, printing the
 * failing checks.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"
#include "symtest.h"
#include "check.h"

struct testsym {
	uint64_t	 vaddr;
	uint64_t	 offset;	/* in the file */
	uint64_t	 size;
};

static int
streq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
endswith(const char *s, const char *suffix)
{
	size_t	 n, m = strlen(suffix);

	return (s != NULL && (n = strlen(s)) >= m &&
	    strcmp(s + n - m, suffix) == 0);
}

static const char *
str(const char *s)
{
	return (s != NULL ? s : "(null)");
}

/* Find a symbol in .symtab with libelf and place it in the file. */
static int
find_symbol(const char *path, const char *name, struct testsym *ts)
{
	Elf		*elf;
	Elf_Scn		*scn = NULL;
	Elf_Data	*data;
	GElf_Shdr	 shdr;
	GElf_Sym	 sym;
	GElf_Phdr	 phdr;
	size_t		 i, n;
	int		 fd, found = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (-1);
	if ((elf = elf_begin(fd, ELF_C_READ, NULL)) == NULL) {
		close(fd);
		return (-1);
	}
	while (!found && (scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &shdr) == NULL ||
		    shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize == 0 ||
		    (data = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			if (gelf_getsym(data, i, &sym) != NULL &&
			    streq(elf_strptr(elf, shdr.sh_link, sym.st_name),
			    name)) {
				found = 1;
				break;
			}
		}
	}
	if (found && elf_getphdrnum(elf, &n) == 0) {
		found = 0;
		for (i = 0; i < n; i++) {
			if (gelf_getphdr(elf, i, &phdr) == NULL ||
			    phdr.p_type != PT_LOAD ||
			    sym.st_value < phdr.p_vaddr ||
			    sym.st_value >= phdr.p_vaddr + phdr.p_filesz)
				continue;
			ts->vaddr = sym.st_value;
			ts->offset = sym.st_value - phdr.p_vaddr +
			    phdr.p_offset;
			ts->size = sym.st_size;
			found = 1;
		}
	}
	elf_end(elf);
	close(fd);
	return (found ? 0 : -1);
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) != 0)
		fatal("%s", path);
}

static char *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		fatal("%s", path);
	buf = xmalloc(st.st_size);
	if (read(fd, buf, st.st_size) != st.st_size)
		fatal("%s", path);
	close(fd);
	*len = st.st_size;
	return (buf);
}

static void
test_plain(struct dso *dso, const struct testsym *ts)
{
	struct symbol_info	 info;
	const struct symbol_line *l;
	uint64_t		 off;
	int			 seen = 0;

	for (off = ts->offset; off < ts->offset + ts->size; off++) {
		symbols_lookup(dso, off, &info);
		l = &info.lines[0];
		CHECK(info.vaddr == ts->vaddr + (off - ts->offset),
		    "vaddr %#jx at offset %#jx", (uintmax_t)info.vaddr,
		    (uintmax_t)off);
		CHECK(info.nlines == 1, "%d lines at %#jx", info.nlines,
		    (uintmax_t)off);
		if (info.nlines < 1)
			continue;
		CHECK(streq(l->system_name, "plain_fn"), "%s",
		    str(l->system_name));
		CHECK(streq(l->function, "plain_fn"), "%s", str(l->function));
		CHECK(endswith(l->file, "symtest.c"), "%s", str(l->file));
		CHECK(l->line >= SYMTEST_PLAIN_DECL &&
		    l->line <= SYMTEST_PLAIN_LINE + 2, "line %d", l->line);
		CHECK(l->start_line == SYMTEST_PLAIN_DECL, "start_line %d",
		    l->start_line);
		if (l->line == SYMTEST_PLAIN_LINE)
			seen = 1;
	}
	CHECK(seen, "no address of plain_fn on line %d", SYMTEST_PLAIN_LINE);
}

static void
test_inline(struct dso *dso, const struct testsym *ts)
{
	struct symbol_info	 info;
	const struct symbol_line *l;
	uint64_t		 off;
	int			 seen = 0;

	for (off = ts->offset; off < ts->offset + ts->size; off++) {
		symbols_lookup(dso, off, &info);
		CHECK(info.nlines >= 1, "no lines at %#jx", (uintmax_t)off);
		if (info.nlines < 1)
			continue;
		l = &info.lines[info.nlines - 1];
		CHECK(streq(l->system_name, "outer_fn"), "%s at %#jx",
		    str(l->system_name), (uintmax_t)off);
		CHECK(endswith(l->file, "symtest.c"), "%s", str(l->file));
		CHECK(l->start_line == SYMTEST_OUTER_DECL, "start_line %d",
		    l->start_line);
		if (info.nlines != 2 ||
		    info.lines[0].line != SYMTEST_INNER_LINE)
			continue;
		seen = 1;
		l = &info.lines[0];
		CHECK(streq(l->system_name, "inner_fn"), "%s",
		    str(l->system_name));
		CHECK(endswith(l->file, "symtest.c"), "%s", str(l->file));
		CHECK(l->start_line == SYMTEST_INNER_DECL, "start_line %d",
		    l->start_line);
		CHECK(info.lines[1].line == SYMTEST_CALL_LINE,
		    "call line %d", info.lines[1].line);
	}
	CHECK(seen, "no inlined address on line %d", SYMTEST_INNER_LINE);
}

static void
test_binary(const char *path)
{
	struct dso		 dso, other;
	struct stat		 st;
	struct testsym		 plain, outer;
	struct symbol_info	 info;

	if (find_symbol(path, "plain_fn", &plain) != 0 ||
	    find_symbol(path, "outer_fn", &outer) != 0 || stat(path, &st) != 0)
		fatalx("%s: no plain_fn or outer_fn", path);

	memset(&dso, 0, sizeof dso);
	dso.kind = DSO_FILE;
	dso.name = (char *)path;
	dso.dev = st.st_dev;
	dso.ino = st.st_ino;
	CHECK(symbols_open(&dso) == 0, "%s", path);
	if (dso.symbols == NULL)
		return;
	CHECK(dso.build_id_len == 20, "build-id of %zu bytes",
	    dso.build_id_len);
	CHECK(streq(symbols_path(&dso), path), "%s", symbols_path(&dso));
	test_plain(&dso, &plain);
	test_inline(&dso, &outer);
	symbols_lookup(&dso, (uint64_t)st.st_size + 4096, &info);
	CHECK(info.nlines == 0, "%d lines past the end", info.nlines);
	symbols_close(&dso);
	CHECK(dso.symbols == NULL, "still open");

	/* Another file at that path, here and in /proc/self/root. */
	other = dso;
	other.ino++;
	other.pid = getpid();
	other.build_id_len = 0;
	CHECK(symbols_open(&other) == -1 && other.symbols_failed,
	    "wrong inode accepted");
	/* But a matching build-id wins over the inode. */
	other = dso;
	other.ino++;
	CHECK(symbols_open(&other) == 0, "build-id not accepted");
	symbols_close(&other);
	other = dso;
	other.build_id[0] ^= 1;
	CHECK(symbols_open(&other) == -1, "wrong build-id accepted");
}

static void
test_stripped(const char *path, const char *dir)
{
	struct dso		 dso;
	struct testsym		 plain;
	struct symbol_info	 info;
	char			*copy, *cmd;
	int			 status;

	if (find_symbol(path, "plain_fn", &plain) != 0)
		fatalx("%s: no plain_fn", path);
	xasprintf(&copy, "%s/stripped", dir);
	xasprintf(&cmd, "objcopy --strip-all '%s' '%s'", path, copy);
	status = system(cmd);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", cmd);

	memset(&dso, 0, sizeof dso);
	dso.kind = DSO_FILE;
	dso.name = copy;
	CHECK(symbols_open(&dso) == 0, "%s", copy);
	symbols_lookup(&dso, plain.offset, &info);
	CHECK(info.vaddr == plain.vaddr, "vaddr %#jx", (uintmax_t)info.vaddr);
	CHECK(info.nlines == 0 || info.lines[0].file == NULL,
	    "source %s without DWARF", str(info.lines[0].file));
	symbols_close(&dso);
	unlink(copy);
	free(cmd);
	free(copy);
}

/* Files that are not ELF, or are ELF cut short, never open. */
static void
test_bad(const char *path, const char *dir)
{
	struct dso		 dso;
	struct symbol_info	 info;
	char			*bad, *elf;
	unsigned char		 junk[4096];
	uint32_t		 x = 2463534242U;
	size_t			 len, cuts[] = { 4, 16, 64, 200, 1024, 0, 0 };
	size_t			 i;

	elf = read_file(path, &len);
	cuts[5] = len / 2;
	cuts[6] = len - 1;
	for (i = 0; i < sizeof junk; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = x;
	}
	xasprintf(&bad, "%s/bad", dir);
	memset(&dso, 0, sizeof dso);
	dso.kind = DSO_FILE;
	dso.name = bad;

	for (i = 0; i < 2 + sizeof cuts / sizeof cuts[0]; i++) {
		if (i == 0)
			write_file(bad, junk, sizeof junk);
		else if (i == 1) {
			memcpy(junk, elf, 64);	/* a real header, junk after */
			write_file(bad, junk, sizeof junk);
		} else
			write_file(bad, elf, cuts[i - 2]);
		dso.symbols_failed = 0;
		CHECK(symbols_open(&dso) == -1, "bad file %zu opened", i);
		CHECK(dso.symbols_failed, "bad file %zu not marked", i);
		symbols_lookup(&dso, 0x1000, &info);
		CHECK(info.nlines == 0, "bad file %zu has lines", i);
		symbols_close(&dso);
	}

	dso.symbols_failed = 0;
	dso.kind = DSO_KERNEL;
	CHECK(symbols_open(&dso) == -1 && !dso.symbols_failed,
	    "kernel dso");
	symbols_lookup(&dso, 0x1000, &info);
	CHECK(info.nlines == 0, "kernel dso has lines");

	unlink(bad);
	free(bad);
	free(elf);
}

/* Unprivileged, kallsyms either loads or says how to fix it. */
static void
test_kallsyms_nobody(void)
{
	pid_t	 pid;
	char	*cause;
	int	 status;

	if (geteuid() != 0)
		return;
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		if (kallsyms_load(&cause) != NULL)
			_exit(0);
		printf("kallsyms as nobody: %s\n", cause);
		fflush(stdout);
		_exit(strstr(cause, "kptr_restrict=0") != NULL ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
}

static void
test_kallsyms(void)
{
	struct kallsyms	*ks;
	FILE		*f;
	char		 line[1024], type, name[512], mod[64], kmod[64];
	char		*cause;
	const char	*module, *found;
	uint64_t	 addr, sched = 0, modaddr = 0, offset;
	int		 n;

	if ((ks = kallsyms_load(&cause)) == NULL) {
		CHECK(geteuid() != 0, "kallsyms_load: %s", cause);
		printf("SKIP kallsyms: %s\n", cause);
		free(cause);
		return;
	}
	if ((f = fopen("/proc/kallsyms", "r")) == NULL)
		fatal("/proc/kallsyms");
	while (fgets(line, sizeof line, f) != NULL) {
		n = sscanf(line, "%jx %c %511s [%63[^]]", &addr, &type, name,
		    mod);
		if (n < 3 || (type != 'T' && type != 't'))
			continue;
		if (n == 3 && strcmp(name, "schedule") == 0)
			sched = addr;
		if (n == 4 && modaddr == 0) {
			modaddr = addr;
			memcpy(kmod, mod, sizeof kmod);
		}
	}
	fclose(f);
	CHECK(sched != 0, "no schedule in /proc/kallsyms");

	found = kallsyms_lookup(ks, sched + 1, &module, &offset);
	CHECK(streq(found, "schedule"), "%s", str(found));
	CHECK(module == NULL, "module %s", str(module));
	CHECK(offset == 1, "offset %ju", (uintmax_t)offset);
	if (modaddr != 0) {
		found = kallsyms_lookup(ks, modaddr, &module, &offset);
		CHECK(found != NULL && streq(module, kmod), "%s in %s, not %s",
		    str(found), str(module), kmod);
	}
	found = kallsyms_lookup(ks, 0x1000, &module, &offset);
	CHECK(found == NULL, "%s below the kernel", str(found));
	found = kallsyms_lookup(ks, UINT64_MAX, NULL, NULL);
	CHECK(found == NULL, "%s at the top", str(found));
	kallsyms_free(ks);
	CHECK(kallsyms_lookup(NULL, sched, NULL, NULL) == NULL,
	    "lookup without a table");
}

int
main(int argc, char **argv)
{
	struct pd_config cfg;
	char	 dir[] = "/tmp/test-symbols.XXXXXX", *self, *arg, *path;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [symtest]\n", argv[0]);
		return (1);
	}
	self = xstrdup(argv[0]);
	if (argc == 2)
		arg = xstrdup(argv[1]);
	else
		xasprintf(&arg, "%s/symtest", dirname(self));
	if ((path = realpath(arg, NULL)) == NULL)
		fatal("%s", arg);
	free(arg);
	free(self);
	log_init(1, getenv("VERBOSE") != NULL ? PD_LOG_DEBUG : PD_LOG_INFO);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	pd_config_init(&cfg);
	symbols_init(&cfg);

	test_binary(path);
	test_stripped(path, dir);
	test_bad(path, dir);
	test_kallsyms();
	test_kallsyms_nobody();

	binary_free();
	rmdir(dir);
	free(path);
	return (check_done("test-symbols"));
}
