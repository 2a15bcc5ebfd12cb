/* bind.c — binding params and dims; see bind.h. */
#include "bind.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "array_file.h"
#include "dims.h"
#include "dtype.h"

void udfrt_ctx_init(udf_ctx *ctx, const udfrt_dataset *ds, const udfrt_job *job)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->nav_rank = ds->nav_rank;
    ctx->sig_rank = ds->sig_rank;
    memcpy(ctx->nav_shape, ds->nav_shape, sizeof ds->nav_shape);
    memcpy(ctx->sig_shape, ds->sig_shape, sizeof ds->sig_shape);
    ctx->nav_size = ds->nav_size;
    ctx->sig_size = ds->sig_size;
    ctx->dims = job->dims;
    ctx->params = job->params;
}

static const udfrt_param_value *find_value(const udfrt_param_value *values, int n, const char *name)
{
    const udfrt_param_value *found = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(values[i].name, name) == 0)
            found = &values[i]; /* the last one given wins */
    return found;
}

/* An integer param's value from its text, exactly: a decimal number ("-12",
 * "1e16", "2.50e1", "5.0") whose value is an integer that t holds. Parsed
 * digit by digit, so no value goes through a double (2^53 + 1 stays itself). */
static int parse_integer(const char *text, udf_dtype t, uint64_t *bits)
{
    const char *p = text + strspn(text, " \t");
    int negative = *p == '-';
    p += *p == '-' || *p == '+';
    unsigned __int128 m = 0; /* the digits, less trailing zeros */
    long zeros = 0, exponent = 0, digits = 0;
    for (int point = 0;; p++) {
        if (*p == '.' && !point) {
            point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        digits++;
        exponent -= point; /* a fractional digit */
        if (*p == '0') {
            zeros++;
            continue;
        }
        for (; zeros >= 0; zeros--) /* the zeros before this digit, then room for it */
            if ((m = m * 10) > ((unsigned __int128)1 << 100))
                return 0;
        m += (unsigned)(*p - '0');
        zeros = 0;
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        char *end;
        long e = strtol(p + 1, &end, 10);
        if (end == p + 1 || e < -10000 || e > 10000)
            return 0;
        exponent += e;
        p = end;
    }
    if (*p)
        return 0;
    long scale = zeros + exponent; /* value = m * 10^scale, m's last digit not 0 */
    if (m != 0 && scale < 0)
        return 0; /* a fraction */
    for (; m != 0 && scale > 0; scale--)
        if ((m = m * 10) > ((unsigned __int128)1 << 100))
            return 0;
    int is_signed = udfrt_dtype_is_signed(t), width = (int)udfrt_dtype_size(t) * 8;
    unsigned __int128 limit = (unsigned __int128)1 << (width - is_signed); /* past the largest */
    if (negative ? (!is_signed && m != 0) || m > limit : m >= limit)
        return 0;
    *bits = negative && m != 0 ? (uint64_t)(-(int64_t)(m - 1) - 1) : (uint64_t)m;
    return 1;
}

/* Parses one value of param p (integers exactly, with no silent truncation;
 * true/false/1/0 for bool) into element i of `data`, which has p's type, and
 * as a double into *as_double (for ranges and messages). Messages name the
 * value as `shown` ("--param a=1" or "item 2, 'x', of --param a=1,x"). */
static udfrt_status parse_scalar(const char *udf, const udf_param_desc *p, const char *text,
                                 const char *shown, void *data, size_t i, double *as_double,
                                 udfrt_error *err)
{
    udf_dtype t = (udf_dtype)p->dtype;
    if (t == UDF_DTYPE_BOOL) {
        int truth = strcmp(text, "true") == 0 || strcmp(text, "1") == 0;
        if (!truth && strcmp(text, "false") != 0 && strcmp(text, "0") != 0)
            return udfrt_fail(err, UDFRT_ERR_USAGE, "%s: udf '%s' expects true or false", shown,
                              udf);
        ((unsigned char *)data)[i] = (unsigned char)truth;
        *as_double = truth;
        return UDFRT_OK;
    }
    if (!udfrt_dtype_is_float(t)) {
        uint64_t bits;
        if (!parse_integer(text, t, &bits))
            return udfrt_fail(err, UDFRT_ERR_USAGE, "%s: udf '%s' expects an integer that fits %s",
                              shown, udf, udfrt_dtype_name(t));
        size_t size = udfrt_dtype_size(t);
        memcpy((char *)data + i * size, &bits, size); /* the low bytes: x86-64 is little-endian */
        *as_double = udfrt_load_double(data, t, i);
        return UDFRT_OK;
    }
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "%s: udf '%s' expects a number (%s)", shown, udf,
                          udfrt_dtype_name(t));
    if (t == UDF_DTYPE_F32 && isfinite(v) && !isfinite((float)v))
        return udfrt_fail(err, UDFRT_ERR_USAGE, "%s: udf '%s' expects a number that fits f32",
                          shown, udf);
    udfrt_store_double(data, t, i, v);
    *as_double = v;
    return UDFRT_OK;
}

