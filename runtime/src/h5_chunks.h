/* h5_chunks.h — reading frames of a chunked HDF5 dataset chunk by chunk:
 * the HDF5 library locates a chunk's stored bytes in the file (h5_capture.h,
 * the only step under its global lock), the calling worker thread reads them
 * (pread) and decodes them (h5_filters), and the frames are cut out of the
 * decoded chunk. A chunk that holds whole frames consecutive in the request
 * is used in place from a mapped window of the file where it needs no
 * decoding, swapping or aligning, else decodes straight into the output;
 * other chunks go through a small per-thread cache of decoded chunks. */
#ifndef UDFRT_H5_CHUNKS_H
#define UDFRT_H5_CHUNKS_H

#include <hdf5.h>
#include <stdint.h>

#include "h5_filters.h"
#include "udfrt/kernel_abi.h"

#define UDFRT_H5_MAX_RANK (2 * UDF_MAX_RANK)

/* The layout of one chunked dataset; filled by the opener, read-only after. */
typedef struct udfrt_h5_chunks {
    hid_t dset;
    const char *name; /* "file.h5:/path", for messages */
    int rank, nav_rank;
    hsize_t dims[UDFRT_H5_MAX_RANK], chunk[UDFRT_H5_MAX_RANK];
    udfrt_h5_pipeline pipeline;
    size_t elem_size;
    int swap_size;            /* big-endian element size to swap, or 0 */
    unsigned char fill[8];    /* fill value of unwritten chunks, in file byte order */
    int64_t sig_size;         /* elements per frame */
    int64_t frames_per_chunk; /* > 0: chunks hold this many whole frames, consecutive in
                                 stored order (nav chunk 1,...,1,c and the whole sig) */
    int64_t cache_slots;      /* decoded chunks kept per thread */
    int fd;                   /* the file that holds the chunks (borrowed: the data set's
                                 frame_file owns and closes it), and its size */
    int64_t file_size;
} udfrt_h5_chunks;

typedef struct udfrt_h5_chunk_reader udfrt_h5_chunk_reader;

udfrt_status udfrt_h5_chunk_reader_create(const udfrt_h5_chunks *c, int64_t max_frames,
                                          udfrt_h5_chunk_reader **out, udfrt_error *err);
void udfrt_h5_chunk_reader_destroy(udfrt_h5_chunk_reader *rd);
/* Points frames[i] at stored frame file_frames[i], in host order; valid until
 * the next call on the same reader. */
udfrt_status udfrt_h5_chunks_read(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                  const int64_t *file_frames, int64_t count, const void **frames,
                                  udfrt_error *err);

#endif
