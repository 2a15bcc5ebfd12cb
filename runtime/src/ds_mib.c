/* ds_mib.c — Quantum Detectors Merlin data: one .mib file, a numbered series
 * of them (PREFIX<digits>.mib, ordered by the sequence number of their first
 * frame), or the .hdr acquisition header next to them. Every frame is a text
 * header plus pixels; runs of frames are read with one pread each
 * (frame_file), headers included and checked, and the pointers skip the
 * headers, so processed data (U08..U64, big-endian, swapped in place) is not
 * copied again — unless the header length is not a multiple of the element
 * size, when each frame is copied to aligned storage. Raw data (R64:
 * 1/6/12/24-bit counters packed in 64-bit big-endian words, and the 2x2
 * quad's interleaved chip rows) is decoded into the tile. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dataset.h"
#include "dtype.h"
#include "frame_file.h"
#include "inputs.h"
#include "mib_header.h"

/* Series with more files than this are opened per read, not kept open. */
#define MIB_MAX_OPEN_FILES 256

typedef struct mib_file {
    char *path;
    int64_t first_frame; /* index of its first frame in the data set */
    int64_t frames;
    int64_t sequence;       /* the header's sequence number of its first frame */
    udfrt_mib_header first; /* its first frame's header: the others must match its text */
    int fd;                 /* -1 when opened per read */
} mib_file;

typedef struct mib_impl {
    udfrt_mib_header hdr; /* of the first frame; every file agrees */
    mib_file *files;
    int64_t n_files;
    char *hdr_path; /* the .hdr that gave the nav shape, or NULL */
    int64_t stride; /* header + image bytes */
} mib_impl;

struct udfrt_reader {
    unsigned char *buf;  /* stored frames with their headers, read by pread */
    unsigned char *out;  /* frames in host order: decoded, or swapped */
    unsigned char *quad; /* raw quad: one frame in chip-row order */
    int64_t *local;      /* frame indices within one file */
    udfrt_window window; /* of the file open as window_fd */
    int window_fd;
};

static int cmp_sequence(const void *a, const void *b)
{
    const mib_file *x = a, *y = b;
    return (x->sequence > y->sequence) - (x->sequence < y->sequence);
}

static char *copy_string(const char *s, size_t n)
{
    char *c = udfrt_malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = 0;
    }
    return c;
}

/* The files of the data set: `stem`.mib alone when it exists and is not
 * part of a numbered series, else every PREFIX<digits>.mib in its folder.
 * `stem` is the spec without .mib/.hdr; `prefix` it without trailing digits. */