/* Whether scalar param p's value v lies in its range (`in [lo, hi]`). */
static int in_range(const udf_param_desc *p, double v)
{
    return isnan(p->lo) || (v >= p->lo && v <= p->hi);
}

/* "1,2,3" as a 1-D array of p's type. */
static udfrt_status parse_list(const char *udf, const udf_param_desc *p, const char *text,
                               udfrt_array *out, udfrt_error *err)
{
    memset(out, 0, sizeof *out);
    int64_t n = 1;
    for (const char *c = text; *c; c++)
        n += *c == ',';
    udf_dtype t = (udf_dtype)p->dtype;
    size_t length = strlen(text);
    char *items = udfrt_malloc(length + 1); /* split in place at the commas */
    out->data = udfrt_calloc((size_t)n, udfrt_dtype_size(t));
    if (!items || !out->data) {
        udfrt_free(items);
        udfrt_array_free(out);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    }
    memcpy(items, text, length + 1);
    out->dtype = t;
    out->rank = 1;
    out->shape[0] = out->elements = n;
    char *item = items;
    udfrt_status st = UDFRT_OK;
    for (int64_t i = 0; i < n && st == UDFRT_OK; i++) {
        size_t len = strcspn(item, ",");
        item[len] = '\0';
        double unused;
        if (len == 0)
            st = udfrt_fail(err, UDFRT_ERR_USAGE,
                            "--param %s=%s: item %lld of the list is empty; udf '%s' expects "
                            "numbers separated by commas",
                            p->name, text, (long long)i + 1, udf);
        else {
            char shown[160];
            snprintf(shown, sizeof shown, "item %lld, '%.40s%s', of --param %s=%.40s%s",
                     (long long)i + 1, item, len > 40 ? "..." : "", p->name, text,
                     strlen(text) > 40 ? "..." : "");
            st = parse_scalar(udf, p, item, shown, out->data, (size_t)i, &unused, err);
        }
        item += len + 1;
    }
    udfrt_free(items);
    if (st != UDFRT_OK)
        udfrt_array_free(out);
    return st;
}

/* The extra dims param p declares, as a shape: sizes, or the names of dim
 * variables no earlier param has bound ("(n, 2)"). */
static void describe_extra_dims(char *out, size_t cap, const udfrt_job *job, const udf_ctx *ctx,
                                const udf_param_desc *p)
{
    int n = snprintf(out, cap, "(");
    for (int d = 0; d < p->rank && n < (int)cap; d++) {
        const udf_dim *dim = &p->dims[d];
        int64_t bound = dim->kind == UDF_DIM_VAR ? job->dims[dim->value] : 0;
        const char *sep = d ? ", " : "";
        if (dim->kind == UDF_DIM_VAR && bound < 0)
            n += snprintf(out + n, cap - (size_t)n, "%s%s", sep,
                          job->kernel->dimvars[dim->value].name);
        else
            n +=
                snprintf(out + n, cap - (size_t)n, "%s%lld", sep,
                         (long long)(dim->kind == UDF_DIM_VAR ? bound : udfrt_dim_value(ctx, dim)));
    }
    if (n < (int)cap)
        snprintf(out + n, cap - (size_t)n, p->rank == 1 ? ",)" : ")");
}

