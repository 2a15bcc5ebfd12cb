/* bind.h — giving a compiled udf its params for one run: scalar values from
 * text, arrays from files (shape-checked against the declaration and the data
 * set), dim variables from their shapes, defaults from the udf's prepare
 * entry point; and checking the udf's needs on the data set's ranks. */
#ifndef UDFRT_BIND_H
#define UDFRT_BIND_H

#include "array_file.h"
#include "run.h"

/* One `--param NAME=VALUE` or `--param NAME=@FILE`. */
typedef struct udfrt_param_value {
    const char *name;
    const char *text;         /* a scalar, a comma list for a 1-D array, or FILE: */
    const udfrt_array *array; /* the array from @FILE, or NULL */
} udfrt_param_value;

/* Binds the values named like job->kernel's params (values for other udfs'
 * params are ignored) and fills job->params and job->dims. Bad or missing
 * values are UDFRT_ERR_USAGE; arrays that do not fit are UDFRT_ERR_DATA. */
udfrt_status udfrt_bind(udfrt_job *job, const udfrt_dataset *ds, const udfrt_param_value *values,
                        int n_values, udfrt_error *err);
/* Frees what udfrt_bind allocated. */
void udfrt_unbind(udfrt_job *job);

/* The run context of a job on a data set: shapes, params, dims. */
void udfrt_ctx_init(udf_ctx *ctx, const udfrt_dataset *ds, const udfrt_job *job);

#endif
