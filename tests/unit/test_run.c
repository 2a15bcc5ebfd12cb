/* test_run.c — the run engine with a hand-written kernel (no compiler): every
 * frame is seen exactly once, nav results land at their index (shifted by a
 * sync offset), partial sig results merge in a tree whose shape does not
 * depend on the thread count, a kernel compiled for another element type is
 * refused, failing allocations unwind with an error instead of a crash,
 * buffers flagged UDF_BUF_UNINIT are not filled for each partition, and in
 * one run a kernel that corrects frames as it loads them (kernel_abi.h
 * UDF_FUSED) gets the stored frames and the planes, one that does not gets
 * corrected frames; a file that shrinks while mapped is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "dataset.h"
#include "read_trial.h"
#include "run.h"

/* Buffers: 0 nav f64 "first" (first pixel of the frame), 1 sig u32 "seen"
 * (frames seen per pixel, as a sum), 2 single f64 "order" (a merge that is not
 * commutative, so the tree's shape shows: order = order * 1000 + partials). */
static void tile(const udf_ctx *ctx, const udf_tile *t, void *const *bufs)
{
    double *first = bufs[0];
    uint32_t *seen = bufs[1];
    double *order = bufs[2];
    for (int64_t f = 0; f < t->depth; f++) {
        const uint16_t *frame = t->frames[f];
        first[t->nav_index[f]] = frame[0];
        for (int64_t p = 0; p < ctx->sig_size; p++)
            seen[p] += 1;
        *order = *order * 0.5 + (double)t->nav_index[f];
    }
}

/* Merges buffer 1, "seen", of both kernels here. */
static void merge_seen(const udf_ctx *ctx, void *const *dest, void *const *src)
{
    uint32_t *d = dest[1];
    const uint32_t *s = src[1];
    for (int64_t p = 0; p < ctx->sig_size; p++)
        d[p] += s[p];
}

static void merge(const udf_ctx *ctx, void *const *dest, void *const *src)
{
    merge_seen(ctx, dest, src);
    *(double *)dest[2] = *(double *)dest[2] * 3.0 + *(double *)src[2];
}

static const udf_buffer_desc buffers[] = {
    {.name = "first", .kind = UDF_KIND_NAV, .dtype = UDF_DTYPE_F64},
    {.name = "seen", .kind = UDF_KIND_SIG, .dtype = UDF_DTYPE_U32},
    {.name = "order", .kind = UDF_KIND_SINGLE, .dtype = UDF_DTYPE_F64},
};

static const udf_kernel_desc kernel = {
    .name = "probe",
    .input_dtype = UDF_DTYPE_U16,
    .n_buffers = 3,
    .buffers = buffers,
    .tile = tile,
    .merge = merge,
};

static udfrt_dataset *open_demo(const char *spec)
{
    udfrt_dataset *ds = NULL;
    udfrt_error err = {0};
    assert_int_equal(udfrt_dataset_open(spec, NULL, &ds, &err), UDFRT_OK);
    return ds;
}

static void run_probe(udfrt_dataset *ds, int threads, int64_t partitions, const uint8_t *roi,
                      udfrt_job *job)
{
    memset(job, 0, sizeof *job);
    job->kernel = &kernel;
    udfrt_run_options opt = {.threads = threads, .partitions = partitions, .roi = roi};
    udfrt_error err = {0};
    assert_int_equal(udfrt_run(ds, job, 1, &opt, NULL, &err), UDFRT_OK);
}

static void every_frame_once(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:5,7,6,4");
    for (int threads = 1; threads <= 3; threads++)
        for (int64_t parts = 1; parts <= 35; parts += 3) {
            udfrt_job job;
            run_probe(ds, threads, parts, NULL, &job);
            const uint32_t *seen = job.buffers[1];
            for (int p = 0; p < 24; p++)
                assert_int_equal(seen[p], 35);
            const double *first = job.buffers[0];
            for (int i = 0; i < 35; i++)
                assert_false(first[i] != first[i]); /* processed: not NaN */
            udfrt_job_release(&job);
        }
    udfrt_dataset_destroy(ds);
}

