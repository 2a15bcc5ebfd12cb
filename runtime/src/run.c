/* run.c — executing compiled UDFs over a data set; see run.h.
 *
 * Memory: nav buffers are allocated once for the whole nav grid and shared by
 * all workers (each frame writes only its own elements). Every partition builds
 * its sig/single results in a partial of its own; a finished partition merges
 * with its finished neighbour in a fixed binary tree over the partitions, so
 * at most a few partials are alive at any time and the merge order (hence the
 * float rounding) is the same for any thread count (run_tree.c), and for any
 * number of MPI ranks (run_ranks.c). */
#include "run_state.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "bind.h"
#include "bus_guard.h"
#include "dims.h"
#include "dtype.h"
#include "pool.h"
#include "ranks.h"
#include "udfrt/config.h"

int64_t udfrt_buffer_block(const udf_ctx *ctx, const udf_buffer_desc *b)
{
    int64_t n = 1;
    for (int i = 0; i < b->rank; i++)
        n *= udfrt_dim_value(ctx, &b->dims[i]);
    return n;
}

int udfrt_buffer_shape(const udf_ctx *ctx, const udf_buffer_desc *b, int64_t *shape)
{
    int rank = 0;
    if (b->kind == UDF_KIND_NAV)
        for (int i = 0; i < ctx->nav_rank; i++)
            shape[rank++] = ctx->nav_shape[i];
    else if (b->kind == UDF_KIND_SIG)
        for (int i = 0; i < ctx->sig_rank; i++)
            shape[rank++] = ctx->sig_shape[i];
    for (int i = 0; i < b->rank; i++)
        shape[rank++] = udfrt_dim_value(ctx, &b->dims[i]);
    return rank;
}

int64_t udfrt_buffer_elements(const udf_ctx *ctx, const udf_buffer_desc *b)
{
    int64_t positions = b->kind == UDF_KIND_NAV   ? ctx->nav_size
                        : b->kind == UDF_KIND_SIG ? ctx->sig_size
                                                  : 1;
    return positions * udfrt_buffer_block(ctx, b);
}

/* Positions selected by the ROI (NULL: all) that show a stored frame. */
static int64_t selected_count(const udfrt_dataset *ds, const uint8_t *roi)
{
    if (!roi)
        return udfrt_dataset_grid_fit(ds).positions_with_frame;
    int64_t n = 0;
    for (int64_t i = 0; i < ds->nav_size; i++)
        n += roi[i] && udfrt_dataset_frame_at(ds, i) >= 0;
    return n;
}

/* Whether partition boundaries move to whole read blocks of `block` stored
 * frames: a partition then holds up to block - 1 frames more than its share,
 * and UDF_PARTITION_FRAMES_MAX must still hold with shares of at least a
 * quarter of it. Bigger blocks are decoded by two partitions where they meet. */
static int keeps_blocks_whole(int64_t block)
{
    return block > 1 && block <= UDF_PARTITION_FRAMES_MAX - UDF_PARTITION_FRAMES_MAX / 4;
}

/* Partitions for `frames` frames when the options do not fix the count. */
static int64_t partition_count(const udfrt_dataset *ds, int64_t frames)
{
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    int64_t by_size = (frames * frame_bytes + UDF_PARTITION_BYTES - 1) / UDF_PARTITION_BYTES;
    int64_t n = by_size > UDF_MIN_PARTITIONS ? by_size : UDF_MIN_PARTITIONS;
    return n < frames ? n : frames;
}

