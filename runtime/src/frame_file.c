/* frame_file.c — pread-based frame reading; see frame_file.h. */
#include "frame_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "dtype.h"

struct udfrt_reader {
    unsigned char *buf;
    int64_t max_frames;
};

udfrt_status udfrt_frame_file_open(const char *path, udfrt_frame_file *ff, int64_t *size,
                                   udfrt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
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
    *size = st.st_size;
    return UDFRT_OK;
}

void udfrt_frame_file_close(udfrt_frame_file *ff)
{
    if (ff->fd >= 0)
        close(ff->fd);
    ff->fd = -1;
}

udfrt_status udfrt_frame_file_reader_create(udfrt_dataset *ds, int64_t max_frames,
                                            udfrt_reader **out, udfrt_error *err)
{
    const udfrt_frame_file *ff = ds->impl;
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    if (rd)
        rd->buf = udfrt_aligned_alloc((size_t)(max_frames * ff->stride));
    if (!rd || !rd->buf) {
        udfrt_free(rd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    }
    rd->max_frames = max_frames;
    *out = rd;
    return UDFRT_OK;
}

void udfrt_frame_file_reader_destroy(udfrt_reader *rd)
{
    if (rd)
        udfrt_free(rd->buf);
    udfrt_free(rd);
}

/* Reads `bytes` at `offset` whole, retrying short reads. */
static udfrt_status pread_all(const char *path, int fd, unsigned char *dst, int64_t bytes,
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
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' is truncated: it ends before byte %lld", path,
                              (long long)(offset + bytes));
        dst += got;
        bytes -= got;
        offset += got;
    }
    return UDFRT_OK;
}

udfrt_status udfrt_frame_file_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                                   int64_t count, const void **frames, udfrt_error *err)
{
    return udfrt_frame_file_gather(ds->impl, ds->path, rd->buf, file_frames, count, frames, err);
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
        int64_t bytes = (run - 1) * ff->stride + ff->frame_bytes;
        udfrt_status st = pread_all(path, ff->fd, dst, bytes,
                                    ff->first_offset + file_frames[i] * ff->stride, err);
        if (st != UDFRT_OK)
            return st;
        for (int64_t k = 0; k < run; k++) {
            unsigned char *frame = dst + k * ff->stride;
            if (ff->swap_size > 1)
                udfrt_byteswap(frame, ff->frame_bytes / ff->swap_size, ff->swap_size);
            frames[i + k] = frame;
        }
        dst += run * ff->stride;
        i += run;
    }
    return UDFRT_OK;
}
