/* ds_raw.c — headerless files of frames back to back (`--dtype T --nav A,B
 * --sig C,D [--offset BYTES]`). The file must hold a whole number of frames;
 * like LiberTEM, their count may differ from the nav size (frames past the
 * grid are not read, positions past the frames have none). */
#include <string.h>

#include "dataset.h"
#include "dtype.h"
#include "frame_file.h"

static void raw_describe(const udfrt_dataset *ds, FILE *out)
{
    const udfrt_frame_file *ff = ds->impl;
    fprintf(out, "layout:     raw, C order, first frame at byte %lld\n",
            (long long)ff->first_offset);
}

static const udfrt_dataset_ops raw_ops = {
    .format = "raw",
    .reader_create = udfrt_frame_file_reader_create,
    .reader_destroy = udfrt_frame_file_reader_destroy,
    .read = udfrt_frame_file_read,
    .reader_copy = udfrt_frame_file_reader_copy,
    .describe = raw_describe,
    .destroy = udfrt_frame_file_destroy,
};

static udfrt_status check_options(const char *path, const udfrt_open_options *opt, int *dtype,
                                  udfrt_error *err)
{
    *dtype = opt->dtype ? udfrt_dtype_parse(opt->dtype) : -1;
    if (opt->dtype && *dtype < 0)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "unknown --dtype '%s' (expected bool, i8, i16, i32, i64, u8, u16, u32, "
                          "u64, f32 or f64)",
                          opt->dtype);
    if (!opt->dtype || !opt->nav_rank || !opt->sig_rank)
        return udfrt_fail(err, UDFRT_ERR_USAGE,
                          "raw file '%s' needs --dtype, --nav and --sig (e.g. --dtype u16 --nav "
                          "64,64 --sig 128,128)",
                          path);
    if (opt->offset < 0)
        return udfrt_fail(err, UDFRT_ERR_USAGE, "--offset must not be negative");
    return UDFRT_OK;
}

udfrt_status udfrt_open_raw(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err)
{
    int dtype = -1;
    udfrt_status st = check_options(path, opt, &dtype, err);
    if (st != UDFRT_OK)
        return st;
    udfrt_dataset *ds;
    st = udfrt_frame_file_dataset_new(path, &raw_ops, &ds, err);
    if (st != UDFRT_OK)
        return st;
    udfrt_frame_file *ff = ds->impl;
    ds->dtype = (udf_dtype)dtype;

    int64_t dims[2 * UDF_MAX_RANK];
    memcpy(dims, opt->nav_shape, sizeof *dims * (size_t)opt->nav_rank);
    memcpy(dims + opt->nav_rank, opt->sig_shape, sizeof *dims * (size_t)opt->sig_rank);
    int64_t size;
    st = udfrt_frame_file_open(path, ff, &size, err);
    if (st == UDFRT_OK)
        st = udfrt_dataset_set_shape(ds, opt->nav_rank + opt->sig_rank, dims, opt->sig_rank, err);
    if (st == UDFRT_OK) {
        ff->first_offset = opt->offset;
        ff->frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
        ff->stride = ff->frame_bytes;
        int64_t bytes = size - opt->offset;
        if (bytes < 0)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has %lld bytes, fewer than --offset %lld",
                            path, (long long)size, (long long)opt->offset);
        else if (bytes < ff->frame_bytes || bytes % ff->frame_bytes != 0)
            st = udfrt_fail(err, UDFRT_ERR_DATA,
                            "'%s' has %lld bytes%s, not a whole number of %lld-byte frames (check "
                            "--dtype, --sig and --offset)",
                            path, (long long)bytes, opt->offset ? " after --offset" : "",
                            (long long)ff->frame_bytes);
        else
            ds->image_count = bytes / ff->frame_bytes;
    }
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return UDFRT_OK;
}
