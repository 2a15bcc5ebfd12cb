/* run_driver.c — see run_driver.h. */
#include "run_driver.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "dataset.h"
#include "pool.h"
#include "progress.h"
#include "results.h"
#include "session_setup.h"
#include "writers.h"

/* Says when the file holds more or fewer frames than the nav grid has
 * positions: often a wrong --nav, --sig or --dtype. (What --sync-offset
 * shifts in or out is counted, but does not cause the warning.) */
static void warn_grid_fit(const udfrt_dataset *ds)
{
    if (ds->image_count == ds->nav_size)
        return;
    udfrt_grid_fit fit = udfrt_dataset_grid_fit(ds);
    int64_t unread = ds->image_count - fit.positions_with_frame;
    int64_t empty = ds->nav_size - fit.positions_with_frame;
    fprintf(stderr, "%s: warning: '%s' holds %lld frames, but the nav grid has %lld positions",
            cli_tool, ds->path, (long long)ds->image_count, (long long)ds->nav_size);
    if (unread)
        fprintf(stderr, "; %lld frames are not read", (long long)unread);
    if (empty)
        fprintf(stderr, "; %lld positions have no frame (their nav results are NaN or 0)",
                (long long)empty);
    fputc('\n', stderr);
}

static void print_stats(const udfrt_run_stats *s, int threads)
{
    char where[64];
    if (s->ranks > 1)
        snprintf(where, sizeof where, "%d MPI ranks (%d thread%s on rank 0)", s->ranks, threads,
                 threads == 1 ? "" : "s");
    else
        snprintf(where, sizeof where, "%d thread%s", threads, threads == 1 ? "" : "s");
    double gb = (double)s->bytes_read / 1e9;
    char corrections[64] = "corrections in the kernels' loads";
    if (!s->corrections_fused)
        snprintf(corrections, sizeof corrections, "corrections %.3f s", s->correct_seconds);
    fprintf(stderr,
            "stats: run %.4f s wall on %s; %lld frames in %lld partitions, tiles of %lld frames\n"
            "stats: read %.3f s, %s, kernels %.3f s (summed over threads%s); "
            "%.3f GB read, %.2f GB/s\n",
            s->wall_seconds, where, (long long)s->frames, (long long)s->partitions,
            (long long)s->tile_depth, s->read_seconds, corrections, s->kernel_seconds,
            s->ranks > 1 ? " and ranks" : "", gb, s->wall_seconds > 0 ? gb / s->wall_seconds : 0.0);
    if (s->ranks > 1)
        fprintf(stderr, "stats: MPI: rank 0 ran %lld of the %lld frames\n",
                (long long)s->rank_frames, (long long)s->frames);
    if (s->mapping_workers + s->copying_workers > 0)
        fprintf(stderr, "stats: frames mapped from the page cache on %d thread%s, copied on %d\n",
                s->mapping_workers, s->mapping_workers == 1 ? "" : "s", s->copying_workers);
}

/* The HDF5 path: -o, or NAME.h5 of the first udf. */
static const char *h5_path(const RunOptions *o, const udfrt_session *s, char *buf, size_t cap)
{
    if (o->output)
        return o->output;
    snprintf(buf, cap, "%s.h5", udfrt_session_udf(s, 0));
    return buf;
}

/* Fails early, before the run, when results could not be written. */
static udfrt_status check_outputs(const RunOptions *o, const udfrt_session *s, udfrt_error *err)
{
    char buf[4096]; /* a udf name is shorter than a file name can be */
    udfrt_status st = udfrt_check_output_file(h5_path(o, s, buf, sizeof buf), err);
    if (st == UDFRT_OK && o->npy_dir)
        st = udfrt_check_dir(o->npy_dir, err);
    if (st == UDFRT_OK && o->png_dir)
        st = udfrt_check_dir(o->png_dir, err);
    return st;
}

/* Under mpirun, rank 0 alone reports, checks and writes the outputs; every
 * rank runs its share. */
static int run_session(const RunOptions *o, udfrt_session *s, const KernelSource *kernels)
{
    int root = udfrt_mpi_rank() == 0;
    udfrt_error err = {0};
    udfrt_status st = root ? check_outputs(o, s, &err) : UDFRT_OK;
    for (int i = 0; st == UDFRT_OK && i < o->n_params; i++)
        st = udfrt_session_param(s, o->params[i], &err);
    if (st != UDFRT_OK)
        return cli_report(&err);
    int progress = root && (o->progress >= 0 ? o->progress : isatty(STDERR_FILENO));
    ProgressLine line = {0};
    if (progress)
        udfrt_session_progress(s, progress_print, &line);
    udfrt_run_stats stats;
    st = udfrt_session_run(s, &stats, &err);
    progress_close(&line);
    if (st != UDFRT_OK)
        return cli_report(&err);
    if (!root)
        return 0;
    if (o->stats) {
        if (kernels->stats)
            kernels->stats(kernels->ctx, stderr);
        print_stats(&stats, o->threads > 0 ? o->threads : udfrt_cpu_count());
    }
    char buf[4096]; /* a udf name is shorter than a file name can be */
    if (udfrt_session_write(s, h5_path(o, s, buf, sizeof buf), o->npy_dir, o->png_dir, &err) !=
        UDFRT_OK)
        return cli_report(&err);
    const udfrt_result *results;
    int n = udfrt_session_results(s, &results);
    udfrt_results_summary(stdout, results, n);
    return 0;
}

static int run_job(const RunOptions *o, const KernelSource *kernels)
{
    SessionSetup setup;
    int rc = session_setup_open(o, &setup);
    if (rc)
        return rc;
    if (udfrt_mpi_rank() == 0)
        warn_grid_fit(setup.ds);
    udfrt_atomic_install_signal_cleanup();
    rc = kernels->add(kernels->ctx, setup.session);
    if (!rc)
        rc = run_session(o, setup.session, kernels);
    session_setup_release(&setup);
    return rc;
}

int run_driver(const RunOptions *o, const KernelSource *kernels)
{
    udfrt_error err = {0};
    int rc = udfrt_mpi_start(&err) == UDFRT_OK ? run_job(o, kernels) : cli_report(&err);
    udfrt_mpi_finish(rc);
    return rc;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
