/* h5_filters.c — HDF5 filter decoding outside the library; see h5_filters.h.
 * Every decoder checks sizes against the stored bytes, so a corrupt chunk
 * gives a message, never a crash. */
#include "h5_filters.h"

#include <dlfcn.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <lz4.h>
#include <lzf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

struct udfrt_h5_decoder {
    struct libdeflate_decompressor *inflate;
    unsigned char *scratch[3]; /* chunk_bytes each: two stages ping-pong, one for bitshuffle */
};

/* bshuf_bitunshuffle of Debian's bitshuffle plugin (libh5bshuf.so exports the
 * whole bshuf_* API): the SIMD bit transpose, which we do not rewrite. */
typedef int64_t (*bitunshuffle_fn)(const void *in, void *out, size_t size, size_t elem_size,
                                   size_t block_size);
static bitunshuffle_fn bitunshuffle;
static pthread_once_t bitshuffle_once = PTHREAD_ONCE_INIT;

/* Looks for the plugin where HDF5 looks for plugins (HDF5_PLUGIN_PATH or the
 * compiled-in default). The handle stays open for the life of the process. */
static void load_bitshuffle(void)
{
    unsigned n = 0;
    if (H5PLsize(&n) < 0)
        return;
    for (unsigned i = 0; i < n && !bitunshuffle; i++) {
        char dir[4096], path[4200];
        if (H5PLget(i, dir, sizeof dir) <= 0)
            continue;
        snprintf(path, sizeof path, "%s/libh5bshuf.so", dir);
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib)
            continue;
        void *sym = dlsym(lib, "bshuf_bitunshuffle");
        if (sym)
            memcpy(&bitunshuffle, &sym, sizeof sym); /* object to function pointer */
        else
            dlclose(lib);
    }
}

int udfrt_h5_filter_decodable(const udfrt_h5_filter *f, const char **why)
{
    switch (f->id) {
    case UDFRT_H5_FILTER_DEFLATE:
    case UDFRT_H5_FILTER_SHUFFLE:
    case UDFRT_H5_FILTER_LZF:
    case UDFRT_H5_FILTER_LZ4: return 1;
    case UDFRT_H5_FILTER_BITSHUFFLE:
        if (f->n_values < 3 || f->values[2] == 0) {
            *why = "bitshuffle without an element size";
            return 0;
        }
        if (f->n_values > 4 && f->values[4] != 0 && f->values[4] != 2) {
            *why = "bitshuffle with a compressor other than LZ4";
            return 0;
        }
        pthread_once(&bitshuffle_once, load_bitshuffle);
        if (!bitunshuffle) {
            *why = "the bitshuffle plugin libh5bshuf.so (Debian package bitshuffle) is not in the "
                   "HDF5 plugin path";
            return 0;
        }
        return 1;
    default: *why = "udf does not decode this filter itself"; return 0;
    }
}

const char *udfrt_h5_filter_label(const udfrt_h5_filter *f, char *buf, size_t size)
{
    switch (f->id) {
    case UDFRT_H5_FILTER_DEFLATE:
        snprintf(buf, size, "deflate (gzip) level %u", f->n_values ? f->values[0] : 0);
        break;
    case UDFRT_H5_FILTER_SHUFFLE: snprintf(buf, size, "shuffle"); break;
    case UDFRT_H5_FILTER_LZF: snprintf(buf, size, "LZF (32000)"); break;
    case UDFRT_H5_FILTER_LZ4: snprintf(buf, size, "LZ4 (32004)"); break;
    case UDFRT_H5_FILTER_BITSHUFFLE:
        snprintf(buf, size, "bitshuffle%s (32008)",
                 f->n_values > 4 && f->values[4] == 2 ? "+LZ4" : "");
        break;
    default: snprintf(buf, size, "%s (%u)", f->name[0] ? f->name : "unnamed filter", f->id);
    }
    return buf;
}

