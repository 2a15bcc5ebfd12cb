/* main.c — udfrun: run kernels built by `udfc build` (a shared library, or an
 * object that libudfrt links) on a data set, with the options of `udfc run`.
 * Links libudfrt, never LLVM. */
#include <stdio.h>
#include <string.h>

#include "run_driver.h"

static const char usage[] =
    "usage: udfrun KERNELS.so|KERNELS.o [--udf NAME]... [--data SPEC] [options]\n"
    "Runs udfs compiled by `udfc build -o KERNELS.so` (or .o) (all of them, or those named\n"
    "with --udf) in one pass; the options are those of `udfc run` (see `udfc help`).\n"
    "exit codes: 0 ok, 2 bad options, 3 data, kernel or I/O errors, 4 internal error\n";

typedef struct SharedKernels {
    const char *path;
    const RunOptions *options;
    udfrt_module *module;
    double load_seconds;
} SharedKernels;

static int add_shared_kernels(void *ctx, udfrt_session *session)
{
    SharedKernels *k = ctx;
    udfrt_error err = {0};
    double t0 = cli_now();
    udfrt_status st = udfrt_module_load(k->path, &k->module, &err);
    k->load_seconds = cli_now() - t0;
    if (st == UDFRT_OK && k->options->n_select == 0)
        st = udfrt_session_add(session, k->module, NULL, &err);
    for (int i = 0; st == UDFRT_OK && i < k->options->n_select; i++)
        st = udfrt_session_add(session, k->module, k->options->select[i], &err);
    if (st == UDFRT_OK)
        return 0;
    fprintf(stderr, "udfrun: error: %s\n", err.msg);
    return err.code;
}

static void load_stats(void *ctx, FILE *out)
{
    const SharedKernels *k = ctx;
    fprintf(out, "stats: kernels loaded from '%s' in %.1f ms\n", k->path, k->load_seconds * 1e3);
}

int main(int argc, char **argv)
{
    cli_tool = "udfrun";
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    RunOptions o = {0};
    int rc = options_parse(argc - 1, argv + 1, 1, &o);
    if (rc)
        return rc;
    if (o.n_udf_args != 1) {
        fprintf(stderr,
                "udfrun: error: name exactly one kernel library (from udfc build), not %d\n%s",
                o.n_udf_args, usage);
        return 2;
    }
    SharedKernels k = {.path = o.udf_args[0], .options = &o};
    KernelSource source = {.add = add_shared_kernels, .stats = load_stats, .ctx = &k};
    rc = run_driver(&o, &source);
    udfrt_module_destroy(k.module);
    return rc;
}
