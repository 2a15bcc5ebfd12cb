/* heap_pages.c — the heap grown ahead on 2 MiB pages; see heap_pages.h. */
#include "heap_pages.h"

#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)
/* glibc's heaps of thread arenas: at most this large, aligned to it
 * (HEAP_MAX_SIZE on 64-bit systems). */
#define ARENA_HEAP_BYTES ((uintptr_t)64 << 20)
/* Below malloc's mmap threshold (128 KiB), so taken from the heap's top: a
 * few of them use up the top and make malloc grow the heap. */
#define PROBE_BYTES ((size_t)100 << 10)
#define MAX_PROBES 8

/* Whether heap_grow_on_huge_pages advised the main heap (and set malloc's top
 * pad, which thread heaps take at creation too). */
static int main_heap_advised;

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
    main_heap_advised = 1;
    return to - from;
}

/* The program's end: the main heap lies beyond it, up to sbrk(0). */
extern char end;

/* The mapping [*start, *end) that holds address `at` (/proc/self/maps). */
static int mapping_of(uintptr_t at, uintptr_t *start, uintptr_t *end)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps)) {
        unsigned long a, b;
        found = sscanf(line, "%lx-%lx ", &a, &b) == 2 && a <= at && at < b;
        *start = a;
        *end = b;
    }
    fclose(maps);
    return found;
}

size_t thread_heap_on_huge_pages(void)
{
    if (!main_heap_advised)
        return 0;
    void *probe = malloc(64);
    if (!probe)
        return 0;
    uintptr_t at = (uintptr_t)probe;
    int from_heap = (uintptr_t)&end <= at && at < (uintptr_t)sbrk(0);
    uintptr_t start = 0, stop = 0;
    int found = !from_heap && mapping_of(at, &start, &stop);
    free(probe);
    if (!found)
        return 0;
    /* Within glibc's heap of the arena (aligned to its 64 MiB maximum), should
     * the kernel have merged the mapping with a neighbour. */
    uintptr_t heap = at & ~(ARENA_HEAP_BYTES - 1);
    start = start > heap ? start : heap;
    stop = stop < heap + ARENA_HEAP_BYTES ? stop : heap + ARENA_HEAP_BYTES;
    uintptr_t from = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t to = stop & ~(HUGE_PAGE - 1);
    if (to <= from || madvise((void *)from, to - from, MADV_HUGEPAGE) != 0)
        return 0;
    /* The arena's header already lies in 4 KiB pages of the first one; made
     * one huge page where the kernel can (else that one stays small). */
    madvise((void *)from, HUGE_PAGE, MADV_COLLAPSE);
    return to - from;
}