static udfrt_status list_files(mib_impl *m, const char *stem, udfrt_error *err)
{
    size_t stem_len = strlen(stem), prefix_len = stem_len;
    while (prefix_len > 0 && stem[prefix_len - 1] >= '0' && stem[prefix_len - 1] <= '9')
        prefix_len--;
    const char *slash = strrchr(stem, '/');
    size_t dir_len = slash ? (size_t)(slash - stem) : 0;
    char *dir = slash ? copy_string(stem, dir_len ? dir_len : 1) : copy_string(".", 1);
    const char *base = slash ? slash + 1 : stem;
    size_t base_prefix = prefix_len - (size_t)(base - stem);
    if (!dir)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory listing '%s'", stem);
    int series = prefix_len < stem_len;
    if (!series) { /* "scan.mib" or "scan.hdr" next to "scan.mib": one file */
        char *path = udfrt_malloc(stem_len + 5);
        m->files = udfrt_calloc(1, sizeof *m->files);
        if (!path || !m->files) {
            udfrt_free(path);
            udfrt_free(dir);
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory listing '%s'", stem);
        }
        snprintf(path, stem_len + 5, "%s.mib", stem);
        if (access(path, F_OK) == 0) {
            m->files[0].path = path;
            m->files[0].fd = -1;
            m->n_files = 1;
            udfrt_free(dir);
            return UDFRT_OK;
        }
        udfrt_free(path);
        series = 1; /* scan.hdr with scan1.mib, scan2.mib, ... */
    }
    DIR *d = opendir(dir);
    if (!d) {
        udfrt_status st =
            udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot list the folder of '%s'", stem);
        udfrt_free(dir);
        return st;
    }
    int64_t cap = m->n_files ? 1 : 0;
    udfrt_status st = UDFRT_OK;
    for (struct dirent *e; st == UDFRT_OK && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < base_prefix + 5 || strncmp(e->d_name, base, base_prefix) != 0 ||
            strcmp(e->d_name + n - 4, ".mib") != 0)
            continue;
        size_t digits = base_prefix;
        while (digits < n - 4 && e->d_name[digits] >= '0' && e->d_name[digits] <= '9')
            digits++;
        if (digits != n - 4 || digits == base_prefix)
            continue;
        if (m->n_files == cap) {
            cap = cap ? 2 * cap : 16;
            mib_file *grown = udfrt_calloc((size_t)cap, sizeof *grown);
            if (!grown) {
                st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory listing '%s'", stem);
                break;
            }
            if (m->files)
                memcpy(grown, m->files, sizeof *grown * (size_t)m->n_files);
            udfrt_free(m->files);
            m->files = grown;
        }
        size_t len = strlen(dir) + n + 2;
        char *path = udfrt_malloc(len);
        if (!path) {
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory listing '%s'", stem);
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        m->files[m->n_files].path = path;
        m->files[m->n_files++].fd = -1;
    }
    closedir(d);
    if (st == UDFRT_OK && m->n_files == 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot open '%s.mib' or a series '%.*s<N>.mib': %s",
                        stem, (int)prefix_len, stem, strerror(ENOENT));
    udfrt_free(dir);
    return st;
}

static udfrt_status read_at(const char *path, int fd, char *buf, size_t n, int64_t offset,
                            size_t *got, udfrt_error *err)
{
    ssize_t r;
    do
        r = pread(fd, buf, n, (off_t)offset);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot read '%s'", path);
    *got = (size_t)r;
    return UDFRT_OK;
}

static int same_format(const udfrt_mib_header *a, const udfrt_mib_header *b)
{
    return a->header_bytes == b->header_bytes && a->chips == b->chips && a->width == b->width &&
           a->height == b->height && strcmp(a->pixel_type, b->pixel_type) == 0 &&
           strcmp(a->layout, b->layout) == 0 && a->counter_depth == b->counter_depth;
}

/* Reads the first header of every file, checks that they agree and that each
 * file holds whole frames, and orders the files by sequence number. */
#define MIB_HEADER_MAX ((size_t)1 << 20) /* what udfrt_mib_parse_header accepts */

