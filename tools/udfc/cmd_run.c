/* cmd_run.c — `udfc run UDF... [options]`: open the data set (with ROI and
 * corrections), JIT-compile the udfs for the element type the kernels will
 * see, run them in one pass, write the results (HDF5, and --npy/--png), and
 * print a one-line summary per result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "atomic_file.h"
#include "commands.h"
#include "compile.h"
#include "data_setup.h"
#include "dtype.h"
#include "params.h"
#include "pool.h"
#include "progress.h"
#include "results.h"
#include "run.h"
#include "units.h"
#include "writers.h"

static int report(const udfrt_error *err)
{
    fprintf(stderr, "udfc: error: %s\n", err->msg);
    return err->code;
}

static int internal_error(const char *what)
{
    fprintf(stderr, "udfc: internal error: %s (please report)\n", what);
    return 4;
}

/* Matches each selected udf with its kernel in the JIT-compiled module. */
static int bind_jobs(const udf_module_desc *mod, UnitSet *set, udfrt_job *jobs)
{
    if (mod->abi_version != UDF_ABI_VERSION)
        return internal_error("kernel ABI version mismatch");
    for (int i = 0; i < set->n_udfs; i++) {
        jobs[i].kernel = NULL;
        for (int k = 0; k < mod->n_kernels; k++)
            if (strcmp(mod->kernels[k].name, set->udfs[i]->udf->name) == 0)
                jobs[i].kernel = &mod->kernels[k];
        if (!jobs[i].kernel)
            return internal_error("a compiled kernel is missing from its module");
    }
    return 0;
}

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
    fprintf(stderr, "udfc: warning: '%s' holds %lld frames, but the nav grid has %lld positions",
            ds->path, (long long)ds->image_count, (long long)ds->nav_size);
    if (unread)
        fprintf(stderr, "; %lld frames are not read", (long long)unread);
    if (empty)
        fprintf(stderr, "; %lld positions have no frame (their nav results are NaN or 0)",
                (long long)empty);
    fputc('\n', stderr);
}

static void print_stats(const udfrt_run_stats *s, const CompileStats *cs, int threads)
{
    double gb = (double)s->bytes_read / 1e9;
    if (cs->cache_note[0])
        fprintf(stderr, "stats: kernel cache not written: %s\n", cs->cache_note);
    fprintf(stderr,
            "stats: compile %.1f ms%s; run %.3f s wall on %d thread%s; %lld frames in %lld "
            "partitions, tiles of %lld frames\n"
            "stats: read %.3f s, corrections %.3f s, kernels %.3f s (summed over threads); "
            "%.3f GB read, %.2f GB/s\n",
            cs->seconds * 1e3, cs->cached ? " (from the cache)" : "", s->wall_seconds, threads,
            threads == 1 ? "" : "s", (long long)s->frames, (long long)s->partitions,
            (long long)s->tile_depth, s->read_seconds, s->correct_seconds, s->kernel_seconds, gb,
            s->wall_seconds > 0 ? gb / s->wall_seconds : 0.0);
}

/* The HDF5 path: -o, or NAME.h5 of the first udf. */
static const char *h5_path(const RunOptions *o, UnitSet *set, char *buf, size_t cap)
{
    if (o->output)
        return o->output;
    snprintf(buf, cap, "%s.h5", set->udfs[0]->udf->name);
    return buf;
}

/* Fails early, before the run, when results could not be written. */
static int check_outputs(const RunOptions *o, UnitSet *set)
{
    char buf[512];
    udfrt_error err = {0};
    udfrt_status st = udfrt_check_output_file(h5_path(o, set, buf, sizeof buf), &err);
    if (st == UDFRT_OK && o->npy_dir)
        st = udfrt_make_dir(o->npy_dir, &err);
    if (st == UDFRT_OK && o->png_dir)
        st = udfrt_make_dir(o->png_dir, &err);
    return st == UDFRT_OK ? 0 : report(&err);
}

