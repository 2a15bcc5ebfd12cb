/* run.c — executing compiled UDFs over a data set; see run.h.
 *
 * Memory: nav buffers are allocated once for the whole nav grid and shared by
 * all workers (each frame writes only its own elements). Every partition builds
 * its sig/single results in a partial of its own; a finished partition merges
 * with its finished neighbour in a fixed binary tree over the partitions, so
 * at most a few partials are alive at any time and the merge order (hence the
 * float rounding) is the same for any thread count. */
#include "run.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
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
    if (plan.partitions > plan.frames)
        plan.partitions = plan.frames;
    /* About UDF_TILE_BYTES of the larger of the stored and the seen element,
     * so that the read buffer and the corrected tile both stay near it. */
    size_t stored = udfrt_dtype_size(ds->dtype), seen = udfrt_dtype_size(plan.frame_dtype);
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

/* The sig/single buffers of every job for one node of the merge tree; nav
 * entries point at the shared nav buffers. */
typedef struct partial {
    void **bufs; /* jobs × buffers, flattened */
} partial;

typedef struct worker_state {
    udfrt_reader *reader;
    const void **frames;
    int64_t *file_frames, *nav_index, *ordinal;
    void *corrected; /* with corrections: the tile the kernels see */
    int64_t bytes_read;
    double read_seconds, correct_seconds, kernel_seconds;
    /* Mapping or copying (UDF_READ_TRIAL_TILES): after a first tile that
     * warms the caches, tiles alternate (trial), then the faster way per byte
     * is kept. */
    enum { READ_NO_CHOICE, READ_TRIAL, READ_DECIDED } read_choice;
    int read_copy;
    int warmed_up;
    int64_t trial_tiles[2], trial_bytes[2];
    double trial_seconds[2];
} worker_state;

typedef struct run_state {
    udfrt_dataset *ds;
    const udfrt_run_options *opt;
    udfrt_job *jobs;
    int n_jobs;
    int total_buffers;       /* sum of n_buffers over jobs */
    const int64_t *selected; /* nav indices of the frames to process */
    int64_t n_selected;
    int64_t rank_frames; /* of them in this rank's partitions */
    int64_t n_partitions;
    int64_t first_partition, end_partition; /* this MPI rank's share */
    int64_t depth;
    worker_state *workers;
    partial *partials; /* per partition; the tree keeps results at the leftmost leaf */
    /* Buffer sets of partials that merged away, reused by later partitions:
     * fresh memory for every partition cost ~0.1 ms of page faults each. */
    void ***spare;
    int64_t n_spare;
    pthread_mutex_t spare_lock;
    int *level_done; /* per leaf: highest tree level completed for the node it starts */
    pthread_mutex_t tree_lock;
    udfrt_error *err;
    pthread_mutex_t err_lock;
    double t_start;
    atomic_llong frames_done, bytes_done;
    double next_report; /* guarded by progress_lock */
    pthread_mutex_t progress_lock;
} run_state;

static udfrt_status fail_shared(run_state *rs, udfrt_status code, const udfrt_error *local)
{
    pthread_mutex_lock(&rs->err_lock);
    udfrt_fail(rs->err, code, "%s", local->msg);
    pthread_mutex_unlock(&rs->err_lock);
    return code;
}

static void partial_free(run_state *rs, partial *p)
{
    if (!p->bufs)
        return;
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++)
        for (int b = 0; b < rs->jobs[j].kernel->n_buffers; b++, slot++)
            if (rs->jobs[j].kernel->buffers[b].kind != UDF_KIND_NAV)
                udfrt_free(p->bufs[slot]);
    udfrt_free(p->bufs);
    p->bufs = NULL;
}

/* Keeps p's buffers for a later partition. */
static void partial_recycle(run_state *rs, partial *p)
{
    pthread_mutex_lock(&rs->spare_lock);
    rs->spare[rs->n_spare++] = p->bufs;
    pthread_mutex_unlock(&rs->spare_lock);
    p->bufs = NULL;
}

/* A partial at the buffers' start values, in recycled buffers if there are.
 * Summed buffers start there in the first partition's partial only, into
 * which the merge tree adds the others, and at 0 elsewhere. */
