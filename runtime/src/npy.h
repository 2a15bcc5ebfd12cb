/* npy.h — the NumPy .npy header: reading one (data sets, params, ROIs) and
 * writing one (--npy output). Format: magic "\x93NUMPY", version, header
 * length, then a Python dict literal with 'descr', 'fortran_order', 'shape'. */
#ifndef UDFRT_NPY_H
#define UDFRT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "udfrt/kernel_abi.h"

#define UDFRT_NPY_MAX_RANK 32

typedef struct udfrt_npy_header {
    udf_dtype dtype;
    int big_endian; /* elements stored big-endian (descr '>') */
    int rank;
    int64_t shape[UDFRT_NPY_MAX_RANK];
    int64_t data_offset; /* bytes before the first element */
} udfrt_npy_header;

/* Parses the header at the start of open file `fd`; `path` is for messages. */
udfrt_status udfrt_npy_read_header(int fd, const char *path, udfrt_npy_header *hdr,
                                   udfrt_error *err);
/* Writes a v1.0 header (padded to 64 bytes) for a C-order, little-endian
 * array into out[cap]; returns its length, or 0 if it does not fit. */
size_t udfrt_npy_format_header(udf_dtype t, int rank, const int64_t *shape, char *out, size_t cap);

#endif