udfrt_status udfrt_h5_decoder_create(const udfrt_h5_pipeline *p, udfrt_h5_decoder **out,
                                     udfrt_error *err)
{
    udfrt_h5_decoder *d = udfrt_calloc(1, sizeof *d);
    int ok = d != NULL;
    for (int i = 0; ok && i < 3; i++)
        ok = (d->scratch[i] = udfrt_aligned_alloc(p->chunk_bytes)) != NULL;
    if (ok)
        ok = (d->inflate = libdeflate_alloc_decompressor()) != NULL;
    if (!ok) {
        udfrt_h5_decoder_destroy(d);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for HDF5 chunk decoding");
    }
    *out = d;
    return UDFRT_OK;
}

void udfrt_h5_decoder_destroy(udfrt_h5_decoder *d)
{
    if (!d)
        return;
    if (d->inflate)
        libdeflate_free_decompressor(d->inflate);
    for (int i = 0; i < 3; i++)
        udfrt_free(d->scratch[i]);
    udfrt_free(d);
}

static uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t load_be64(const unsigned char *p)
{
    return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

/* Byte k of element i was stored at in[k * n + i]. */
static void unshuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t elem)
{
    size_t n = bytes / elem;
    if (elem == 2)
        for (size_t i = 0; i < n; i++) {
            out[2 * i] = in[i];
            out[2 * i + 1] = in[n + i];
        }
    else
        for (size_t k = 0; k < elem; k++)
            for (size_t i = 0; i < n; i++)
                out[i * elem + k] = in[k * n + i];
    memcpy(out + n * elem, in + n * elem, bytes - n * elem);
}

/* The HDF5 LZ4 filter: BE u64 decoded size, BE u32 block size, then per
 * block a BE u32 stored size and the block, stored raw when that size equals
 * the block's decoded size. */
static const char *decode_lz4(const unsigned char *in, size_t in_bytes, unsigned char *out,
                              size_t out_bytes)
{
    if (in_bytes < 12 || load_be64(in) != out_bytes)
        return "bad LZ4 header";
    size_t block = load_be32(in + 8), pos = 12, done = 0;
    if (block == 0 || block > out_bytes)
        block = out_bytes;
    while (done < out_bytes) {
        size_t want = out_bytes - done < block ? out_bytes - done : block;
        if (in_bytes - pos < 4)
            return "LZ4 data ends early";
        size_t stored = load_be32(in + pos);
        pos += 4;
        if (stored > in_bytes - pos || stored > INT32_MAX)
            return "LZ4 block runs past the chunk";
        if (stored == want)
            memcpy(out + done, in + pos, want);
        else if (LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)stored,
                                     (int)want) != (int)want)
            return "corrupt LZ4 block";
        pos += stored;
        done += want;
    }
    return NULL;
}

static const char *decode_lz4_block(const unsigned char *in, size_t in_bytes, size_t *pos,
                                    unsigned char *out, size_t want)
{
    if (in_bytes - *pos < 4)
        return "bitshuffle data ends early";
    size_t stored = load_be32(in + *pos);
    *pos += 4;
    if (stored > in_bytes - *pos || stored > INT32_MAX ||
        LZ4_decompress_safe((const char *)in + *pos, (char *)out, (int)stored, (int)want) !=
            (int)want)
        return "corrupt bitshuffle LZ4 block";
    *pos += stored;
    return NULL;
}

/* Bitshuffle (filter values: [2] element size, [3] block size, [4] 2 for
 * LZ4). With LZ4: BE u64 decoded size, BE u32 block bytes, then blocks of
 * `block` elements, a last block rounded down to a multiple of 8 elements,
 * each a BE u32 size plus LZ4 data, then the < 8 leftover elements raw. The
 * concatenated blocks are the plain bitshuffled stream, which the plugin's
 * bitunshuffle transposes back. */