static int same_dims(const int64_t *a, const int64_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* An array given for a param is laid out [nav dims] + its extra dims + [sig
 * dims] (SPEC §2.1); nav params also take the nav dims flattened. Extra dims
 * that are dim variables get bound here. `file` names where the array came
 * from (NULL: a list on the command line), for the messages. */
static udfrt_status check_array_shape(udfrt_job *job, const udfrt_dataset *ds, int index,
                                      const udfrt_array *a, const char *file, udfrt_error *err)
{
    const udf_kernel_desc *k = job->kernel;
    const udf_param_desc *p = &k->params[index];
    int lead = 0, trail = p->kind == UDF_PARAM_SIG ? ds->sig_rank : 0;
    int ok = 1;
    if (p->kind == UDF_PARAM_NAV) {
        int flat = a->rank == p->rank + 1 && a->shape[0] == ds->nav_size;
        lead = flat ? 1 : ds->nav_rank;
        ok = flat || (a->rank >= lead && same_dims(a->shape, ds->nav_shape, lead));
    }
    ok = ok && a->rank == lead + p->rank + trail &&
         same_dims(a->shape + lead + p->rank, ds->sig_shape, trail);
    udf_ctx ctx;
    udfrt_ctx_init(&ctx, ds, job);
    for (int d = 0; ok && d < p->rank; d++) {
        int64_t size = a->shape[lead + d];
        const udf_dim *dim = &p->dims[d];
        if (dim->kind != UDF_DIM_VAR) {
            ok = size == udfrt_dim_value(&ctx, dim);
            continue;
        }
        int64_t *bound = &job->dims[dim->value];
        if (*bound >= 0 && *bound != size)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "param '%s' of udf '%s' has %s = %lld, but an earlier param has "
                              "%s = %lld",
                              p->name, k->name, k->dimvars[dim->value].name, (long long)size,
                              k->dimvars[dim->value].name, (long long)*bound);
        *bound = size;
    }
    if (ok)
        return UDFRT_OK;
    char got[160], extra[400], frame[160], scan[160], from[1100] = "";
    if (file)
        snprintf(from, sizeof from, " (from '%s')", file);
    udfrt_format_shape(a->rank, a->shape, got, sizeof got);
    describe_extra_dims(extra, sizeof extra, job, &ctx, p);
    udfrt_format_shape(ds->sig_rank, ds->sig_shape, frame, sizeof frame);
    udfrt_format_shape(ds->nav_rank, ds->nav_shape, scan, sizeof scan);
    if (p->kind == UDF_PARAM_SIG)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "param '%s' of udf '%s'%s has shape %s, but it must be its dims %s "
                          "followed by the frame shape %s",
                          p->name, k->name, from, got, extra, frame);
    if (p->kind == UDF_PARAM_NAV)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "param '%s' of udf '%s'%s has shape %s, but it must be the scan shape "
                          "%s followed by its dims %s",
                          p->name, k->name, from, got, scan, extra);
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "param '%s' of udf '%s'%s has shape %s, but it must be %s", p->name, k->name,
                      from, got, extra);
}

/* Copies the array into the param's storage, converting elements. */
static void *convert_array(const udfrt_array *a, udf_dtype t)
{
    void *data = udfrt_aligned_alloc((size_t)a->elements * udfrt_dtype_size(t));
    if (!data)
        return NULL;
    if (a->dtype == t)
        return memcpy(data, a->data, (size_t)a->elements * udfrt_dtype_size(t));
    for (int64_t i = 0; i < a->elements; i++)
        udfrt_store_double(data, t, (size_t)i, udfrt_load_double(a->data, a->dtype, (size_t)i));
    return data;
}

