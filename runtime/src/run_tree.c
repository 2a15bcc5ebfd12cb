/* run_tree.c — the partial results of a run: one per partition, in buffers
 * that partials which merged away lend to later ones, merged pairwise in a
 * fixed binary tree over the partitions; see run_state.h. */
#include <string.h>

#include "alloc.h"
#include "dtype.h"
#include "run_state.h"

void udfrt_partial_free(run_state *rs, partial *p)
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

udfrt_status udfrt_partial_init(run_state *rs, partial *p)
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
            if (desc->flags & UDFRT_BUF_NOT_IN_PARTIALS)
                continue;
            int64_t n = udfrt_buffer_elements(&job->ctx, desc);
            if (fresh)
                p->bufs[slot] = udfrt_aligned_alloc((size_t)n * udfrt_dtype_size(desc->dtype));
            if (!p->bufs[slot]) {
                udfrt_partial_free(rs, p);
                return UDFRT_ERR_DATA;
            }
            int at_zero = (desc->flags & UDF_BUF_SUMMED) && !first;
            if (!(desc->flags & UDF_BUF_UNINIT))
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

void udfrt_tree_complete(run_state *rs, int64_t leaf, int level)
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

void udfrt_adopt_root(run_state *rs, partial *root)
{
    int slot = 0;
    for (int j = 0; j < rs->n_jobs; j++) {
        udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++, slot++)
            if (job->kernel->buffers[b].kind != UDF_KIND_NAV &&
                !(job->kernel->buffers[b].flags & UDFRT_BUF_NOT_IN_PARTIALS)) {
                job->buffers[b] = root->bufs[slot];
                root->bufs[slot] = NULL;
            }
    }
    udfrt_partial_free(rs, root);
}
