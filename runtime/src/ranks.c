/* ranks.c — joining and leaving the ranks of an mpirun, and byte transfers
 * between them; see ranks.h. Built with UDF_MPI, on OpenMPI (or any MPI that
 * sets one of the launcher variables below), through the MPI module that a
 * rank loads (mpi_module.h); without UDF_MPI, one rank. */
#include "ranks.h"

#include <stdlib.h>
#include <string.h>

#ifdef UDF_HAVE_MPI
#include <dlfcn.h>
#include <stdio.h>

#include "mpi_module.h"
#endif

static int rank, size = 1;

/* The number of ranks the launcher (OpenMPI's mpirun, MPICH's Hydra) says it
 * started, -1 for a PMIx launch (srun --mpi=pmix), which does not say, or 0:
 * not launched as a rank, or UDF_MPI=off, which a process started by an MPI
 * rank (that inherits the launcher's variables) sets to run on its own. */
static int launched_ranks(void)
{
    const char *off = getenv("UDF_MPI");
    if (off && strcmp(off, "off") == 0)
        return 0;
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const char *v = getenv(sizes[i]);
        if (v && *v)
            return atoi(v);
    }
    const char *pmix = getenv("PMIX_RANK");
    return pmix && *pmix ? -1 : 0;
}

int udfrt_mpi_rank(void) { return rank; }
int udfrt_mpi_size(void) { return size; }

#ifdef UDF_HAVE_MPI

/* MPI counts are ints: larger transfers go in pieces of this size. */
#define PIECE ((size_t)1 << 30)

static const udfrt_mpi_ops *mpi; /* the MPI module, once this process is a rank */

/* The MPI module, from the directory libudfrt was loaded from. RTLD_GLOBAL:
 * Open MPI's own plugins look for libmpi's symbols in the global scope. */
static udfrt_status load_module(udfrt_error *err)
{
    Dl_info self;
    char path[4200];
    if (!dladdr((const void *)udfrt_mpi_start, &self) || !self.dli_fname)
        return udfrt_fail(err, UDFRT_ERR_INTERNAL, "cannot find where libudfrt was loaded from");
    const char *slash = strrchr(self.dli_fname, '/');
    int dir = slash ? (int)(slash - self.dli_fname) : 1;
    snprintf(path, sizeof path, "%.*s/%s", dir, slash ? self.dli_fname : ".",
             UDFRT_MPI_MODULE_FILE);
    void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!handle)
        return udfrt_fail(err, UDFRT_ERR_DATA, "started as an MPI rank, but cannot load %s: %s",
                          path, dlerror());
    mpi = dlsym(handle, UDFRT_MPI_MODULE_SYMBOL);
    if (!mpi)
        return udfrt_fail(err, UDFRT_ERR_INTERNAL, "%s has no %s", path, UDFRT_MPI_MODULE_SYMBOL);
    return UDFRT_OK;
}

udfrt_status udfrt_mpi_start(udfrt_error *err)
{
    if (launched_ranks() == 0)
        return UDFRT_OK; /* not under mpirun: no MPI start-up cost, not even loading it */
    udfrt_status st = load_module(err);
    if (st == UDFRT_OK && mpi->init(&rank, &size) != 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "MPI_Init failed");
    return st;
}

void udfrt_mpi_finish(int exit_code)
{
    if (mpi)
        mpi->finish(exit_code, size);
}

udfrt_status udfrt_rank_send(int to, const void *data, size_t n, udfrt_error *err)
{
    for (size_t at = 0; at < n; at += PIECE) {
        int count = (int)(n - at < PIECE ? n - at : PIECE);
        if (mpi->send(to, (const char *)data + at, count) != 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "MPI: sending partial results to rank %d failed",
                              to);
    }
    return UDFRT_OK;
}

udfrt_status udfrt_rank_recv(int from, void *data, size_t n, udfrt_error *err)
{
    for (size_t at = 0; at < n; at += PIECE) {
        int count = (int)(n - at < PIECE ? n - at : PIECE);
        if (mpi->recv(from, (char *)data + at, count) != 0)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "MPI: receiving partial results from rank %d failed", from);
    }
    return UDFRT_OK;
}

udfrt_status udfrt_ranks_sum(double *values, int n, udfrt_error *err)
{
    return mpi->sum_doubles(rank, values, n) == 0
               ? UDFRT_OK
               : udfrt_fail(err, UDFRT_ERR_DATA, "MPI: summing the run's statistics failed");
}

#else

udfrt_status udfrt_mpi_start(udfrt_error *err)
{
    int n = launched_ranks();
    if (n > 1)
        return udfrt_fail(
            err, UDFRT_ERR_USAGE,
            "started as one of %d MPI ranks, but this libudfrt was built without "
            "MPI (cmake -DUDF_MPI=ON): each rank would run the whole job (UDF_MPI=off "
            "runs it anyway, in a process an MPI rank started)",
            n);
    return UDFRT_OK;
}

void udfrt_mpi_finish(int exit_code) { (void)exit_code; }

udfrt_status udfrt_rank_send(int to, const void *data, size_t n, udfrt_error *err)
{
    (void)data;
    (void)n;
    return udfrt_fail(err, UDFRT_ERR_INTERNAL, "no MPI in this build to send to rank %d", to);
}

udfrt_status udfrt_rank_recv(int from, void *data, size_t n, udfrt_error *err)
{
    (void)data;
    (void)n;
    return udfrt_fail(err, UDFRT_ERR_INTERNAL, "no MPI in this build to receive from rank %d",
                      from);
}

udfrt_status udfrt_ranks_sum(double *values, int n, udfrt_error *err)
{
    (void)values;
    (void)n;
    return udfrt_fail(err, UDFRT_ERR_INTERNAL, "no MPI in this build to sum over ranks");
}

#endif
