/* heap_pages.c — the heap grown ahead on 2 MiB pages; see heap_pages.h. */
#include "heap_pages.h"

#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)
/* Below malloc's mmap threshold (128 KiB), so taken from the heap's top: a
 * few of them use up the top and make malloc grow the heap. */
#define PROBE_BYTES ((size_t)100 << 10)
#define MAX_PROBES 8

size_t heap_grow_on_huge_pages(size_t bytes)
{
    if (bytes > (size_t)INT_MAX / 2) /* mallopt takes an int, and twice this */
        bytes = (size_t)INT_MAX / 2;
    mallopt(M_TOP_PAD, (int)bytes);
    mallopt(M_TRIM_THRESHOLD, (int)(2 * bytes));
    char *top = sbrk(0);
    void *probes[MAX_PROBES];
    int n = 0;
    while ((char *)sbrk(0) == top && n < MAX_PROBES && (probes[n] = malloc(PROBE_BYTES)))
        n++;
    char *end = sbrk(0);
    while (n > 0)
        free(probes[--n]); /* back to the top; kept there by the trim threshold */
    uintptr_t from = ((uintptr_t)top + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t to = (uintptr_t)end & ~(HUGE_PAGE - 1);
    if (to <= from || madvise((void *)from, to - from, MADV_HUGEPAGE) != 0)
        return 0;
    return to - from;
}
