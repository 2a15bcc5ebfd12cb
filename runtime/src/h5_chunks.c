/* h5_chunks.c — chunk-by-chunk reading of HDF5 datasets; see h5_chunks.h. */
#include "h5_chunks.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "dtype.h"
#include "frame_file.h"
#include "h5_capture.h"

/* Mapped windows of the file per reader: the whole-frame chunks of one read
 * are used in place where they lie in one of them. */
#define MAP_WINDOWS 4

struct udfrt_h5_chunk_reader {
    unsigned char *out;    /* the frames handed out: max_frames plus one chunk of slack */
    unsigned char *stored; /* a chunk's stored (filtered) bytes */
    size_t stored_size;
    udfrt_h5_decoder *decoder;
    int64_t slots;
    unsigned char *slab;       /* the slots' storage, one block (huge pages), allocated at the
                                  first miss */
    unsigned char **slot_data; /* decoded chunks, host order: into slab */
    int64_t *slot_key;         /* linear chunk index, or -1 */
    uint64_t *slot_used, clock;
    int64_t *hint; /* per key % slots: the slot that last held such a key */
    udfrt_window windows[MAP_WINDOWS];
    int64_t window_read[MAP_WINDOWS]; /* the read call that last used each window */
    int64_t reads;                    /* read calls so far */
};

static int64_t chunk_bytes(const udfrt_h5_chunks *c) { return (int64_t)c->pipeline.chunk_bytes; }

udfrt_status udfrt_h5_chunk_reader_create(const udfrt_h5_chunks *c, int64_t max_frames,
                                          udfrt_h5_chunk_reader **out, udfrt_error *err)
{
    udfrt_h5_chunk_reader *rd = udfrt_calloc(1, sizeof *rd);
    int64_t frame_bytes = c->sig_size * (int64_t)c->elem_size;
    int ok = rd != NULL;
    if (ok) {
        rd->slots = c->cache_slots;
        rd->out = udfrt_aligned_alloc((size_t)(max_frames * frame_bytes + chunk_bytes(c)));
        rd->slot_data = udfrt_calloc((size_t)rd->slots, sizeof *rd->slot_data);
        rd->slot_key = udfrt_calloc((size_t)rd->slots, sizeof *rd->slot_key);
        rd->slot_used = udfrt_calloc((size_t)rd->slots, sizeof *rd->slot_used);
        rd->hint = udfrt_calloc((size_t)rd->slots, sizeof *rd->hint);
        ok = rd->out && rd->slot_data && rd->slot_key && rd->slot_used && rd->hint;
    }
    for (int64_t i = 0; ok && i < rd->slots; i++)
        rd->slot_key[i] = -1;
    if (ok && c->pipeline.count > 0 &&
        udfrt_h5_decoder_create(&c->pipeline, &rd->decoder, err) != UDFRT_OK) {
        udfrt_h5_chunk_reader_destroy(rd);
        return err->code;
    }
    if (!ok) {
        udfrt_h5_chunk_reader_destroy(rd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", c->name);
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* per thread: failures are reported by us */
    *out = rd;
    return UDFRT_OK;
}

void udfrt_h5_chunk_reader_destroy(udfrt_h5_chunk_reader *rd)
{
    if (!rd)
        return;
    udfrt_free(rd->slab);
    udfrt_free(rd->slot_data);
    udfrt_free(rd->slot_key);
    udfrt_free(rd->slot_used);
    udfrt_free(rd->hint);
    for (int w = 0; w < MAP_WINDOWS; w++)
        udfrt_window_release(&rd->windows[w]);
    udfrt_free(rd->out);
    udfrt_free(rd->stored);
    udfrt_h5_decoder_destroy(rd->decoder);
    udfrt_free(rd);
}

static udfrt_status chunk_fail(const udfrt_h5_chunks *c, const hsize_t *offset, const char *why,
                               udfrt_error *err)
{
    char at[32 * UDFRT_H5_MAX_RANK] = "", *p = at;
    for (int i = 0; i < c->rank; i++)
        p += snprintf(p, sizeof at - (size_t)(p - at), "%s%llu", i ? ", " : "",
                      (unsigned long long)offset[i]);
    return udfrt_fail(err, UDFRT_ERR_DATA, "'%s': the chunk at (%s) %s", c->name, at, why);
}

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc)
        snprintf(data, 128, "%s", e->desc);
    return 0;
}