static udfrt_status partial_init(run_state *rs, partial *p)
{
    int first = p == &rs->partials[0];
    pthread_mutex_lock(&rs->spare_lock);
    p->bufs = rs->n_spare > 0 ? rs->spare[--rs->n_spare] : NULL;
    pthread_mutex_unlock(&rs->spare_lock);
    int fresh = !p->bufs;
    if (fresh)
        p->bufs = udfrt_calloc((size_t)rs->total_buffers, sizeof *p->bufs);
    if (!p->bufs)
        return UDFRT_ERR_DATA;
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        const udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++, slot++) {
            const udf_buffer_desc *desc = &job->kernel->buffers[b];
            if (desc->kind == UDF_KIND_NAV) {
                p->bufs[slot] = job->buffers[b];
                continue;
            }
            if (desc->flags & UDF_BUF_DERIVED)
                continue;
            int64_t n = udfrt_buffer_elements(&job->ctx, desc);
            if (fresh)
                p->bufs[slot] = udfrt_aligned_alloc((size_t)n * udfrt_dtype_size(desc->dtype));
            if (!p->bufs[slot]) {
                partial_free(rs, p);
                return UDFRT_ERR_DATA;
            }
            int at_zero = (desc->flags & UDF_BUF_SUMMED) && !first;
            udfrt_fill(p->bufs[slot], desc->dtype, (size_t)n, at_zero ? 0.0 : desc->init);
        }
    }
    return UDFRT_OK;
}

static void merge_partials(run_state *rs, partial *dest, partial *src)
{
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        const udfrt_job *job = &rs->jobs[j];
        if (job->kernel->merge)
            job->kernel->merge(&job->ctx, dest->bufs + slot, src->bufs + slot);
        slot += job->kernel->n_buffers;
    }
}

/* The node of the merge tree at `leaf` is complete up to `level` (0: the
 * partition `leaf`): merge up the tree as far as finished neighbours allow.
 * Node (level l, index k) covers partitions [k << l, (k + 1) << l) and keeps
 * its partial at leaf k << l. */
static void tree_complete(run_state *rs, int64_t leaf, int level)
{
    int64_t n = rs->n_partitions;
    pthread_mutex_lock(&rs->tree_lock);
    rs->level_done[leaf] = level;
    for (; ((int64_t)1 << level) < n; level++) {
        int64_t k = leaf >> level;
        int64_t left = (k & ~(int64_t)1) << level, right = (k | 1) << level;
        int64_t sibling = (k & 1) ? left : right;
        if (sibling < n && rs->level_done[sibling] < level)
            break; /* the sibling is still running; whoever finishes it merges */
        if (right < n) {
            pthread_mutex_unlock(&rs->tree_lock);
            merge_partials(rs, &rs->partials[left], &rs->partials[right]);
            partial_recycle(rs, &rs->partials[right]);
            pthread_mutex_lock(&rs->tree_lock);
        }
        rs->level_done[left] = level + 1;
        leaf = left;
    }
    pthread_mutex_unlock(&rs->tree_lock);
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
    if (rs->opt->corrections) {
        size_t elem = udfrt_dtype_size(udfrt_corrections_output(rs->opt->corrections));
        w->corrected = udfrt_aligned_alloc(d * (size_t)rs->ds->sig_size * elem);
        if (!w->corrected)
            return udfrt_fail(local, UDFRT_ERR_DATA, "out of memory for corrected tiles");
    }
    udfrt_status st = rs->ds->ops->reader_create(rs->ds, rs->depth, &w->reader, local);
    if (st == UDFRT_OK && rs->ds->ops->reader_copy && rs->ds->ops->reader_copy(w->reader, 0))
        w->read_choice = READ_TRIAL;
    return st;
}

/* During the trial: whether the worker's next tile is read by copying. */
static int trial_copy(const worker_state *w)
{
    return (int)((w->trial_tiles[0] + w->trial_tiles[1]) % 2);
}

/* Counts one trial tile read by copying (copy) or mapping, with the seconds
 * its reading and kernels took; after enough of both, keeps the faster. */
