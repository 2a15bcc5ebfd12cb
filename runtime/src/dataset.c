/* dataset.c — choosing a format for a data set spec, and the shape logic all
 * formats share (--nav, --sync-offset, size limits); see dataset.h. */
#include "dataset.h"

#include <string.h>

#include "alloc.h"

/* Largest element count of a data set, a frame or a nav grid: every byte
 * count derived from it (8-byte elements) still fits in int64_t. */
#define MAX_ELEMENTS ((int64_t)1 << 59)

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The product of dims, or -1 if it exceeds MAX_ELEMENTS. */
static int64_t product(int rank, const int64_t *dims)
{
    int64_t p = 1;
    for (int i = 0; i < rank; i++)
        if (__builtin_mul_overflow(p, dims[i], &p) || p > MAX_ELEMENTS)
            return -1;
    return p;
}

static int too_large(const udfrt_dataset *ds)
{
    int64_t total;
    return ds->nav_size < 0 || ds->sig_size < 0 ||
           __builtin_mul_overflow(ds->nav_size > ds->image_count ? ds->nav_size : ds->image_count,
                                  ds->sig_size, &total) ||
           total > MAX_ELEMENTS;
}

/* --nav: lay the stored frames on another nav grid, as LiberTEM does. Frames
 * beyond the grid are not read; grid positions beyond the stored frames have
 * no data. */
static udfrt_status reshape_nav(udfrt_dataset *ds, const udfrt_open_options *opt, udfrt_error *err)
{
    ds->nav_rank = opt->nav_rank;
    memcpy(ds->nav_shape, opt->nav_shape, sizeof *ds->nav_shape * (size_t)opt->nav_rank);
    ds->nav_size = product(ds->nav_rank, ds->nav_shape);
    if (too_large(ds))
        return udfrt_fail(err, UDFRT_ERR_DATA, "--nav makes '%s' too large (over 2^59 elements)",
                          ds->path);
    return UDFRT_OK;
}

static udfrt_status set_sync_offset(udfrt_dataset *ds, int64_t offset, udfrt_error *err)
{
    if (offset <= -ds->image_count || offset >= ds->image_count)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "--sync-offset %lld does not fit '%s': it holds %lld frames, so the "
                          "offset must lie between %lld and %lld",
                          (long long)offset, ds->path, (long long)ds->image_count,
                          (long long)(1 - ds->image_count), (long long)(ds->image_count - 1));
    ds->sync_offset = offset;
    return UDFRT_OK;
}

/* What a spec names, from its name alone. */
typedef enum spec_format { FMT_DEMO, FMT_NPY, FMT_HDF5, FMT_MIB, FMT_OTHER } spec_format;

static spec_format format_of(const char *spec)
{
    if (strcmp(spec, "demo") == 0 || strncmp(spec, "demo:", 5) == 0)
        return FMT_DEMO;
    if (has_suffix(spec, ".npy"))
        return FMT_NPY;
    if (udfrt_hdf5_split_spec(spec))
        return FMT_HDF5;
    if (has_suffix(spec, ".mib") || has_suffix(spec, ".hdr"))
        return FMT_MIB;
    return FMT_OTHER;
}

/* The first of the options that describe raw files which `opt` gives. */
static const char *raw_option(const udfrt_open_options *opt)
{
    return opt->dtype ? "--dtype" : opt->sig_rank ? "--sig" : opt->offset ? "--offset" : NULL;
}

