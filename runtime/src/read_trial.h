/* read_trial.h — whether a run's workers read frames by mapping the file or
 * by copying them with pread: they try both, in step, and all keep the way
 * that was faster for all of them together (UDF_READ_TRIAL_WINDOWS).
 * Internal to libudfrt. */
#ifndef UDFRT_READ_TRIAL_H
#define UDFRT_READ_TRIAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "error.h"

enum { UDFRT_READ_UNDECIDED, UDFRT_READ_MAPPING, UDFRT_READ_COPYING };

typedef struct udfrt_read_trial {
    int64_t window_tiles; /* tiles per mapped window */
    atomic_flag busy;     /* held while a worker counts a tile and compares */
    long long nanos[2];   /* counted tiles' read and kernel time: [0] mapping, [1] copying */
    long long bytes[2];   /* ... and bytes */
    atomic_int decision;  /* UDFRT_READ_* */
} udfrt_read_trial;

/* A trial for tiles of tile_bytes; or, where the environment's UDF_READ says
 * `map` or `copy`, that way decided from the start (`trial` or unset: the
 * trial). Another UDF_READ is refused (UDFRT_ERR_USAGE). */
udfrt_status udfrt_read_trial_init(udfrt_read_trial *t, int64_t tile_bytes, udfrt_error *err);

/* Whether a worker's tile `seen` of the trial (counting from 0) is copied. */
int udfrt_read_trial_copies(const udfrt_read_trial *t, int64_t seen);

/* Counts a worker's tile `seen`, read by copying (copy) or mapping, whose
 * reading and kernels took `seconds` for `bytes`. The first worker to end its
 * trial — at its last tile, or at a mapped tile that leaves mapping
 * slower — decides for all. */
void udfrt_read_trial_count(udfrt_read_trial *t, int64_t seen, int copy, double seconds,
                            int64_t bytes);

/* UDFRT_READ_UNDECIDED until a worker has decided. */
int udfrt_read_trial_decision(udfrt_read_trial *t);

/* A worker's mapped tiles since its last full window, once mapping is kept. */
typedef struct udfrt_read_watch {
    int64_t tiles, bytes;
    double seconds;
} udfrt_read_watch;

/* Counts a tile a worker read by mapping after the trial kept mapping. A
 * window's worth of tiles that took longer per byte than copying did in the
 * trial turns the decision to copying for all workers: the page cache may
 * hold the rest of the file otherwise than the trial's part (in small
 * folios, where each fault maps a page). Nothing changes where the trial
 * copied nothing (UDF_READ=map). */
void udfrt_read_trial_watch(udfrt_read_trial *t, udfrt_read_watch *w, double seconds,
                            int64_t bytes);

#endif
