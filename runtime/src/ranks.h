/* ranks.h — the MPI ranks of a run (udfrt_mpi_* in udfrt.h), and moving
 * bytes between them for run.c. Without UDF_MPI there is one rank. */
#ifndef UDFRT_RANKS_H
#define UDFRT_RANKS_H

#include <stddef.h>

#include "error.h"

/* Blocking transfers of n bytes to or from another rank (any n: sent in
 * pieces an MPI count holds). */
udfrt_status udfrt_rank_send(int to, const void *data, size_t n, udfrt_error *err);
udfrt_status udfrt_rank_recv(int from, void *data, size_t n, udfrt_error *err);
/* Every rank calls it: rank 0's values[n] become their sums over the ranks. */
udfrt_status udfrt_ranks_sum(double *values, int n, udfrt_error *err);

#endif
