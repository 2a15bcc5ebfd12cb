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
 * tiles 7-14x slower than copied ones), still 5 %. */
#include "read_trial.h"

#include <stdlib.h>
#include <string.h>

#include "udfrt/config.h"

udfrt_status udfrt_read_trial_init(udfrt_read_trial *t, int64_t tile_bytes, udfrt_error *err)
{
    t->window_tiles = (UDF_MAP_WINDOW_BYTES + tile_bytes - 1) / tile_bytes;
    for (int way = 0; way < 2; way++) {
        atomic_init(&t->nanos[way], 0);
        atomic_init(&t->bytes[way], 0);
    }
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

void udfrt_read_trial_count(udfrt_read_trial *t, int64_t seen, int copy, double seconds,
                            int64_t bytes)
{
    if (window_of(t, seen) < UDF_READ_TRIAL_WARMUP)
        return;
    atomic_fetch_add(&t->nanos[copy], (long long)(seconds * 1e9));
    atomic_fetch_add(&t->bytes[copy], bytes);
    int last = seen == (UDF_READ_TRIAL_WARMUP + 2 * UDF_READ_TRIAL_WINDOWS) * t->window_tiles - 1;
    if (!last && copy)
        return;
    /* Seconds per byte, copying against mapping. */
    double copying = (double)atomic_load(&t->nanos[1]) * (double)atomic_load(&t->bytes[0]);
    double mapping = (double)atomic_load(&t->nanos[0]) * (double)atomic_load(&t->bytes[1]);
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
