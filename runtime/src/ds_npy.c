/* ds_npy.c — NumPy .npy files as data sets: the header gives dtype and shape,
 * the frames follow it back to back. */
#include "dataset.h"
#include "dtype.h"
#include "frame_file.h"
#include "npy.h"

static void npy_describe(const udfrt_dataset *ds, FILE *out)
{
    const udfrt_frame_file *ff = ds->impl;
    fprintf(out, "layout:     .npy, C order, data at byte %lld%s\n", (long long)ff->first_offset,
            ff->swap_size ? ", big-endian (swapped while reading)" : "");
}

static const udfrt_dataset_ops npy_ops = {
    .format = "npy",
    .reader_create = udfrt_frame_file_reader_create,
    .reader_destroy = udfrt_frame_file_reader_destroy,
    .read = udfrt_frame_file_read,
    .reader_copy = udfrt_frame_file_reader_copy,
    .describe = npy_describe,
    .destroy = udfrt_frame_file_destroy,
};

udfrt_status udfrt_open_npy(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err)
{
    udfrt_dataset *ds;
    udfrt_status st = udfrt_frame_file_dataset_new(path, &npy_ops, &ds, err);
    if (st != UDFRT_OK)
        return st;
    udfrt_frame_file *ff = ds->impl;

    int64_t size;
    udfrt_npy_header hdr;
    st = udfrt_frame_file_open(path, ff, &size, err);
    if (st == UDFRT_OK)
        st = udfrt_npy_read_header(ff->fd, path, &hdr, err);
    if (st == UDFRT_OK) {
        ds->dtype = hdr.dtype;
        st = udfrt_dataset_set_shape(ds, hdr.rank, hdr.shape, opt->sig_dims, err);
    }
    if (st == UDFRT_OK) {
        size_t elem = udfrt_dtype_size(ds->dtype);
        ff->first_offset = hdr.data_offset;
        ff->frame_bytes = ds->sig_size * (int64_t)elem;
        ff->stride = ff->frame_bytes;
        ff->swap_size = hdr.big_endian ? (int)elem : 0;
        int64_t need = hdr.data_offset + ds->image_count * ff->frame_bytes;
        if (size < need)
            st = udfrt_fail(err, UDFRT_ERR_DATA,
                            "'%s' is truncated: its header promises %lld bytes, the file has %lld",
                            path, (long long)need, (long long)size);
    }
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return UDFRT_OK;
}