static udfrt_status scan_files(mib_impl *m, udfrt_error *err)
{
    for (int64_t k = 0; k < m->n_files; k++) {
        mib_file *f = &m->files[k];
        udfrt_frame_file ff = {.fd = -1};
        int64_t size;
        udfrt_status st = udfrt_frame_file_open(f->path, &ff, &size, err);
        if (st != UDFRT_OK)
            return st;
        /* Headers are 384 bytes, sometimes more: a header that does not
         * parse from its first KiB is read again whole (up to 1 MiB). */
        char first[1024], *whole;
        size_t got = 0;
        udfrt_mib_header h;
        st = read_at(f->path, ff.fd, first, sizeof first, 0, &got, err);
        const char *why = st == UDFRT_OK ? udfrt_mib_parse_header(first, got, &h) : NULL;
        size_t longer = (uint64_t)size < MIB_HEADER_MAX ? (size_t)size : MIB_HEADER_MAX;
        if (why && got == sizeof first && longer > got && (whole = udfrt_malloc(longer))) {
            st = read_at(f->path, ff.fd, whole, longer, 0, &got, err);
            why = st == UDFRT_OK ? udfrt_mib_parse_header(whole, got, &h) : NULL;
            udfrt_free(whole);
        }
        if (st == UDFRT_OK && why)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "'%s': %s", f->path, why);
        if (st == UDFRT_OK && k == 0) {
            m->hdr = h;
            m->stride = h.header_bytes + h.image_bytes;
        }
        if (st == UDFRT_OK && !same_format(&h, &m->hdr))
            st =
                udfrt_fail(err, UDFRT_ERR_DATA,
                           "inconsistent headers: '%s' holds %dx%d %s frames (depth %d, "
                           "%lld-byte headers), '%s' %dx%d %s (depth %d, %lld-byte headers)",
                           f->path, h.width, h.height, h.pixel_type, h.counter_depth,
                           (long long)h.header_bytes, m->files[0].path, m->hdr.width, m->hdr.height,
                           m->hdr.pixel_type, m->hdr.counter_depth, (long long)m->hdr.header_bytes);
        if (st == UDFRT_OK && (size == 0 || size % m->stride != 0))
            st = udfrt_fail(err, UDFRT_ERR_DATA,
                            "'%s' is truncated: %lld bytes are not a whole number of %lld-byte "
                            "frames",
                            f->path, (long long)size, (long long)m->stride);
        if (st == UDFRT_OK) {
            f->frames = size / m->stride;
            f->sequence = h.sequence;
            f->first = h;
        }
        /* The last frame's header must sit where the stride puts it. */
        if (st == UDFRT_OK && f->frames > 1) {
            st = read_at(f->path, ff.fd, first, 4, (f->frames - 1) * m->stride, &got, err);
            if (st == UDFRT_OK && (got < 4 || memcmp(first, "MQ1,", 4) != 0))
                st = udfrt_fail(err, UDFRT_ERR_DATA,
                                "inconsistent headers: '%s' has no frame header at byte %lld, "
                                "where frame %lld should start",
                                f->path, (long long)((f->frames - 1) * m->stride),
                                (long long)f->frames);
        }
        if (st == UDFRT_OK && m->n_files <= MIB_MAX_OPEN_FILES) {
            f->fd = ff.fd;
            ff.fd = -1;
        }
        udfrt_frame_file_close(&ff);
        if (st != UDFRT_OK)
            return st;
    }
    qsort(m->files, (size_t)m->n_files, sizeof *m->files, cmp_sequence);
    int64_t next = 0;
    for (int64_t k = 0; k < m->n_files; k++) {
        mib_file *f = &m->files[k];
        if (k > 0 && f->sequence != m->files[k - 1].sequence + m->files[k - 1].frames)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "inconsistent headers: '%s' starts at frame %lld, but '%s' ends "
                              "at frame %lld",
                              f->path, (long long)f->sequence, m->files[k - 1].path,
                              (long long)(m->files[k - 1].sequence + m->files[k - 1].frames - 1));
        f->first_frame = next;
        next += f->frames;
    }
    return UDFRT_OK;
}