/* Whether the chunk at `offset`, which could not be located, was never
 * written: the library stores nothing for it (storage size 0, or, in HDF5
 * 1.10, an error saying so). Asked only then: locating reports an unwritten
 * chunk in other words when the dataset has no storage at all. */
static int never_written(const udfrt_h5_chunks *c, const hsize_t *offset)
{
    H5Eclear2(H5E_DEFAULT);
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(c->dset, offset, &stored) >= 0)
        return stored == 0;
    char cause[128] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, cause);
    return strstr(cause, "not allocated") != NULL;
}

/* Bytes [addr, addr + n) of the chunks' file into dst. */
static udfrt_status read_at(const udfrt_h5_chunks *c, const hsize_t *offset, int64_t addr,
                            int64_t n, unsigned char *dst, udfrt_error *err)
{
    if (addr < 0 || n > c->file_size - addr)
        return chunk_fail(c, offset, "lies past the end of the file (truncated?)", err);
    return udfrt_pread_all(c->name, c->fd, dst, n, addr, err);
}

/* A filtered chunk of `stored` bytes at `addr` into dst: its bytes, decoded
 * by udf. */
static udfrt_status read_filtered(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                  const hsize_t *offset, uint32_t mask, int64_t addr,
                                  int64_t stored, unsigned char *dst, udfrt_error *err)
{
    size_t bytes = c->pipeline.chunk_bytes;
    /* Compressors may expand incompressible data a little, never by this much. */
    if (stored < 0 || (size_t)stored > bytes + bytes / 4 + 65536)
        return chunk_fail(c, offset, "has an impossible stored size", err);
    if ((size_t)stored > rd->stored_size) {
        udfrt_free(rd->stored);
        rd->stored_size = 0;
        rd->stored = udfrt_malloc((size_t)stored);
        if (!rd->stored)
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", c->name);
        rd->stored_size = (size_t)stored;
    }
    udfrt_status st = read_at(c, offset, addr, stored, rd->stored, err);
    if (st != UDFRT_OK)
        return st;
    const char *why =
        udfrt_h5_decode(rd->decoder, &c->pipeline, mask, rd->stored, (size_t)stored, dst);
    if (why) {
        char msg[160];
        snprintf(msg, sizeof msg, "is corrupt: %s", why);
        return chunk_fail(c, offset, msg, err);
    }
    return UDFRT_OK;
}

/* Where the chunk whose first element is at `offset` is stored: its stored
 * bytes at [at->addr, at->addr + at->stored), filtered as at->mask says, or
 * nowhere (at->written = 0: never written). */
typedef struct chunk_place {
    int written;
    uint32_t mask;
    int64_t addr, stored;
} chunk_place;

static udfrt_status locate(const udfrt_h5_chunks *c, const hsize_t *offset, chunk_place *at,
                           udfrt_error *err)
{
    at->written = udfrt_h5_locate_chunk(c->dset, offset, &at->mask, &at->addr, &at->stored) == 0;
    if (at->written)
        return UDFRT_OK;
    int unwritten = never_written(c, offset);
    H5Eclear2(H5E_DEFAULT); /* HDF5 keeps the messages of a failed call until cleared */
    return unwritten ? UDFRT_OK : chunk_fail(c, offset, "cannot be found in the chunk index", err);
}

/* Reads (and decodes) the located chunk into `dst` (chunk_bytes, host
 * order); a chunk never written holds the fill value. An unfiltered chunk
 * is read as HDF5 reads it without a chunk cache: a chunk's nominal size
 * from where it starts, whatever length its index records. */
static udfrt_status read_chunk(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                               const hsize_t *offset, const chunk_place *at, unsigned char *dst,
                               udfrt_error *err)
{
    size_t bytes = c->pipeline.chunk_bytes;
    udfrt_status st = UDFRT_OK;
    if (!at->written) {
        for (size_t i = 0; i < bytes; i += c->elem_size)
            memcpy(dst + i, c->fill, c->elem_size);
    } else if (c->pipeline.count == 0) {
        st = read_at(c, offset, at->addr, (int64_t)bytes, dst, err);
    } else {
        st = read_filtered(c, rd, offset, at->mask, at->addr, at->stored, dst, err);
    }
    if (st == UDFRT_OK && c->swap_size)
        udfrt_byteswap(dst, (int64_t)(bytes / c->elem_size), c->swap_size);
    return st;
}

static udfrt_status fetch_chunk(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                const hsize_t *offset, unsigned char *dst, udfrt_error *err)
{
    chunk_place at;
    udfrt_status st = locate(c, offset, &at, err);
    return st == UDFRT_OK ? read_chunk(c, rd, offset, &at, dst, err) : st;
}

