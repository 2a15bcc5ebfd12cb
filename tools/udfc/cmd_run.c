/* cmd_run.c — `udfc run UDF... [options]`: the shared run driver
 * (tools/common/run_driver.h) with kernels JIT-compiled from the udf sources
 * for the element type the session's kernels will see, applying its
 * corrections (dark, gain) as they load the frames where they can; the
 * runtime links the object into the process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "compile.h"
#include "run_driver.h"
#include "units.h"

typedef struct JitKernels {
    UnitSet *units;
    udfrt_module *module;
    CompileStats stats;
    double seconds; /* loading LLVM, compiling (or loading from the cache), linking */
} JitKernels;

static int add_jit_kernels(void *ctx, udfrt_session *session)
{
    JitKernels *k = ctx;
    char why[2048];
    double t0 = cli_now();
    Arena *arena = arena_create();
    KernelVariant variant = {udfrt_session_frame_dtype(session), udfrt_session_fusable(session)};
    size_t size = 0;
    unsigned char *object = compile_jit(k->units->udfs, k->units->n_udfs, &variant, arena, &size,
                                        &k->stats, why, sizeof why);
    arena_destroy(arena);
    if (!object) {
        fprintf(stderr, "udfc: internal error: %s (please report)\n", why);
        return 4;
    }
    udfrt_error err = {0};
    udfrt_status st = udfrt_module_link(object, size, "the compiled kernels", &k->module, &err);
    free(object);
    k->seconds = cli_now() - t0;
    if (st != UDFRT_OK) {
        fprintf(stderr, "udfc: internal error: %s (please report)\n", err.msg);
        return 4;
    }
    for (int i = 0; st == UDFRT_OK && i < k->units->n_udfs; i++)
        st = udfrt_session_add(session, k->module, k->units->udfs[i]->udf->name, &err);
    if (st == UDFRT_OK)
        return 0;
    fprintf(stderr, "udfc: error: %s\n", err.msg);
    return err.code;
}

static void jit_stats(void *ctx, FILE *out)
{
    const JitKernels *k = ctx;
    if (k->stats.cache_note[0])
        fprintf(out, "stats: kernel cache not written: %s\n", k->stats.cache_note);
    if (k->stats.backend_seconds > 0)
        fprintf(out, "stats: code generator (LLVM) loaded in %.1f ms\n",
                k->stats.backend_seconds * 1e3);
    double ms = (k->seconds - k->stats.backend_seconds) * 1e3;
    if (k->stats.cached)
        fprintf(out, "stats: compile %.1f ms (from the cache)\n", ms);
    else
        fprintf(out, "stats: compile %.1f ms (%d thread%s)\n", ms, k->stats.threads,
                k->stats.threads == 1 ? "" : "s");
}

int cmd_run(int argc, char **argv)
{
    RunOptions o = {0};
    int rc = options_parse(argc, argv, 1, &o);
    if (rc)
        return rc;
    UnitSet units;
    rc = units_load(&units, o.udf_args, o.n_udf_args);
    if (!rc)
        rc = units_select(&units, o.select, o.n_select);
    JitKernels k = {.units = &units};
    KernelSource source = {.add = add_jit_kernels, .stats = jit_stats, .ctx = &k};
    if (!rc)
        rc = run_driver(&o, &source);
    udfrt_module_destroy(k.module);
    units_release(&units);
    return rc;
}