static void merge_order_independent_of_threads(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:9,13,8,8");
    for (int64_t parts = 1; parts <= 40; parts += 7) {
        double reference = 0;
        for (int threads = 1; threads <= 4; threads++) {
            udfrt_job job;
            run_probe(ds, threads, parts, NULL, &job);
            double order = *(double *)job.buffers[2];
            if (threads == 1)
                reference = order;
            assert_true(order == reference);
            udfrt_job_release(&job);
        }
    }
    udfrt_dataset_destroy(ds);
}

static void roi_selects_frames(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:4,5,3,3");
    uint8_t roi[20] = {0};
    roi[0] = roi[7] = roi[19] = 1;
    udfrt_job job;
    run_probe(ds, 2, 0, roi, &job);
    const double *first = job.buffers[0];
    for (int i = 0; i < 20; i++)
        assert_int_equal(first[i] == first[i], roi[i]); /* NaN where not selected */
    assert_int_equal(((const uint32_t *)job.buffers[1])[4], 3);
    udfrt_job_release(&job);

    memset(roi, 0, sizeof roi); /* empty: sums stay at their start value */
    run_probe(ds, 2, 0, roi, &job);
    assert_int_equal(((const uint32_t *)job.buffers[1])[0], 0);
    udfrt_job_release(&job);
    udfrt_dataset_destroy(ds);
}

static void sync_offset_shifts_frames(void **state)
{
    (void)state;
    udfrt_dataset *plain = open_demo("demo:3,4,5,5");
    udfrt_open_options shifted_opt = {.sync_offset = -2};
    udfrt_dataset *shifted = NULL;
    udfrt_error err = {0};
    assert_int_equal(udfrt_dataset_open("demo:3,4,5,5", &shifted_opt, &shifted, &err), UDFRT_OK);
    udfrt_job a, b;
    run_probe(plain, 2, 0, NULL, &a);
    run_probe(shifted, 2, 0, NULL, &b);
    const double *first_a = a.buffers[0], *first_b = b.buffers[0];
    for (int i = 0; i < 12; i++)
        if (i < 2)
            assert_true(first_b[i] != first_b[i]); /* inserted positions: NaN */
        else
            assert_true(first_b[i] == first_a[i - 2]);
    assert_int_equal(((const uint32_t *)b.buffers[1])[0], 10);
    udfrt_job_release(&a);
    udfrt_job_release(&b);
    udfrt_dataset_destroy(plain);
    udfrt_dataset_destroy(shifted);
}

static void kernel_for_another_type_refused(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:2,2,4,4");
    const double gain[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    udfrt_corrections *c;
    udfrt_error err = {0};
    assert_int_equal(udfrt_corrections_create(ds, NULL, gain, NULL, "", &c, &err), UDFRT_OK);
    udfrt_job job = {.kernel = &kernel}; /* compiled for u16; corrected frames are f32 */
    udfrt_run_options opt = {.threads = 1, .corrections = c};
    assert_int_equal(udfrt_run(ds, &job, 1, &opt, NULL, &err), UDFRT_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "compiled for u16 frames, but the run reads f32 frames"));
    udfrt_job_release(&job);
    udfrt_corrections_destroy(c);
    udfrt_dataset_destroy(ds);
}

/* Pixel 5 of each frame, corrected, at the frame's position: from the
 * stored u16 frame and the dark plane after the (no) params ... */
static void tile_fused(const udf_ctx *ctx, const udf_tile *t, void *const *bufs)
{
    const float *dark = ctx->params[0];
    for (int64_t f = 0; f < t->depth; f++)
        ((double *)bufs[0])[t->nav_index[f]] = (float)((const uint16_t *)t->frames[f])[5] - dark[5];
}

/* ... and from a corrected f32 frame. */
static void tile_whole(const udf_ctx *ctx, const udf_tile *t, void *const *bufs)
{
    (void)ctx;
    for (int64_t f = 0; f < t->depth; f++)
        ((double *)bufs[0])[t->nav_index[f]] = ((const float *)t->frames[f])[5];
}

static const udf_buffer_desc pixel5[] = {
    {.name = "pixel5", .kind = UDF_KIND_NAV, .dtype = UDF_DTYPE_F64}};

