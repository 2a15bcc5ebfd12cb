/* read_trial.c — mapping or copying, tried by all workers in step; see
 * read_trial.h.
 *
 * Every worker reads its first tiles a window's worth at a time:
 * UDF_READ_TRIAL_WARMUP windows copied and not counted, then
 * UDF_READ_TRIAL_WINDOWS copied and as many mapped, counted. The workers start
 * together, so they copy at the same time and map at the same time, as they
 * will after the decision: the ways interact (on a virtual machine, one
 * worker mapping alone was as fast as copying, two mapping 1.36× slower: each
 * one's munmaps interrupt the other with TLB shootdowns), which also makes
 * one decision for all workers, from all their tiles, the right one. The
 * uncounted windows take a run's first tens of milliseconds, which were
 * slower there: copying's first windows ran at half its steady speed (its
 * buffer's first touch alone took 5 ms) and lost to mapping, which was 1.4×
 * slower over the run. Whole windows because mapping pays per window (mmap
 * and faults in its first tile, munmap in the tile that moves to the next
 * window). Mapping is kept only when it was faster by UDF_READ_MAP_MARGIN:
 * its cost grew over that machine's runs beyond what the trial saw. Where
 * it is slower after any mapped tile, the trial ends there: the mapped
 * windows had cost that machine's runs 9 % (sumsig, 2 GiB), and a whole
 * mapped window, once the page cache held the file in small folios (its
 * tiles 7-14x slower than copied ones), still 5 %. Once mapping is kept,
 * each worker's mapped windows are still timed against copying's trial
 * (udfrt_read_trial_watch): there, after numpy had read the file through a
 * mapping, the trial's windows mapped fast and the rest of the file at a
 * third of copying's speed. */
#include "read_trial.h"

#include <stdlib.h>
#include <string.h>

#include "udfrt/config.h"

udfrt_status udfrt_read_trial_init(udfrt_read_trial *t, int64_t tile_bytes, udfrt_error *err)
{
    memset(t, 0, sizeof *t);
    t->window_tiles = (UDF_MAP_WINDOW_BYTES + tile_bytes - 1) / tile_bytes;
    atomic_flag_clear(&t->busy);
    const char *forced = getenv("UDF_READ");
    int decision = UDFRT_READ_UNDECIDED;
    if (forced && strcmp(forced, "map") == 0)
        decision = UDFRT_READ_MAPPING;
    else if (forced && strcmp(forced, "copy") == 0)
        decision = UDFRT_READ_COPYING;
    else if (forced && *forced && strcmp(forced, "trial") != 0)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "UDF_READ must be map, copy or trial, not '%s'",
                          forced);
    atomic_init(&t->decision, decision);
    return UDFRT_OK;
}

/* The window (a window's worth of tiles) of a worker's trial tile `seen`:
 * UDF_READ_TRIAL_WARMUP windows copied, uncounted, then the counted ones,
 * UDF_READ_TRIAL_WINDOWS copied, then as many mapped. */
static int64_t window_of(const udfrt_read_trial *t, int64_t seen) { return seen / t->window_tiles; }

int udfrt_read_trial_copies(const udfrt_read_trial *t, int64_t seen)
{
    return window_of(t, seen) < UDF_READ_TRIAL_WARMUP + UDF_READ_TRIAL_WINDOWS;
}

/* The counters of both ways change together, under `busy` (a spin lock: two
 * workers, a few dozen tiles each). */
static void hold(udfrt_read_trial *t)
{
    while (atomic_flag_test_and_set_explicit(&t->busy, memory_order_acquire))
        ;
}

static void release(udfrt_read_trial *t)
{
    atomic_flag_clear_explicit(&t->busy, memory_order_release);
}

void udfrt_read_trial_count(udfrt_read_trial *t, int64_t seen, int copy, double seconds,
                            int64_t bytes)
{
    if (window_of(t, seen) < UDF_READ_TRIAL_WARMUP)
        return;
    hold(t);
    t->nanos[copy] += (long long)(seconds * 1e9);
    t->bytes[copy] += bytes;
    /* Seconds per byte, copying against mapping. */
    double copying = (double)t->nanos[1] * (double)t->bytes[0];
    double mapping = (double)t->nanos[0] * (double)t->bytes[1];
    release(t);
    int last = seen == (UDF_READ_TRIAL_WARMUP + 2 * UDF_READ_TRIAL_WINDOWS) * t->window_tiles - 1;
    if (!last && copy)
        return;
    int decision =
        mapping * UDF_READ_MAP_MARGIN < copying ? UDFRT_READ_MAPPING : UDFRT_READ_COPYING;
    /* Mapping stops at a tile that leaves it slower than copying: it has
     * lost whatever the later tiles bring, since a window's first tiles
     * carry its mmap and most of its faults and its munmap comes after. */
    if (last || mapping > copying) {
        int expected = UDFRT_READ_UNDECIDED;
        atomic_compare_exchange_strong(&t->decision, &expected, decision);
    }
}

int udfrt_read_trial_decision(udfrt_read_trial *t) { return atomic_load(&t->decision); }

void udfrt_read_trial_watch(udfrt_read_trial *t, udfrt_read_watch *w, double seconds, int64_t bytes)
{
    w->tiles++;
    w->bytes += bytes;
    w->seconds += seconds;
    if (w->tiles < t->window_tiles)
        return;
    hold(t);
    double copied = (double)t->bytes[1], copy_seconds = 1e-9 * (double)t->nanos[1];
    release(t);
    /* Seconds per byte, this window against copying in the trial. */
    if (copied > 0 && w->seconds * copied > copy_seconds * (double)w->bytes) {
        int expected = UDFRT_READ_MAPPING;
        atomic_compare_exchange_strong(&t->decision, &expected, UDFRT_READ_COPYING);
    }
    *w = (udfrt_read_watch){0};
}
