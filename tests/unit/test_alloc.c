/* test_alloc.c — udfrt_aligned_alloc (alloc.h): buffers under 256 KiB are
 * 64-byte aligned; from 256 KiB on they are whole 2 MiB pages, 2 MiB aligned
 * (so that the kernel can back them with huge pages), and usable to the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static void small_buffers_are_cache_line_aligned(void **state)
{
    (void)state;
    size_t sizes[] = {1, 64, 1000, 64 * KIB, 256 * KIB - 1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = udfrt_aligned_alloc(sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        memset(p, 1, sizes[i]);
        udfrt_free(p);
    }
}

static void buffers_from_256_kib_are_huge_page_aligned(void **state)
{
    (void)state;
    size_t sizes[] = {256 * KIB, 512 * KIB, 2 * MIB, 2 * MIB + 1, 5 * MIB};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = udfrt_aligned_alloc(sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % (2 * MIB), 0);
        memset(p, 1, sizes[i]);
        udfrt_free(p);
    }
}

static void sizes_that_overflow_are_refused(void **state)
{
    (void)state;
    assert_null(udfrt_aligned_alloc(SIZE_MAX - 100));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_buffers_are_cache_line_aligned),
        cmocka_unit_test(buffers_from_256_kib_are_huge_page_aligned),
        cmocka_unit_test(sizes_that_overflow_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
