/* mpi_module.c — libudfrt's MPI calls, in a module of their own (see
 * mpi_module.h); built with UDF_MPI. */
#include <mpi.h>

#include "mpi_module.h"

static int init(int *rank, int *size)
{
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return 1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
}

static void finish(int exit_code, int size)
{
    int started = 0, finished = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&finished);
    if (!started || finished)
        return;
    if (exit_code != 0 && size > 1)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
    MPI_Finalize();
}

static int send(int to, const void *data, int n)
{
    return MPI_Send(data, n, MPI_BYTE, to, 0, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static int recv(int from, void *data, int n)
{
    return MPI_Recv(data, n, MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS;
}

static int sum_doubles(int rank, double *values, int n)
{
    int ok = rank == 0 ? MPI_Reduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD)
                       : MPI_Reduce(values, NULL, n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    return ok != MPI_SUCCESS;
}

__attribute__((visibility("default"))) const udfrt_mpi_ops udfrt_mpi_module = {
    .init = init, .finish = finish, .send = send, .recv = recv, .sum_doubles = sum_doubles};
