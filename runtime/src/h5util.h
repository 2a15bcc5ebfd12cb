/* h5util.h — HDF5 facts shared by the files that read or write HDF5. */
#ifndef UDFRT_H5UTIL_H
#define UDFRT_H5UTIL_H

#include <hdf5.h>

#include "udfrt/kernel_abi.h"

/* The library's native type of an element type (bool as one byte). */
hid_t udfrt_h5_native(udf_dtype t);

#endif
