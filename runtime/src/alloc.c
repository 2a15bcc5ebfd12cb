/* alloc.c — the allocation hook of libudfrt; see alloc.h. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/* Buffers of HUGE_FROM_BYTES or more are rounded up to whole huge pages
 * (HUGE_BYTES) and get them where the kernel offers them for the asking
 * (MADV_HUGEPAGE): a fresh buffer then costs a fault per 2 MiB instead of
 * per 4 KiB. On a virtual machine whose page faults are dear that made HDF5
 * reads through a 48 MiB chunk cache per thread 4.6× faster, and from 256 KiB
 * on (a partition's partial sums of a 256² detector are 256–512 KiB each), a
 * 2 GiB sum 1.1× and stddev 1.24× faster (medians of 9): 64–128 faults per
 * fresh buffer took longer than zeroing a huge page. The rounding costs at
 * most 8× the memory of such a buffer, and nothing where the kernel gives no
 * huge pages (untouched small pages stay unallocated). */
#define HUGE_FROM_BYTES ((size_t)256 << 10)
#define HUGE_BYTES ((size_t)2 << 20)

void *udfrt_aligned_alloc(size_t size)
{
    if (size > SIZE_MAX - HUGE_BYTES || !may_allocate())
        return NULL;
    if (size >= HUGE_FROM_BYTES) {
        size_t rounded = (size + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
        void *p = aligned_alloc(HUGE_BYTES, rounded);
        if (p)
            madvise(p, rounded, MADV_HUGEPAGE); /* advice: failing it changes nothing */
        return p;
    }
    size_t rounded = (size + 63) & ~(size_t)63;
    return aligned_alloc(64, rounded ? rounded : 64);
}

void udfrt_free(void *p) { free(p); }