static const char *decode_bitshuffle(const udfrt_h5_filter *f, const unsigned char *in,
                                     size_t in_bytes, unsigned char *tmp, unsigned char *out,
                                     size_t out_bytes)
{
    size_t elem = f->values[2], n = out_bytes / elem;
    if (out_bytes % elem)
        return "bitshuffle element size does not divide the chunk";
    size_t block = f->n_values > 3 ? f->values[3] : 0;
    const unsigned char *shuffled = in;
    if (f->n_values > 4 && f->values[4] == 2) {
        if (in_bytes < 12 || load_be64(in) != out_bytes)
            return "bad bitshuffle header";
        block = load_be32(in + 8) / elem;
        if (block == 0 || block % 8)
            return "bad bitshuffle block size";
        size_t pos = 12, done = 0;
        for (; n - done >= block; done += block) {
            const char *why = decode_lz4_block(in, in_bytes, &pos, tmp + done * elem, block * elem);
            if (why)
                return why;
        }
        size_t last = (n - done) - (n - done) % 8;
        if (last) {
            const char *why = decode_lz4_block(in, in_bytes, &pos, tmp + done * elem, last * elem);
            if (why)
                return why;
            done += last;
        }
        size_t rest = out_bytes - done * elem;
        if (in_bytes - pos != rest)
            return "bitshuffle data has the wrong length";
        memcpy(tmp + done * elem, in + pos, rest);
        shuffled = tmp;
    } else if (in_bytes != out_bytes) {
        return "bitshuffle data has the wrong length";
    }
    return bitunshuffle(shuffled, out, n, elem, block) < 0 ? "corrupt bitshuffle data" : NULL;
}

static const char *decode_one(udfrt_h5_decoder *d, const udfrt_h5_pipeline *p,
                              const udfrt_h5_filter *f, const unsigned char *in, size_t in_bytes,
                              unsigned char *out)
{
    size_t out_bytes = p->chunk_bytes;
    switch (f->id) {
    case UDFRT_H5_FILTER_DEFLATE:
        return libdeflate_zlib_decompress(d->inflate, in, in_bytes, out, out_bytes, NULL) ==
                       LIBDEFLATE_SUCCESS
                   ? NULL
                   : "corrupt deflate data";
    case UDFRT_H5_FILTER_SHUFFLE: {
        size_t elem = f->n_values ? f->values[0] : p->elem_size;
        if (in_bytes != out_bytes || elem == 0)
            return "shuffled data has the wrong length";
        unshuffle(in, out, out_bytes, elem);
        return NULL;
    }
    case UDFRT_H5_FILTER_LZF:
        return in_bytes <= UINT32_MAX &&
                       lzf_decompress(in, (unsigned)in_bytes, out, (unsigned)out_bytes) == out_bytes
                   ? NULL
                   : "corrupt LZF data";
    case UDFRT_H5_FILTER_LZ4: return decode_lz4(in, in_bytes, out, out_bytes);
    default: /* UDFRT_H5_FILTER_BITSHUFFLE: the only other decodable filter */
        return decode_bitshuffle(f, in, in_bytes, d->scratch[2], out, out_bytes);
    }
}

const char *udfrt_h5_decode(udfrt_h5_decoder *d, const udfrt_h5_pipeline *p, unsigned filter_mask,
                            const void *in, size_t in_bytes, void *out)
{
    int active[UDFRT_H5_MAX_FILTERS], n = 0;
    for (int i = p->count - 1; i >= 0; i--)
        if (!(filter_mask & (1u << i)))
            active[n++] = i;
    if (n == 0) {
        if (in_bytes != p->chunk_bytes)
            return "unfiltered chunk has the wrong length";
        memcpy(out, in, in_bytes);
        return NULL;
    }
    const unsigned char *src = in;
    size_t src_bytes = in_bytes;
    for (int s = 0; s < n; s++) {
        unsigned char *dst = s == n - 1 ? out : d->scratch[s % 2];
        const char *why = decode_one(d, p, &p->filters[active[s]], src, src_bytes, dst);
        if (why)
            return why;
        src = dst;
        src_bytes = p->chunk_bytes;
    }
    return NULL;
}
