/* alloc.c — the allocation hook of libudfrt; see alloc.h. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static atomic_long allocations_left = -1;

void udfrt_alloc_fail_after(long n) { atomic_store(&allocations_left, n); }

static int may_allocate(void)
{
    long left = atomic_load(&allocations_left);
    while (left >= 0) {
        if (left == 0)
            return 0;
        if (atomic_compare_exchange_weak(&allocations_left, &left, left - 1))
            return 1;
    }
    return 1;
}

void *udfrt_malloc(size_t size) { return may_allocate() ? malloc(size ? size : 1) : NULL; }

void *udfrt_calloc(size_t count, size_t size)
{
    return may_allocate() ? calloc(count ? count : 1, size ? size : 1) : NULL;
}

void *udfrt_aligned_alloc(size_t size)
{
    if (size > SIZE_MAX - 64 || !may_allocate())
        return NULL;
    size_t rounded = (size + 63) & ~(size_t)63;
    return aligned_alloc(64, rounded ? rounded : 64);
}

void udfrt_free(void *p) { free(p); }
