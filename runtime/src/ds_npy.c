/* ds_npy.c — NumPy .npy files as data sets: the header gives dtype and shape,
 * the frames follow it back to back. */
#include <string.h>

#include "alloc.h"
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

static void npy_destroy(udfrt_dataset *ds)
{
    udfrt_frame_file *ff = ds->impl;
    if (ff)
        udfrt_frame_file_close(ff);
    udfrt_free(ff);
}

static const udfrt_dataset_ops npy_ops = {
    .format = "npy",
    .reader_create = udfrt_frame_file_reader_create,
    .reader_destroy = udfrt_frame_file_reader_destroy,
    .read = udfrt_frame_file_read,
    .reader_copy = udfrt_frame_file_reader_copy,
    .describe = npy_describe,
    .destroy = npy_destroy,
};

udfrt_status udfrt_open_npy(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err)
{
    udfrt_dataset *ds = udfrt_calloc(1, sizeof *ds);
    udfrt_frame_file *ff = udfrt_calloc(1, sizeof *ff);
    char *path_copy = udfrt_malloc(strlen(path) + 1);
    if (!ds || !ff || !path_copy) {
        udfrt_free(ds);
        udfrt_free(ff);
        udfrt_free(path_copy);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", path);
    }
    ff->fd = -1;
    ds->ops = &npy_ops;
    ds->impl = ff;
    ds->path = strcpy(path_copy, path);

    int64_t size;
    udfrt_npy_header hdr;
    udfrt_status st = udfrt_frame_file_open(path, ff, &size, err);
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
