/* alloc.h — every allocation of libudfrt goes through here, so that tests can
 * make the n-th allocation fail and check that failure unwinds cleanly. */
#ifndef UDFRT_ALLOC_H
#define UDFRT_ALLOC_H

#include <stddef.h>

/* Zero-filled; NULL on failure (also for a size that overflows). */
void *udfrt_calloc(size_t count, size_t size);
void *udfrt_malloc(size_t size);
/* 64-byte aligned (a cache line, any vector width); from 256 KiB on, whole
 * 2 MiB pages, aligned and advised MADV_HUGEPAGE; free with udfrt_free. */
void *udfrt_aligned_alloc(size_t size);
void udfrt_free(void *p);

/* Test hook: after `n` more successful allocations, every allocation fails
 * (n < 0: never fail). */
void udfrt_alloc_fail_after(long n);

#endif
