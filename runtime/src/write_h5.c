/* write_h5.c — the HDF5 result file: dataset /<udf>/<buffer> per result, with
 * a string attribute `kind` (nav, sig or single). Written into a staged
 * temporary (atomic_file.h). */
#include <errno.h>
#include <hdf5.h>

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
    hid_t dset = space >= 0 && type >= 0
                     ? H5Dcreate2(group, r->name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
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

udfrt_status udfrt_write_h5(udfrt_staging *s, const char *path, const udfrt_result *results,
                            int n, udfrt_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported by us, once */
    const char *tmp;
    udfrt_status st = udfrt_stage_file(s, path, &tmp, err);
    if (st != UDFRT_OK)
        return st;
    errno = 0;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int ok = file >= 0;
    for (int i = 0; ok && i < n; i++)
        ok = write_dataset(file, &results[i]);
    if (file >= 0 && H5Fclose(file) < 0)
        ok = 0;
    if (ok)
        return UDFRT_OK;
    /* HDF5 keeps the system's reason in errno when a write failed. */
    if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT || errno == EIO || errno == EACCES)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write HDF5 file '%s'", path);
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "cannot write HDF5 file '%s' (disk full, or no permission?)", path);
}