udfrt_plan udfrt_run_plan(const udfrt_dataset *ds, const udfrt_run_options *opt)
{
    udfrt_plan plan;
    plan.frame_dtype = opt->corrections ? udfrt_corrections_output(opt->corrections) : ds->dtype;
    plan.frames = selected_count(ds, opt->roi);
    plan.partitions = opt->partitions > 0 ? opt->partitions : partition_count(ds, plan.frames);
    /* Shares small enough that no partition outgrows UDF_PARTITION_FRAMES_MAX
     * (linspace shares differ by one at most; see udfrt_partition_begin). */
    int64_t share = UDF_PARTITION_FRAMES_MAX;
    if (keeps_blocks_whole(ds->read_block))
        share -= ds->read_block - 1;
    int64_t fewest = (plan.frames + share - 1) / share;
    if (plan.partitions < fewest)
        plan.partitions = fewest;
    if (plan.partitions > plan.frames)
        plan.partitions = plan.frames;
    /* About UDF_TILE_BYTES of the larger of the stored and the seen element,
     * so that the read buffer and the corrected tile both stay near it; of
     * the stored element where corrections can be applied in the kernels'
     * loads (no excluded pixels), which then need no corrected tile: sum with
     * dark and gain 1.14x (tiles of 8 256² u16 frames, not 4), kernels of the
     * float type correcting whole frames 0.98x. The depth does not depend on
     * the kernels, so both ways give the same results (per-tile sums are
     * scaled by the depth). */
    size_t stored = udfrt_dtype_size(ds->dtype), seen = udfrt_dtype_size(plan.frame_dtype);
    if (opt->corrections && udfrt_corrections_fusable(opt->corrections, ds->dtype))
        seen = stored;
    int64_t frame_bytes = ds->sig_size * (int64_t)(stored > seen ? stored : seen);
    int64_t depth = UDF_TILE_BYTES / frame_bytes, block = ds->read_block;
    /* Whole read blocks per tile, so that a block decodes straight into the
     * tile; a block too big for that is read through the format's cache. */
    if (block > 1 && depth >= block)
        depth -= depth % block;
    else if (block > 1 && block * frame_bytes <= UDF_TILE_BYTES_MAX)
        depth = block;
    /* At least a jammed group of frames (whole read blocks), where that fits
     * UDF_TILE_BYTES_MAX: kernels update sig accumulators once per group, and
     * big frames in tiles of one frame streamed them once per frame (stddev
     * on 1024² frames: 16× the frame's bytes, 6.5× slower). */
    int64_t group = block > 1 ? (UDF_FRAME_JAM + block - 1) / block * block : UDF_FRAME_JAM;
    if (depth < group && group * frame_bytes <= UDF_TILE_BYTES_MAX)
        depth = group;
    int64_t longest = plan.partitions ? (plan.frames + plan.partitions - 1) / plan.partitions : 1;
    plan.tile_depth = depth < 1 ? 1 : depth < longest ? depth : longest;
    return plan;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct worker_state {
    udfrt_reader *reader;
    const void **frames;
    int64_t *file_frames, *nav_index, *ordinal;
    void *corrected;           /* with corrections: the corrected tile ... */
    const void **corrected_at; /* ... and its frames, for kernels that need them */
    int64_t bytes_read;
    double read_seconds, correct_seconds, kernel_seconds;
    /* Mapping or copying: tried (read_trial.h), then decided for all. */
    enum { READ_NO_CHOICE, READ_TRIAL, READ_DECIDED } read_choice;
    int read_copy;
    int64_t trial_seen;     /* tiles read in the trial */
    udfrt_read_watch watch; /* mapped tiles after it */
};

static udfrt_status fail_shared(run_state *rs, udfrt_status code, const udfrt_error *local)
{
    pthread_mutex_lock(&rs->err_lock);
    udfrt_fail(rs->err, code, "%s", local->msg);
    pthread_mutex_unlock(&rs->err_lock);
    return code;
}

/* After a tile of the worker's trial, counted: sets the worker's reader
 * for the next tile, to the trial's way for it or, once some worker has
 * decided (this one, perhaps, with the tile just counted), to the decision,
 * which ends the worker's trial. Also after each mapped tile once decided:
 * the decision may have turned to copying since (udfrt_read_trial_watch). */
static void trial_next(run_state *rs, worker_state *w)
{
    int decision = udfrt_read_trial_decision(&rs->read_trial);
    if (decision != UDFRT_READ_UNDECIDED) {
        w->read_copy = decision == UDFRT_READ_COPYING;
        w->read_choice = READ_DECIDED;
    } else {
        w->read_copy = udfrt_read_trial_copies(&rs->read_trial, w->trial_seen);
    }
    rs->ds->ops->reader_copy(w->reader, w->read_copy);
}

static udfrt_status worker_setup(run_state *rs, worker_state *w, udfrt_error *local)
{
    size_t d = (size_t)rs->depth;
    w->frames = udfrt_calloc(d, sizeof *w->frames);
    w->file_frames = udfrt_calloc(d, sizeof *w->file_frames);
    w->nav_index = udfrt_calloc(d, sizeof *w->nav_index);
    w->ordinal = udfrt_calloc(d, sizeof *w->ordinal);
    if (!w->frames || !w->file_frames || !w->nav_index || !w->ordinal)
        return udfrt_fail(local, UDFRT_ERR_DATA, "out of memory for tile descriptors");
    if (rs->correct_whole) {
        size_t elem = udfrt_dtype_size(udfrt_corrections_output(rs->opt->corrections));
        w->corrected = udfrt_aligned_alloc(d * (size_t)rs->ds->sig_size * elem);
        w->corrected_at = udfrt_calloc(d, sizeof *w->corrected_at);
        if (!w->corrected || !w->corrected_at)
            return udfrt_fail(local, UDFRT_ERR_DATA, "out of memory for corrected tiles");
    }
    udfrt_status st = rs->ds->ops->reader_create(rs->ds, rs->depth, &w->reader, local);
    if (st == UDFRT_OK && rs->ds->ops->reader_copy && rs->ds->ops->reader_copy(w->reader, 1)) {
        w->read_choice = READ_TRIAL;
        trial_next(rs, w);
    }
    return st;
}

static void worker_release(run_state *rs, worker_state *w)
{
    if (w->reader)
        rs->ds->ops->reader_destroy(w->reader);
    udfrt_free(w->frames);
    udfrt_free(w->file_frames);
    udfrt_free(w->nav_index);
    udfrt_free(w->ordinal);
    udfrt_free(w->corrected);
    udfrt_free(w->corrected_at);
}

/* Counts a finished tile; reports progress if it is time and no other worker
 * is reporting. */
static void count_tile(run_state *rs, int64_t frames, int64_t bytes)
{
    atomic_fetch_add(&rs->frames_done, frames);
    atomic_fetch_add(&rs->bytes_done, bytes);
    if (!rs->opt->progress || pthread_mutex_trylock(&rs->progress_lock) != 0)
        return;
    double t = now();
    if (t >= rs->next_report) {
        rs->next_report = t + UDF_PROGRESS_SECONDS;
        udfrt_progress p = {.frames_done = atomic_load(&rs->frames_done),
                            .frames_total = rs->rank_frames,
                            .bytes_read = atomic_load(&rs->bytes_done),
                            .seconds = t - rs->t_start};
        rs->opt->progress(rs->opt->progress_ctx, &p);
    }
    pthread_mutex_unlock(&rs->progress_lock);
}

/* The tile's frames corrected, into w->corrected_at. */
static void correct_tile(run_state *rs, worker_state *w, int64_t depth)
{
    const udfrt_corrections *c = rs->opt->corrections;
    size_t bytes = (size_t)rs->ds->sig_size * udfrt_dtype_size(udfrt_corrections_output(c));
    for (int64_t i = 0; i < depth; i++) {
        void *out = (unsigned char *)w->corrected + (size_t)i * bytes;
        udfrt_corrections_apply(c, w->frames[i], out);
        w->corrected_at[i] = out;
    }
}

/* Partition boundaries as numpy.linspace(0, n, parts + 1, dtype=int), each
 * moved forward to the next read block (ds->read_block, in stored frames), so
 * that no block is decoded by two partitions (unless blocks are too big for
 * that: keeps_blocks_whole). A partition may end up empty. */
int64_t udfrt_partition_begin(const run_state *rs, int64_t index)
{
    int64_t b = index * rs->n_selected / rs->n_partitions, block = rs->ds->read_block;
    if (keeps_blocks_whole(block))
        while (b > 0 && b < rs->n_selected &&
               udfrt_dataset_frame_at(rs->ds, rs->selected[b]) / block ==
                   udfrt_dataset_frame_at(rs->ds, rs->selected[b - 1]) / block)
            b++;
    return b;
}

static udfrt_status process_partition(run_state *rs, worker_state *w, int64_t index);

/* A partition, guarded against files that shrink while they are mapped. */
static udfrt_status run_partition(void *ctx, int64_t index, int worker)
{
    run_state *rs = ctx;
    worker_state *w = &rs->workers[worker];
    index += rs->first_partition;
    sigjmp_buf jump;
    if (sigsetjmp(jump, 1)) {
        udfrt_bus_guard_leave();
        udfrt_error local = {0};
        udfrt_fail(&local, UDFRT_ERR_DATA,
                   "'%s' changed while it was being read (it became shorter)", rs->ds->path);
        return fail_shared(rs, local.code, &local);
    }
    udfrt_bus_guard_enter(&jump);
    udfrt_status st = process_partition(rs, w, index);
    udfrt_bus_guard_leave();
    return st;
}

static udfrt_status process_partition(run_state *rs, worker_state *w, int64_t index)
{
    udfrt_error local = {0};
    if (!w->frames && worker_setup(rs, w, &local) != UDFRT_OK)
        return fail_shared(rs, local.code, &local);
    partial *p = &rs->partials[index];
    if (udfrt_partial_init(rs, p) != UDFRT_OK) {
        udfrt_fail(&local, UDFRT_ERR_DATA, "out of memory for partial results");
        return fail_shared(rs, local.code, &local);
    }
    /* Partition boundaries as numpy.linspace(0, n, parts + 1, dtype=int). */
    int64_t begin = udfrt_partition_begin(rs, index), end = udfrt_partition_begin(rs, index + 1);
    int64_t frame_bytes = rs->ds->sig_size * (int64_t)udfrt_dtype_size(rs->ds->dtype);
    for (int64_t t = begin; t < end; t += rs->depth) {
        int64_t depth = end - t < rs->depth ? end - t : rs->depth;
        for (int64_t i = 0; i < depth; i++) {
            w->nav_index[i] = rs->selected[t + i];
            w->file_frames[i] = udfrt_dataset_frame_at(rs->ds, rs->selected[t + i]);
            w->ordinal[i] = t + i;
        }
        int trial = w->read_choice == READ_TRIAL, copy = w->read_copy;
        double t0 = now();
        udfrt_status st =
            rs->ds->ops->read(rs->ds, w->reader, w->file_frames, depth, w->frames, &local);
        if (st != UDFRT_OK)
            return fail_shared(rs, st, &local);
        double t1 = now(), t2 = t1;
        if (rs->correct_whole) {
            correct_tile(rs, w, depth);
            t2 = now();
        }
        udf_tile stored = {
            .depth = depth, .frames = w->frames, .nav_index = w->nav_index, .ordinal = w->ordinal};
        udf_tile corrected = stored;
        corrected.frames = w->corrected_at;
        int slot = 0;
        for (int j = 0; j < rs->n_jobs; j++) {
            const udfrt_job *job = &rs->jobs[j];
            int whole = rs->opt->corrections && !job->kernel->fused;
            job->kernel->tile(&job->ctx, whole ? &corrected : &stored, p->bufs + slot);
            slot += job->kernel->n_buffers;
        }
        double t3 = now();
        w->read_seconds += t1 - t0;
        w->correct_seconds += t2 - t1;
        w->kernel_seconds += t3 - t2;
        if (trial) {
            udfrt_read_trial_count(&rs->read_trial, w->trial_seen++, copy, t3 - t0,
                                   depth * frame_bytes);
            trial_next(rs, w);
        } else if (w->read_choice == READ_DECIDED && !copy) {
            udfrt_read_trial_watch(&rs->read_trial, &w->watch, t3 - t0, depth * frame_bytes);
            trial_next(rs, w);
        }
        w->bytes_read += depth * frame_bytes;
        count_tile(rs, depth, depth * frame_bytes);
    }
    udfrt_tree_complete(rs, index, 0);
    return UDFRT_OK;
}

/* The value nav buffers hold at positions that are not processed. */
static double unselected_value(udf_dtype t) { return udfrt_dtype_is_float(t) ? NAN : 0; }

static udfrt_status allocate_job(udfrt_dataset *ds, udfrt_job *job, udfrt_error *err)
{
    udf_ctx *ctx = &job->ctx;
    udfrt_ctx_init(ctx, ds, job);
    const udf_kernel_desc *k = job->kernel;
    job->buffers = udfrt_calloc((size_t)k->n_buffers + 1, sizeof *job->buffers);
    if (!job->buffers)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for result buffers");
    for (int b = 0; b < k->n_buffers; b++) {
        const udf_buffer_desc *desc = &k->buffers[b];
        if (desc->kind != UDF_KIND_NAV && !(desc->flags & UDF_BUF_DERIVED))
            continue; /* comes from the merged partials */
        if (desc->flags & UDF_BUF_UNUSED)
            continue; /* no entry point of this input type touches it */
        int64_t n = udfrt_buffer_elements(ctx, desc);
        job->buffers[b] = udfrt_aligned_alloc((size_t)n * udfrt_dtype_size(desc->dtype));
        if (!job->buffers[b])
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "out of memory for buffer '%s' of udf '%s' (%lld elements)",
                              desc->name, k->name, (long long)n);
        /* A sig or single buffer only the result assigns starts at its start
         * value, which the result may read (`c = c * 2`). */
        udfrt_fill(job->buffers[b], desc->dtype, (size_t)n,
                   desc->kind == UDF_KIND_NAV ? unselected_value(desc->dtype) : desc->init);
    }
    return UDFRT_OK;
}

