/* elf_check.c — a shared library's segments within its file; see
 * elf_check.h. */
#include "elf_check.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether bytes [offset, offset + bytes) were read whole. */
static int read_at(int fd, void *dst, size_t bytes, uint64_t offset)
{
    return pread(fd, dst, bytes, (off_t)offset) == (ssize_t)bytes;
}

/* The end of the furthest loaded segment or of the program headers, or 0
 * if the file is not a 64-bit ELF file. */
static uint64_t needed_size(int fd)
{
    Elf64_Ehdr eh;
    if (!read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
        return 0;
    uint64_t end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (!read_at(fd, &ph, sizeof ph, eh.e_phoff + (uint64_t)i * sizeof ph))
            return end;
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > end)
            end = ph.p_offset + ph.p_filesz;
    }
    return end;
}

udfrt_status udfrt_elf_check(const char *path, udfrt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return UDFRT_OK;
    struct stat st = {0};
    uint64_t needed = fstat(fd, &st) == 0 ? needed_size(fd) : 0;
    close(fd);
    if (needed <= (uint64_t)st.st_size)
        return UDFRT_OK;
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "cannot load kernels from '%s': it is truncated (its segments need %llu "
                      "bytes, the file has %lld)",
                      path, (unsigned long long)needed, (long long)st.st_size);
}
