/* h5_capture.h — where HDF5 keeps a chunk's stored bytes, without reading
 * them. libudfrt opens HDF5 files through a virtual file driver of its own
 * (sec2's reads, with pread) which, when H5Dread_chunk asks it to read raw
 * data into this thread's capture marker, records the file offset and the
 * length instead. Workers then read the chunk themselves, outside the HDF5
 * library's global lock, and a chunk index recording a wrong length cannot
 * overrun a buffer. HDF5 1.10 has no cheap listing of chunk addresses
 * (H5Dget_chunk_info walks the whole index on every call); a located chunk
 * costs about 1 us, against ~14 us for H5Dread_chunk of a 128 KiB one. */
#ifndef UDFRT_H5_CAPTURE_H
#define UDFRT_H5_CAPTURE_H

#include <hdf5.h>
#include <stdint.h>

/* The file access property list of the driver (owned by libudfrt), or -1
 * if HDF5 refused to register it. */
hid_t udfrt_h5_capture_fapl(void);

/* The chunk of `dset` whose first element is at `offset`: its stored bytes
 * lie at [*addr, *addr + *size) of the file, filtered as *filter_mask says.
 * Returns 0, or -1 when H5Dread_chunk failed (a chunk never written, or an
 * error left on the HDF5 error stack) or the driver was not asked. */
int udfrt_h5_locate_chunk(hid_t dset, const hsize_t *offset, uint32_t *filter_mask, int64_t *addr,
                          int64_t *size);

#endif
