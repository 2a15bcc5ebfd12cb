/* h5util.h — HDF5 facts shared by the files that read or write HDF5. */
#ifndef UDFRT_H5UTIL_H
#define UDFRT_H5UTIL_H

#include <hdf5.h>

#include "udfrt/kernel_abi.h"

/* The library's native type of an element type (bool as one byte). */
hid_t udfrt_h5_native(udf_dtype t);

/* H5Fopen of `path` for reading, through libudfrt's file driver
 * (h5_capture.h), the file recorded as an input of the run (inputs.h): no
 * output may replace it. */
hid_t udfrt_h5_open_input(const char *path);

/* The element type of file datatype t into *out, and whether it is stored
 * big-endian; 0 if udf cannot read it. The only enum read is h5py's bool:
 * members 0 and 1 on a one-byte integer. */
int udfrt_h5_element_type(hid_t t, udf_dtype *out, int *big_endian);

#endif
