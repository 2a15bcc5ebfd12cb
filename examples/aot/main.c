/* main.c — runs the kernels compiled ahead of time (sumsig and com, see
 * CMakeLists.txt) on a data set with libudfrt alone:
 *   aot_example DATA OUT.h5 [--param NAME=VALUE]...
 * prints each result's shape and sum, and writes them all to OUT.h5. */
#include <stdio.h>
#include <string.h>

#include <udfrt/udfrt.h>

#include "kernels.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA OUT.h5 [--param NAME=VALUE]...\n", argv[0]);
        return 2;
    }
    udfrt_error err = {0};
    udfrt_dataset *ds = NULL;
    udfrt_module *kernels = NULL;
    udfrt_session *session = NULL;
    udfrt_run_stats stats;
    if (udfrt_dataset_open(argv[1], NULL, &ds, &err) == UDFRT_OK &&
        udfrt_module_wrap(&udf_module, &kernels, &err) == UDFRT_OK &&
        udfrt_session_create(ds, &session, &err) == UDFRT_OK &&
        udfrt_session_add(session, kernels, NULL, &err) == UDFRT_OK) {
        for (int i = 3; i + 1 < argc && strcmp(argv[i], "--param") == 0; i += 2)
            if (udfrt_session_param(session, argv[i + 1], &err) != UDFRT_OK)
                break;
    }
    if (err.code == UDFRT_OK && udfrt_session_run(session, &stats, &err) == UDFRT_OK &&
        udfrt_session_write(session, argv[2], NULL, NULL, &err) == UDFRT_OK) {
        const udfrt_result *results;
        int n = udfrt_session_results(session, &results);
        for (int i = 0; i < n; i++) {
            printf("%s/%s: %lld elements\n", results[i].udf, results[i].name,
                   (long long)results[i].elements);
        }
        printf("%lld frames in %.3f s\n", (long long)stats.frames, stats.wall_seconds);
    }
    udfrt_session_destroy(session);
    udfrt_module_destroy(kernels);
    udfrt_dataset_destroy(ds);
    if (err.code != UDFRT_OK)
        fprintf(stderr, "aot_example: error: %s\n", err.msg);
    return err.code;
}
