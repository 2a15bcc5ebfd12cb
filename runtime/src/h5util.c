/* h5util.c — see h5util.h. */
#include "h5util.h"

hid_t udfrt_h5_native(udf_dtype t)
{
    switch (t) {
    case UDF_DTYPE_I8: return H5T_NATIVE_INT8;
    case UDF_DTYPE_I16: return H5T_NATIVE_INT16;
    case UDF_DTYPE_I32: return H5T_NATIVE_INT32;
    case UDF_DTYPE_I64: return H5T_NATIVE_INT64;
    case UDF_DTYPE_U16: return H5T_NATIVE_UINT16;
    case UDF_DTYPE_U32: return H5T_NATIVE_UINT32;
    case UDF_DTYPE_U64: return H5T_NATIVE_UINT64;
    case UDF_DTYPE_F32: return H5T_NATIVE_FLOAT;
    case UDF_DTYPE_F64: return H5T_NATIVE_DOUBLE;
    default: return H5T_NATIVE_UINT8;
    }
}
