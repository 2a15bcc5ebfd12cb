/* cmd_run.c — `udfc run UDF... [options]`: JIT-compile the udfs for the data
 * set's element type, run them in one pass, write the results, print a
 * one-line summary per result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atomic_file.h"
#include "commands.h"
#include "compile.h"
#include "dtype.h"
#include "params.h"
#include "results.h"
#include "pool.h"
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

static void print_stats(const udfrt_run_stats *s, const CompileStats *cs, int threads)
{
    double gb = (double)s->bytes_read / 1e9;
    if (cs->cache_note[0])
        fprintf(stderr, "stats: kernel cache not written: %s\n", cs->cache_note);
    fprintf(stderr,
            "stats: compile %.1f ms%s; run %.3f s wall on %d thread%s; %lld frames in %lld "
            "partitions, tiles of %lld frames\n"
            "stats: read %.3f s, kernels %.3f s (summed over threads); %.3f GB read, %.2f GB/s\n",
            cs->seconds * 1e3, cs->cached ? " (from the cache)" : "", s->wall_seconds, threads, threads == 1 ? "" : "s",
            (long long)s->frames, (long long)s->partitions, (long long)s->tile_depth,
            s->read_seconds, s->kernel_seconds, gb,
            s->wall_seconds > 0 ? gb / s->wall_seconds : 0.0);
}

static int write_outputs(const RunOptions *o, UnitSet *set, udfrt_job *jobs)
{
    int cap = udfrt_results_capacity(jobs, set->n_udfs);
    udfrt_result *results = udfrt_calloc((size_t)cap + 1, sizeof *results);
    if (!results) {
        fputs("udfc: error: out of memory\n", stderr);
        return 3;
    }
    int n = udfrt_results_collect(jobs, set->n_udfs, results);
    char default_path[512];
    const char *path = o->output;
    if (!path) {
        snprintf(default_path, sizeof default_path, "%s.h5", set->udfs[0]->udf->name);
        path = default_path;
    }
    udfrt_error err = {0};
    int rc = 0;
    if (udfrt_write_h5(path, results, n, &err) != UDFRT_OK)
        rc = report(&err);
    else
        udfrt_results_summary(stdout, results, n);
    udfrt_free(results);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    RunOptions o = {0};
    int rc = options_parse(argc, argv, 1, &o);
    if (rc)
        return rc;
    if (!o.data)
        o.data = "demo";
    UnitSet set;
    rc = units_load(&set, o.udf_args, o.n_udf_args);
    if (!rc)
        rc = units_select(&set, o.select, o.n_select);
    udfrt_dataset *ds = NULL;
    udfrt_error err = {0};
    if (!rc && udfrt_dataset_open(o.data, &o.open, &ds, &err) != UDFRT_OK)
        rc = report(&err);
    Jit *jit = NULL;
    const udf_module_desc *mod = NULL;
    udfrt_job jobs[sizeof set.udfs / sizeof *set.udfs];
    memset(jobs, 0, sizeof jobs);
    CompileStats compile_stats = {0};
    if (!rc) {
        char why[2048];
        Arena *arena = arena_create();
        jit = jit_create(why, sizeof why);
        if (jit)
            mod = compile_jit(jit, set.udfs, set.n_udfs, ds->dtype, arena, &compile_stats, why,
                              sizeof why);
        arena_destroy(arena);
        rc = mod ? bind_jobs(mod, &set, jobs) : internal_error(why);
    }
    ParamSet params = {0};
    if (!rc)
        rc = params_load(&params, &o, jobs, set.n_udfs);
    if (!rc)
        rc = params_bind(&params, jobs, set.n_udfs, ds);
    if (!rc) {
        udfrt_atomic_install_signal_cleanup();
        udfrt_run_options ro = {.threads = o.threads};
        udfrt_run_stats stats;
        if (udfrt_run(ds, jobs, set.n_udfs, &ro, &stats, &err) != UDFRT_OK)
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
    udfrt_dataset_destroy(ds);
    units_release(&set);
    return rc;
}
