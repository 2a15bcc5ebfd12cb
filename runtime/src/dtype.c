/* dtype.c — element type table and generic conversions; see dtype.h. */
#include "dtype.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned char size, is_float, is_signed;
} types[UDF_DTYPE_COUNT] = {
#define X_ROW(e, name, size, is_float, is_signed) \
    [UDF_DTYPE_##e] = {name, size, is_float, is_signed},
    UDF_DTYPES(X_ROW)
#undef X_ROW
};

size_t udfrt_dtype_size(udf_dtype t) { return types[t].size; }
int udfrt_dtype_is_float(udf_dtype t) { return types[t].is_float; }
int udfrt_dtype_is_signed(udf_dtype t) { return types[t].is_signed; }
const char *udfrt_dtype_name(udf_dtype t) { return types[t].name; }

int udfrt_dtype_parse(const char *name)
{
    for (int t = 0; t < UDF_DTYPE_COUNT; t++)
        if (strcmp(types[t].name, name) == 0)
            return t;
    return -1;
}

double udfrt_load_double(const void *data, udf_dtype t, size_t i)
{
    switch (t) {
    case UDF_DTYPE_BOOL: return ((const uint8_t *)data)[i] != 0;
    case UDF_DTYPE_I8: return ((const int8_t *)data)[i];
    case UDF_DTYPE_I16: return ((const int16_t *)data)[i];
    case UDF_DTYPE_I32: return ((const int32_t *)data)[i];
    case UDF_DTYPE_I64: return (double)((const int64_t *)data)[i];
    case UDF_DTYPE_U8: return ((const uint8_t *)data)[i];
    case UDF_DTYPE_U16: return ((const uint16_t *)data)[i];
    case UDF_DTYPE_U32: return ((const uint32_t *)data)[i];
    case UDF_DTYPE_U64: return (double)((const uint64_t *)data)[i];
    case UDF_DTYPE_F32: return ((const float *)data)[i];
    case UDF_DTYPE_F64: return ((const double *)data)[i];
    case UDF_DTYPE_COUNT: break;
    }
    return NAN;
}

/* Truncates toward zero and clamps to [lo, hi]; NaN gives 0. */
static double to_integer(double v, double lo, double hi)
{
    if (isnan(v))
        return 0;
    v = trunc(v);
    return v < lo ? lo : v > hi ? hi : v;
}

void udfrt_store_double(void *data, udf_dtype t, size_t i, double v)
{
    switch (t) {
    case UDF_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case UDF_DTYPE_I8: ((int8_t *)data)[i] = (int8_t)to_integer(v, INT8_MIN, INT8_MAX); break;
    case UDF_DTYPE_I16: ((int16_t *)data)[i] = (int16_t)to_integer(v, INT16_MIN, INT16_MAX); break;
    case UDF_DTYPE_I32: ((int32_t *)data)[i] = (int32_t)to_integer(v, INT32_MIN, INT32_MAX); break;
    case UDF_DTYPE_I64:
        /* 2^63 is the first double above INT64_MAX. */
        ((int64_t *)data)[i] = v >= 0x1p63 ? INT64_MAX : (int64_t)to_integer(v, -0x1p63, 0x1p63);
        break;
    case UDF_DTYPE_U8: ((uint8_t *)data)[i] = (uint8_t)to_integer(v, 0, UINT8_MAX); break;
    case UDF_DTYPE_U16: ((uint16_t *)data)[i] = (uint16_t)to_integer(v, 0, UINT16_MAX); break;
    case UDF_DTYPE_U32: ((uint32_t *)data)[i] = (uint32_t)to_integer(v, 0, UINT32_MAX); break;
    case UDF_DTYPE_U64:
        ((uint64_t *)data)[i] = v >= 0x1p64 ? UINT64_MAX : (uint64_t)to_integer(v, 0, 0x1p64);
        break;
    case UDF_DTYPE_F32: ((float *)data)[i] = (float)v; break;
    case UDF_DTYPE_F64: ((double *)data)[i] = v; break;
    case UDF_DTYPE_COUNT: break;
    }
}

void udfrt_fill(void *data, udf_dtype t, size_t n, double v)
{
    if (v == 0 && !signbit(v)) {
        memset(data, 0, n * types[t].size);
        return;
    }
    for (size_t i = 0; i < n; i++)
        udfrt_store_double(data, t, i, v);
}

/* One block of a fixed element count per inner loop: a constant trip count
 * lets the compiler vectorise at -O2 (big-endian frames swap at memory speed). */
#define SWAP_LOOP(type, bswap)                                \
    do {                                                      \
        int64_t i = 0;                                        \
        for (; i + 64 <= n; i += 64)                          \
            for (int k = 0; k < 64; k++) {                    \
                type v;                                       \
                memcpy(&v, s + (i + k) * sizeof v, sizeof v); \
                v = bswap(v);                                 \
                memcpy(d + (i + k) * sizeof v, &v, sizeof v); \
            }                                                 \
        for (; i < n; i++) {                                  \
            type v;                                           \
            memcpy(&v, s + i * sizeof v, sizeof v);           \
            v = bswap(v);                                     \
            memcpy(d + i * sizeof v, &v, sizeof v);           \
        }                                                     \
    } while (0)

void udfrt_byteswap_copy(void *dst, const void *src, int64_t n, int size)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (size == 2)
        SWAP_LOOP(uint16_t, __builtin_bswap16);
    else if (size == 4)
        SWAP_LOOP(uint32_t, __builtin_bswap32);
    else if (size == 8)
        SWAP_LOOP(uint64_t, __builtin_bswap64);
}

void udfrt_byteswap(void *data, int64_t n, int size) { udfrt_byteswap_copy(data, data, n, size); }
