/* dataset.c — choosing a format for a data set spec, and the shape logic all
 * formats share; see dataset.h. */
#include "dataset.h"

#include <string.h>

#include "alloc.h"

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int64_t product(int rank, const int64_t *dims);

/* --nav: lay the stored frames on another nav grid, as LiberTEM does. Frames
 * beyond the grid are not read; grid positions beyond the stored frames have
 * no data. */
static udfrt_status reshape_nav(udfrt_dataset *ds, const udfrt_open_options *opt,
                                udfrt_error *err)
{
    for (int i = 0; i < opt->nav_rank; i++)
        if (opt->nav_shape[i] <= 0)
            return udfrt_fail(err, UDFRT_ERR_USAGE, "--nav dims must be positive");
    ds->nav_rank = opt->nav_rank;
    memcpy(ds->nav_shape, opt->nav_shape, sizeof *ds->nav_shape * (size_t)opt->nav_rank);
    ds->nav_size = product(ds->nav_rank, ds->nav_shape);
    return UDFRT_OK;
}

udfrt_status udfrt_dataset_open(const char *spec, const udfrt_open_options *opt,
                                udfrt_dataset **out, udfrt_error *err)
{
    static const udfrt_open_options none;
    if (!opt)
        opt = &none;
    *out = NULL;
    if (strcmp(spec, "demo") == 0 || strncmp(spec, "demo:", 5) == 0)
        return udfrt_open_demo(spec, opt, out, err);
    if (opt->dtype || opt->sig_rank)
        return udfrt_open_raw(spec, opt, out, err);
    udfrt_status st;
    if (has_suffix(spec, ".npy"))
        st = udfrt_open_npy(spec, opt, out, err);
    else
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "cannot tell the format of '%s': name a .npy file, 'demo', or give a "
                          "raw file's --dtype, --nav and --sig",
                          spec);
    if (st == UDFRT_OK && opt->nav_rank > 0)
        st = reshape_nav(*out, opt, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(*out);
        *out = NULL;
    }
    return st;
}

void udfrt_dataset_destroy(udfrt_dataset *ds)
{
    if (!ds)
        return;
    if (ds->ops && ds->ops->destroy)
        ds->ops->destroy(ds);
    udfrt_free(ds->path);
    udfrt_free(ds);
}

static int64_t product(int rank, const int64_t *dims)
{
    int64_t p = 1;
    for (int i = 0; i < rank; i++)
        p *= dims[i];
    return p;
}

udfrt_status udfrt_dataset_set_shape(udfrt_dataset *ds, int rank, const int64_t *dims,
                                     int sig_dims, udfrt_error *err)
{
    if (sig_dims <= 0)
        sig_dims = 2;
    if (rank <= sig_dims)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s' has %d dims, but %d sig dims need at least one nav dim before them",
                          ds->path, rank, sig_dims);
    if (sig_dims > UDF_MAX_RANK || rank - sig_dims > UDF_MAX_RANK)
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has more than %d nav or sig dims", ds->path,
                          UDF_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] <= 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is empty: dim %d has size %lld", ds->path,
                              i, (long long)dims[i]);
    ds->nav_rank = rank - sig_dims;
    ds->sig_rank = sig_dims;
    memcpy(ds->nav_shape, dims, sizeof *dims * (size_t)ds->nav_rank);
    memcpy(ds->sig_shape, dims + ds->nav_rank, sizeof *dims * (size_t)sig_dims);
    ds->nav_size = product(ds->nav_rank, ds->nav_shape);
    ds->sig_size = product(ds->sig_rank, ds->sig_shape);
    ds->image_count = ds->nav_size;
    return UDFRT_OK;
}