/* The nav shape from an acquisition header, if there is one. */
static udfrt_status read_hdr(mib_impl *m, const char *path, int required, int64_t nav[2], int *rank,
                             udfrt_error *err)
{
    *rank = 0;
    udfrt_note_input(path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return required ? udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot open '%s'", path)
                        : UDFRT_OK;
    char text[16384];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    const char *why = udfrt_mib_parse_hdr(text, n, nav, rank);
    if (why)
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s': %s", path, why);
    if (*rank && !(m->hdr_path = copy_string(path, strlen(path))))
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", path);
    return UDFRT_OK;
}

static int64_t file_of(const mib_impl *m, int64_t frame)
{
    int64_t lo = 0, hi = m->n_files - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (m->files[mid].first_frame <= frame)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static udfrt_status mib_reader_create(udfrt_dataset *ds, int64_t max_frames, udfrt_reader **out,
                                      udfrt_error *err)
{
    const mib_impl *m = ds->impl;
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    int ok = rd != NULL;
    if (ok) {
        rd->window_fd = -1;
        rd->buf = udfrt_aligned_alloc((size_t)(max_frames * m->stride));
        rd->local = udfrt_calloc((size_t)max_frames, sizeof *rd->local);
        ok = rd->buf && rd->local;
    }
    if (ok)
        ok = (rd->out = udfrt_aligned_alloc((size_t)(max_frames * frame_bytes))) != NULL;
    if (ok && m->hdr.quad_raw)
        ok = (rd->quad = udfrt_aligned_alloc((size_t)frame_bytes)) != NULL;
    if (!ok) {
        ds->ops->reader_destroy(rd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    }
    *out = rd;
    return UDFRT_OK;
}

static void mib_reader_destroy(udfrt_reader *rd)
{
    if (!rd)
        return;
    udfrt_window_release(&rd->window);
    udfrt_free(rd->buf);
    udfrt_free(rd->out);
    udfrt_free(rd->quad);
    udfrt_free(rd->local);
    udfrt_free(rd);
}

static uint64_t load_be64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* R64: pixels fill each big-endian 64-bit word from its least significant
 * bits up, `bits` per pixel (1, 8 or 16), in `elem`-byte outputs. */
static void unpack_words(const unsigned char *in, int64_t pixels, int bits, void *out)
{
    int per_word = 64 / bits;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    for (int64_t w = 0; w < pixels / per_word; w++) {
        uint64_t v = load_be64(in + 8 * w);
        for (int j = 0; j < per_word; j++, v >>= bits) {
            int64_t i = w * per_word + j;
            if (bits == 16)
                ((uint16_t *)out)[i] = (uint16_t)(v & mask);
            else
                ((uint8_t *)out)[i] = (uint8_t)(v & mask);
        }
    }
}

/* Raw quad: each stored row holds one row of chips 4, 3, 2, 1 (256 pixels
 * each). Chips 1 and 2 form the top half as stored; chips 3 and 4 the bottom
 * half, rotated by 180 degrees (rows from the bottom, pixels right to left). */
static void assemble_quad(const unsigned char *rows, size_t elem, unsigned char *out)
{
    for (int64_t y = 0; y < 512; y++) {
        int top = y < 256;
        const unsigned char *src = rows + (top ? y : 511 - y) * 1024 * (int64_t)elem;
        unsigned char *dst = out + y * 512 * (int64_t)elem;
        if (top) {
            memcpy(dst, src + 768 * elem, 256 * elem);
            memcpy(dst + 256 * elem, src + 512 * elem, 256 * elem);
            continue;
        }
        for (int64_t x = 0; x < 256; x++) {
            memcpy(dst + x * (int64_t)elem, src + (256 + 255 - x) * (int64_t)elem, elem);
            memcpy(dst + (256 + x) * (int64_t)elem, src + (255 - x) * (int64_t)elem, elem);
        }
    }
}

static void decode_raw(const mib_impl *m, const unsigned char *in, unsigned char *out,
                       unsigned char *quad, int64_t pixels)
{
    const udfrt_mib_header *h = &m->hdr;
    unsigned char *dst = h->quad_raw ? quad : out;
    size_t elem = h->counter_depth == 12 ? 2 : 1;
    if (h->counter_depth == 24) { /* high 12 bits first, then the low 12 bits */
        uint32_t *o = (uint32_t *)(void *)out;
        for (int64_t w = 0; w < pixels / 4; w++) {
            uint64_t hi = load_be64(in + 8 * w), lo = load_be64(in + pixels * 2 + 8 * w);
            for (int j = 0; j < 4; j++, hi >>= 16, lo >>= 16)
                o[4 * w + j] = (uint32_t)((hi & 0xffff) << 12) + (uint32_t)(lo & 0xffff);
        }
        return;
    }
    unpack_words(in, pixels, h->counter_depth == 1 ? 1 : h->counter_depth == 6 ? 8 : 16, dst);
    if (h->quad_raw)
        assemble_quad(quad, elem, out);
}

/* The header in front of frame `local` of file f (read along with it, right
 * before `pixels`) must carry the frame's sequence number and the format of
 * its file's first header, spelled the same way (the files of a series are
 * compared by value, scan_files): a frame dropped or written twice mid-file
 * would otherwise shift every later frame to another scan position. */
static udfrt_status check_header(const mib_impl *m, const mib_file *f, int64_t local,
                                 const void *pixels, udfrt_error *err)
{
    const char *text = (const char *)pixels - m->hdr.header_bytes;
    int64_t sequence = f->sequence + local, found;
    udfrt_mib_frame_check check =
        udfrt_mib_check_frame(text, (size_t)m->hdr.header_bytes, &f->first, sequence, &found);
    if (check == UDFRT_MIB_FRAME_OK)
        return UDFRT_OK;
    long long at = (long long)(local * m->stride);
    char shown[48]; /* the start of what the file holds there */
    udfrt_shown(shown, sizeof shown, text, (size_t)m->hdr.header_bytes, '\0');
    switch (check) {
    case UDFRT_MIB_FRAME_OK: /* returned above */
    case UDFRT_MIB_FRAME_NO_HEADER: break;
    case UDFRT_MIB_FRAME_OTHER_SEQUENCE:
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s': the frame header at byte %lld has sequence number %lld where "
                          "frame %lld should be: frames are missing, repeated or out of order",
                          f->path, at, (long long)found, (long long)sequence);
    case UDFRT_MIB_FRAME_OTHER_FORMAT:
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s': the header of frame %lld (byte %lld, '%s...') gives another "
                          "header length, chip count, size or pixel type than the file's first "
                          "frame (%lld-byte headers, %dx%d %s)",
                          f->path, (long long)sequence, at, shown, (long long)m->hdr.header_bytes,
                          m->hdr.width, m->hdr.height, m->hdr.pixel_type);
    case UDFRT_MIB_FRAME_BAD_SEQUENCE:
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s': the frame header at byte %lld ('%s...') has no sequence number "
                          "(field 2), where frame %lld should start",
                          f->path, at, shown, (long long)sequence);
    }
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "'%s': no frame header ('MQ1,') at byte %lld, where frame %lld should "
                      "start; the file holds '%s...' there",
                      f->path, at, (long long)sequence, shown);
}

