/* test_npy.c — .npy headers: what we write numpy-style parses back, and
 * malformed headers are refused with a message naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "npy.h"

static int temp_file(const void *bytes, size_t n)
{
    char path[] = "/tmp/udf-test-npy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    return fd;
}

static void round_trip(void **state)
{
    (void)state;
    const int64_t shape[] = {7, 9, 23, 17};
    char header[256];
    size_t n = udfrt_npy_format_header(UDF_DTYPE_U16, 4, shape, header, sizeof header);
    assert_int_equal(n % 64, 0);
    assert_int_equal(header[n - 1], '\n');
    int fd = temp_file(header, n);
    udfrt_npy_header hdr;
    udfrt_error err = {0};
    assert_int_equal(udfrt_npy_read_header(fd, "t.npy", &hdr, &err), UDFRT_OK);
    assert_int_equal(hdr.dtype, UDF_DTYPE_U16);
    assert_int_equal(hdr.rank, 4);
    assert_memory_equal(hdr.shape, shape, sizeof shape);
    assert_int_equal(hdr.data_offset, (int64_t)n);
    assert_false(hdr.big_endian);
    close(fd);
}

static void one_dim_and_big_endian(void **state)
{
    (void)state;
    const char text[] =
        "\x93NUMPY\x01\x00\x3a\x00{'descr': '>f8', 'fortran_order': False, 'shape': (5,), }";
    char header[128];
    memset(header, ' ', sizeof header);
    memcpy(header, text, sizeof text - 1);
    header[10 + 0x3a - 1] = '\n';
    int fd = temp_file(header, 10 + 0x3a);
    udfrt_npy_header hdr;
    udfrt_error err = {0};
    assert_int_equal(udfrt_npy_read_header(fd, "t.npy", &hdr, &err), UDFRT_OK);
    assert_int_equal(hdr.dtype, UDF_DTYPE_F64);
    assert_true(hdr.big_endian);
    assert_int_equal(hdr.rank, 1);
    assert_int_equal(hdr.shape[0], 5);
    close(fd);
}

static void refuses(const char *bytes, size_t n, const char *needle)
{
    int fd = temp_file(bytes, n);
    udfrt_npy_header hdr;
    udfrt_error err = {0};
    assert_int_equal(udfrt_npy_read_header(fd, "bad.npy", &hdr, &err), UDFRT_ERR_DATA);
    assert_non_null(strstr(err.msg, "bad.npy"));
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    close(fd);
}

static void malformed_headers(void **state)
{
    (void)state;
    refuses("NUMPY", 5, "magic");
    refuses("\x93NUMPY\x09\x00\x10\x00{}", 12, "version");
    refuses("\x93NUMPY\x01\x00\x40\x00{'descr'", 18, "truncated");
    const char complex_descr[] =
        "\x93NUMPY\x01\x00\x36\x00{'descr': '<c8', 'fortran_order': False, 'shape': (2,)}";
    refuses(complex_descr, sizeof complex_descr - 1, "c8");
    const char bad_shape[] =
        "\x93NUMPY\x01\x00\x37\x00{'descr': '<u2', 'fortran_order': False, 'shape': (2,x)}";
    refuses(bad_shape, sizeof bad_shape - 1, "shape");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(one_dim_and_big_endian),
        cmocka_unit_test(malformed_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