/* The stored bytes [addr, addr + n) in place, in one of the reader's mapped
 * windows — one this read call already uses, else one it does not (mapped
 * there) — or NULL when all are in use or the file cannot be mapped. */
static const unsigned char *mapped(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                   int64_t addr, int64_t n)
{
    int free_window = -1;
    for (int w = 0; w < MAP_WINDOWS; w++) {
        udfrt_window *win = &rd->windows[w];
        if (win->map && addr >= win->offset && addr + n <= win->offset + win->len) {
            rd->window_read[w] = rd->reads;
            return win->map + (addr - win->offset);
        }
        if (rd->window_read[w] != rd->reads && free_window < 0)
            free_window = w;
    }
    if (free_window < 0)
        return NULL;
    const unsigned char *p =
        udfrt_window_at(&rd->windows[free_window], c->fd, c->file_size, addr, addr + n);
    if (p)
        rd->window_read[free_window] = rd->reads;
    return p;
}

/* A chunk of whole frames: its bytes in place in the page cache where they
 * need no decoding, swapping or aligning (*bytes into a mapped window),
 * else fetched into dst (*bytes = dst). */
static udfrt_status whole_frames(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                 const hsize_t *offset, unsigned char *dst,
                                 const unsigned char **bytes, udfrt_error *err)
{
    int64_t n = (int64_t)c->pipeline.chunk_bytes;
    chunk_place at;
    *bytes = dst;
    udfrt_status st = locate(c, offset, &at, err);
    if (st != UDFRT_OK)
        return st;
    if (at.written && c->pipeline.count == 0 && !c->swap_size &&
        at.addr % (int64_t)c->elem_size == 0 && at.addr >= 0 && n <= c->file_size - at.addr) {
        const unsigned char *p = mapped(c, rd, at.addr, n);
        if (p) {
            *bytes = p;
            return UDFRT_OK;
        }
    }
    return read_chunk(c, rd, offset, &at, dst, err);
}

/* A decoded chunk from the cache, fetched into the least recently used slot
 * on a miss. The slot that last held a key of the same residue (key % slots)
 * is tried first: the chunks a read block touches have consecutive keys, as
 * many as there are slots, so that is where a hit is, without a scan over
 * every slot for each frame's every chunk (that scan took a third of the
 * time of reading h5py's default chunks). */
static udfrt_status cached_chunk(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                 const hsize_t *chunk_index, const unsigned char **data,
                                 udfrt_error *err)
{
    int64_t key = 0;
    hsize_t offset[UDFRT_H5_MAX_RANK];
    for (int d = 0; d < c->rank; d++) {
        hsize_t grid = (c->dims[d] + c->chunk[d] - 1) / c->chunk[d];
        key = key * (int64_t)grid + (int64_t)chunk_index[d];
        offset[d] = chunk_index[d] * c->chunk[d];
    }
    int64_t *hint = &rd->hint[key % rd->slots];
    if (rd->slot_key[*hint] == key) {
        rd->slot_used[*hint] = ++rd->clock;
        *data = rd->slot_data[*hint];
        return UDFRT_OK;
    }
    int64_t victim = 0;
    for (int64_t s = 0; s < rd->slots; s++) {
        if (rd->slot_key[s] == key) {
            *hint = s;
            rd->slot_used[s] = ++rd->clock;
            *data = rd->slot_data[s];
            return UDFRT_OK;
        }
        if (rd->slot_used[s] < rd->slot_used[victim])
            victim = s;
    }
    if (!rd->slab) {
        size_t stride = (c->pipeline.chunk_bytes + 63) / 64 * 64;
        rd->slab = udfrt_aligned_alloc((size_t)rd->slots * stride);
        if (!rd->slab)
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the chunk cache of '%s'",
                              c->name);
        for (int64_t i = 0; i < rd->slots; i++)
            rd->slot_data[i] = rd->slab + (size_t)i * stride;
    }
    rd->slot_key[victim] = -1;
    udfrt_status st = fetch_chunk(c, rd, offset, rd->slot_data[victim], err);
    if (st != UDFRT_OK)
        return st;
    rd->slot_key[victim] = key;
    rd->slot_used[victim] = ++rd->clock;
    *hint = victim;
    *data = rd->slot_data[victim];
    return UDFRT_OK;
}

