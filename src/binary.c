/*
 * Find the file a mapping names, as the process saw it: by its path when
 * that is still the same file, else through the process's own root (its
 * mount namespace), so container binaries resolve too, else through the
 * mapping itself in /proc/PID/map_files.
 */

#include <sys/stat.h>

#include <sys/auxv.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprofdrop.h"

/*
 * A cache: the kernel maps one vDSO image into every process, ours the
 * same, so a private copy of it in a file, made once and inherited by the
 * writers and the symbolizer, serves unwinding and names for all.
 */
static int	 vdso_fd = -1;

void
binary_init(void)
{
	const unsigned char	*image;
	GElf_Ehdr		 ehdr;
	Elf			*elf;
	size_t			 size;

	if (vdso_fd != -1 ||
	    (image = (const void *)getauxval(AT_SYSINFO_EHDR)) == NULL)
		return;
	/* The image ends with its section headers. */
	if ((elf = elf_memory((char *)image, 1 << 20)) == NULL)
		return;
	if (gelf_getehdr(elf, &ehdr) == NULL) {
		elf_end(elf);
		return;
	}
	size = ehdr.e_shoff + (size_t)ehdr.e_shnum * ehdr.e_shentsize;
	elf_end(elf);
	/* memfd_create is 3.17+; older kernels go without vDSO frames. */
	if (size == 0 || size > (1 << 20) ||
	    (vdso_fd = syscall(LINUX_NR_MEMFD_CREATE, "vdso",
	    LINUX_MFD_CLOEXEC)) == -1) {
		log_debug("no copy of the vDSO: its frames stay unnamed");
		return;
	}
	if (write(vdso_fd, image, size) != (ssize_t)size) {
		close(vdso_fd);
		vdso_fd = -1;
	}
}

void
binary_free(void)
{
	if (vdso_fd != -1)
		close(vdso_fd);
	vdso_fd = -1;
}

/* Is the open file the one the kernel mapped? Unknown identity matches. */
static int
binary_same_file(const struct dso *dso, const struct stat *st)
{
	if (dso->ino != 0 && st->st_ino != dso->ino)
		return (0);
	if (dso->dev != 0 && st->st_dev != (dev_t)dso->dev)
		return (0);
	return (1);
}

static int
binary_try(const struct dso *dso, const char *path)
{
	struct stat	 st;
	char		 magic[SELFMAG];
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		log_debug("%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (dso->build_id_len == 0 && !binary_same_file(dso, &st)) ||
	    pread(fd, magic, SELFMAG, 0) != SELFMAG ||
	    memcmp(magic, ELFMAG, SELFMAG) != 0) {
		log_debug("%s: not the mapped ELF file", path);
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Open the ELF file behind a dso; *path (when not NULL) is set to the path
 * that worked. When the dso has a build-id, the caller must check it.
 */
int
binary_open(const struct dso *dso, char **path)
{
	char	*alt;
	int	 fd;

	if (dso->kind == DSO_SPECIAL && strcmp(dso->name, "[vdso]") == 0 &&
	    vdso_fd != -1) {
		if (path != NULL)
			*path = xstrdup(dso->name);
		return (fcntl(vdso_fd, F_DUPFD_CLOEXEC, 0));
	}
	if (dso->kind != DSO_FILE)
		return (-1);
	if ((fd = binary_try(dso, dso->name)) != -1) {
		if (path != NULL)
			*path = xstrdup(dso->name);
		return (fd);
	}
	if (dso->pid <= 0)
		return (-1);
	xasprintf(&alt, "/proc/%d/root%s", (int)dso->pid, dso->name);
	if ((fd = binary_try(dso, alt)) == -1 && dso->map_end != 0) {
		/* Renamed over (an upgrade) or deleted: the mapped file. */
		free(alt);
		xasprintf(&alt, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		    (int)dso->pid, dso->map_start, dso->map_end);
		fd = binary_try(dso, alt);
	}
	if (fd != -1 && path != NULL)
		*path = alt;
	else
		free(alt);
	return (fd);
}
