/*
 * Facts about ELF files, read in one place: loadable segments, sections,
 * the GNU build ID, and the separate debug file. Unwinding and naming both
 * ask here, so they agree on segments and pick the same debug file. Every
 * byte is untrusted: sizes are checked against the file and against caps.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

#define ELFINFO_DEBUG_DIR	"/usr/lib/debug"
#define ELFINFO_MAX_NOTES	(64 << 10)
#define ELFINFO_MAX_LINK	4096
#define ELFINFO_MAX_ID		64

/*
 * The PT_LOAD segments of a file of size bytes, and the vaddrs its image
 * spans. A segment that runs past the end of the file, or past the end
 * of the address space, makes the whole file unusable.
 */
int
elfinfo_loads(Elf *elf, uint64_t size, struct elf_loads *out)
{
	GElf_Ehdr	 eh;
	GElf_Phdr	 ph;
	struct elf_load	*l;
	size_t		 n, i;

	memset(out, 0, sizeof *out);
	if (gelf_getehdr(elf, &eh) == NULL || elf_getphdrnum(elf, &n) != 0)
		return (-1);
	out->entry = eh.e_entry;
	out->loads = xcalloc(n + 1, sizeof *out->loads);
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		if ((ph.p_filesz != 0 && (ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset)) ||
		    ph.p_memsz > UINT64_MAX - ph.p_vaddr)
			goto fail;
		if (out->nloads == 0 || ph.p_vaddr < out->lo)
			out->lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > out->hi)
			out->hi = ph.p_vaddr + ph.p_memsz;
		l = &out->loads[out->nloads++];
		l->vaddr = ph.p_vaddr;
		l->offset = ph.p_offset;
		l->filesz = ph.p_filesz;
		l->memsz = ph.p_memsz;
		l->flags = ph.p_flags;
	}
	if (out->nloads == 0)
		goto fail;
	out->loads = xreallocarray(out->loads, out->nloads,
	    sizeof *out->loads);
	return (0);
fail:
	elfinfo_loads_free(out);
	return (-1);
}

void
elfinfo_loads_free(struct elf_loads *l)
{
	free(l->loads);
	memset(l, 0, sizeof *l);
}

/*
 * The bytes of the section named want, decompressed if need be, when
 * they are at most max; NULL if it has none.
 */
const void *
elfinfo_section(Elf *elf, const char *want, size_t max, size_t *len)
{
	Elf_Scn		*scn = NULL;
	Elf_Data	*d;
	GElf_Shdr	 sh;
	GElf_Chdr	 ch;
	const char	*name;
	size_t		 shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return (NULL);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL ||
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) == NULL ||
		    strcmp(name, want) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_size > max)
			return (NULL);
		if ((sh.sh_flags & SHF_COMPRESSED) &&
		    (gelf_getchdr(scn, &ch) == NULL || ch.ch_size > max ||
		    elf_compress(scn, 0, 0) != 1))
			return (NULL);
		if ((d = elf_getdata(scn, NULL)) == NULL || d->d_buf == NULL ||
		    d->d_size > max)
			return (NULL);
		*len = d->d_size;
		return (d->d_buf);
	}
	return (NULL);
}

/* The GNU build ID among the notes in d; 0 if there is none. */
static size_t
elfinfo_note_build_id(Elf_Data *d, unsigned char *id, size_t size)
{
	GElf_Nhdr	 nh;
	size_t		 off, next, name, desc;

	for (off = 0; (next = gelf_getnote(d, off, &nh, &name, &desc)) > 0;
	    off = next) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + name, "GNU", 4) != 0 ||
		    nh.n_descsz == 0 || nh.n_descsz > size)
			continue;
		memcpy(id, (char *)d->d_buf + desc, nh.n_descsz);
		return (nh.n_descsz);
	}
	return (0);
}

/*
 * The file's GNU build ID, from its note sections, else (a file without
 * section headers) its PT_NOTE segments; 0 if it has none.
 */