/* Copies frame `frame` (stored index) into dst, chunk by chunk along sig. */
static udfrt_status assemble_frame(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                   int64_t frame, unsigned char *dst, udfrt_error *err)
{
    int n = c->nav_rank, r = c->rank;
    size_t elem = c->elem_size;
    hsize_t index[UDFRT_H5_MAX_RANK], within[UDFRT_H5_MAX_RANK], stride[UDFRT_H5_MAX_RANK];
    int64_t fstride[UDFRT_H5_MAX_RANK];
    for (int d = n - 1; d >= 0; d--) { /* nav coordinates of the frame */
        hsize_t coord = (hsize_t)frame % c->dims[d];
        frame /= (int64_t)c->dims[d];
        index[d] = coord / c->chunk[d];
        within[d] = coord % c->chunk[d];
    }
    stride[r - 1] = 1;
    fstride[r - 1] = 1;
    for (int d = r - 2; d >= 0; d--)
        stride[d] = stride[d + 1] * c->chunk[d + 1];
    for (int d = r - 2; d >= n; d--)
        fstride[d] = fstride[d + 1] * (int64_t)c->dims[d + 1];
    hsize_t base = 0;
    for (int d = 0; d < n; d++)
        base += within[d] * stride[d];
    for (int d = n; d < r; d++)
        index[d] = 0;
    for (;;) { /* every chunk along sig */
        const unsigned char *chunk = NULL;
        udfrt_status st = cached_chunk(c, rd, index, &chunk, err);
        if (st != UDFRT_OK)
            return st;
        hsize_t extent[UDFRT_H5_MAX_RANK], row[UDFRT_H5_MAX_RANK] = {0};
        for (int d = n; d < r; d++) {
            hsize_t start = index[d] * c->chunk[d];
            extent[d] = c->dims[d] - start < c->chunk[d] ? c->dims[d] - start : c->chunk[d];
        }
        for (;;) { /* every row of the chunk's box, along the last sig dim */
            hsize_t from = base;
            int64_t to = 0;
            for (int d = n; d < r; d++) {
                from += row[d] * stride[d];
                to += (int64_t)(index[d] * c->chunk[d] + row[d]) * fstride[d];
            }
            memcpy(dst + to * (int64_t)elem, chunk + from * elem, extent[r - 1] * elem);
            int d = r - 2;
            while (d >= n && ++row[d] == extent[d])
                row[d--] = 0;
            if (d < n)
                break;
        }
        int d = r - 1;
        while (d >= n && ++index[d] * c->chunk[d] >= c->dims[d])
            index[d--] = 0;
        if (d < n)
            return UDFRT_OK;
    }
}

udfrt_status udfrt_h5_chunks_read(const udfrt_h5_chunks *c, udfrt_h5_chunk_reader *rd,
                                  const int64_t *file_frames, int64_t count, const void **frames,
                                  udfrt_error *err)
{
    int64_t frame_bytes = c->sig_size * (int64_t)c->elem_size, per = c->frames_per_chunk;
    int64_t row = (int64_t)c->dims[c->nav_rank - 1];
    rd->reads++; /* the frames of the last call are done with: their windows may move */
    for (int64_t i = 0; i < count;) {
        int64_t f = file_frames[i];
        unsigned char *dst = rd->out + i * frame_bytes;
        /* A chunk of whole frames that starts here and whose frames are all
         * requested in order decodes straight into the output (the slack after
         * the last frame takes the padding of a chunk at the dataset's edge). */
        int64_t in_row = f % row, have = per;
        if (per > 0 && in_row % per == 0) {
            if (row - in_row < have)
                have = row - in_row;
            int64_t k = 1;
            while (k < have && i + k < count && file_frames[i + k] == f + k)
                k++;
            if (k == have) {
                hsize_t offset[UDFRT_H5_MAX_RANK] = {0};
                int64_t rest = f;
                for (int d = c->nav_rank - 1; d >= 0; d--) {
                    offset[d] = (hsize_t)(rest % (int64_t)c->dims[d]);
                    rest /= (int64_t)c->dims[d];
                }
                const unsigned char *bytes;
                udfrt_status st = whole_frames(c, rd, offset, dst, &bytes, err);
                if (st != UDFRT_OK)
                    return st;
                for (int64_t j = 0; j < have; j++)
                    frames[i + j] = bytes + j * frame_bytes;
                i += have;
                continue;
            }
        }
        udfrt_status st = assemble_frame(c, rd, f, dst, err);
        if (st != UDFRT_OK)
            return st;
        frames[i++] = dst;
    }
    return UDFRT_OK;
}