static void trial_tile(const run_state *rs, worker_state *w, int copy, double seconds,
                       int64_t bytes)
{
    if (!w->warmed_up) { /* the worker's first tile also pays for cold caches */
        w->warmed_up = 1;
        return;
    }
    w->trial_tiles[copy]++;
    w->trial_bytes[copy] += bytes;
    w->trial_seconds[copy] += seconds;
    if (w->trial_tiles[0] < UDF_READ_TRIAL_TILES || w->trial_tiles[1] < UDF_READ_TRIAL_TILES)
        return;
    w->read_copy = w->trial_seconds[1] * (double)w->trial_bytes[0] <
                   w->trial_seconds[0] * (double)w->trial_bytes[1];
    w->read_choice = READ_DECIDED;
    rs->ds->ops->reader_copy(w->reader, w->read_copy);
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

/* Replaces the tile's frames by their corrected copies. */
static void correct_tile(run_state *rs, worker_state *w, int64_t depth)
{
    const udfrt_corrections *c = rs->opt->corrections;
    size_t bytes = (size_t)rs->ds->sig_size * udfrt_dtype_size(udfrt_corrections_output(c));
    for (int64_t i = 0; i < depth; i++) {
        void *out = (unsigned char *)w->corrected + (size_t)i * bytes;
        udfrt_corrections_apply(c, w->frames[i], out);
        w->frames[i] = out;
    }
}

/* Partition boundaries as numpy.linspace(0, n, parts + 1, dtype=int), each
 * moved forward to the next read block (ds->read_block, in stored frames), so
 * that no block is decoded by two partitions. A partition may end up empty. */
static int64_t partition_begin(const run_state *rs, int64_t index)
{
    int64_t b = index * rs->n_selected / rs->n_partitions, block = rs->ds->read_block;
    if (block > 1)
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
    if (partial_init(rs, p) != UDFRT_OK) {
        udfrt_fail(&local, UDFRT_ERR_DATA, "out of memory for partial results");
        return fail_shared(rs, local.code, &local);
    }
    /* Partition boundaries as numpy.linspace(0, n, parts + 1, dtype=int). */
    int64_t begin = partition_begin(rs, index), end = partition_begin(rs, index + 1);
    int64_t frame_bytes = rs->ds->sig_size * (int64_t)udfrt_dtype_size(rs->ds->dtype);
    for (int64_t t = begin; t < end; t += rs->depth) {
        int64_t depth = end - t < rs->depth ? end - t : rs->depth;
        for (int64_t i = 0; i < depth; i++) {
            w->nav_index[i] = rs->selected[t + i];
            w->file_frames[i] = udfrt_dataset_frame_at(rs->ds, rs->selected[t + i]);
            w->ordinal[i] = t + i;
        }
        int trial = w->read_choice == READ_TRIAL, copy = trial && trial_copy(w);
        if (trial)
            rs->ds->ops->reader_copy(w->reader, copy);
        double t0 = now();
        udfrt_status st =
            rs->ds->ops->read(rs->ds, w->reader, w->file_frames, depth, w->frames, &local);
        if (st != UDFRT_OK)
            return fail_shared(rs, st, &local);
        double t1 = now(), t2 = t1;
        if (rs->opt->corrections) {
            correct_tile(rs, w, depth);
            t2 = now();
        }
        udf_tile tile = {
            .depth = depth, .frames = w->frames, .nav_index = w->nav_index, .ordinal = w->ordinal};
        int slot = 0;
        for (int j = 0; j < rs->n_jobs; j++) {
            const udfrt_job *job = &rs->jobs[j];
            job->kernel->tile(&job->ctx, &tile, p->bufs + slot);
            slot += job->kernel->n_buffers;
        }
        double t3 = now();
        w->read_seconds += t1 - t0;
        w->correct_seconds += t2 - t1;
        w->kernel_seconds += t3 - t2;
        if (trial)
            trial_tile(rs, w, copy, t3 - t0, depth * frame_bytes);
        w->bytes_read += depth * frame_bytes;
        count_tile(rs, depth, depth * frame_bytes);
    }
    tree_complete(rs, index, 0);
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

/* Moves the merged sig/single buffers of the root partial into the jobs. */
static void adopt_root(run_state *rs, partial *root)
{
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++, slot++)
            if (job->kernel->buffers[b].kind != UDF_KIND_NAV &&
                !(job->kernel->buffers[b].flags & UDF_BUF_DERIVED)) {
                job->buffers[b] = root->bufs[slot];
                root->bufs[slot] = NULL;
            }
    }
    partial_free(rs, root);
}

