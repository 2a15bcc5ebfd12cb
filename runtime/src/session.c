/* session.c — sessions of the public API (udfrt.h): the udfs of one pass,
 * their params, the frame selection and corrections, the run, its results
 * and their files. Composes the runtime's modules: roi.c, corrections.c,
 * module.c, bind.c, run.c, results.c and the writers. */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "array_file.h"
#include "atomic_file.h"
#include "bind.h"
#include "dtype.h"
#include "inputs.h"
#include "module.h"
#include "results.h"
#include "roi.h"
#include "writers.h"

/* One --param assignment. */
typedef struct param_entry {
    char *udf; /* UDF of UDF.NAME, or NULL */
    char *name;
    char *text; /* the value, or the FILE of @FILE */
    udfrt_array array;
    int has_array;
} param_entry;

struct udfrt_session {
    udfrt_dataset *ds;
    uint8_t *roi;
    udfrt_corrections *corrections; /* given, or the conversion add chose */
    udfrt_run_options options;
    udfrt_job *jobs;
    int n_jobs, cap_jobs;
    param_entry *params;
    int n_params, cap_params;
    udfrt_result *results;
    int n_results;
    int ran;
};

udfrt_status udfrt_session_create(udfrt_dataset *ds, udfrt_session **out, udfrt_error *err)
{
    *out = udfrt_calloc(1, sizeof **out);
    if (!*out)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    (*out)->ds = ds;
    udfrt_inputs_session_begin();
    return UDFRT_OK;
}

void udfrt_session_destroy(udfrt_session *s)
{
    if (!s)
        return;
    for (int j = 0; j < s->n_jobs; j++) {
        udfrt_job_release(&s->jobs[j]);
        udfrt_unbind(&s->jobs[j]);
    }
    for (int i = 0; i < s->n_params; i++) {
        udfrt_free(s->params[i].udf);
        udfrt_free(s->params[i].name);
        udfrt_free(s->params[i].text);
        udfrt_array_free(&s->params[i].array);
    }
    udfrt_free(s->params);
    udfrt_free(s->jobs);
    udfrt_free(s->results);
    udfrt_free(s->roi);
    udfrt_corrections_destroy(s->corrections);
    udfrt_free(s);
    udfrt_inputs_session_end();
}

static udfrt_status too_late(udfrt_error *err, const char *what)
{
    return udfrt_fail(err, UDFRT_ERR_USAGE, "%s must be set before udfs are added", what);
}

udfrt_status udfrt_session_roi(udfrt_session *s, const char *roi, udfrt_error *err)
{
    udfrt_free(s->roi);
    s->roi = NULL;
    udfrt_status st = udfrt_roi_from_text(s->ds, roi, &s->roi, err);
    s->options.roi = s->roi;
    return st;
}

udfrt_status udfrt_session_corrections(udfrt_session *s, const char *dark, const char *gain,
                                       const char *exclude, udfrt_error *err)
{
    if (s->n_jobs)
        return too_late(err, "corrections");
    udfrt_corrections_destroy(s->corrections);
    s->corrections = NULL;
    udfrt_status st = udfrt_corrections_load(s->ds, dark, gain, exclude, &s->corrections, err);
    s->options.corrections = s->corrections;
    return st;
}

void udfrt_session_threads(udfrt_session *s, int threads) { s->options.threads = threads; }
void udfrt_session_partitions(udfrt_session *s, int64_t n) { s->options.partitions = n; }

void udfrt_session_progress(udfrt_session *s, udfrt_progress_fn fn, void *ctx)
{
    s->options.progress = fn;
    s->options.progress_ctx = ctx;
}

udf_dtype udfrt_session_frame_dtype(const udfrt_session *s)
{
    return udfrt_run_plan(s->ds, &s->options).frame_dtype;
}

int32_t udfrt_session_fusable(const udfrt_session *s)
{
    return s->corrections ? udfrt_corrections_fusable(s->corrections, s->ds->dtype) : 0;
}

