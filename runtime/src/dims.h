/* dims.h — the value of a buffer's or param's extra dim (kernel_abi.h's
 * udf_dim) in a given run. */
#ifndef UDFRT_DIMS_H
#define UDFRT_DIMS_H

#include "udfrt/kernel_abi.h"

int64_t udfrt_dim_value(const udf_ctx *ctx, const udf_dim *dim);

#endif
