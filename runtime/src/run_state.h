/* run_state.h — what the files of a run share (run.c: partitions, tiles and
 * workers; run_tree.c: partial results and their merge tree; run_ranks.c:
 * the MPI ranks' shares). Internal to libudfrt. */
#ifndef UDFRT_RUN_STATE_H
#define UDFRT_RUN_STATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "read_trial.h"
#include "run.h"

/* Buffers that partials hold no storage for: derived ones (the result fills
 * them) and unused ones (nothing touches them). */
#define UDFRT_BUF_NOT_IN_PARTIALS (UDF_BUF_DERIVED | UDF_BUF_UNUSED)

/* The sig/single buffers of every job for one node of the merge tree; nav
 * entries point at the shared nav buffers. */
typedef struct partial {
    void **bufs; /* jobs × buffers, flattened */
} partial;

typedef struct worker_state worker_state; /* run.c */

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
    /* With corrections: whether some kernel needs whole corrected frames
     * (the others correct frames as they load them, kernel_abi.h UDF_FUSED). */
    int correct_whole;
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
    udfrt_read_trial read_trial; /* mapping or copying */
} run_state;

/* ---- run_tree.c ---- */

/* A partial at the buffers' start values, in recycled buffers if there are.
 * Summed buffers start there in the first partition's partial only, into
 * which the merge tree adds the others, and at 0 elsewhere. */
udfrt_status udfrt_partial_init(run_state *rs, partial *p);
void udfrt_partial_free(run_state *rs, partial *p);
/* The node of the merge tree at `leaf` is complete up to `level` (0: the
 * partition `leaf`): merges up the tree as far as finished neighbours allow.
 * Node (level l, index k) covers partitions [k << l, (k + 1) << l) and keeps
 * its partial at leaf k << l. */
void udfrt_tree_complete(run_state *rs, int64_t leaf, int level);
/* Moves the merged sig/single buffers of the root partial into the jobs. */
void udfrt_adopt_root(run_state *rs, partial *root);

/* ---- run.c ---- */

/* The first selected frame of partition `index` (numpy.linspace bounds,
 * moved to the start of a read block). */
int64_t udfrt_partition_begin(const run_state *rs, int64_t index);

/* ---- run_ranks.c: rank r runs partitions [r·n/R, (r+1)·n/R); rank 0 then
 * merges the others' subtrees into its tree, so the merge order is that of
 * one process. ---- */

void udfrt_rank_share(const run_state *rs, int rank, int64_t *first, int64_t *end);
/* A rank other than 0 sends the roots of its finished subtrees and its nav
 * elements to rank 0, which takes them all into its merge tree. */
udfrt_status udfrt_ranks_send(run_state *rs);
udfrt_status udfrt_ranks_gather(run_state *rs);

#endif
