/* frame_file.h — frames stored back to back at a fixed stride in one file
 * (raw, .npy, contiguous HDF5, and any format whose frames sit at known byte
 * offsets). Host-order frames are not copied: each reader maps a window of
 * the file (UDF_MAP_WINDOW_BYTES) and points the kernels into the page cache,
 * moving the window along as the frames requested move — unless the run
 * finds copying faster (reader_copy). Big-endian frames are byte-swapped
 * from the window into a reused, aligned per-thread buffer (read with pread
 * where the file cannot be mapped). */
#ifndef UDFRT_FRAME_FILE_H
#define UDFRT_FRAME_FILE_H

#include <stdint.h>

#include "dataset.h"

typedef struct udfrt_frame_file {
    int fd;
    int64_t first_offset; /* byte offset of frame 0's elements */
    int64_t stride;       /* bytes from one frame's elements to the next */
    int64_t frame_bytes;  /* bytes of elements per frame */
    int64_t lead_bytes;   /* bytes before each frame's elements that udfrt_frame_file_gather
                             reads along (MIB's frame headers): at most first_offset, and
                             lead_bytes + frame_bytes <= stride */
    int swap_size;        /* element size to byte-swap, or 0 */
    int64_t size;         /* bytes in the file, at open */
} udfrt_frame_file;

/* Bytes [offset, offset + bytes) of file fd into dst, through short reads
 * and EINTR; a read error or the file's end is reported naming `path` and
 * the byte. */
udfrt_status udfrt_pread_all(const char *path, int fd, unsigned char *dst, int64_t bytes,
                             int64_t offset, udfrt_error *err);

/* A mapped window of an open file: its bytes [offset, offset + len) at map. */
typedef struct udfrt_window {
    unsigned char *map;
    int64_t offset, len;
    int fresh; /* the last udfrt_window_at mapped it */
} udfrt_window;
/* Makes bytes [begin, end) of file fd (`size` bytes long) visible in w,
 * mapping a new window of at least UDF_MAP_WINDOW_BYTES where they are not:
 * the address of byte `begin`, or NULL if the file cannot be mapped. */
const unsigned char *udfrt_window_at(udfrt_window *w, int fd, int64_t size, int64_t begin,
                                     int64_t end);
void udfrt_window_release(udfrt_window *w);

/* Opens `path` read-only and returns its size (also kept in ff->size). */
udfrt_status udfrt_frame_file_open(const char *path, udfrt_frame_file *ff, int64_t *size,
                                   udfrt_error *err);
void udfrt_frame_file_close(udfrt_frame_file *ff);
/* A data set of `ops` whose impl is a frame_file of its own (not open yet:
 * fd -1), with its path copied. */
udfrt_status udfrt_frame_file_dataset_new(const char *path, const udfrt_dataset_ops *ops,
                                          udfrt_dataset **out, udfrt_error *err);
/* The destroy member for such a data set. */
void udfrt_frame_file_destroy(udfrt_dataset *ds);

/* The udfrt_dataset_ops members for a data set whose impl is a frame_file, or
 * a struct whose first member is one. */
udfrt_status udfrt_frame_file_reader_create(udfrt_dataset *ds, int64_t max_frames,
                                            udfrt_reader **out, udfrt_error *err);
void udfrt_frame_file_reader_destroy(udfrt_reader *rd);
udfrt_status udfrt_frame_file_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                                   int64_t count, const void **frames, udfrt_error *err);
int udfrt_frame_file_reader_copy(udfrt_reader *rd, int copy);
/* The read itself, into `dst` (room for count * ff->stride bytes): points
 * frames[i] at frame file_frames[i] of `ff`, whose ff->lead_bytes before it
 * are read too; `path` names the file in errors. */
udfrt_status udfrt_frame_file_gather(const udfrt_frame_file *ff, const char *path,
                                     unsigned char *dst, const int64_t *file_frames, int64_t count,
                                     const void **frames, udfrt_error *err);

#endif