/* The nav positions to process, in C order: selected by the ROI and showing
 * a stored frame (with a sync offset or a nav grid larger than the file,
 * some positions have none; like LiberTEM, they are not passed to kernels). */
static udfrt_status select_frames(udfrt_dataset *ds, const udfrt_run_options *opt,
                                  int64_t **selected, int64_t *n, udfrt_error *err)
{
    *n = selected_count(ds, opt->roi);
    *selected = udfrt_calloc((size_t)*n, sizeof **selected);
    if (!*selected)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the frame list");
    int64_t k = 0;
    for (int64_t i = 0; i < ds->nav_size; i++)
        if ((!opt->roi || opt->roi[i]) && udfrt_dataset_frame_at(ds, i) >= 0)
            (*selected)[k++] = i;
    return UDFRT_OK;
}

/* The workers' counts and times, summed; after a run that went well under
 * mpirun, on rank 0 over the workers of all ranks (a collective: a rank that
 * failed does not call it, it aborts them all). */
static udfrt_status sum_stats(run_state *rs, int threads, int ran, udfrt_run_stats *stats)
{
    double sums[6] = {0};
    for (int w = 0; w < threads; w++) {
        const worker_state *ws = &rs->workers[w];
        int decided = ws->read_choice == READ_DECIDED;
        double each[6] = {(double)ws->bytes_read,    ws->read_seconds,
                          ws->correct_seconds,       ws->kernel_seconds,
                          decided && !ws->read_copy, decided && ws->read_copy};
        for (int i = 0; i < 6; i++)
            sums[i] += each[i];
    }
    udfrt_status st = ran && udfrt_mpi_size() > 1 ? udfrt_ranks_sum(sums, 6, rs->err) : UDFRT_OK;
    stats->bytes_read = (int64_t)sums[0];
    stats->read_seconds = sums[1];
    stats->correct_seconds = sums[2];
    stats->kernel_seconds = sums[3];
    stats->mapping_workers = (int)sums[4];
    stats->copying_workers = (int)sums[5];
    return st;
}

