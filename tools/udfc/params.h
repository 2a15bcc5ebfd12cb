/* params.h — the --param options of a run, matched to the udfs that declare
 * them (`--param NAME=...` applies to every udf with a param NAME,
 * `--param UDF.NAME=...` to one), arrays loaded from their files. */
#ifndef UDFC_PARAMS_H
#define UDFC_PARAMS_H

#include "bind.h"
#include "options.h"

typedef struct ParamSet {
    udfrt_param_value values[MAX_PARAM_ARGS];
    udfrt_array arrays[MAX_PARAM_ARGS];
    char names[MAX_PARAM_ARGS][128];
    const char *udf[MAX_PARAM_ARGS]; /* the udf prefix, or NULL */
    int n;
} ParamSet;

/* Parses o->params, loads @FILE arrays and checks that every name is a
 * param of one of the jobs. Returns an exit code (0, 2 or 3), printing. */
int params_load(ParamSet *set, const RunOptions *o, const udfrt_job *jobs, int n_jobs);
/* Binds every job's params (udfrt_bind); returns an exit code. */
int params_bind(ParamSet *set, udfrt_job *jobs, int n_jobs, const udfrt_dataset *ds);
void params_release(ParamSet *set);

#endif
