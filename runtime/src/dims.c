/* dims.c — resolving extra dims against a run's shapes; see dims.h. */
#include "dims.h"

int64_t udfrt_dim_value(const udf_ctx *ctx, const udf_dim *dim)
{
    switch (dim->kind) {
    case UDF_DIM_VAR: return ctx->dims[dim->value];
    case UDF_DIM_NAV_SHAPE: return dim->value < ctx->nav_rank ? ctx->nav_shape[dim->value] : 0;
    case UDF_DIM_SIG_SHAPE: return dim->value < ctx->sig_rank ? ctx->sig_shape[dim->value] : 0;
    default: return dim->value;
    }
}