udfrt_plan udfrt_session_plan(const udfrt_session *s) { return udfrt_run_plan(s->ds, &s->options); }

/* ---- udfs ---- */

static udfrt_status add_one(udfrt_session *s, const udfrt_module *m, const char *udf,
                            udfrt_error *err)
{
    for (int j = 0; j < s->n_jobs; j++)
        if (strcmp(s->jobs[j].kernel->name, udf) == 0)
            return udfrt_fail(err, UDFRT_ERR_USAGE, "udf '%s' is in this run twice", udf);
    udf_dtype t = udfrt_session_frame_dtype(s);
    /* A kernel that applies the corrections as it loads frames, if the
     * module has one (udfc build --corrections), else one for whole
     * corrected frames. */
    int32_t fusable = udfrt_session_fusable(s);
    const udf_kernel_desc *k = fusable ? udfrt_module_kernel(m, udf, t, fusable) : NULL;
    if (!k)
        k = udfrt_module_kernel(m, udf, t, 0);
    udf_dtype wider = udfrt_corrections_dtype(s->ds->dtype);
    if (!k && !s->corrections && s->n_jobs == 0 && udfrt_module_kernel(m, udf, wider, 0)) {
        /* Kernels for the stored type are missing: convert frames to the
         * float type as they are read, like corrections would. */
        udfrt_status st =
            udfrt_corrections_create(s->ds, NULL, NULL, NULL, NULL, &s->corrections, err);
        if (st != UDFRT_OK)
            return st;
        s->options.corrections = s->corrections;
        t = wider;
        k = udfrt_module_kernel(m, udf, t, 0);
    }
    if (!k) {
        char types[256], faster[128] = "";
        udfrt_module_types(m, udf, types, sizeof types);
        if (fusable)
            snprintf(faster, sizeof faster, ", or, faster, --dtype %s --corrections %s",
                     udfrt_dtype_name(s->ds->dtype), udf_fused_planes(fusable));
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "the kernels of udf '%s' were built for %s frames, not for the %s frames "
                          "of this run (udfc build --dtype %s%s)",
                          udf, types, udfrt_dtype_name(t), udfrt_dtype_name(t), faster);
    }
    if (s->n_jobs == s->cap_jobs) {
        int cap = s->cap_jobs ? 2 * s->cap_jobs : 8;
        udfrt_job *grown = udfrt_calloc((size_t)cap, sizeof *grown);
        if (!grown)
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
        if (s->n_jobs)
            memcpy(grown, s->jobs, sizeof *grown * (size_t)s->n_jobs);
        udfrt_free(s->jobs);
        s->jobs = grown;
        s->cap_jobs = cap;
    }
    s->jobs[s->n_jobs++] = (udfrt_job){.kernel = k};
    return UDFRT_OK;
}

udfrt_status udfrt_session_add(udfrt_session *s, const udfrt_module *m, const char *udf,
                               udfrt_error *err)
{
    if (s->ran)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "this session has run; start a new one");
    if (udf) {
        if (udfrt_module_has(m, udf))
            return add_one(s, m, udf, err);
        const char *names[64];
        int n = udfrt_module_udfs(m, names, 64);
        char list[1024] = "";
        for (int i = 0, len = 0; i < n && i < 64 && len < (int)sizeof list; i++)
            len += snprintf(list + len, sizeof list - (size_t)len, " %s", names[i]);
        return udfrt_fail(err, UDFRT_ERR_USAGE, "no udf '%s' among the kernels; they are:%s", udf,
                          list);
    }
    int n = udfrt_module_udfs(m, NULL, 0);
    const char **names = udfrt_calloc((size_t)n + 1, sizeof *names);
    if (!names)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    udfrt_module_udfs(m, names, n);
    udfrt_status st = UDFRT_OK;
    for (int i = 0; i < n && st == UDFRT_OK; i++)
        st = add_one(s, m, names[i], err);
    udfrt_free(names);
    return st;
}