static void fused_and_whole_frame_kernels_in_one_run(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:3,4,4,4");
    double dark[16];
    for (int p = 0; p < 16; p++)
        dark[p] = 0.25 * p + 3;
    udfrt_corrections *c;
    udfrt_error err = {0};
    assert_int_equal(udfrt_corrections_create(ds, dark, NULL, NULL, "", &c, &err), UDFRT_OK);
    udf_kernel_desc fused = {.name = "fused",
                             .input_dtype = UDF_DTYPE_F32,
                             .n_buffers = 1,
                             .buffers = pixel5,
                             .tile = tile_fused,
                             .fused = UDF_FUSED | UDF_DTYPE_U16 | UDF_FUSED_DARK};
    udf_kernel_desc whole = fused;
    whole.name = "whole";
    whole.tile = tile_whole;
    whole.fused = 0;
    void *params[2][2] = {{0}};
    udfrt_job jobs[2] = {{.kernel = &fused, .params = params[0]},
                         {.kernel = &whole, .params = params[1]}};
    udfrt_run_options opt = {.threads = 2, .corrections = c};
    udfrt_run_stats stats;
    assert_int_equal(udfrt_run(ds, jobs, 2, &opt, &stats, &err), UDFRT_OK);
    assert_false(stats.corrections_fused); /* one kernel needed corrected frames */
    for (int i = 0; i < 12; i++)
        assert_true(((double *)jobs[0].buffers[0])[i] == ((double *)jobs[1].buffers[0])[i]);
    assert_true(((double *)jobs[0].buffers[0])[7] != 0);
    udfrt_job_release(&jobs[0]);
    udfrt_job_release(&jobs[1]);

    assert_int_equal(udfrt_run(ds, jobs, 1, &opt, &stats, &err), UDFRT_OK);
    assert_true(stats.corrections_fused);
    udfrt_job_release(&jobs[0]);

    fused.fused = UDF_FUSED | UDF_DTYPE_U16 | UDF_FUSED_GAIN; /* not this run's planes */
    assert_int_equal(udfrt_run(ds, jobs, 1, &opt, NULL, &err), UDFRT_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "not with the corrections of this run"));
    udfrt_job_release(&jobs[0]);
    udfrt_corrections_destroy(c);
    udfrt_dataset_destroy(ds);
}

static void allocation_failures_unwind(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:6,6,16,16");
    int failures = 0;
    for (long n = 0; n < 400; n++) {
        udfrt_job job = {.kernel = &kernel};
        udfrt_run_options opt = {.threads = 2};
        udfrt_error err = {0};
        udfrt_alloc_fail_after(n);
        udfrt_status st = udfrt_run(ds, &job, 1, &opt, NULL, &err);
        udfrt_alloc_fail_after(-1);
        if (st != UDFRT_OK) {
            assert_int_equal(st, UDFRT_ERR_DATA);
            if (!strstr(err.msg, "memory") && !strstr(err.msg, "thread"))
                fail_msg("n = %ld: unexpected message: %s", n, err.msg);
            failures++;
        }
        udfrt_job_release(&job);
    }
    assert_true(failures > 5);
    udfrt_dataset_destroy(ds);
}

/* A kernel that shrinks its own data file in the middle of reading it: at
 * the first tile the read trial maps (read_trial.h), after the tiles it
 * copies, so that the kernel's loads from the mapping fault. */
static const char *shrink_path;
static int64_t shrink_tiles_seen;

static void shrinking_tile(const udf_ctx *ctx, const udf_tile *t, void *const *bufs)
{
    if (shrink_path) {
        udfrt_read_trial trial;
        udfrt_error err = {0};
        assert_int_equal(udfrt_read_trial_init(
                             &trial, t->depth * ctx->sig_size * (int64_t)sizeof(uint16_t), &err),
                         UDFRT_OK);
        if (!udfrt_read_trial_copies(&trial, shrink_tiles_seen++)) {
            assert_int_equal(truncate(shrink_path, 128), 0);
            shrink_path = NULL;
        }
    }
    uint32_t *seen = bufs[1];
    for (int64_t f = 0; f < t->depth; f++) {
        const uint16_t *frame = t->frames[f];
        for (int64_t p = 0; p < ctx->sig_size; p++)
            seen[p] += frame[p];
    }
}

