/* frame_file.c — frame reading through mapped windows or pread; see
 * frame_file.h. */
#include "frame_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "dtype.h"
#include "inputs.h"
#include "udfrt/config.h"

struct udfrt_reader {
    unsigned char *buf; /* byte-swapped frames (from the window, or read where mapping
                           fails), misaligned ones, and pread's */
    int64_t max_frames;
    udfrt_window window;
    int can_map; /* frames in host order at aligned offsets: mapping can serve */
    int copy;    /* read with pread even so, where the window is cached: */
    int window_cached;
};

udfrt_status udfrt_frame_file_open(const char *path, udfrt_frame_file *ff, int64_t *size,
                                   udfrt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    udfrt_note_input(path);
    if (fd < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot open '%s'", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, e, "cannot read '%s'", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is not a regular file", path);
    }
    ff->fd = fd;
    ff->size = *size = st.st_size;
    return UDFRT_OK;
}

void udfrt_frame_file_close(udfrt_frame_file *ff)
{
    if (ff->fd >= 0)
        close(ff->fd);
    ff->fd = -1;
}

udfrt_status udfrt_frame_file_dataset_new(const char *path, const udfrt_dataset_ops *ops,
                                          udfrt_dataset **out, udfrt_error *err)
{
    udfrt_status st = udfrt_dataset_new(path, ops, sizeof(udfrt_frame_file), out, err);
    if (st == UDFRT_OK)
        ((udfrt_frame_file *)(*out)->impl)->fd = -1;
    return st;
}

void udfrt_frame_file_destroy(udfrt_dataset *ds)
{
    udfrt_frame_file *ff = ds->impl;
    if (ff)
        udfrt_frame_file_close(ff);
    udfrt_free(ff);
}

udfrt_status udfrt_frame_file_reader_create(udfrt_dataset *ds, int64_t max_frames,
                                            udfrt_reader **out, udfrt_error *err)
{
    const udfrt_frame_file *ff = ds->impl;
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    if (!rd)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    rd->max_frames = max_frames;
    /* Frames in the page cache are where the file has them: an element type's
     * alignment is not guaranteed (HDF5 does not align raw data, raw files
     * may have any header), and the kernels and corrections load whole
     * elements. Misaligned frames are copied into the aligned buffer. */
    int64_t elem = (int64_t)udfrt_dtype_size(ds->dtype);
    rd->can_map = ff->swap_size <= 1 && ff->first_offset % elem == 0 && ff->stride % elem == 0;
    *out = rd;
    return UDFRT_OK;
}

void udfrt_frame_file_reader_destroy(udfrt_reader *rd)
{
    if (!rd)
        return;
    udfrt_window_release(&rd->window);
    udfrt_free(rd->buf);
    udfrt_free(rd);
}

const unsigned char *udfrt_window_at(udfrt_window *w, int fd, int64_t size, int64_t begin,
                                     int64_t end)
{
    w->fresh = 0;
    if (!w->map || begin < w->offset || end > w->offset + w->len) {
        udfrt_window_release(w);
        int64_t offset = begin / UDF_MAP_ALIGN_BYTES * UDF_MAP_ALIGN_BYTES;
        int64_t len = end - offset > UDF_MAP_WINDOW_BYTES ? end - offset : UDF_MAP_WINDOW_BYTES;
        if (offset + len > size)
            len = size - offset;
        void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, (off_t)offset);
        if (p == MAP_FAILED)
            return NULL;
        /* Asks for the file's pages in 2 MiB folios when a fault reads them
         * from disk, so that later runs map them a folio per fault too. */
        madvise(p, (size_t)len, MADV_HUGEPAGE);
        w->map = p;
        w->offset = offset;
        w->len = len;
        w->fresh = 1;
    }
    return w->map + (begin - w->offset);
}

void udfrt_window_release(udfrt_window *w)
{
    if (w->map)
        munmap(w->map, (size_t)w->len);
    w->map = NULL;
}

/* Frame `frame` of the file in the reader's window (mapped by map_range). */
static const unsigned char *in_window(const udfrt_frame_file *ff, const udfrt_reader *rd,
                                      int64_t frame)
{
    return rd->window.map + (ff->first_offset + frame * ff->stride - rd->window.offset);
}

/* Makes bytes [begin, end) of the file visible in the reader's window; 0 if
 * the file cannot be mapped (then pread serves). */
