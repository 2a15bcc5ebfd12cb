/* test_read_trial.c — the read trial's schedule and decision (read_trial.h):
 * tiles copied, then mapped, a window's worth at a time; warm-up windows not
 * counted; mapping kept only when faster by UDF_READ_MAP_MARGIN; a mapped
 * tile that leaves mapping slower ends the trial; a mapped window slower than
 * copying after the trial turns to copying; UDF_READ forces a way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "read_trial.h"
#include "udfrt/config.h"

#define MIB (1ll << 20)

static udfrt_read_trial started(int64_t tile_bytes)
{
    udfrt_read_trial t;
    udfrt_error err = {0};
    assert_int_equal(udfrt_read_trial_init(&t, tile_bytes, &err), UDFRT_OK);
    return t;
}

/* Counts tiles [from, to) of one worker at `seconds` each, read the trial's
 * way; returns the decision after them. */
static int count(udfrt_read_trial *t, int64_t from, int64_t to, double copy_s, double map_s)
{
    for (int64_t seen = from; seen < to; seen++) {
        int copy = udfrt_read_trial_copies(t, seen);
        udfrt_read_trial_count(t, seen, copy, copy ? copy_s : map_s, MIB);
    }
    return udfrt_read_trial_decision(t);
}

static void schedule_copies_then_maps_by_windows(void **state)
{
    (void)state;
    udfrt_read_trial t = started(MIB);
    int64_t window = UDF_MAP_WINDOW_BYTES / MIB;
    int64_t copied = (UDF_READ_TRIAL_WARMUP + UDF_READ_TRIAL_WINDOWS) * window;
    for (int64_t seen = 0; seen < copied; seen++)
        assert_true(udfrt_read_trial_copies(&t, seen));
    for (int64_t seen = copied; seen < copied + UDF_READ_TRIAL_WINDOWS * window; seen++)
        assert_false(udfrt_read_trial_copies(&t, seen));
    /* Tiles bigger than a window: a tile per window. */
    udfrt_read_trial big = started(UDF_MAP_WINDOW_BYTES * 3);
    assert_true(udfrt_read_trial_copies(&big, UDF_READ_TRIAL_WARMUP + UDF_READ_TRIAL_WINDOWS - 1));
    assert_false(udfrt_read_trial_copies(&big, UDF_READ_TRIAL_WARMUP + UDF_READ_TRIAL_WINDOWS));
}

static void faster_mapping_is_kept_after_the_whole_trial(void **state)
{
    (void)state;
    udfrt_read_trial t = started(MIB);
    int64_t window = UDF_MAP_WINDOW_BYTES / MIB;
    int64_t all = (UDF_READ_TRIAL_WARMUP + 2 * UDF_READ_TRIAL_WINDOWS) * window;
    /* Slow warm-up windows do not count against copying. */
    assert_int_equal(count(&t, 0, UDF_READ_TRIAL_WARMUP * window, 1.0, 0), UDFRT_READ_UNDECIDED);
    assert_int_equal(count(&t, UDF_READ_TRIAL_WARMUP * window, all - 1, 1e-3, 0.5e-3),
                     UDFRT_READ_UNDECIDED);
    assert_int_equal(count(&t, all - 1, all, 1e-3, 0.5e-3), UDFRT_READ_MAPPING);
}

static void mapping_within_the_margin_loses(void **state)
{
    (void)state;
    udfrt_read_trial t = started(MIB);
    int64_t window = UDF_MAP_WINDOW_BYTES / MIB;
    int64_t all = (UDF_READ_TRIAL_WARMUP + 2 * UDF_READ_TRIAL_WINDOWS) * window;
    double map_s = 1e-3 / (UDF_READ_MAP_MARGIN + 1) * 2; /* faster, by less than the margin */
    assert_int_equal(count(&t, 0, all - 1, 1e-3, map_s), UDFRT_READ_UNDECIDED);
    assert_int_equal(count(&t, all - 1, all, 1e-3, map_s), UDFRT_READ_COPYING);
}

