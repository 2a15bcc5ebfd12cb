/* mpi_module.h — what libudfrt calls in its MPI module (libudfrt_mpi.so,
 * mpi_module.c), which it loads only when the process was started as an MPI
 * rank (ranks.c): linking libmpi took every run ~5 ms to start. Internal to
 * libudfrt. */
#ifndef UDFRT_MPI_MODULE_H
#define UDFRT_MPI_MODULE_H

#include <stddef.h>

#define UDFRT_MPI_MODULE_FILE "libudfrt_mpi.so"
#define UDFRT_MPI_MODULE_SYMBOL "udfrt_mpi_module"

/* Each returns 0 on success (MPI_SUCCESS), else nonzero. */
typedef struct udfrt_mpi_ops {
    int (*init)(int *rank, int *size);            /* MPI_Init_thread, rank, size */
    void (*finish)(int exit_code, int size);      /* abort on failure, else finalize */
    int (*send)(int to, const void *data, int n); /* n bytes */
    int (*recv)(int from, void *data, int n);
    int (*sum_doubles)(int rank, double *values, int n); /* reduce to rank 0 */
} udfrt_mpi_ops;

#endif
