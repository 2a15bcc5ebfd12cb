/* h5_filters.h — decoding stored HDF5 chunks outside the HDF5 library, so that
 * decompression runs in the worker threads instead of behind the library's
 * global lock: deflate (libdeflate), shuffle, LZF (liblzf), LZ4 (liblz4) and
 * bitshuffle with or without LZ4 (liblz4 plus the bitunshuffle of Debian's
 * bitshuffle plugin, loaded with dlopen). */
#ifndef UDFRT_H5_FILTERS_H
#define UDFRT_H5_FILTERS_H

#include <stddef.h>

#include "error.h"

enum {
    UDFRT_H5_FILTER_DEFLATE = 1,
    UDFRT_H5_FILTER_SHUFFLE = 2,
    UDFRT_H5_FILTER_FLETCHER32 = 3,
    UDFRT_H5_FILTER_LZF = 32000,
    UDFRT_H5_FILTER_LZ4 = 32004,
    UDFRT_H5_FILTER_BITSHUFFLE = 32008,
};

#define UDFRT_H5_MAX_FILTERS 16
#define UDFRT_H5_FILTER_VALUES 8

typedef struct udfrt_h5_filter {
    unsigned id;
    unsigned n_values;
    unsigned values[UDFRT_H5_FILTER_VALUES]; /* client data (cd_values) */
    char name[64];                           /* as stored in the file */
} udfrt_h5_filter;

/* A dataset's filter pipeline, in the order the writer applied it. */
typedef struct udfrt_h5_pipeline {
    int count;
    udfrt_h5_filter filters[UDFRT_H5_MAX_FILTERS];
    size_t elem_size;
    size_t chunk_bytes; /* bytes of one decoded chunk */
} udfrt_h5_pipeline;

/* Whether udf decodes this filter itself. If not, returns 0 and sets *why
 * (e.g. the bitshuffle plugin is not installed). Loads the bitshuffle plugin
 * on first use; call from the thread that opens the data set. */
int udfrt_h5_filter_decodable(const udfrt_h5_filter *f, const char **why);
/* A short description of the filter ("deflate level 1", "LZ4", ...). */
const char *udfrt_h5_filter_label(const udfrt_h5_filter *f, char *buf, size_t size);

/* Per-thread decoding state: a libdeflate decompressor and scratch buffers. */
typedef struct udfrt_h5_decoder udfrt_h5_decoder;

udfrt_status udfrt_h5_decoder_create(const udfrt_h5_pipeline *p, udfrt_h5_decoder **out,
                                     udfrt_error *err);
void udfrt_h5_decoder_destroy(udfrt_h5_decoder *d);

/* Decodes the stored chunk `in` (`in_bytes`) into `out` (p->chunk_bytes):
 * the pipeline's filters in reverse order, skipping those whose bit is set in
 * `filter_mask`. Returns NULL, or what is wrong with the stored bytes. */
const char *udfrt_h5_decode(udfrt_h5_decoder *d, const udfrt_h5_pipeline *p, unsigned filter_mask,
                            const void *in, size_t in_bytes, void *out);

#endif