static void slower_mapping_ends_the_trial_at_a_tile(void **state)
{
    (void)state;
    udfrt_read_trial t = started(MIB);
    int64_t window = UDF_MAP_WINDOW_BYTES / MIB;
    int64_t first_mapped = (UDF_READ_TRIAL_WARMUP + UDF_READ_TRIAL_WINDOWS) * window;
    assert_int_equal(count(&t, 0, first_mapped, 1e-3, 2e-3), UDFRT_READ_UNDECIDED);
    assert_int_equal(count(&t, first_mapped, first_mapped + 1, 1e-3, 2e-3), UDFRT_READ_COPYING);
    /* A mapped tile as fast as a copied one leaves the trial going; a
     * slower one after it ends the trial once the sum is slower. */
    udfrt_read_trial u = started(MIB);
    assert_int_equal(count(&u, 0, first_mapped + 1, 1e-3, 1e-3), UDFRT_READ_UNDECIDED);
    assert_int_equal(count(&u, first_mapped + 1, first_mapped + 2, 1e-3, 1.5e-3),
                     UDFRT_READ_COPYING);
}

static void a_slower_mapped_window_after_the_trial_turns_to_copying(void **state)
{
    (void)state;
    udfrt_read_trial t = started(MIB);
    int64_t window = UDF_MAP_WINDOW_BYTES / MIB;
    int64_t all = (UDF_READ_TRIAL_WARMUP + 2 * UDF_READ_TRIAL_WINDOWS) * window;
    assert_int_equal(count(&t, 0, all, 1e-3, 0.5e-3), UDFRT_READ_MAPPING);
    udfrt_read_watch w = {0};
    /* A window as fast as copying was keeps mapping. */
    for (int64_t k = 0; k < window; k++)
        udfrt_read_trial_watch(&t, &w, 1e-3, MIB);
    assert_int_equal(udfrt_read_trial_decision(&t), UDFRT_READ_MAPPING);
    /* A slower one turns to copying, at its end. */
    for (int64_t k = 0; k < window - 1; k++)
        udfrt_read_trial_watch(&t, &w, 1.2e-3, MIB);
    assert_int_equal(udfrt_read_trial_decision(&t), UDFRT_READ_MAPPING);
    udfrt_read_trial_watch(&t, &w, 1.2e-3, MIB);
    assert_int_equal(udfrt_read_trial_decision(&t), UDFRT_READ_COPYING);
    /* UDF_READ=map: nothing was copied to compare with; mapping stays. */
    setenv("UDF_READ", "map", 1);
    udfrt_read_trial forced = started(MIB);
    unsetenv("UDF_READ");
    udfrt_read_watch f = {0};
    for (int64_t k = 0; k < 2 * window; k++)
        udfrt_read_trial_watch(&forced, &f, 1.0, MIB);
    assert_int_equal(udfrt_read_trial_decision(&forced), UDFRT_READ_MAPPING);
}

static void udf_read_forces_a_way(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int decision;
    } cases[] = {{"map", UDFRT_READ_MAPPING},
                 {"copy", UDFRT_READ_COPYING},
                 {"trial", UDFRT_READ_UNDECIDED},
                 {"", UDFRT_READ_UNDECIDED}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv("UDF_READ", cases[i].value, 1);
        udfrt_read_trial t = started(MIB);
        assert_int_equal(udfrt_read_trial_decision(&t), cases[i].decision);
    }
    setenv("UDF_READ", "mmap", 1);
    udfrt_read_trial t;
    udfrt_error err = {0};
    assert_int_equal(udfrt_read_trial_init(&t, MIB, &err), UDFRT_ERR_USAGE);
    assert_non_null(strstr(err.msg, "UDF_READ must be map, copy or trial, not 'mmap'"));
    unsetenv("UDF_READ");
}

int main(void)
{
    unsetenv("UDF_READ");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedule_copies_then_maps_by_windows),
        cmocka_unit_test(faster_mapping_is_kept_after_the_whole_trial),
        cmocka_unit_test(mapping_within_the_margin_loses),
        cmocka_unit_test(slower_mapping_ends_the_trial_at_a_tile),
        cmocka_unit_test(a_slower_mapped_window_after_the_trial_turns_to_copying),
        cmocka_unit_test(udf_read_forces_a_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