/* Writes every output file; they appear together, or none does. */
static int write_outputs(const RunOptions *o, UnitSet *set, udfrt_job *jobs)
{
    int cap = udfrt_results_capacity(jobs, set->n_udfs);
    udfrt_result *results = udfrt_calloc((size_t)cap + 1, sizeof *results);
    udfrt_staging *staging = NULL;
    udfrt_error err = {0};
    udfrt_status st = results ? udfrt_staging_create(&staging, &err)
                              : udfrt_fail(&err, UDFRT_ERR_DATA, "out of memory");
    int n = st == UDFRT_OK ? udfrt_results_collect(jobs, set->n_udfs, results) : 0;
    char buf[512];
    if (st == UDFRT_OK)
        st = udfrt_write_h5(staging, h5_path(o, set, buf, sizeof buf), results, n, &err);
    if (st == UDFRT_OK && o->npy_dir)
        st = udfrt_write_npy(staging, o->npy_dir, results, n, &err);
    if (st == UDFRT_OK && o->png_dir)
        st = udfrt_write_png(staging, o->png_dir, results, n, &err);
    if (st == UDFRT_OK)
        st = udfrt_staging_commit(staging, &err);
    udfrt_staging_destroy(staging);
    if (st == UDFRT_OK)
        udfrt_results_summary(stdout, results, n);
    udfrt_free(results);
    return st == UDFRT_OK ? 0 : report(&err);
}

static int compile_and_bind(UnitSet *set, udf_dtype frame_dtype, Jit **jit, udfrt_job *jobs,
                            CompileStats *stats)
{
    char why[2048];
    Arena *arena = arena_create();
    const udf_module_desc *mod = NULL;
    *jit = jit_create(why, sizeof why);
    if (*jit)
        mod = compile_jit(*jit, set->udfs, set->n_udfs, frame_dtype, arena, stats, why,
                          sizeof why);
    arena_destroy(arena);
    return mod ? bind_jobs(mod, set, jobs) : internal_error(why);
}

int cmd_run(int argc, char **argv)
{
    RunOptions o = {0};
    int rc = options_parse(argc, argv, 1, &o);
    if (rc)
        return rc;
    UnitSet set;
    rc = units_load(&set, o.udf_args, o.n_udf_args);
    if (!rc)
        rc = units_select(&set, o.select, o.n_select);
    DataSetup data = {0};
    if (!rc)
        rc = data_setup_open(&o, &data);
    if (!rc)
        rc = check_outputs(&o, &set);
    Jit *jit = NULL;
    udfrt_job jobs[sizeof set.udfs / sizeof *set.udfs];
    memset(jobs, 0, sizeof jobs);
    CompileStats compile_stats = {0};
    int progress = o.progress >= 0 ? o.progress : isatty(STDERR_FILENO);
    ProgressLine line = {0};
    udfrt_run_options ro = {.threads = o.threads,
                            .roi = data.roi,
                            .partitions = o.partitions,
                            .corrections = data.corrections,
                            .progress = progress ? progress_print : NULL,
                            .progress_ctx = &line};
    if (!rc) {
        warn_grid_fit(data.ds);
        rc = compile_and_bind(&set, udfrt_run_plan(data.ds, &ro).frame_dtype, &jit, jobs,
                              &compile_stats);
    }
    ParamSet params = {0};
    if (!rc)
        rc = params_load(&params, &o, jobs, set.n_udfs);
    if (!rc)
        rc = params_bind(&params, jobs, set.n_udfs, data.ds);
    if (!rc) {
        udfrt_atomic_install_signal_cleanup();
        udfrt_run_stats stats;
        udfrt_error err = {0};
        udfrt_status st = udfrt_run(data.ds, jobs, set.n_udfs, &ro, &stats, &err);
        progress_close(&line);
        if (st != UDFRT_OK)
            rc = report(&err);
        else if (o.stats)
            print_stats(&stats, &compile_stats, o.threads > 0 ? o.threads : udfrt_cpu_count());
    }
    if (!rc)
        rc = write_outputs(&o, &set, jobs);
    for (int i = 0; i < set.n_udfs; i++)
        if (jobs[i].kernel) {
            udfrt_job_release(&jobs[i]);
            udfrt_unbind(&jobs[i]);
        }
    params_release(&params);
    jit_destroy(jit);
    data_setup_release(&data);
    units_release(&set);
    return rc;
}