static void file_shrinking_during_run_is_an_error(void **state)
{
    (void)state;
    char path[] = "/tmp/udf-test-shrink-XXXXXX.npy";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    /* 64 MiB of 64-pixel frames: more than the read trial copies. */
    const char header[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<u2', 'fortran_order': False, "
                          "'shape': (524288, 64), }";
    char buf[128];
    memset(buf, ' ', sizeof buf);
    memcpy(buf, header, sizeof header - 1);
    buf[127] = '\n';
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    static uint16_t mebibyte[1 << 19];
    for (int i = 0; i < 64; i++)
        assert_int_equal(write(fd, mebibyte, sizeof mebibyte), (ssize_t)sizeof mebibyte);
    close(fd);
    udfrt_dataset *ds = NULL;
    udfrt_error err = {0};
    udfrt_open_options opt = {.sig_dims = 1};
    assert_int_equal(udfrt_dataset_open(path, &opt, &ds, &err), UDFRT_OK);
    udf_kernel_desc shrinking = kernel;
    shrinking.tile = shrinking_tile;
    udfrt_job job = {.kernel = &shrinking};
    udfrt_run_options ro = {.threads = 1, .partitions = 1};
    shrink_path = path;
    shrink_tiles_seen = 0;
    assert_int_equal(udfrt_run(ds, &job, 1, &ro, NULL, &err), UDFRT_ERR_DATA);
    assert_null(shrink_path);
    assert_non_null(strstr(err.msg, "changed while it was being read"));
    udfrt_job_release(&job);
    udfrt_dataset_destroy(ds);
    unlink(path);
}

/* Buffers: 0 nav f64 "found" (what the frame found in buffer 2), 1 sig u32
 * "seen", 2 private sig f64 "kept" (start value 7; flagged UDF_BUF_UNINIT or
 * not), which every frame reads at pixel 0 and then overwrites with 99. */
static void keeping_tile(const udf_ctx *ctx, const udf_tile *t, void *const *bufs)
{
    double *found = bufs[0], *kept = bufs[2];
    uint32_t *seen = bufs[1];
    for (int64_t f = 0; f < t->depth; f++) {
        found[t->nav_index[f]] = kept[0];
        kept[0] = 99;
        for (int64_t p = 0; p < ctx->sig_size; p++)
            seen[p] += 1;
    }
}

/* With one frame per partition, a partition that reuses the buffers of one
 * that merged away finds 99 in an unfilled buffer and 7 in a filled one. */
static void uninit_buffers_not_filled(void **state)
{
    (void)state;
    udfrt_dataset *ds = open_demo("demo:5,6,4,4");
    for (int flagged = 0; flagged <= 1; flagged++) {
        const udf_buffer_desc bufs[] = {
            {.name = "found", .kind = UDF_KIND_NAV, .dtype = UDF_DTYPE_F64},
            {.name = "seen", .kind = UDF_KIND_SIG, .dtype = UDF_DTYPE_U32},
            {.name = "kept",
             .kind = UDF_KIND_SIG,
             .dtype = UDF_DTYPE_F64,
             .flags = UDF_BUF_PRIVATE | (flagged ? UDF_BUF_UNINIT : 0),
             .init = 7},
        };
        const udf_kernel_desc keeping = {.name = "keeping",
                                         .input_dtype = UDF_DTYPE_U16,
                                         .n_buffers = 3,
                                         .buffers = bufs,
                                         .tile = keeping_tile,
                                         .merge = merge_seen};
        udfrt_job job = {.kernel = &keeping};
        udfrt_run_options opt = {.threads = 1, .partitions = 30};
        udfrt_error err = {0};
        assert_int_equal(udfrt_run(ds, &job, 1, &opt, NULL, &err), UDFRT_OK);
        const double *found = job.buffers[0];
        int reused = 0;
        for (int i = 0; i < 30; i++) {
            if (!flagged)
                assert_true(found[i] == 7);
            reused += found[i] == 99;
        }
        if (flagged)
            assert_true(reused > 0);
        assert_int_equal(((const uint32_t *)job.buffers[1])[3], 30);
        udfrt_job_release(&job);
    }
    udfrt_dataset_destroy(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_frame_once),
        cmocka_unit_test(merge_order_independent_of_threads),
        cmocka_unit_test(roi_selects_frames),
        cmocka_unit_test(sync_offset_shifts_frames),
        cmocka_unit_test(kernel_for_another_type_refused),
        cmocka_unit_test(allocation_failures_unwind),
        cmocka_unit_test(file_shrinking_during_run_is_an_error),
        cmocka_unit_test(uninit_buffers_not_filled),
        cmocka_unit_test(fused_and_whole_frame_kernels_in_one_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