udfrt_status udfrt_dataset_open(const char *spec, const udfrt_open_options *opt,
                                udfrt_dataset **out, udfrt_error *err)
{
    static const udfrt_open_options none;
    static const char *const described[] = {[FMT_DEMO] = "the demo data set",
                                            [FMT_NPY] = "a NumPy file",
                                            [FMT_HDF5] = "an HDF5 file",
                                            [FMT_MIB] = "a Merlin file"};
    if (!opt)
        opt = &none;
    *out = NULL;
    spec_format format = format_of(spec);
    const char *raw = raw_option(opt);
    if (format != FMT_OTHER && raw)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "%s describes a raw file, but '%s' is %s, which gives its own element "
                          "type and frame shape (--nav and --sig-dims reinterpret it)",
                          raw, spec, described[format]);
    if (format == FMT_DEMO && opt->sig_dims && opt->sig_dims != 2)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "--sig-dims does not apply to the demo data set (its frames are 2-D)");
    if (format == FMT_OTHER && (opt->dtype || opt->sig_rank) && opt->sig_dims &&
        opt->sig_dims != opt->sig_rank)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "--sig-dims does not apply to raw files: --sig gives their frame shape");
    udfrt_status st;
    int is_raw = format == FMT_OTHER;
    switch (format) {
    case FMT_DEMO: st = udfrt_open_demo(spec, opt, out, err); break;
    case FMT_NPY: st = udfrt_open_npy(spec, opt, out, err); break;
    case FMT_HDF5: st = udfrt_open_hdf5(spec, opt, out, err); break;
    case FMT_MIB: st = udfrt_open_mib(spec, opt, out, err); break;
    default:
        if (!opt->dtype && !opt->sig_rank)
            return udfrt_fail(err, UDFRT_ERR_USAGE,
                              "cannot tell the format of '%s': name a .npy, .h5 (.hdf5 .hdf .hspy "
                              ".emd .nxs .nx5), .mib or .hdr file, 'demo', or give a raw file's "
                              "--dtype, --nav and --sig",
                              spec);
        st = udfrt_open_raw(spec, opt, out, err); /* --nav is its stored layout */
    }
    if (st == UDFRT_OK && opt->nav_rank > 0 && !is_raw)
        st = reshape_nav(*out, opt, err);
    if (st == UDFRT_OK)
        st = set_sync_offset(*out, opt->sync_offset, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(*out);
        *out = NULL;
    }
    return st;
}

udfrt_status udfrt_dataset_new(const char *path, const udfrt_dataset_ops *ops, size_t impl_size,
                               udfrt_dataset **out, udfrt_error *err)
{
    udfrt_dataset *ds = udfrt_calloc(1, sizeof *ds);
    void *impl = udfrt_calloc(1, impl_size);
    char *path_copy = udfrt_malloc(strlen(path) + 1);
    if (!ds || !impl || !path_copy) {
        udfrt_free(ds);
        udfrt_free(impl);
        udfrt_free(path_copy);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", path);
    }
    ds->ops = ops;
    ds->impl = impl;
    ds->path = strcpy(path_copy, path);
    *out = ds;
    return UDFRT_OK;
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

int64_t udfrt_dataset_frame_at(const udfrt_dataset *ds, int64_t nav_index)
{
    int64_t frame = nav_index + ds->sync_offset;
    return frame >= 0 && frame < ds->image_count ? frame : -1;
}

udfrt_grid_fit udfrt_dataset_grid_fit(const udfrt_dataset *ds)
{
    int64_t s = ds->sync_offset, n = ds->nav_size, frames = ds->image_count;
    udfrt_grid_fit fit = {
        .skipped_start = s > 0 ? s : 0,
        .ignored_end = frames - n - s > 0 ? frames - n - s : 0,
        .inserted_start = s < 0 ? (-s < n ? -s : n) : 0,
        .inserted_end = n - frames + s > 0 ? n - frames + s : 0,
    };
    fit.positions_with_frame = n - fit.inserted_start - fit.inserted_end;
    if (fit.positions_with_frame < 0)
        fit.positions_with_frame = 0;
    return fit;
}

udfrt_status udfrt_dataset_set_shape(udfrt_dataset *ds, int rank, const int64_t *dims, int sig_dims,
                                     udfrt_error *err)
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
    for (int i = rank - sig_dims; i < rank; i++)
        if (dims[i] > UDF_MAX_SIG_DIM)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' has %lld pixels along sig dim %d of its frames; udf takes at "
                              "most %lld (2^31 - 1) along a dim",
                              ds->path, (long long)dims[i], i - (rank - sig_dims),
                              (long long)UDF_MAX_SIG_DIM);
    ds->nav_rank = rank - sig_dims;
    ds->sig_rank = sig_dims;
    memcpy(ds->nav_shape, dims, sizeof *dims * (size_t)ds->nav_rank);
    memcpy(ds->sig_shape, dims + ds->nav_rank, sizeof *dims * (size_t)sig_dims);
    ds->nav_size = product(ds->nav_rank, ds->nav_shape);
    ds->sig_size = product(ds->sig_rank, ds->sig_shape);
    ds->image_count = ds->nav_size;
    if (too_large(ds))
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is too large (over 2^59 elements)", ds->path);
    return UDFRT_OK;
}
