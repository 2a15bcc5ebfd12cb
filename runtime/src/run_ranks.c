/* run_ranks.c — a run over the ranks of an mpirun: each rank's share of the
 * partitions, and how the other ranks' partial results and nav elements
 * reach rank 0's merge tree; see run_state.h. */
#include <string.h>

#include "alloc.h"
#include "dtype.h"
#include "ranks.h"
#include "run_state.h"

void udfrt_rank_share(const run_state *rs, int rank, int64_t *first, int64_t *end)
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
            if (desc->kind == UDF_KIND_NAV || (desc->flags & UDFRT_BUF_NOT_IN_PARTIALS))
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
    udfrt_rank_share(rs, rank, &first, &end);
    if (rs->n_partitions > 0) {
        from = udfrt_partition_begin(rs, first);
        to = udfrt_partition_begin(rs, end);
    }
    for (int j = 0; j < rs->n_jobs; j++) {
        const udfrt_job *job = &rs->jobs[j];
        for (int b = 0; b < job->kernel->n_buffers; b++) {
            const udf_buffer_desc *desc = &job->kernel->buffers[b];
            if (desc->kind != UDF_KIND_NAV || (desc->flags & UDFRT_BUF_NOT_IN_PARTIALS))
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

/* The roots of this rank's finished subtrees go as (leaf, level, buffers). */
udfrt_status udfrt_ranks_send(run_state *rs)
{
    int rank = udfrt_mpi_rank();
    int64_t first, end, count = 0;
    udfrt_rank_share(rs, rank, &first, &end);
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

/* Rank 0's tree merges each received subtree as its sibling is there. */
udfrt_status udfrt_ranks_gather(run_state *rs)
{
    udfrt_status st = UDFRT_OK;
    for (int rank = 1; st == UDFRT_OK && rank < udfrt_mpi_size(); rank++) {
        int64_t first, end, count = 0;
        udfrt_rank_share(rs, rank, &first, &end);
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
            if (st == UDFRT_OK && udfrt_partial_init(rs, p) != UDFRT_OK)
                st = udfrt_fail(rs->err, UDFRT_ERR_DATA, "out of memory for partial results");
            if (st == UDFRT_OK)
                st = transfer_partial(rs, p, rank, 0);
            if (st == UDFRT_OK)
                udfrt_tree_complete(rs, head[0], (int)head[1]);
        }
        if (st == UDFRT_OK)
            st = transfer_nav(rs, rank, rank, 0);
    }
    return st;
}
