/* array_file.c — loading whole arrays from .npy and HDF5 files; see
 * array_file.h. */
#include "array_file.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dataset.h"
#include "dtype.h"
#include "frame_file.h"
#include "h5util.h"

static void swap_bytes(unsigned char *p, int64_t count, size_t size)
{
    for (int64_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* The header's promise is checked against the file's size before anything is
 * allocated, so a corrupt shape cannot ask for absurd memory. */
static udfrt_status read_npy(udfrt_frame_file *ff, const char *path, int64_t size,
                             int64_t max_elements, udfrt_array *out, udfrt_error *err)
{
    udfrt_npy_header hdr;
    udfrt_status st = udfrt_npy_read_header(ff->fd, path, &hdr, err);
    if (st != UDFRT_OK)
        return st;
    size_t elem = udfrt_dtype_size(hdr.dtype);
    int64_t count = 1, bytes;
    for (int i = 0; i < hdr.rank; i++)
        if (__builtin_mul_overflow(count, hdr.shape[i], &count))
            count = INT64_MAX;
    if (__builtin_mul_overflow(count, (int64_t)elem, &bytes) || bytes > INT64_MAX / 2)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s' is not a valid .npy file: its shape is too large", path);
    if (hdr.data_offset + bytes > size)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s' is truncated: its header promises %lld bytes, the file has %lld",
                          path, (long long)(hdr.data_offset + bytes), (long long)size);
    out->dtype = hdr.dtype;
    out->rank = hdr.rank;
    memcpy(out->shape, hdr.shape, sizeof hdr.shape);
    out->elements = count;
    if (max_elements >= 0 && count > max_elements)
        return UDFRT_OK;
    out->data = udfrt_aligned_alloc((size_t)bytes);
    if (!out->data)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", path);
    unsigned char *dst = out->data;
    for (int64_t done = 0; done < bytes;) {
        ssize_t got =
            pread(ff->fd, dst + done, (size_t)(bytes - done), (off_t)(hdr.data_offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return udfrt_fail_errno(err, UDFRT_ERR_DATA, got < 0 ? errno : EIO, "cannot read '%s'",
                                    path);
        done += got;
    }
    if (hdr.big_endian)
        swap_bytes(dst, count, elem);
    return UDFRT_OK;
}

static udfrt_status load_npy(const char *path, int64_t max_elements, udfrt_array *out,
                             udfrt_error *err)
{
    udfrt_frame_file ff = {.fd = -1};
    int64_t size = 0;
    udfrt_status st = udfrt_frame_file_open(path, &ff, &size, err);
    if (st == UDFRT_OK)
        st = read_npy(&ff, path, size, max_elements, out, err);
    udfrt_frame_file_close(&ff);
    if (st != UDFRT_OK)
        udfrt_array_free(out);
    return st;
}

static udfrt_status load_h5(const char *spec, size_t split, int64_t max_elements, udfrt_array *out,
                            udfrt_error *err)
{
    char path[4096];
    if (split >= sizeof path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "path too long: '%s'", spec);
    memcpy(path, spec, split);
    path[split] = '\0';
    const char *name = spec + split + 1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot open '%s'", path);
    hid_t file = udfrt_h5_open_input(path);
    if (file < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is not an HDF5 file", path);
    udfrt_status st = UDFRT_OK;
    hid_t dset = H5Lexists(file, name, H5P_DEFAULT) > 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
    hid_t type = dset >= 0 ? H5Dget_type(dset) : -1;
    hid_t space = dset >= 0 ? H5Dget_space(dset) : -1;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    udf_dtype element;
    int big_endian; /* H5Dread converts */
    int dtype = type >= 0 && udfrt_h5_element_type(type, &element, &big_endian) ? (int)element : -1;
    if (dset < 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has no dataset '%s'", path, name);
    else if (dtype < 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA,
                        "dataset '%s' in '%s' has an element type udf "
                        "does not read",
                        name, path);
    else if (rank < 0 || rank > UDFRT_NPY_MAX_RANK)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "dataset '%s' in '%s' has too many dims", name, path);
    if (st == UDFRT_OK) {
        hsize_t dims[UDFRT_NPY_MAX_RANK];
        H5Sget_simple_extent_dims(space, dims, NULL);
        out->dtype = (udf_dtype)dtype;
        out->rank = rank;
        out->elements = 1;
        for (int i = 0; i < rank; i++) {
            out->shape[i] = (int64_t)dims[i];
            if (__builtin_mul_overflow(out->elements, out->shape[i], &out->elements))
                out->elements = INT64_MAX;
        }
        int64_t bytes;
        if (__builtin_mul_overflow(out->elements, (int64_t)udfrt_dtype_size(out->dtype), &bytes))
            bytes = INT64_MAX;
        /* Too many elements: the shape alone answers the caller. */
        int wanted = max_elements < 0 || out->elements <= max_elements;
        if (wanted && bytes < INT64_MAX / 2)
            out->data = udfrt_aligned_alloc((size_t)bytes);
        if (wanted && !out->data)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", spec);
        else if (wanted && H5Dread(dset, udfrt_h5_native(out->dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                   out->data) < 0)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot read dataset '%s' of '%s'", name, path);
    }
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (dset >= 0)
        H5Dclose(dset);
    H5Fclose(file);
    if (st != UDFRT_OK)
        udfrt_array_free(out);
    return st;
}

udfrt_status udfrt_array_load(const char *spec, int64_t max_elements, udfrt_array *out,
                              udfrt_error *err)
{
    memset(out, 0, sizeof *out);
    /* The HDF5 file names that --data takes, with the dataset's path. */
    size_t n = strlen(spec), split = udfrt_hdf5_split_spec(spec);
    if (split > 0 && split < n)
        return load_h5(spec, split, max_elements, out, err);
    if (n > 4 && strcmp(spec + n - 4, ".npy") == 0)
        return load_npy(spec, max_elements, out, err);
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "cannot read an array from '%s': give a .npy file or FILE.h5:/dataset", spec);
}

void udfrt_array_free(udfrt_array *a)
{
    udfrt_free(a->data);
    a->data = NULL;
}

void udfrt_format_shape(int rank, const int64_t *shape, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "(");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < cap)
        snprintf(out + n, cap - n, rank == 1 ? ",)" : ")");
}