/* ---- MPI ranks: rank r runs partitions [r·n/R, (r+1)·n/R); rank 0 then
 * merges the others' subtrees into its tree, so the merge order is that of
 * one process. ---- */

static void rank_share(const run_state *rs, int rank, int64_t *first, int64_t *end)
{
    int64_t n = rs->n_partitions, ranks = udfrt_mpi_size();
    *first = rank * n / ranks;
    *end = (rank + 1) * n / ranks;
}

/* Sends (or receives) the sig and single buffers of partial p. */
static udfrt_status transfer_partial(run_state *rs, partial *p, int peer, int send)
{
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        const udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++, slot++) {
            const udf_buffer_desc *desc = &job->kernel->buffers[b];
            if (desc->kind == UDF_KIND_NAV || (desc->flags & UDF_BUF_DERIVED))
                continue;
            size_t bytes =
                (size_t)udfrt_buffer_elements(&job->ctx, desc) * udfrt_dtype_size(desc->dtype);
            udfrt_status st = send ? udfrt_rank_send(peer, p->bufs[slot], bytes, rs->err)
                                   : udfrt_rank_recv(peer, p->bufs[slot], bytes, rs->err);
            if (st != UDFRT_OK)
                return st;
        }
    }
    return UDFRT_OK;
}

/* Sends (or receives) the nav buffers' elements of rank `rank`'s frames. */
static udfrt_status transfer_nav(run_state *rs, int rank, int peer, int send)
{
    int64_t first, end, from = 0, to = 0;
    rank_share(rs, rank, &first, &end);
    if (rs->n_partitions > 0) {
        from = partition_begin(rs, first);
        to = partition_begin(rs, end);
    }
    for (int j = 0; j < rs->n_jobs; j++) {
        const udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++) {
            const udf_buffer_desc *desc = &job->kernel->buffers[b];
            if (desc->kind != UDF_KIND_NAV || (desc->flags & UDF_BUF_DERIVED))
                continue;
            size_t block =
                (size_t)udfrt_buffer_block(&job->ctx, desc) * udfrt_dtype_size(desc->dtype);
            unsigned char *pack = udfrt_malloc(block * (size_t)(to - from) + 1);
            unsigned char *buf = job->buffers[b];
            if (!pack)
                return udfrt_fail(rs->err, UDFRT_ERR_DATA, "out of memory for MPI transfers");
            for (int64_t t = from; send && t < to; t++)
                memcpy(pack + (size_t)(t - from) * block, buf + (size_t)rs->selected[t] * block,
                       block);
            udfrt_status st =
                send ? udfrt_rank_send(peer, pack, block * (size_t)(to - from), rs->err)
                     : udfrt_rank_recv(peer, pack, block * (size_t)(to - from), rs->err);
            for (int64_t t = from; !send && st == UDFRT_OK && t < to; t++)
                memcpy(buf + (size_t)rs->selected[t] * block, pack + (size_t)(t - from) * block,
                       block);
            udfrt_free(pack);
            if (st != UDFRT_OK)
                return st;
        }
    }
    return UDFRT_OK;
}

/* A rank other than 0 sends the roots of its finished subtrees (leaf, level,
 * buffers) and its nav elements to rank 0. */
static udfrt_status send_share(run_state *rs, int rank)
{
    int64_t first, end, count = 0;
    rank_share(rs, rank, &first, &end);
    for (int64_t leaf = first; leaf < end; leaf++)
        count += rs->partials[leaf].bufs != NULL;
    udfrt_status st = udfrt_rank_send(0, &count, sizeof count, rs->err);
    for (int64_t leaf = first; st == UDFRT_OK && leaf < end; leaf++) {
        if (!rs->partials[leaf].bufs)
            continue;
        int64_t head[2] = {leaf, rs->level_done[leaf]};
        st = udfrt_rank_send(0, head, sizeof head, rs->err);
        if (st == UDFRT_OK)
            st = transfer_partial(rs, &rs->partials[leaf], 0, 1);
    }
    return st == UDFRT_OK ? transfer_nav(rs, rank, 0, 1) : st;
}

