/* array_file.h — small whole arrays read into memory: parameter arrays
 * (`--param masks=@masks.npy`, `@file.h5:/path`) and ROI masks. */
#ifndef UDFRT_ARRAY_FILE_H
#define UDFRT_ARRAY_FILE_H

#include <stdint.h>

#include "error.h"
#include "npy.h"

typedef struct udfrt_array {
    udf_dtype dtype;
    int rank;
    int64_t shape[UDFRT_NPY_MAX_RANK];
    int64_t elements;
    void *data; /* host order, C order; free with udfrt_array_free */
} udfrt_array;

/* `spec` is PATH.npy, or PATH.h5:/dataset (also .hdf5, .hspy, .emd, .nxs).
 * Failures are UDFRT_ERR_DATA naming the file. */
udfrt_status udfrt_array_load(const char *spec, udfrt_array *out, udfrt_error *err);
void udfrt_array_free(udfrt_array *a);

#endif
