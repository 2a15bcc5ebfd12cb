/* results.c — listing and summarising a run's results; see results.h. */
#include "results.h"

#include <math.h>

#include "dtype.h"

const char *udfrt_kind_name(udf_kind kind)
{
    return kind == UDF_KIND_NAV ? "nav" : kind == UDF_KIND_SIG ? "sig" : "single";
}

int udfrt_results_capacity(const udfrt_job *jobs, int n_jobs)
{
    int n = 0;
    for (int j = 0; j < n_jobs; j++)
        n += jobs[j].kernel->n_buffers;
    return n;
}

int udfrt_results_collect(const udfrt_job *jobs, int n_jobs, udfrt_result *out)
{
    int n = 0;
    for (int j = 0; j < n_jobs; j++) {
        const udf_kernel_desc *k = jobs[j].kernel;
        for (int b = 0; b < k->n_buffers; b++) {
            const udf_buffer_desc *desc = &k->buffers[b];
            if (desc->flags & UDF_BUF_PRIVATE)
                continue;
            udfrt_result *r = &out[n++];
            r->udf = k->name;
            r->name = desc->name;
            r->kind = (udf_kind)desc->kind;
            r->dtype = (udf_dtype)desc->dtype;
            r->rank = udfrt_buffer_shape(&jobs[j].ctx, desc, r->shape);
            r->dims = desc->rank;
            r->elements = udfrt_buffer_elements(&jobs[j].ctx, desc);
            r->data = jobs[j].buffers[b];
        }
    }
    return n;
}

void udfrt_results_summary(FILE *out, const udfrt_result *results, int n)
{
    for (int i = 0; i < n; i++) {
        const udfrt_result *r = &results[i];
        char shape[160];
        int len = snprintf(shape, sizeof shape, "(");
        for (int d = 0; d < r->rank && len < (int)sizeof shape; d++)
            len += snprintf(shape + len, sizeof shape - (size_t)len, "%s%lld", d ? ", " : "",
                            (long long)r->shape[d]);
        if (len < (int)sizeof shape)
            snprintf(shape + len, sizeof shape - (size_t)len, r->rank == 1 ? ",)" : ")");
        /* min and max over every value but NaN, mean over the finite ones. */
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        int64_t finite = 0, infinite = 0, nans = 0;
        for (int64_t e = 0; e < r->elements; e++) {
            double v = udfrt_load_double(r->data, r->dtype, (size_t)e);
            if (isnan(v)) {
                nans++;
                continue;
            }
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            if (isfinite(v)) {
                sum += v;
                finite++;
            } else {
                infinite++;
            }
        }
        fprintf(out, "%s/%s  %s %s %s", r->udf, r->name, udfrt_kind_name(r->kind),
                udfrt_dtype_name(r->dtype), shape);
        if (finite + infinite)
            fprintf(out, "  min %.6g", lo);
        if (finite)
            fprintf(out, "  mean %.6g", sum / (double)finite);
        if (finite + infinite)
            fprintf(out, "  max %.6g", hi);
        if (infinite)
            fprintf(out, "  (%lld infinite)", (long long)infinite);
        if (nans)
            fprintf(out, "  (%lld NaN)", (long long)nans);
        fputc('\n', out);
    }
}
