/* results.h — the arrays a run produces, as the writers see them: every
 * non-private buffer of every job, with its full shape. */
#ifndef UDFRT_RESULTS_H
#define UDFRT_RESULTS_H

#include <stdio.h>

#include "run.h"

/* Fills out[] (room for every buffer of every job); returns the count. */
int udfrt_results_collect(const udfrt_job *jobs, int n_jobs, udfrt_result *out);
int udfrt_results_capacity(const udfrt_job *jobs, int n_jobs);
const char *udfrt_kind_name(udf_kind kind);
/* One line per result: name, kind, dtype, shape, and min/mean/max of the
 * finite elements (NaN count when there are any). */
void udfrt_results_summary(FILE *out, const udfrt_result *results, int n);

#endif
