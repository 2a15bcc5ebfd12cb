/* options.h — the command-line options of `udfc run`, `udfc info` and `udfrun`
 * (SPEC §3), parsed into one struct. Malformed options are reported here and
 * give exit code 2; whether a well-formed option fits the data is checked
 * once the data set is open (exit 3). */
#ifndef UDFC_OPTIONS_H
#define UDFC_OPTIONS_H

#include "dataset.h"

enum { MAX_UDF_ARGS = 64, MAX_PARAM_ARGS = 256 };

/* The program's name in messages ("udfc", "udfrun"). */
extern const char *cli_tool;

typedef struct RunOptions {
    const char *udf_args[MAX_UDF_ARGS]; /* .udf paths or stdlib names */
    int n_udf_args;
    const char *select[MAX_UDF_ARGS]; /* --udf NAME */
    int n_select;
    const char *data; /* --data; "demo" if not given */
    udfrt_open_options open;
    const char *roi;                    /* --roi, as given (checked) */
    int64_t partitions;                 /* --partitions; 0 = chosen from the data */
    const char *dark, *gain, *exclude;  /* correction files */
    int threads;                        /* -j; 0 = all cores */
    const char *output;                 /* -o */
    const char *npy_dir, *png_dir;      /* --npy, --png */
    int progress;                       /* --progress 1, --no-progress 0, default -1 */
    int stats;                          /* --stats */
    const char *params[MAX_PARAM_ARGS]; /* --param NAME=VALUE, as given */
    int n_params;
} RunOptions;

/* Parses argv (after the subcommand). Positional arguments are UDFs when
 * `positional_udfs` (udfc run), else one data spec (udfc info, which refuses
 * the options that only matter to a run). Returns 0, or 2 after printing. */
int options_parse(int argc, char **argv, int positional_udfs, RunOptions *o);

#endif
