/* test_mib_header.c — Merlin frame and .hdr header parsing (mib_header.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mib_header.h"

/* A 384-byte header: the fields, then `pad` up to the data offset. */
static void header(char *buf, const char *fields, char pad)
{
    memset(buf, pad, 384);
    memcpy(buf, fields, strlen(fields));
}

static void processed_u16(void **state)
{
    (void)state;
    char buf[384];
    header(buf,
           "MQ1,000042,00384,01,0256,0128,U16,   1x1,01,2020-05-18 16:51:49.971626,0.000555,0,0,0,"
           "1.2E+2,5.11E+2,0,0,0,0,0,0,3RX,175,511,MQ1A,2020-05-18T14:51:49.971626178Z,555000ns,12",
           ' ');
    udfrt_mib_header h;
    assert_null(udfrt_mib_parse_header(buf, sizeof buf, &h));
    assert_int_equal(h.sequence, 42);
    assert_int_equal(h.header_bytes, 384);
    assert_int_equal(h.width, 256);
    assert_int_equal(h.height, 128);
    assert_string_equal(h.layout, "1x1");
    assert_int_equal(h.counter_depth, 12);
    assert_int_equal(h.dtype, UDF_DTYPE_U16);
    assert_int_equal(h.image_bytes, 256 * 128 * 2);
    assert_false(h.raw);
}

static void nul_padding_and_raw_24(void **state)
{
    (void)state;
    char buf[384];
    header(buf, "MQ1,000001,00384,01,0512,0256,R64,   1x1,01,x,0,0,0,0,MQ1A,t,555000ns,24", 0);
    udfrt_mib_header h;
    assert_null(udfrt_mib_parse_header(buf, sizeof buf, &h));
    assert_true(h.raw);
    assert_int_equal(h.counter_depth, 24);
    assert_int_equal(h.sig_width, 256); /* the header gives twice the width */
    assert_int_equal(h.sig_height, 256);
    assert_int_equal(h.dtype, UDF_DTYPE_U32);
    assert_int_equal(h.image_bytes, 256 * 256 * 4);
}

static void bad_headers(void **state)
{
    (void)state;
    char buf[384];
    udfrt_mib_header h;
    header(buf, "XQ1,000001,00384,01,0256,0256,U08,   1x1,01,x,0,0,0,0,6", ' ');
    assert_non_null(udfrt_mib_parse_header(buf, sizeof buf, &h));
    header(buf, "MQ1,000001,00384,01,0256,0256,U12,   1x1,01,x,0,0,0,0,6", ' ');
    assert_non_null(strstr(udfrt_mib_parse_header(buf, sizeof buf, &h), "pixel type"));
    header(buf, "MQ1,000001,00384,01,0256,0256,R64,   1x1,01,x,0,0,0,0,7", ' ');
    assert_non_null(strstr(udfrt_mib_parse_header(buf, sizeof buf, &h), "counter depth"));
    header(buf, "MQ1,000001,00768,04,0512,0512,R64,   2x2,0f,x,0,0,0,0,24", ' ');
    assert_non_null(strstr(udfrt_mib_parse_header(buf, sizeof buf, &h), "ends inside"));
    header(buf, "MQ1,000001,0x384,01,0256,0256,U08,   1x1,01,x,0,0,0,0,6", ' ');
    assert_non_null(strstr(udfrt_mib_parse_header(buf, sizeof buf, &h), "header length"));
}

static void acquisition_headers(void **state)
{
    (void)state;
    int64_t nav[2];
    int rank;
    const char *triggers = "HDR,\t\nFrames in Acquisition (Number):\t1024\n"
                           "Frames per Trigger (Number):\t32\nEnd\t\n";
    assert_null(udfrt_mib_parse_hdr(triggers, strlen(triggers), nav, &rank));
    assert_int_equal(rank, 2);
    assert_int_equal(nav[0], 32);
    assert_int_equal(nav[1], 32);
    const char *scan = "HDR,\t\nFrames in Acquisition (Number):\t1024\n"
                       "Frames per Trigger (Number):\t1\nScanX:\t64\nScanY:\t16\nEnd\t\n";
    assert_null(udfrt_mib_parse_hdr(scan, strlen(scan), nav, &rank));
    assert_int_equal(rank, 2);
    assert_int_equal(nav[0], 16);
    assert_int_equal(nav[1], 64);
    const char *per_pixel = "HDR,\t\nFrames in Acquisition (Number):\t1024\n"
                            "Frames per Trigger (Number):\t1\nEnd\t\n";
    assert_null(udfrt_mib_parse_hdr(per_pixel, strlen(per_pixel), nav, &rank));
    assert_int_equal(rank, 0);
    assert_non_null(udfrt_mib_parse_hdr("junk", 4, nav, &rank));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(processed_u16),
        cmocka_unit_test(nul_padding_and_raw_24),
        cmocka_unit_test(bad_headers),
        cmocka_unit_test(acquisition_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
