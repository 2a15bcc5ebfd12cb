/* write_h5.c — the HDF5 result file: dataset /<udf>/<buffer> per result, with
 * a string attribute `kind` (nav, sig or single). HDF5 builds the file in
 * memory and we write the bytes into a staged temporary (atomic_file.h): a
 * failing write (full disk) then is our error to report, and never leaves
 * HDF5 with a half-closed file (its exit handler crashes on those). */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include "alloc.h"
#include "h5util.h"
#include "writers.h"

static hid_t h5_type(udf_dtype t)
{
    if (t != UDF_DTYPE_BOOL)
        return H5Tcopy(udfrt_h5_native(t));
    /* h5py's bool: an enum over int8 that numpy reads back as bool. */
    hid_t e = H5Tenum_create(H5T_NATIVE_INT8);
    signed char no = 0, yes = 1;
    H5Tenum_insert(e, "FALSE", &no);
    H5Tenum_insert(e, "TRUE", &yes);
    return e;
}

static int write_kind_attribute(hid_t dset, const char *kind)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate(H5S_SCALAR);
    /* Variable-length UTF-8, which h5py reads as str (not bytes). */
    int ok = str >= 0 && space >= 0 && H5Tset_size(str, H5T_VARIABLE) >= 0 &&
             H5Tset_cset(str, H5T_CSET_UTF8) >= 0;
    hid_t attr = ok ? H5Acreate2(dset, "kind", str, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = attr >= 0 && H5Awrite(attr, str, &kind) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (str >= 0)
        H5Tclose(str);
    return ok;
}

static int write_dataset(hid_t file, const udfrt_result *r)
{
    hid_t group;
    if (H5Lexists(file, r->udf, H5P_DEFAULT) > 0)
        group = H5Gopen2(file, r->udf, H5P_DEFAULT);
    else
        group = H5Gcreate2(file, r->udf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0)
        return 0;
    hsize_t dims[2 * UDF_MAX_RANK];
    for (int d = 0; d < r->rank; d++)
        dims[d] = (hsize_t)r->shape[d];
    hid_t space = r->rank ? H5Screate_simple(r->rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t type = h5_type(r->dtype);
    hid_t dset = space >= 0 && type >= 0 ? H5Dcreate2(group, r->name, type, space, H5P_DEFAULT,
                                                      H5P_DEFAULT, H5P_DEFAULT)
                                         : -1;
    int ok = dset >= 0 && (r->elements == 0 ||
                           H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->data) >= 0);
    ok = ok && write_kind_attribute(dset, udfrt_kind_name(r->kind));
    if (dset >= 0)
        H5Dclose(dset);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Gclose(group);
    return ok;
}

/* The whole file as bytes, built by HDF5's in-memory (core) driver; *image
 * is NULL on failure. */
static void build_image(const udfrt_result *results, int n, void **image, size_t *size)
{
    *image = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0
                     ? H5Fcreate("udfc-result.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                     : -1;
    int ok = file >= 0;
    for (int i = 0; ok && i < n; i++)
        ok = write_dataset(file, &results[i]);
    ok = ok && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0;
    ssize_t bytes = ok ? H5Fget_file_image(file, NULL, 0) : -1;
    if (bytes > 0 && (*image = udfrt_malloc((size_t)bytes)) != NULL &&
        H5Fget_file_image(file, *image, (size_t)bytes) != bytes) {
        udfrt_free(*image);
        *image = NULL;
    }
    *size = bytes > 0 ? (size_t)bytes : 0;
    if (file >= 0)
        H5Fclose(file);
    if (fapl >= 0)
        H5Pclose(fapl);
}

udfrt_status udfrt_write_h5(udfrt_staging *s, const char *path, const udfrt_result *results, int n,
                            udfrt_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported by us, once */
    void *image;
    size_t size;
    build_image(results, n, &image, &size);
    if (!image)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "cannot build HDF5 file '%s' in memory (out of memory?)", path);
    const char *tmp;
    udfrt_status st = udfrt_stage_file(s, path, &tmp, err);
    int fd = st == UDFRT_OK ? open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC) : -1;
    if (st == UDFRT_OK && fd < 0)
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    if (st == UDFRT_OK)
        st = udfrt_write_all(fd, image, size, path, err);
    if (fd >= 0 && close(fd) != 0 && st == UDFRT_OK)
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    udfrt_free(image);
    return st;
}