static int map_range(const udfrt_frame_file *ff, udfrt_reader *rd, int64_t begin, int64_t end)
{
    if (!udfrt_window_at(&rd->window, ff->fd, ff->size, begin, end))
        return 0;
    if (!rd->window.fresh)
        return 1;
    /* Whether the page cache holds the new window, judged by its last page
     * (readahead fills it from the front): a copying reader maps the windows
     * that are still on the disk, because pread's readahead, with the workers'
     * partitions interleaved, fills the page cache in small folios, and every
     * later mapping of the file is slower then (bench/README.md). */
    int64_t page = sysconf(_SC_PAGESIZE), len = rd->window.len;
    unsigned char resident = 1;
    mincore(rd->window.map + (len - 1) / page * page, 1, &resident);
    rd->window_cached = resident & 1;
    return 1;
}

/* Reads `bytes` at `offset` whole, retrying short reads. */
udfrt_status udfrt_pread_all(const char *path, int fd, unsigned char *dst, int64_t bytes,
                             int64_t offset, udfrt_error *err)
{
    while (bytes > 0) {
        ssize_t got = pread(fd, dst, (size_t)bytes, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "read error in '%s' at byte %lld",
                                    path, (long long)offset);
        if (got == 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is truncated: it ends before byte %lld",
                              path, (long long)(offset + bytes));
        dst += got;
        bytes -= got;
        offset += got;
    }
    return UDFRT_OK;
}

udfrt_status udfrt_frame_file_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                                   int64_t count, const void **frames, udfrt_error *err)
{
    const udfrt_frame_file *ff = ds->impl;
    int swapped = ff->swap_size > 1;
    int mapped = 0;
    if (rd->can_map || swapped) {
        /* One window spans the whole tile (file_frames ascend): a window moved
         * for a later run of frames would unmap the earlier runs. */
        int64_t begin = ff->first_offset + file_frames[0] * ff->stride;
        int64_t end = ff->first_offset + file_frames[count - 1] * ff->stride + ff->frame_bytes;
        if (end > ff->size)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is truncated: it ends before byte %lld",
                              ds->path, (long long)end);
        mapped = map_range(ff, rd, begin, end);
        if (mapped && rd->can_map && !(rd->copy && rd->window_cached)) {
            for (int64_t k = 0; k < count; k++)
                frames[k] = in_window(ff, rd, file_frames[k]);
            return UDFRT_OK;
        }
    }
    /* Swapped frames from a window go one per 64-byte aligned slot. */
    int64_t slot = (ff->frame_bytes + 63) / 64 * 64;
    if (!rd->buf)
        rd->buf =
            udfrt_aligned_alloc((size_t)(rd->max_frames * (ff->stride > slot ? ff->stride : slot)));
    if (!rd->buf)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    if (mapped && swapped) {
        /* Big-endian frames swap from the window into the buffer: one pass
         * over them, where a pread copied them first (a big-endian u16 .npy
         * 1.13x). */
        for (int64_t k = 0; k < count; k++) {
            unsigned char *frame = rd->buf + k * slot;
            udfrt_byteswap_copy(frame, in_window(ff, rd, file_frames[k]),
                                ff->frame_bytes / ff->swap_size, ff->swap_size);
            frames[k] = frame;
        }
        return UDFRT_OK;
    }
    return udfrt_frame_file_gather(ff, ds->path, rd->buf, file_frames, count, frames, err);
}

int udfrt_frame_file_reader_copy(udfrt_reader *rd, int copy)
{
    rd->copy = copy;
    return rd->can_map;
}

udfrt_status udfrt_frame_file_gather(const udfrt_frame_file *ff, const char *path,
                                     unsigned char *dst, const int64_t *file_frames, int64_t count,
                                     const void **frames, udfrt_error *err)
{
    for (int64_t i = 0; i < count;) {
        /* A run of consecutive frames is one pread; the bytes between frames
         * (per-frame headers) are read along and skipped by the pointers. */
        int64_t run = 1;
        while (i + run < count && file_frames[i + run] == file_frames[i] + run)
            run++;
        int64_t bytes = (run - 1) * ff->stride + ff->lead_bytes + ff->frame_bytes;
        udfrt_status st =
            udfrt_pread_all(path, ff->fd, dst, bytes,
                            ff->first_offset - ff->lead_bytes + file_frames[i] * ff->stride, err);
        if (st != UDFRT_OK)
            return st;
        for (int64_t k = 0; k < run; k++) {
            unsigned char *frame = dst + k * ff->stride + ff->lead_bytes;
            if (ff->swap_size > 1)
                udfrt_byteswap(frame, ff->frame_bytes / ff->swap_size, ff->swap_size);
            frames[i + k] = frame;
        }
        dst += run * ff->stride;
        i += run;
    }
    return UDFRT_OK;
}
