/* run.h — one pass over a data set for one or more compiled UDFs: selects the
 * frames, splits them into partitions, reads each partition as tiles on the
 * worker pool, runs every kernel on every tile, merges partial results in a
 * fixed binary tree (so results do not depend on the thread count) and runs
 * each UDF's result body. */
#ifndef UDFRT_RUN_H
#define UDFRT_RUN_H

#include <stdint.h>

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
    int threads;          /* <= 0: all cores */
    const uint8_t *roi;   /* NULL or nav_size flags: process frame i iff roi[i] */
    int64_t partitions;   /* <= 0: chosen from the data size */
} udfrt_run_options;

typedef struct udfrt_run_stats {
    int64_t frames;      /* frames processed */
    int64_t partitions;
    int64_t tile_depth;  /* frames per tile */
    int64_t bytes_read;
    double read_seconds;   /* summed over workers */
    double kernel_seconds; /* summed over workers */
    double wall_seconds;
} udfrt_run_stats;

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

/* How many partitions and frames per tile a run would use. */
int64_t udfrt_partition_count(const udfrt_dataset *ds, int64_t frames);
int64_t udfrt_tile_depth(const udfrt_dataset *ds);

#endif
