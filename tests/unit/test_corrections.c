/* test_corrections.c — detector corrections on hand-made frames: the float
 * type per stored type, (raw - dark) * gain, excluded pixels repaired from
 * their valid neighbours in 1-D, 2-D and 3-D frames, an isolated excluded
 * pixel refused with its coordinates, and allocation failures unwinding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "corrections.h"

static udfrt_dataset frames_of(udf_dtype t, int rank, const int64_t *shape)
{
    udfrt_dataset ds = {.dtype = t, .sig_rank = rank, .sig_size = 1};
    for (int i = 0; i < rank; i++) {
        ds.sig_shape[i] = shape[i];
        ds.sig_size *= shape[i];
    }
    return ds;
}

static void float_types(void **state)
{
    (void)state;
    static const udf_dtype f32[] = {UDF_DTYPE_BOOL, UDF_DTYPE_I8,  UDF_DTYPE_I16,
                                    UDF_DTYPE_U8,   UDF_DTYPE_U16, UDF_DTYPE_F32};
    static const udf_dtype f64[] = {UDF_DTYPE_I32, UDF_DTYPE_I64, UDF_DTYPE_U32, UDF_DTYPE_U64,
                                    UDF_DTYPE_F64};
    for (size_t i = 0; i < sizeof f32 / sizeof *f32; i++)
        assert_int_equal(udfrt_corrections_dtype(f32[i]), UDF_DTYPE_F32);
    for (size_t i = 0; i < sizeof f64 / sizeof *f64; i++)
        assert_int_equal(udfrt_corrections_dtype(f64[i]), UDF_DTYPE_F64);
}

static void dark_and_gain(void **state)
{
    (void)state;
    const int64_t shape[] = {4};
    udfrt_dataset ds = frames_of(UDF_DTYPE_U16, 1, shape);
    const double dark[] = {1, 2, 3, 4}, gain[] = {2, 0.5, 1, -1};
    udfrt_corrections *c;
    udfrt_error err = {0};
    assert_int_equal(udfrt_corrections_create(&ds, dark, gain, NULL, "m", &c, &err), UDFRT_OK);
    const uint16_t raw[] = {10, 10, 0, 65535};
    float out[4];
    udfrt_corrections_apply(c, raw, out);
    assert_true(out[0] == 18 && out[1] == 4 && out[2] == -3 && out[3] == -65531);
    udfrt_corrections_destroy(c);
}

static void repair_1d_2d_3d(void **state)
{
    (void)state;
    udfrt_corrections *c;
    udfrt_error err = {0};
    /* 1-D: pixel 0 has one neighbour (1); pixel 3 two (2 and 4). */
    const int64_t line[] = {5};
    udfrt_dataset ds = frames_of(UDF_DTYPE_I32, 1, line);
    const uint8_t ex1[] = {1, 0, 0, 1, 0};
    assert_int_equal(udfrt_corrections_create(&ds, NULL, NULL, ex1, "m", &c, &err), UDFRT_OK);
    assert_int_equal(udfrt_corrections_excluded(c), 2);
    const int32_t raw1[] = {100, 7, 8, 100, 11};
    double out1[5];
    udfrt_corrections_apply(c, raw1, out1);
    assert_true(out1[0] == 7 && out1[3] == 9.5 && out1[4] == 11);
    udfrt_corrections_destroy(c);

    /* 2-D 3x3: the centre averages the 7 others that are not excluded; the
     * excluded corner (0, 0) averages (0, 1) and (1, 0) (not the centre). */
    const int64_t square[] = {3, 3};
    ds = frames_of(UDF_DTYPE_U8, 2, square);
    const uint8_t ex2[] = {1, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(udfrt_corrections_create(&ds, NULL, NULL, ex2, "m", &c, &err), UDFRT_OK);
    const uint8_t raw2[] = {200, 1, 2, 3, 200, 5, 6, 7, 8};
    float out2[9];
    udfrt_corrections_apply(c, raw2, out2);
    assert_true(out2[0] == 2.0f);
    assert_true(out2[4] == (float)(32.0 / 7));
    assert_true(out2[8] == 8);
    udfrt_corrections_destroy(c);

    /* 3-D 3x3x3: the centre has 26 neighbours. */
    const int64_t cube[] = {3, 3, 3};
    ds = frames_of(UDF_DTYPE_F64, 3, cube);
    uint8_t ex3[27] = {0};
    ex3[13] = 1;
    assert_int_equal(udfrt_corrections_create(&ds, NULL, NULL, ex3, "m", &c, &err), UDFRT_OK);
    double raw3[27], out3[27];
    for (int i = 0; i < 27; i++)
        raw3[i] = i;
    udfrt_corrections_apply(c, raw3, out3);
    assert_true(out3[13] == (351.0 - 13) / 26);
    udfrt_corrections_destroy(c);
}

static void isolated_pixel_refused(void **state)
{
    (void)state;
    const int64_t shape[] = {2, 3};
    udfrt_dataset ds = frames_of(UDF_DTYPE_U16, 2, shape);
    const uint8_t ex[] = {0, 1, 1, 0, 1, 1}; /* (0, 2) and (1, 2) see only each other */
    udfrt_corrections *c = NULL;
    udfrt_error err = {0};
    /* (0, 1) has valid neighbours (0, 0) and (1, 0); (0, 2) has none. */
    assert_int_equal(udfrt_corrections_create(&ds, NULL, NULL, ex, "mask.npy", &c, &err),
                     UDFRT_ERR_DATA);
    assert_null(c);
    assert_non_null(strstr(err.msg, "'mask.npy', excluded pixel (0, 2) has no valid neighbour"));
}

static void allocation_failures_unwind(void **state)
{
    (void)state;
    const int64_t shape[] = {4, 4};
    udfrt_dataset ds = frames_of(UDF_DTYPE_U16, 2, shape);
    uint8_t ex[16] = {0};
    ex[5] = 1;
    const double dark[16] = {0};
    int failures = 0;
    for (long n = 0; n < 10; n++) {
        udfrt_corrections *c = NULL;
        udfrt_error err = {0};
        udfrt_alloc_fail_after(n);
        udfrt_status st = udfrt_corrections_create(&ds, dark, NULL, ex, "m", &c, &err);
        udfrt_alloc_fail_after(-1);
        if (st != UDFRT_OK) {
            assert_non_null(strstr(err.msg, "out of memory"));
            assert_null(c);
            failures++;
        }
        udfrt_corrections_destroy(c);
    }
    assert_int_equal(failures, 5); /* struct, dark, three repair lists (no gain: no plane) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_types),
        cmocka_unit_test(dark_and_gain),
        cmocka_unit_test(repair_1d_2d_3d),
        cmocka_unit_test(isolated_pixel_refused),
        cmocka_unit_test(allocation_failures_unwind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
