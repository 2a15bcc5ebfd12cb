/* elf_check.h — a shared library's layout checked before dlopen maps it: the
 * loader maps segments past the end of a truncated file and dies of SIGBUS
 * when it touches them. */
#ifndef UDFRT_ELF_CHECK_H
#define UDFRT_ELF_CHECK_H

#include "error.h"

/* UDFRT_ERR_DATA naming `path` if its program headers or loaded segments
 * reach past the end of the file; UDFRT_OK otherwise, also for files that
 * are not 64-bit ELF (dlopen says what is wrong with those). */
udfrt_status udfrt_elf_check(const char *path, udfrt_error *err);

#endif
