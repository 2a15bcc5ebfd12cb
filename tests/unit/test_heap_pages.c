/* test_heap_pages.c — heap_grow_on_huge_pages (compiler/heap_pages.h): the
 * heap grows by the bytes asked at once, the growth's whole 2 MiB pages are
 * advised as huge pages (VmFlags "hg" in /proc/self/smaps), and malloc works
 * on as before. Skipped where the heap does not grow by brk (under
 * AddressSanitizer's allocator) or the kernel has no transparent huge pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "heap_pages.h"

#define MIB ((size_t)1 << 20)

/* Bytes of the mappings inside [from, to) whose VmFlags include "hg". */
static size_t huge_advised_bytes(uintptr_t from, uintptr_t to)
{
    FILE *smaps = fopen("/proc/self/smaps", "r");
    assert_non_null(smaps);
    char line[512];
    uintptr_t start = 0, end = 0;
    size_t advised = 0;
    while (fgets(line, sizeof line, smaps)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
            start = a;
            end = b;
        } else if (strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " hg") && start >= from &&
                   end <= to) {
            advised += end - start;
        }
    }
    fclose(smaps);
    return advised;
}

/* Whether the kernel takes MADV_HUGEPAGE advice (it has transparent huge pages). */
static int kernel_has_huge_pages(void)
{
    void *probe = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(probe != MAP_FAILED);
    int yes = madvise(probe, 4 * MIB, MADV_HUGEPAGE) == 0;
    munmap(probe, 4 * MIB);
    return yes;
}

static void heap_grows_on_huge_pages(void **state)
{
    (void)state;
    if (!kernel_has_huge_pages())
        skip();
    uintptr_t before = (uintptr_t)sbrk(0);
    size_t advised = heap_grow_on_huge_pages(16 * MIB);
    uintptr_t after = (uintptr_t)sbrk(0);
    if (after == before) { /* malloc does not use the brk heap */
        assert_int_equal(advised, 0);
        skip();
    }
    assert_true(after - before >= 16 * MIB);
    assert_true(advised >= 14 * MIB && advised <= 16 * MIB + 2 * MIB);
    assert_int_equal(huge_advised_bytes(before, after), advised);
    /* Small allocations come from the heap, the last ones from its growth,
     * and are usable. */
    enum { N = 64, BLOCK = 64 << 10 };
    unsigned char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(BLOCK);
        assert_non_null(blocks[i]);
        assert_true((uintptr_t)blocks[i] < after);
        memset(blocks[i], i, BLOCK);
    }
    assert_true((uintptr_t)blocks[N - 1] >= before);
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    /* Freed memory stays in the heap. */
    assert_int_equal((uintptr_t)sbrk(0), after);
}

/* A second thread's own malloc heap, once the main heap is advised. */
static void *advise_thread_heap(void *result)
{
    size_t *advised = result;
    advised[0] = thread_heap_on_huge_pages();
    void *block = malloc(4096);
    advised[1] = (uintptr_t)block;
    free(block);
    return NULL;
}

/* After heap_grows_on_huge_pages (the main heap advised, a top pad of 16
 * MiB): a new thread's heap is advised, the main thread's left alone. */
static void thread_heap_on_huge_pages_too(void **state)
{
    (void)state;
    void *probe = malloc(64);
    uintptr_t brk_end = (uintptr_t)sbrk(0);
    int brk_heap = (uintptr_t)probe < brk_end && brk_end - (uintptr_t)probe < 1024 * MIB;
    free(probe);
    if (!kernel_has_huge_pages() || !brk_heap) { /* heap_grows_on_huge_pages skipped too */
        assert_int_equal(thread_heap_on_huge_pages(), 0);
        skip();
    }
    assert_int_equal(thread_heap_on_huge_pages(), 0); /* the main heap: done already */
    size_t result[2] = {0, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, advise_thread_heap, result), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    if (result[1] < (uintptr_t)sbrk(0) && (uintptr_t)sbrk(0) - result[1] < 1024 * MIB) {
        /* One arena for all threads (MALLOC_ARENA_MAX=1): nothing to advise. */
        assert_int_equal(result[0], 0);
        skip();
    }
    /* glibc's heap of the thread's arena, 64 MiB-aligned, made RW 16 MiB at
     * once (the top pad): its whole 2 MiB pages advised, and nothing else. */
    size_t advised = result[0];
    uintptr_t heap = result[1] & ~(64 * MIB - 1);
    assert_true(advised >= 14 * MIB && advised <= 64 * MIB);
    assert_int_equal(huge_advised_bytes(heap, heap + 64 * MIB), advised);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(heap_grows_on_huge_pages),
                                       cmocka_unit_test(thread_heap_on_huge_pages_too)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
