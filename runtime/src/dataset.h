/* dataset.h — a data set as the runtime sees it: `image_count` frames of
 * `sig_size` elements each, stored in some format, plus the nav grid they are
 * laid on (nav position i shows stored frame i + sync_offset, as in
 * LiberTEM). Formats implement udfrt_dataset_ops; everything above this
 * interface (partitions, tiles, kernels) is format-independent. */
#ifndef UDFRT_DATASET_H
#define UDFRT_DATASET_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "udfrt/kernel_abi.h"

typedef struct udfrt_dataset udfrt_dataset;
/* Per-thread reading state of one data set (scratch memory, decoders). */
typedef struct udfrt_reader udfrt_reader;

typedef struct udfrt_dataset_ops {
    const char *format;
    /* State for reading up to `max_frames` frames per call. */
    udfrt_status (*reader_create)(udfrt_dataset *ds, int64_t max_frames, udfrt_reader **out,
                                  udfrt_error *err);
    void (*reader_destroy)(udfrt_reader *rd);
    /* Points frames[i] at stored frame file_frames[i] (0 <= index < image_count,
     * ascending), as host-order elements of ds->dtype. The pointers stay valid
     * until the next read on the same reader. Consecutive indices should be read
     * in one go. */
    udfrt_status (*read)(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                         int64_t count, const void **frames, udfrt_error *err);
    /* Formats that can point frames into the mapped page cache or copy them
     * into the reader's buffer: copy (1) or map (0) from the next read on.
     * Returns 0 if this reader always copies (byte-swapped frames). NULL
     * where the format has no such choice. */
    int (*reader_copy)(udfrt_reader *rd, int copy);
    /* Format-specific lines for `udfc info` (layout, offsets, chunks). */
    void (*describe)(const udfrt_dataset *ds, FILE *out);
    void (*destroy)(udfrt_dataset *ds);
} udfrt_dataset_ops;

struct udfrt_dataset {
    const udfrt_dataset_ops *ops;
    void *impl;
    char *path; /* as the user gave it, for messages */
    udf_dtype dtype;
    int nav_rank, sig_rank;
    int64_t nav_shape[UDF_MAX_RANK];
    int64_t sig_shape[UDF_MAX_RANK];
    int64_t nav_size, sig_size;
    int64_t image_count; /* frames stored */
    int64_t sync_offset; /* > 0: frames skipped at the start; < 0: positions inserted */
    /* > 1: stored frames come in blocks of this many (in stored order) that the
     * format decodes as one unit (HDF5 chunks). Partitions start at block
     * boundaries and tiles hold whole blocks where that fits. */
    int64_t read_block;
};

/* udfrt_open_options, udfrt_dataset_open and udfrt_dataset_destroy are in
 * udfrt/udfrt.h. */

/* The stored frame shown at nav position `nav_index`, or -1 where there is
 * none (before the first frame with a negative sync offset, or past the
 * last). */
int64_t udfrt_dataset_frame_at(const udfrt_dataset *ds, int64_t nav_index);

/* How the stored frames and the nav grid line up (LiberTEM's
 * get_sync_offset_info): frames skipped at the start and not read at the end,
 * positions without a frame at the start and at the end. */
typedef struct udfrt_grid_fit {
    int64_t skipped_start, ignored_end, inserted_start, inserted_end;
    int64_t positions_with_frame;
} udfrt_grid_fit;
udfrt_grid_fit udfrt_dataset_grid_fit(const udfrt_dataset *ds);

/* Shared by the formats: a data set for `path` read by `ops`, with a zeroed
 * impl of impl_size bytes; an error (out of memory) leaves *out unchanged. */
udfrt_status udfrt_dataset_new(const char *path, const udfrt_dataset_ops *ops, size_t impl_size,
                               udfrt_dataset **out, udfrt_error *err);

/* Shared by the formats: fills nav/sig shapes and sizes of ds from the stored
 * shape `dims` (frames in C order, last `sig_dims` dims are sig) and checks
 * them. */
udfrt_status udfrt_dataset_set_shape(udfrt_dataset *ds, int rank, const int64_t *dims, int sig_dims,
                                     udfrt_error *err);

/* Several data sets read as one, their frames one after another (ds_stack.c):
 * members[0..n) (an array from udfrt_malloc) must have the same element type
 * and frame shape. The stack owns the members and the array, also when it
 * fails. Its nav shape is the flat frame count. */
udfrt_status udfrt_dataset_stack(const char *path, udfrt_dataset **members, int n,
                                 udfrt_dataset **out, udfrt_error *err);
/* Before opening n members: every member stays open for the run, so this
 * raises the soft limit on open files towards what they need, up to the
 * hard limit, and fails naming the limits where they cannot be enough. */
udfrt_status udfrt_stack_room(const char *path, int n, udfrt_error *err);

/* Format entry points. */
udfrt_status udfrt_open_demo(const char *spec, const udfrt_open_options *opt, udfrt_dataset **out,
                             udfrt_error *err);
udfrt_status udfrt_open_npy(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err);
udfrt_status udfrt_open_raw(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err);
/* HDF5: `spec` is PATH[:/dataset/path] with one of the suffixes that
 * udfrt_hdf5_split_spec recognises. */
udfrt_status udfrt_open_hdf5(const char *spec, const udfrt_open_options *opt, udfrt_dataset **out,
                             udfrt_error *err);
/* Quantum Detectors Merlin: a .mib file (or numbered series) or its .hdr. */
udfrt_status udfrt_open_mib(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err);
/* If `spec` names an HDF5 file (PATH.h5, .hdf5, .hdf, .hspy, .emd, .nxs, .nx5,
 * optionally followed by :/dataset/path), returns the length of PATH; else 0. */
size_t udfrt_hdf5_split_spec(const char *spec);

#endif