size_t
elfinfo_build_id(Elf *elf, unsigned char *id, size_t size)
{
	Elf_Scn		*scn = NULL;
	Elf_Data	*d;
	GElf_Shdr	 sh;
	GElf_Phdr	 ph;
	size_t		 n, i, len;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE ||
		    sh.sh_size > ELFINFO_MAX_NOTES ||
		    (d = elf_getdata(scn, NULL)) == NULL || d->d_buf == NULL)
			continue;
		if ((len = elfinfo_note_build_id(d, id, size)) != 0)
			return (len);
	}
	if (elf_getphdrnum(elf, &n) != 0)
		return (0);
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) == NULL ||
		    ph.p_type != PT_NOTE || ph.p_filesz > ELFINFO_MAX_NOTES ||
		    (d = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz,
		    ELF_T_NHDR)) == NULL || d->d_buf == NULL)
			continue;
		if ((len = elfinfo_note_build_id(d, id, size)) != 0)
			return (len);
	}
	return (0);
}

/* The file name .gnu_debuglink gives, if it is a plain name. */
static char *
elfinfo_debuglink(Elf *elf)
{
	const char	*name;
	size_t		 size, len;
	char		*s;

	if ((name = elfinfo_section(elf, ".gnu_debuglink", ELFINFO_MAX_LINK,
	    &size)) == NULL)
		return (NULL);
	len = strnlen(name, size);
	if (len == 0 || len == size || memchr(name, '/', len) != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (NULL);
	s = xmalloc(len + 1);
	memcpy(s, name, len + 1);
	return (s);
}

/* Open path if it is an ELF file of class cls with this build ID. */
static int
elfinfo_try_debug(const char *path, const unsigned char *id, size_t idlen,
    int cls)
{
	unsigned char	 got[ELFINFO_MAX_ID];
	struct stat	 st;
	Elf		*elf = NULL;
	int		 fd, ok = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return (-1);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (elf = elf_begin(fd, ELF_C_READ, NULL)) != NULL &&
	    elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == cls) {
		ok = elfinfo_build_id(elf, got, sizeof got) == idlen &&
		    memcmp(got, id, idlen) == 0;
		if (!ok)
			log_debug("%s: not the debug file wanted", path);
	}
	elf_end(elf);
	if (!ok) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static char *
elfinfo_dir_of(const char *path)
{
	const char	*slash;
	char		*dir;

	if (path[0] != '/' || (slash = strrchr(path, '/')) == NULL)
		return (NULL);
	dir = xmalloc(slash - path + 1);
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	return (dir);
}

/*
 * The separate debug file of an ELF file (opened at path, mapped as name):
 * by build ID under /usr/lib/debug/.build-id, then by debug link next to
 * the binary, in its .debug directory, and under /usr/lib/debug by the
 * name it is mapped by. It must carry the binary's build ID: without one,
 * nothing says a file is its debug file. Returns an open descriptor and
 * sets *found (when not NULL) to the path, or -1.
 */
int
elfinfo_debug_file(Elf *elf, const char *path, const char *name,
    char **found)
{
	unsigned char	 id[ELFINFO_MAX_ID];
	char		 hex[2 * ELFINFO_MAX_ID + 1], *try[4], *link;
	char		*dir;
	size_t		 idlen, i, n = 0;
	int		 fd = -1;

	if ((idlen = elfinfo_build_id(elf, id, sizeof id)) == 0)
		return (-1);
	for (i = 0; i < idlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	if (idlen >= 2)
		xasprintf(&try[n++], "%s/.build-id/%.2s/%s.debug",
		    ELFINFO_DEBUG_DIR, hex, hex + 2);
	link = elfinfo_debuglink(elf);
	if (link != NULL && (dir = elfinfo_dir_of(path)) != NULL) {
		xasprintf(&try[n++], "%s/%s", dir, link);
		xasprintf(&try[n++], "%s/.debug/%s", dir, link);
		free(dir);
	}
	if (link != NULL && (dir = elfinfo_dir_of(name)) != NULL) {
		xasprintf(&try[n++], "%s%s/%s", ELFINFO_DEBUG_DIR, dir, link);
		free(dir);
	}
	free(link);
	for (i = 0; i < n; i++) {
		if (fd == -1 && (fd = elfinfo_try_debug(try[i], id, idlen,
		    gelf_getclass(elf))) != -1) {
			log_debug("%s: debug file %s", name, try[i]);
			if (found != NULL) {
				*found = try[i];
				continue;
			}
		}
		free(try[i]);
	}
	return (fd);
}