/* ---- params ---- */

static int declares(const udf_kernel_desc *k, const char *name)
{
    for (int i = 0; i < k->n_params; i++)
        if (strcmp(k->params[i].name, name) == 0)
            return 1;
    return 0;
}

static udfrt_status unknown_param(const udfrt_session *s, const char *given, udfrt_error *err)
{
    char list[1024] = "";
    int len = 0;
    for (int j = 0; j < s->n_jobs; j++)
        for (int i = 0; i < s->jobs[j].kernel->n_params && len < (int)sizeof list; i++)
            len += snprintf(list + len, sizeof list - (size_t)len, " %s.%s",
                            s->jobs[j].kernel->name, s->jobs[j].kernel->params[i].name);
    return udfrt_fail(err, UDFRT_ERR_USAGE,
                      "--param %s: no udf of this run has that param; they have:%s", given,
                      len ? list : " none");
}

static char *dup_n(const char *s, size_t n)
{
    char *d = udfrt_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

udfrt_status udfrt_session_param(udfrt_session *s, const char *assignment, udfrt_error *err)
{
    size_t name_len = strcspn(assignment, "=");
    const char *value = assignment + name_len + 1;
    if (!assignment[name_len] || name_len == 0 || !*value)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "--param expects NAME=VALUE or NAME=@FILE.npy, not '%s'", assignment);
    const char *dot = memchr(assignment, '.', name_len);
    param_entry e = {0};
    e.udf = dot ? dup_n(assignment, (size_t)(dot - assignment)) : NULL;
    e.name = dot ? dup_n(dot + 1, name_len - (size_t)(dot - assignment) - 1)
                 : dup_n(assignment, name_len);
    udfrt_status st =
        (dot && !e.udf) || !e.name ? udfrt_fail(err, UDFRT_ERR_DATA, "out of memory") : UDFRT_OK;
    int found = 0;
    for (int j = 0; st == UDFRT_OK && j < s->n_jobs; j++)
        if ((!e.udf || strcmp(s->jobs[j].kernel->name, e.udf) == 0) &&
            declares(s->jobs[j].kernel, e.name))
            found = 1;
    if (st == UDFRT_OK && !found)
        st = unknown_param(s, assignment, err);
    if (st == UDFRT_OK && strcmp(value, "@") == 0)
        st = udfrt_fail(err, UDFRT_ERR_USAGE,
                        "--param %.*s=@: name the file after '@' (@FILE.npy or @FILE.h5:/path)",
                        (int)name_len, assignment);
    if (st == UDFRT_OK && value[0] == '@') {
        st = udfrt_array_load(value + 1, -1, &e.array, err);
        if (st != UDFRT_OK)
            udfrt_fail(err, st, "--param %.*s", (int)name_len, assignment);
        e.has_array = st == UDFRT_OK;
    }
    if (st == UDFRT_OK) {
        const char *text = value + (value[0] == '@');
        e.text = dup_n(text, strlen(text));
        if (!e.text)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    }
    if (st == UDFRT_OK && s->n_params == s->cap_params) {
        int cap = s->cap_params ? 2 * s->cap_params : 8;
        param_entry *grown = udfrt_calloc((size_t)cap, sizeof *grown);
        if (!grown)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
        else {
            if (s->n_params)
                memcpy(grown, s->params, sizeof *grown * (size_t)s->n_params);
            udfrt_free(s->params);
            s->params = grown;
            s->cap_params = cap;
        }
    }
    if (st != UDFRT_OK) {
        udfrt_free(e.udf);
        udfrt_free(e.name);
        udfrt_free(e.text);
        udfrt_array_free(&e.array);
        return st;
    }
    s->params[s->n_params++] = e;
    return UDFRT_OK;
}

/* ---- running ---- */

