/* dtype.h — facts about element types (udf_dtype of kernel_abi.h) and the few
 * generic element operations the runtime needs outside kernels. */
#ifndef UDFRT_DTYPE_H
#define UDFRT_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "udfrt/kernel_abi.h"

size_t udfrt_dtype_size(udf_dtype t);
int udfrt_dtype_is_float(udf_dtype t);
int udfrt_dtype_is_signed(udf_dtype t);
const char *udfrt_dtype_name(udf_dtype t);
/* Parses "u16" etc.; returns -1 for an unknown name. */
int udfrt_dtype_parse(const char *name);

/* Element `i` of `data` as a double. */
double udfrt_load_double(const void *data, udf_dtype t, size_t i);
/* Stores v converted as an assignment does: floats round to nearest; to
 * integers truncate toward zero, saturate, NaN becomes 0. */
void udfrt_store_double(void *data, udf_dtype t, size_t i, double v);
/* Fills n elements with v (converted as above). */
void udfrt_fill(void *data, udf_dtype t, size_t n, double v);

/* Reverses the bytes of each of n elements of `size` bytes (2, 4 or 8), in
 * place: big-endian to host order. */
void udfrt_byteswap(void *data, int64_t n, int size);
/* The same from src into dst (the same memory, or none of it shared). */
void udfrt_byteswap_copy(void *dst, const void *src, int64_t n, int size);

#endif