/* Which kernels apply the run's corrections as they load frames: those
 * compiled for exactly these corrections (udfc run's, unless excluded pixels
 * need whole corrected frames; udfc build --corrections), which find the
 * planes after their params. The others see whole corrected frames. */
static udfrt_status fuse_corrections(run_state *rs, udfrt_error *err)
{
    const udfrt_corrections *c = rs->opt->corrections;
    int32_t fusable = c ? udfrt_corrections_fusable(c, rs->ds->dtype) : 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        udfrt_job *job = &rs->jobs[j];
        const udf_kernel_desc *k = job->kernel;
        if (k->fused && k->fused != fusable)
            return udfrt_fail(err, UDFRT_ERR_INTERNAL,
                              "udf '%s' was compiled to correct frames as it loads them, but "
                              "not with the corrections of this run",
                              k->name);
        if (k->fused) {
            job->params[k->n_params] = (void *)udfrt_corrections_dark(c);
            job->params[k->n_params + 1] = (void *)udfrt_corrections_gain(c);
        }
        rs->correct_whole |= c && !k->fused;
    }
    return UDFRT_OK;
}

udfrt_status udfrt_run(udfrt_dataset *ds, udfrt_job *jobs, int n_jobs, const udfrt_run_options *opt,
                       udfrt_run_stats *stats, udfrt_error *err)
{
    double t_start = now();
    udfrt_run_stats local_stats = {0};
    if (!stats)
        stats = &local_stats;
    memset(stats, 0, sizeof *stats);
    run_state rs = {.ds = ds,
                    .opt = opt,
                    .jobs = jobs,
                    .n_jobs = n_jobs,
                    .err = err,
                    .t_start = t_start,
                    .next_report = t_start + UDF_PROGRESS_SECONDS};
    pthread_mutex_init(&rs.tree_lock, NULL);
    pthread_mutex_init(&rs.err_lock, NULL);
    pthread_mutex_init(&rs.progress_lock, NULL);
    pthread_mutex_init(&rs.spare_lock, NULL);
    udfrt_pool *pool = NULL;
    int64_t *selected = NULL;
    udfrt_status st = UDFRT_OK;
    for (int j = 0; j < n_jobs && st == UDFRT_OK; j++) {
        st = allocate_job(ds, &jobs[j], err);
        rs.total_buffers += jobs[j].kernel->n_buffers;
    }
    if (st == UDFRT_OK)
        st = select_frames(ds, opt, &selected, &rs.n_selected, err);
    udfrt_plan plan = udfrt_run_plan(ds, opt);
    for (int j = 0; j < n_jobs && st == UDFRT_OK; j++)
        if (jobs[j].kernel->input_dtype != (int32_t)plan.frame_dtype)
            st = udfrt_fail(err, UDFRT_ERR_INTERNAL,
                            "udf '%s' was compiled for %s frames, but the run reads %s frames",
                            jobs[j].kernel->name,
                            udfrt_dtype_name((udf_dtype)jobs[j].kernel->input_dtype),
                            udfrt_dtype_name(plan.frame_dtype));
    if (st == UDFRT_OK)
        st = fuse_corrections(&rs, err);
    int root = udfrt_mpi_rank() == 0;
    if (st == UDFRT_OK) {
        rs.selected = selected;
        rs.depth = plan.tile_depth;
        st = udfrt_read_trial_init(
            &rs.read_trial, rs.depth * ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype), err);
    }
    if (st == UDFRT_OK) {
        rs.n_partitions = plan.partitions;
        udfrt_rank_share(&rs, udfrt_mpi_rank(), &rs.first_partition, &rs.end_partition);
        rs.rank_frames = rs.n_partitions > 0 ? udfrt_partition_begin(&rs, rs.end_partition) -
                                                   udfrt_partition_begin(&rs, rs.first_partition)
                                             : 0;
        /* One extra leaf so that an empty run still has a root partial. */
        rs.partials = udfrt_calloc((size_t)rs.n_partitions + 1, sizeof *rs.partials);
        rs.level_done = udfrt_calloc((size_t)rs.n_partitions + 1, sizeof *rs.level_done);
        rs.spare = udfrt_calloc((size_t)rs.n_partitions + 1, sizeof *rs.spare);
        if (!rs.partials || !rs.level_done || !rs.spare)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for partitions");
    }
    int threads = opt->threads > 0 ? opt->threads : udfrt_cpu_count();
    if (st == UDFRT_OK) {
        for (int64_t i = 0; i <= rs.n_partitions; i++)
            rs.level_done[i] = -1;
        rs.workers = udfrt_calloc((size_t)threads, sizeof *rs.workers);
        if (!rs.workers)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for workers");
    }
    if (st == UDFRT_OK)
        st = udfrt_pool_create(threads, &pool, err);
    if (st == UDFRT_OK && rs.end_partition > rs.first_partition) {
        udfrt_bus_guard_install();
        st = udfrt_pool_run(pool, rs.end_partition - rs.first_partition, run_partition, &rs);
        udfrt_bus_guard_uninstall();
    }
    if (st == UDFRT_OK && rs.n_partitions == 0 && root &&
        udfrt_partial_init(&rs, &rs.partials[0]) != UDFRT_OK)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for results");
    if (st == UDFRT_OK && udfrt_mpi_size() > 1)
        st = root ? udfrt_ranks_gather(&rs) : udfrt_ranks_send(&rs);
    if (st == UDFRT_OK && opt->progress) {
        udfrt_progress p = {.frames_done = rs.rank_frames,
                            .frames_total = rs.rank_frames,
                            .bytes_read = atomic_load(&rs.bytes_done),
                            .seconds = now() - t_start,
                            .finished = 1};
        opt->progress(opt->progress_ctx, &p);
    }
    if (st == UDFRT_OK && root) {
        udfrt_adopt_root(&rs, &rs.partials[0]);
        for (int j = 0; j < n_jobs; j++)
            if (jobs[j].kernel->result)
                jobs[j].kernel->result(&jobs[j].ctx, jobs[j].buffers);
    }
    if (rs.workers) {
        udfrt_status summed = sum_stats(&rs, threads, st == UDFRT_OK, stats);
        if (st == UDFRT_OK)
            st = summed;
        for (int w = 0; w < threads; w++)
            worker_release(&rs, &rs.workers[w]);
    }
    for (int64_t i = 0; rs.partials && i <= rs.n_partitions; i++)
        udfrt_partial_free(&rs, &rs.partials[i]);
    for (int64_t i = 0; i < rs.n_spare; i++) {
        partial spare = {rs.spare[i]};
        udfrt_partial_free(&rs, &spare);
    }
    udfrt_pool_destroy(pool);
    udfrt_free(rs.workers);
    udfrt_free(rs.partials);
    udfrt_free(rs.level_done);
    udfrt_free(rs.spare);
    udfrt_free(selected);
    pthread_mutex_destroy(&rs.tree_lock);
    pthread_mutex_destroy(&rs.spare_lock);
    pthread_mutex_destroy(&rs.err_lock);
    pthread_mutex_destroy(&rs.progress_lock);
    stats->frames = rs.n_selected;
    stats->ranks = udfrt_mpi_size();
    stats->rank_frames = rs.rank_frames;
    stats->partitions = rs.n_partitions;
    stats->tile_depth = rs.depth;
    stats->corrections_fused = opt->corrections && !rs.correct_whole;
    stats->wall_seconds = now() - t_start;
    return st;
}

void udfrt_job_release(udfrt_job *job)
{
    if (job->buffers)
        for (int b = 0; b < job->kernel->n_buffers; b++)
            udfrt_free(job->buffers[b]);
    udfrt_free(job->buffers);
    job->buffers = NULL;
}
