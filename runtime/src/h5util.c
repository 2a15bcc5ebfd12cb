/* h5util.c — see h5util.h. */
#include "h5util.h"

#include "h5_capture.h"
#include "inputs.h"

hid_t udfrt_h5_open_input(const char *path)
{
    udfrt_note_input(path);
    hid_t access = udfrt_h5_capture_fapl();
    return access < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, access);
}

/* Whether enum type t is h5py's bool: two members, 0 and 1, on one byte. */
static int is_bool_enum(hid_t t)
{
    hid_t base = H5Tget_super(t);
    int ok = H5Tget_nmembers(t) == 2 && H5Tget_class(base) == H5T_INTEGER && H5Tget_size(base) == 1;
    H5Tclose(base);
    unsigned char values[2] = {2, 2};
    for (unsigned i = 0; ok && i < 2; i++)
        ok = H5Tget_member_value(t, i, &values[i]) >= 0;
    return ok && values[0] + values[1] == 1 && values[0] * values[1] == 0;
}

int udfrt_h5_element_type(hid_t t, udf_dtype *out, int *big_endian)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    *big_endian = 0;
    if (cls == H5T_ENUM) {
        *out = UDF_DTYPE_BOOL;
        return is_bool_enum(t);
    }
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        return 0;
    *big_endian = H5Tget_order(t) == H5T_ORDER_BE;
    if (cls == H5T_FLOAT) {
        *out = size == 4 ? UDF_DTYPE_F32 : UDF_DTYPE_F64;
        return size == 4 || size == 8;
    }
    int is_signed = H5Tget_sign(t) == H5T_SGN_2;
    static const udf_dtype by_size[2][4] = {
        {UDF_DTYPE_U8, UDF_DTYPE_U16, UDF_DTYPE_U32, UDF_DTYPE_U64},
        {UDF_DTYPE_I8, UDF_DTYPE_I16, UDF_DTYPE_I32, UDF_DTYPE_I64}};
    int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
    if (k >= 0)
        *out = by_size[is_signed][k];
    return k >= 0;
}

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
