/* options.h — the command-line options of `udfc run` and `udfc info`
 * (SPEC §3), parsed into one struct. Bad options are reported here and give
 * exit code 2. */
#ifndef UDFC_OPTIONS_H
#define UDFC_OPTIONS_H

#include "dataset.h"

enum { MAX_UDF_ARGS = 64, MAX_PARAM_ARGS = 256 };

typedef struct RunOptions {
    const char *udf_args[MAX_UDF_ARGS]; /* .udf paths or stdlib names */
    int n_udf_args;
    const char *select[MAX_UDF_ARGS];   /* --udf NAME */
    int n_select;
    const char *data;                   /* --data; "demo" if not given */
    udfrt_open_options open;
    int threads;                        /* -j; 0 = all cores */
    const char *output;                 /* -o */
    int stats;                          /* --stats */
    const char *params[MAX_PARAM_ARGS]; /* --param NAME=VALUE, as given */
    int n_params;
} RunOptions;

/* Parses argv (after the subcommand). Positional arguments are UDFs when
 * `positional_udfs`, else one data spec. Returns 0, or 2 after printing. */
int options_parse(int argc, char **argv, int positional_udfs, RunOptions *o);

#endif
