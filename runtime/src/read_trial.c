/* read_trial.c — mapping or copying, tried by all workers in step; see
 * read_trial.h.
 *
 * Every worker reads a phase of tiles by copying, then one by mapping, each
 * 1 + UDF_READ_TRIAL_WINDOWS windows' worth; a phase's first window's tiles
 * warm the caches (and copying's buffer, whose first touch took 5 ms for
 * 1 MiB on a virtual machine whose steady tiles took 70 µs) and are not
 * counted. Phases of whole windows, not alternate tiles, because mapping pays
 * per window: mmap, and munmap with its TLB shootdown on the other cores.
 * One decision for all workers, from all their tiles, because the ways
 * interact: on that virtual machine one worker mapping alone was as fast as
 * copying, two mapping 1.36× slower (each one's munmaps interrupt the other),
 * and workers deciding each by their own tiles split one way and the other. */
#include "read_trial.h"

#include "udfrt/config.h"

void udfrt_read_trial_init(udfrt_read_trial *t, int64_t tile_bytes)
{
    t->window_tiles = (UDF_MAP_WINDOW_BYTES + tile_bytes - 1) / tile_bytes;
    for (int way = 0; way < 2; way++) {
        atomic_init(&t->nanos[way], 0);
        atomic_init(&t->bytes[way], 0);
    }
    atomic_init(&t->decision, UDFRT_READ_UNDECIDED);
}

static int64_t phase_tiles(const udfrt_read_trial *t)
{
    return t->window_tiles * (1 + UDF_READ_TRIAL_WINDOWS);
}

int udfrt_read_trial_copies(const udfrt_read_trial *t, int64_t seen)
{
    return seen < phase_tiles(t);
}

void udfrt_read_trial_count(udfrt_read_trial *t, int64_t seen, int copy, double seconds,
                            int64_t bytes)
{
    if (seen % phase_tiles(t) < t->window_tiles)
        return;
    atomic_fetch_add(&t->nanos[copy], (long long)(seconds * 1e9));
    atomic_fetch_add(&t->bytes[copy], bytes);
    if (seen != 2 * phase_tiles(t) - 1)
        return;
    /* Seconds per byte, copying against mapping. */
    double copying = (double)atomic_load(&t->nanos[1]) * (double)atomic_load(&t->bytes[0]);
    double mapping = (double)atomic_load(&t->nanos[0]) * (double)atomic_load(&t->bytes[1]);
    int expected = UDFRT_READ_UNDECIDED;
    atomic_compare_exchange_strong(&t->decision, &expected,
                                   copying < mapping ? UDFRT_READ_COPYING : UDFRT_READ_MAPPING);
}

int udfrt_read_trial_decision(udfrt_read_trial *t) { return atomic_load(&t->decision); }
