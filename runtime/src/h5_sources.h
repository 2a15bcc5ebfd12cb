/* h5_sources.h — the other files an HDF5 dataset's values live in: the
 * source files of a virtual dataset and the files of external raw storage.
 * HDF5 reads fill values where one is missing, or short; udf refuses such a
 * dataset when it is opened. */
#ifndef UDFRT_H5_SOURCES_H
#define UDFRT_H5_SOURCES_H

#include <hdf5.h>

#include "error.h"

/* Checks that every file the dataset `dset` (named `name` in messages, with
 * creation properties `dcpl`) reads from is there: virtual sources found
 * where HDF5 looks for them (HDF5_VDS_PREFIX, the dataset's own directory,
 * the working directory), holding their source dataset; external files
 * (under HDF5_EXTFILE_PREFIX, else as named) holding all the bytes the
 * dataset keeps in them. */
udfrt_status udfrt_h5_check_sources(hid_t dset, hid_t dcpl, const char *name, udfrt_error *err);

#endif