/* Frames rd->local[0 .. run) of file f as stored (headers, pixels in the
 * file's order) by pread into dst: stored[] point at their pixels there. */
static udfrt_status read_run(const mib_impl *m, const mib_file *f, const udfrt_reader *rd,
                             int64_t run, unsigned char *dst, const void **stored, udfrt_error *err)
{
    udfrt_frame_file ff = {
        .fd = f->fd,
        .first_offset = m->hdr.header_bytes,
        .stride = m->stride,
        .frame_bytes = m->hdr.image_bytes,
        .lead_bytes = m->hdr.header_bytes, /* checked by mib_read */
    };
    int64_t size;
    udfrt_status st = UDFRT_OK;
    if (ff.fd < 0)
        st = udfrt_frame_file_open(f->path, &ff, &size, err);
    if (st == UDFRT_OK)
        st = udfrt_frame_file_gather(&ff, f->path, dst, rd->local, run, stored, err);
    if (f->fd < 0)
        udfrt_frame_file_close(&ff);
    return st;
}

/* The stored frames rd->local[0 .. run) of file f (open) in the reader's
 * window: stored[] point at their pixels; 0 if the file cannot be mapped. */
static int map_run(const mib_impl *m, const mib_file *f, udfrt_reader *rd, int64_t run,
                   const void **stored)
{
    if (rd->window_fd != f->fd) {
        udfrt_window_release(&rd->window);
        rd->window_fd = f->fd;
    }
    const unsigned char *first =
        udfrt_window_at(&rd->window, f->fd, f->frames * m->stride, rd->local[0] * m->stride,
                        (rd->local[run - 1] + 1) * m->stride);
    for (int64_t j = 0; j < run && first; j++)
        stored[j] = first + (rd->local[j] - rd->local[0]) * m->stride + m->hdr.header_bytes;
    return first != NULL;
}