static udfrt_status bind_all(udfrt_session *s, udfrt_error *err)
{
    udfrt_param_value *mine = udfrt_calloc((size_t)s->n_params + 1, sizeof *mine);
    if (!mine)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    udfrt_status st = UDFRT_OK;
    for (int j = 0; j < s->n_jobs && st == UDFRT_OK; j++) {
        int n = 0;
        for (int i = 0; i < s->n_params; i++) {
            const param_entry *e = &s->params[i];
            if (e->udf && strcmp(e->udf, s->jobs[j].kernel->name) != 0)
                continue;
            mine[n++] = (udfrt_param_value){
                .name = e->name, .text = e->text, .array = e->has_array ? &e->array : NULL};
        }
        st = udfrt_bind(&s->jobs[j], s->ds, mine, n, err);
    }
    udfrt_free(mine);
    return st;
}

udfrt_status udfrt_session_run(udfrt_session *s, udfrt_run_stats *stats, udfrt_error *err)
{
    if (s->ran)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "this session has run; start a new one");
    if (s->n_jobs == 0)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "no udf to run: add one first");
    udfrt_status st = bind_all(s, err);
    if (st == UDFRT_OK) {
        s->ran = 1;
        st = udfrt_run(s->ds, s->jobs, s->n_jobs, &s->options, stats, err);
    }
    if (st == UDFRT_OK && udfrt_mpi_rank() == 0) { /* other ranks sent theirs to rank 0 */
        s->results = udfrt_calloc((size_t)udfrt_results_capacity(s->jobs, s->n_jobs) + 1,
                                  sizeof *s->results);
        if (!s->results)
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
        s->n_results = udfrt_results_collect(s->jobs, s->n_jobs, s->results);
    }
    return st;
}

int udfrt_session_results(const udfrt_session *s, const udfrt_result **out)
{
    *out = s->results;
    return s->n_results;
}

udfrt_status udfrt_session_write(udfrt_session *s, const char *h5_path, const char *npy_dir,
                                 const char *png_dir, udfrt_error *err)
{
    if (s->ran && udfrt_mpi_rank() != 0)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "the results are on MPI rank 0, not on rank %d: write them there",
                          udfrt_mpi_rank());
    if (!s->results)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "nothing to write: run the session first");
    udfrt_staging *staging = NULL;
    udfrt_status st = udfrt_staging_create(&staging, err);
    if (st == UDFRT_OK && h5_path)
        st = udfrt_write_h5(staging, h5_path, s->results, s->n_results, err);
    /* Directories are made once the results exist, and removed again if the
     * files cannot all be written: a failed run leaves none. */
    if (st == UDFRT_OK && npy_dir && (st = udfrt_make_dir(npy_dir, staging, err)) == UDFRT_OK)
        st = udfrt_write_npy(staging, npy_dir, s->results, s->n_results, err);
    if (st == UDFRT_OK && png_dir && (st = udfrt_make_dir(png_dir, staging, err)) == UDFRT_OK)
        st = udfrt_write_png(staging, png_dir, s->results, s->n_results, err);
    if (st == UDFRT_OK)
        st = udfrt_staging_commit(staging, err);
    udfrt_staging_destroy(staging);
    return st;
}

void udfrt_dataset_describe(const udfrt_dataset *ds, udfrt_dataset_info *info)
{
    memset(info, 0, sizeof *info);
    info->format = ds->ops->format;
    info->dtype = ds->dtype;
    info->nav_rank = ds->nav_rank;
    info->sig_rank = ds->sig_rank;
    memcpy(info->nav_shape, ds->nav_shape, sizeof info->nav_shape);
    memcpy(info->sig_shape, ds->sig_shape, sizeof info->sig_shape);
    info->frames = ds->image_count;
}

const uint8_t *udfrt_session_selection(const udfrt_session *s) { return s->roi; }
const udfrt_corrections *udfrt_session_corrections_of(const udfrt_session *s)
{
    return s->corrections;
}

const char *udfrt_session_udf(const udfrt_session *s, int i)
{
    return i >= 0 && i < s->n_jobs ? s->jobs[i].kernel->name : NULL;
}
