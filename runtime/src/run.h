/* run.h — one pass over a data set for one or more compiled UDFs: selects the
 * frames (ROI, sync offset), splits them into partitions, reads each
 * partition as tiles on the worker pool (applying detector corrections as
 * tiles arrive), runs every kernel on every tile, merges partial results in a
 * fixed binary tree (so results do not depend on the thread count) and runs
 * each UDF's result body. */
#ifndef UDFRT_RUN_H
#define UDFRT_RUN_H

#include <stdint.h>

#include "corrections.h"
#include "dataset.h"
#include "udfrt/kernel_abi.h"

/* One UDF in a run. The caller fills `kernel`, `params` and `dims` (bound
 * parameters, see bind.h); udfrt_run fills `ctx` and `buffers`. */
typedef struct udfrt_job {
    const udf_kernel_desc *kernel;
    void **params;
    int64_t *dims;
    udf_ctx ctx;
    void **buffers; /* after the run: every buffer, whole; owned by the job */
} udfrt_job;

typedef struct udfrt_run_options {
    int threads;        /* <= 0: all cores */
    const uint8_t *roi; /* NULL or nav_size flags: process position i iff roi[i] */
    int64_t partitions; /* <= 0: chosen from the data size */
    const udfrt_corrections *corrections; /* NULL: frames reach kernels as stored */
    /* Called from a worker at most every UDF_PROGRESS_SECONDS (never two at
     * once), and once more with `finished` after the last tile. */
    udfrt_progress_fn progress;
    void *progress_ctx;
} udfrt_run_options;

udfrt_status udfrt_run(udfrt_dataset *ds, udfrt_job *jobs, int n_jobs, const udfrt_run_options *opt,
                       udfrt_run_stats *stats, udfrt_error *err);
/* Frees what udfrt_run put into the jobs. */
void udfrt_job_release(udfrt_job *job);

/* Elements per nav position, per sig pixel, or in total for a single buffer:
 * the product of the buffer's extra dims. */
int64_t udfrt_buffer_block(const udf_ctx *ctx, const udf_buffer_desc *b);
/* The buffer's full shape (nav + dims, sig + dims, or dims); returns the rank. */
int udfrt_buffer_shape(const udf_ctx *ctx, const udf_buffer_desc *b, int64_t *shape);
int64_t udfrt_buffer_elements(const udf_ctx *ctx, const udf_buffer_desc *b);

/* How a run reads the data set, fixed before it starts. */
typedef struct udfrt_plan {
    udf_dtype frame_dtype; /* what kernels see (and must be compiled for): the stored
                              type, or the float type of the corrections */
    int64_t frames;        /* positions selected by the ROI that show a frame */
    int64_t partitions;    /* independent of the thread count */
    int64_t tile_depth;    /* frames per tile, at most a partition's */
} udfrt_plan;
udfrt_plan udfrt_run_plan(const udfrt_dataset *ds, const udfrt_run_options *opt);

#endif