/* Frame `stored` (its pixels, after its header) in host order at `dst`:
 * raw frames decoded, processed ones byte-swapped or copied. */
static void take_frame(const mib_impl *m, const udfrt_dataset *ds, udfrt_reader *rd,
                       const unsigned char *stored, unsigned char *dst)
{
    int size = (int)udfrt_dtype_size(ds->dtype);
    if (m->hdr.raw)
        decode_raw(m, stored, dst, rd->quad, ds->sig_size);
    else if (size > 1)
        udfrt_byteswap_copy(dst, stored, ds->sig_size, size);
    else
        memcpy(dst, stored, (size_t)ds->sig_size);
}

/* Frames are taken from a mapped window of their file (or, for files not
 * kept open or that cannot be mapped, read by pread), their headers checked
 * there, and put into the host-order buffer in one pass: a pread and a pass
 * in place took 1.19x as long (sumsig on a warm 1.6 GB U16 file). */
static udfrt_status mib_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                             int64_t count, const void **frames, udfrt_error *err)
{
    const mib_impl *m = ds->impl;
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    for (int64_t i = 0; i < count;) {
        int64_t k = file_of(m, file_frames[i]);
        const mib_file *f = &m->files[k];
        int64_t run = 0;
        while (i + run < count && file_frames[i + run] >= f->first_frame &&
               file_frames[i + run] < f->first_frame + f->frames) {
            rd->local[run] = file_frames[i + run] - f->first_frame;
            run++;
        }
        const void **stored = frames + i;
        if (f->fd < 0 || !map_run(m, f, rd, run, stored)) {
            udfrt_status st = read_run(m, f, rd, run, rd->buf + i * m->stride, stored, err);
            if (st != UDFRT_OK)
                return st;
        }
        for (int64_t j = 0; j < run; j++) {
            udfrt_status st = check_header(m, f, rd->local[j], stored[j], err);
            if (st != UDFRT_OK)
                return st;
            unsigned char *dst = rd->out + (i + j) * frame_bytes;
            take_frame(m, ds, rd, stored[j], dst);
            stored[j] = dst;
        }
        i += run;
    }
    return UDFRT_OK;
}

static void mib_describe(const udfrt_dataset *ds, FILE *out)
{
    const mib_impl *m = ds->impl;
    const udfrt_mib_header *h = &m->hdr;
    fprintf(out, "mib:        %lld file%s, first '%s'%s\n", (long long)m->n_files,
            m->n_files == 1 ? "" : "s", m->files[0].path,
            m->n_files > MIB_MAX_OPEN_FILES ? " (opened per read)" : "");
    fprintf(out,
            "header:     %lld bytes per frame; %d chip%s, layout %s, %dx%d pixels, type %s, "
            "counter depth %d\n",
            (long long)h->header_bytes, h->chips, h->chips == 1 ? "" : "s",
            h->layout[0] ? h->layout : "?", h->width, h->height, h->pixel_type, h->counter_depth);
    if (h->raw)
        fprintf(out, "layout:     raw %d-bit words, decoded while reading%s\n", h->counter_depth,
                h->quad_raw ? " and reassembled from the 2x2 quad's chip rows" : "");
    else
        fprintf(out, "layout:     processed, big-endian; every frame's header checked, its pixels "
                     "swapped into aligned storage\n");
    fprintf(out, "nav from:   %s%s\n", m->hdr_path ? m->hdr_path : "the frame count",
            m->hdr_path ? "" : " (give --nav for a 2-D scan)");
}

