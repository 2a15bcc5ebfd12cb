/* run_driver.h — what `udfc run` and `udfrun` share: configure a session
 * from the run options, let the tool add its kernels (JIT-compiled, or from a
 * shared library), bind params, run with a progress line, print stats, write
 * the result files and a one-line summary per result. Under mpirun (built
 * with UDF_MPI) every rank runs its share of the partitions and rank 0 does
 * the rest. */
#ifndef CLI_RUN_DRIVER_H
#define CLI_RUN_DRIVER_H

#include <stdio.h>

#include "options.h"
#include "udfrt/udfrt.h"

typedef struct KernelSource {
    /* Adds the run's udfs to the session, whose frame type is now fixed
     * (udfrt_session_frame_dtype). Returns 0, or an exit code after
     * printing. */
    int (*add)(void *ctx, udfrt_session *session);
    /* Writes --stats lines about the kernels (compile time), or NULL. */
    void (*stats)(void *ctx, FILE *out);
    void *ctx;
} KernelSource;

/* Returns the exit code. */
int run_driver(const RunOptions *o, const KernelSource *kernels);

/* Seconds on a monotonic clock, for the tools' --stats timings. */
double cli_now(void);

#endif