static udfrt_status check_ranks(const udf_kernel_desc *k, const udfrt_dataset *ds, udfrt_error *err)
{
    if (k->sig_rank && k->sig_rank != ds->sig_rank)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "udf '%s' works on frames with %d sig dims (frame[...] names %d "
                          "coordinates), but '%s' has %d",
                          k->name, k->sig_rank, k->sig_rank, ds->path, ds->sig_rank);
    if (k->min_sig_rank > ds->sig_rank)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "udf '%s' needs at least %d sig dims, but '%s' has %d", k->name,
                          k->min_sig_rank, ds->path, ds->sig_rank);
    if (k->min_nav_rank > ds->nav_rank)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "udf '%s' needs at least %d nav dims, but '%s' has %d", k->name,
                          k->min_nav_rank, ds->path, ds->nav_rank);
    return UDFRT_OK;
}

/* The elements of array param `index`, not given, which its default fills
 * (prepare): its dims are numbers, shapes, or bound by an earlier array
 * (the checker sees to that). */
static udfrt_status make_default_array(udfrt_job *job, const udfrt_dataset *ds, int index,
                                       udfrt_error *err)
{
    const udf_param_desc *p = &job->kernel->params[index];
    udf_ctx ctx;
    udfrt_ctx_init(&ctx, ds, job);
    int64_t elements = 1;
    for (int d = 0; d < p->rank; d++) {
        int64_t size = udfrt_dim_value(&ctx, &p->dims[d]);
        if (size < 0 || (size > 0 && elements > ((int64_t)1 << 40) / size))
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "param '%s' of udf '%s': its default needs a dim of %lld elements",
                              p->name, job->kernel->name, (long long)size);
        elements *= size;
    }
    size_t bytes = (size_t)elements * udfrt_dtype_size(p->dtype);
    job->params[index] = udfrt_aligned_alloc(bytes ? bytes : 1); /* a dim may be 0 */
    if (!job->params[index])
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for param '%s'", p->name);
    return UDFRT_OK;
}

static udfrt_status bind_arrays(udfrt_job *job, const udfrt_dataset *ds,
                                const udfrt_param_value *values, int n_values, uint64_t *given,
                                udfrt_error *err)
{
    const udf_kernel_desc *k = job->kernel;
    for (int i = 0; i < k->n_params; i++) {
        const udf_param_desc *p = &k->params[i];
        const udfrt_param_value *v = find_value(values, n_values, p->name);
        if (p->kind == UDF_PARAM_SCALAR) {
            double x;
            job->params[i] = udfrt_calloc(1, 8);
            if (!job->params[i])
                return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
            if (!v && !p->has_default) {
                char range[64] = "";
                if (!isnan(p->lo))
                    snprintf(range, sizeof range, " in [%g, %g]", p->lo, p->hi);
                return udfrt_fail(err, UDFRT_ERR_USAGE, "udf '%s' needs --param %s=VALUE (%s%s)",
                                  k->name, p->name, udfrt_dtype_name((udf_dtype)p->dtype), range);
            }
            if (!v)
                continue;
            if (v->array)
                return udfrt_fail(err, UDFRT_ERR_USAGE,
                                  "--param %s: udf '%s' expects one value, not a file", p->name,
                                  k->name);
            char shown[600];
            snprintf(shown, sizeof shown, "--param %s=%.500s", p->name, v->text);
            udfrt_status st = parse_scalar(k->name, p, v->text, shown, job->params[i], 0, &x, err);
            if (st != UDFRT_OK)
                return st;
            if (!in_range(p, x))
                return udfrt_fail(err, UDFRT_ERR_USAGE,
                                  "--param %s=%s: udf '%s' takes %s in [%g, %g]", p->name, v->text,
                                  k->name, p->name, p->lo, p->hi);
            *given |= (uint64_t)1 << i;
            continue;
        }
        if (!v && p->has_default) {
            udfrt_status st = make_default_array(job, ds, i, err);
            if (st != UDFRT_OK)
                return st;
            continue;
        }
        if (!v) {
            return udfrt_fail(err, UDFRT_ERR_USAGE, "udf '%s' needs --param %s=@FILE.npy (%s%s)",
                              k->name, p->name,
                              p->kind == UDF_PARAM_SIG   ? "a stack of detector-shaped arrays"
                              : p->kind == UDF_PARAM_NAV ? "one value block per scan position"
                                                         : "an array",
                              p->kind == UDF_PARAM_ARRAY && p->rank == 1 ? ", or a list like 1,2,3"
                                                                         : "");
        }
        udfrt_array list;
        const udfrt_array *a = v->array;
        if (!a) {
            udfrt_status st = parse_list(k->name, p, v->text, &list, err);
            if (st != UDFRT_OK)
                return st;
            a = &list;
        }
        udfrt_status st = check_array_shape(job, ds, i, a, v->array ? v->text : NULL, err);
        if (st == UDFRT_OK) {
            job->params[i] = convert_array(a, (udf_dtype)p->dtype);
            if (!job->params[i])
                st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for param '%s'", p->name);
        }
        if (a == &list)
            udfrt_array_free(&list);
        if (st != UDFRT_OK)
            return st;
        *given |= (uint64_t)1 << i;
    }
    return UDFRT_OK;
}