static void mib_destroy(udfrt_dataset *ds)
{
    mib_impl *m = ds->impl;
    if (!m)
        return;
    for (int64_t k = 0; k < m->n_files; k++) {
        if (m->files[k].fd >= 0)
            close(m->files[k].fd);
        udfrt_free(m->files[k].path);
    }
    udfrt_free(m->files);
    udfrt_free(m->hdr_path);
    udfrt_free(m);
}

static const udfrt_dataset_ops mib_ops = {
    .format = "mib",
    .reader_create = mib_reader_create,
    .reader_destroy = mib_reader_destroy,
    .read = mib_read,
    .describe = mib_describe,
    .destroy = mib_destroy,
};

/* The nav shape: the .hdr given or found next to the files (STEM.hdr or
 * PREFIX.hdr), else one nav dim of all frames; --nav overrides later. */
static udfrt_status open_files(udfrt_dataset *ds, mib_impl *m, const char *spec,
                               const udfrt_open_options *opt, udfrt_error *err)
{
    size_t n = strlen(spec);
    int is_hdr = n > 4 && strcmp(spec + n - 4, ".hdr") == 0;
    char *stem = copy_string(spec, n - 4);
    char *candidate = udfrt_malloc(n + 1);
    if (!stem || !candidate) {
        udfrt_free(stem);
        udfrt_free(candidate);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", spec);
    }
    int64_t nav[2];
    int rank = 0;
    udfrt_status st = UDFRT_OK;
    if (is_hdr)
        st = read_hdr(m, spec, 1, nav, &rank, err);
    if (st == UDFRT_OK)
        st = list_files(m, stem, err);
    if (st == UDFRT_OK)
        st = scan_files(m, err);
    if (st == UDFRT_OK && !is_hdr) {
        snprintf(candidate, n + 1, "%s.hdr", stem);
        st = read_hdr(m, candidate, 0, nav, &rank, err);
        size_t prefix = strlen(stem);
        while (prefix > 0 && stem[prefix - 1] >= '0' && stem[prefix - 1] <= '9')
            prefix--;
        if (st == UDFRT_OK && !rank && prefix < strlen(stem)) {
            snprintf(candidate, n + 1, "%.*s.hdr", (int)prefix, stem);
            st = read_hdr(m, candidate, 0, nav, &rank, err);
        }
    }
    udfrt_free(stem);
    udfrt_free(candidate);
    if (st != UDFRT_OK)
        return st;
    const mib_file *last = &m->files[m->n_files - 1];
    int64_t frames = last->first_frame + last->frames;
    int64_t dims[4] = {frames, m->hdr.sig_height, m->hdr.sig_width};
    ds->dtype = m->hdr.dtype;
    if (rank == 2) { /* frames beyond the scan are not read; missing ones have no data */
        dims[0] = nav[0];
        dims[1] = nav[1];
        dims[2] = m->hdr.sig_height;
        dims[3] = m->hdr.sig_width;
    }
    st = udfrt_dataset_set_shape(ds, rank == 2 ? 4 : 3, dims, 2, err);
    if (st == UDFRT_OK && opt->sig_dims > 0 && opt->sig_dims != 2)
        st = udfrt_fail(err, UDFRT_ERR_USAGE, "Merlin frames always have 2 sig dims");
    ds->image_count = frames;
    return st;
}

udfrt_status udfrt_open_mib(const char *path, const udfrt_open_options *opt, udfrt_dataset **out,
                            udfrt_error *err)
{
    udfrt_dataset *ds;
    udfrt_status st = udfrt_dataset_new(path, &mib_ops, sizeof(mib_impl), &ds, err);
    if (st != UDFRT_OK)
        return st;
    st = open_files(ds, ds->impl, path, opt, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return UDFRT_OK;
}