/* Rank 0 takes every other rank's subtrees into its merge tree, which merges
 * each as its sibling is there, and their nav elements. */
static udfrt_status gather_shares(run_state *rs)
{
    udfrt_status st = UDFRT_OK;
    for (int rank = 1; st == UDFRT_OK && rank < udfrt_mpi_size(); rank++) {
        int64_t first, end, count = 0;
        rank_share(rs, rank, &first, &end);
        st = udfrt_rank_recv(rank, &count, sizeof count, rs->err);
        for (int64_t i = 0; st == UDFRT_OK && i < count; i++) {
            int64_t head[2];
            st = udfrt_rank_recv(rank, head, sizeof head, rs->err);
            if (st == UDFRT_OK &&
                (head[0] < first || head[0] >= end || head[1] < 0 || head[1] > 62))
                st = udfrt_fail(rs->err, UDFRT_ERR_INTERNAL,
                                "MPI rank %d sent partition %lld, level %lld: not of its share",
                                rank, (long long)head[0], (long long)head[1]);
            partial *p = &rs->partials[st == UDFRT_OK ? head[0] : 0];
            if (st == UDFRT_OK && partial_init(rs, p) != UDFRT_OK)
                st = udfrt_fail(rs->err, UDFRT_ERR_DATA, "out of memory for partial results");
            if (st == UDFRT_OK)
                st = transfer_partial(rs, p, rank, 0);
            if (st == UDFRT_OK)
                tree_complete(rs, head[0], (int)head[1]);
        }
        if (st == UDFRT_OK)
            st = transfer_nav(rs, rank, rank, 0);
    }
    return st;
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

static void sum_stats(run_state *rs, int threads, udfrt_run_stats *stats)
{
    for (int w = 0; w < threads; w++) {
        stats->bytes_read += rs->workers[w].bytes_read;
        stats->read_seconds += rs->workers[w].read_seconds;
        stats->correct_seconds += rs->workers[w].correct_seconds;
        stats->kernel_seconds += rs->workers[w].kernel_seconds;
        if (rs->workers[w].read_choice == READ_DECIDED) {
            stats->copying_workers += rs->workers[w].read_copy;
            stats->mapping_workers += !rs->workers[w].read_copy;
        }
    }
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
    int root = udfrt_mpi_rank() == 0;
    if (st == UDFRT_OK) {
        rs.selected = selected;
        rs.depth = plan.tile_depth;
        rs.n_partitions = plan.partitions;
        rank_share(&rs, udfrt_mpi_rank(), &rs.first_partition, &rs.end_partition);
        rs.rank_frames = rs.n_partitions > 0 ? partition_begin(&rs, rs.end_partition) -
                                                   partition_begin(&rs, rs.first_partition)
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
        partial_init(&rs, &rs.partials[0]) != UDFRT_OK)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for results");
    if (st == UDFRT_OK && udfrt_mpi_size() > 1)
        st = root ? gather_shares(&rs) : send_share(&rs, udfrt_mpi_rank());
    if (st == UDFRT_OK && opt->progress) {
        udfrt_progress p = {.frames_done = rs.rank_frames,
                            .frames_total = rs.rank_frames,
                            .bytes_read = atomic_load(&rs.bytes_done),
                            .seconds = now() - t_start,
                            .finished = 1};
        opt->progress(opt->progress_ctx, &p);
    }
    if (st == UDFRT_OK && root) {
        adopt_root(&rs, &rs.partials[0]);
        for (int j = 0; j < n_jobs; j++)
            if (jobs[j].kernel->result)
                jobs[j].kernel->result(&jobs[j].ctx, jobs[j].buffers);
    }
    if (rs.workers) {
        sum_stats(&rs, threads, stats);
        for (int w = 0; w < threads; w++)
            worker_release(&rs, &rs.workers[w]);
    }
    for (int64_t i = 0; rs.partials && i <= rs.n_partitions; i++)
        partial_free(&rs, &rs.partials[i]);
    for (int64_t i = 0; i < rs.n_spare; i++) {
        partial spare = {rs.spare[i]};
        partial_free(&rs, &spare);
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