/* Dim variables standing for integer params take their (bound) values. */
static udfrt_status bind_param_dims(udfrt_job *job, udfrt_error *err)
{
    const udf_kernel_desc *k = job->kernel;
    for (int v = 0; v < k->n_dimvars; v++) {
        const udf_dimvar_desc *d = &k->dimvars[v];
        if (d->axis >= 0)
            continue;
        const udf_param_desc *p = &k->params[d->param];
        double value = udfrt_load_double(job->params[d->param], (udf_dtype)p->dtype, 0);
        if (!(value >= 1 && value <= (double)(1ll << 40)))
            return udfrt_fail(err, UDFRT_ERR_USAGE,
                              "param '%s' of udf '%s' sizes a dim, so it must be at least 1 (it "
                              "is %g)",
                              p->name, k->name, value);
        job->dims[v] = (int64_t)value;
    }
    return UDFRT_OK;
}

/* Defaults computed for the data must lie in their params' ranges too. */
static udfrt_status check_defaults(const udfrt_job *job, uint64_t given, udfrt_error *err)
{
    const udf_kernel_desc *k = job->kernel;
    for (int i = 0; i < k->n_params; i++) {
        const udf_param_desc *p = &k->params[i];
        if (p->kind != UDF_PARAM_SCALAR || (given >> i & 1))
            continue;
        double v = udfrt_load_double(job->params[i], (udf_dtype)p->dtype, 0);
        if (!in_range(p, v))
            return udfrt_fail(err, UDFRT_ERR_USAGE,
                              "param '%s' of udf '%s' defaults to %g for this data, outside [%g, "
                              "%g]; give --param %s=VALUE",
                              p->name, k->name, v, p->lo, p->hi, p->name);
    }
    return UDFRT_OK;
}

udfrt_status udfrt_bind(udfrt_job *job, const udfrt_dataset *ds, const udfrt_param_value *values,
                        int n_values, udfrt_error *err)
{
    const udf_kernel_desc *k = job->kernel;
    udfrt_status st = check_ranks(k, ds, err);
    if (st != UDFRT_OK)
        return st;
    /* Two slots after the params: the correction planes of fused kernels. */
    job->params = udfrt_calloc((size_t)k->n_params + 2, sizeof *job->params);
    job->dims = udfrt_calloc((size_t)k->n_dimvars + 1, sizeof *job->dims);
    if (!job->params || !job->dims)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    for (int v = 0; v < k->n_dimvars; v++)
        job->dims[v] = -1;
    uint64_t given = 0;
    st = bind_arrays(job, ds, values, n_values, &given, err);
    if (st != UDFRT_OK)
        return st;
    if (k->prepare) {
        udf_ctx ctx;
        udfrt_ctx_init(&ctx, ds, job);
        k->prepare(&ctx, given);
    }
    st = check_defaults(job, given, err);
    return st == UDFRT_OK ? bind_param_dims(job, err) : st;
}

void udfrt_unbind(udfrt_job *job)
{
    for (int i = 0; job->params && i < job->kernel->n_params; i++)
        udfrt_free(job->params[i]);
    udfrt_free(job->params);
    udfrt_free(job->dims);
    job->params = NULL;
    job->dims = NULL;
}
