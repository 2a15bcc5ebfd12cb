/* array_file.h — small whole arrays read into memory: parameter arrays
 * (`--param masks=@masks.npy`, `@file.h5:/path`), ROI masks and detector
 * corrections (dark, gain, excluded pixels). */
#ifndef UDFRT_ARRAY_FILE_H
#define UDFRT_ARRAY_FILE_H

#include <stddef.h>
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

/* `spec` is PATH.npy, or PATH.h5:/dataset (the HDF5 names --data takes).
 * Failures are UDFRT_ERR_DATA naming the file. An array of more than
 * max_elements (>= 0) elements is not read: out has its shape and no data,
 * for the caller's message about the shape. */
udfrt_status udfrt_array_load(const char *spec, int64_t max_elements, udfrt_array *out,
                              udfrt_error *err);
void udfrt_array_free(udfrt_array *a);
/* "(4, 5)" into out[cap], numpy style ("(7,)" for one dim). */
void udfrt_format_shape(int rank, const int64_t *shape, char *out, size_t cap);

#endif
