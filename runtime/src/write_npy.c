/* write_npy.c — `--npy DIR`: one NumPy file DIR/<udf>.<buffer>.npy per
 * result, C order, little-endian, each written into a staged temporary. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "dtype.h"
#include "npy.h"
#include "writers.h"

static udfrt_status write_one(udfrt_staging *s, const char *dir, const udfrt_result *r,
                              udfrt_error *err)
{
    char path[4096], header[4096];
    if (snprintf(path, sizeof path, "%s/%s.%s.npy", dir, r->udf, r->name) >= (int)sizeof path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "output directory name '%s' is too long", dir);
    size_t header_len = udfrt_npy_format_header(r->dtype, r->rank, r->shape, header, sizeof header);
    if (header_len == 0)
        return udfrt_fail(err, UDFRT_ERR_INTERNAL, "no .npy header fits the shape of %s/%s", r->udf,
                          r->name);
    const char *tmp;
    udfrt_status st = udfrt_stage_file(s, path, &tmp, err);
    if (st != UDFRT_OK)
        return st;
    int fd = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    st = udfrt_write_all(fd, header, header_len, path, err);
    if (st == UDFRT_OK)
        st = udfrt_write_all(fd, r->data, (size_t)r->elements * udfrt_dtype_size(r->dtype), path,
                             err);
    if (close(fd) != 0 && st == UDFRT_OK)
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    return st;
}

udfrt_status udfrt_write_npy(udfrt_staging *s, const char *dir, const udfrt_result *results, int n,
                             udfrt_error *err)
{
    for (int i = 0; i < n; i++) {
        udfrt_status st = write_one(s, dir, &results[i], err);
        if (st != UDFRT_OK)
            return st;
    }
    return UDFRT_OK;
}
