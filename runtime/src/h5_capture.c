/* h5_capture.c — the virtual file driver that locates chunks; see
 * h5_capture.h. Read-only; its reads, file comparison and feature flags are
 * the sec2 driver's (without SWMR, which udf never asks for). Written for
 * the driver interface of HDF5 1.10 (later versions add fields). */
#include "h5_capture.h"

#include "alloc.h"

#include <H5FDpublic.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if H5_VERS_MAJOR != 1 || H5_VERS_MINOR != 10
#error "h5_capture.c implements the virtual file driver interface of HDF5 1.10"
#endif

typedef struct capture_file {
    H5FD_t pub; /* first: HDF5 hands the driver this */
    int fd;
    haddr_t eoa, eof;
    dev_t dev;
    ino_t ino;
} capture_file;

/* The marker H5Dread_chunk is given while a chunk is located: a page that
 * cannot be written, so that a read not routed through the driver faults
 * instead of writing past it. */
static void *marker;
static __thread int capturing, captured;
static __thread haddr_t captured_addr;
static __thread size_t captured_size;
static hid_t fapl = -1;

static H5FD_t *capture_open(const char *name, unsigned flags, hid_t access, haddr_t maxaddr)
{
    (void)access;
    (void)maxaddr;
    if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT))
        return NULL;
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    capture_file *f = udfrt_calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->eof = (haddr_t)st.st_size;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return &f->pub;
}

static herr_t capture_close(H5FD_t *file)
{
    capture_file *f = (capture_file *)file;
    int failed = close(f->fd) != 0;
    udfrt_free(f);
    return failed ? -1 : 0;
}

static int capture_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const capture_file *x = (const capture_file *)a, *y = (const capture_file *)b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return 0;
}

static herr_t capture_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE |
             H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
    return 0;
}

static haddr_t capture_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const capture_file *)file)->eoa;
}

static herr_t capture_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((capture_file *)file)->eoa = addr;
    return 0;
}

static haddr_t capture_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const capture_file *)file)->eof;
}

static herr_t capture_get_handle(H5FD_t *file, hid_t access, void **handle)
{
    (void)access;
    *handle = &((capture_file *)file)->fd;
    return 0;
}

/* Bytes [addr, addr + size) into buf (zeros past the end of the file, as
 * sec2 reads: not frame_file's pread loop, which fails there), or, for the
 * capture marker, their place recorded. */
static herr_t capture_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                           void *buf)
{
    (void)dxpl;
    if (capturing && buf == marker && type == H5FD_MEM_DRAW) {
        captured = 1;
        captured_addr = addr;
        captured_size = size;
        return 0;
    }
    capture_file *f = (capture_file *)file;
    unsigned char *p = buf;
    while (size > 0) {
        ssize_t n = pread(f->fd, p, size, (off_t)addr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            memset(p, 0, size);
            break;
        }
        p += n;
        size -= (size_t)n;
        addr += (haddr_t)n;
    }
    return 0;
}

static herr_t capture_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                            const void *buf)
{
    (void)file, (void)type, (void)dxpl, (void)addr, (void)size, (void)buf;
    return -1; /* opened read-only */
}

static herr_t capture_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)file, (void)dxpl, (void)closing;
    return 0;
}

static const H5FD_class_t capture_class = {
    .name = "udfrt_capture",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .open = capture_open,
    .close = capture_close,
    .cmp = capture_cmp,
    .query = capture_query,
    .get_eoa = capture_get_eoa,
    .set_eoa = capture_set_eoa,
    .get_eof = capture_get_eof,
    .get_handle = capture_get_handle,
    .read = capture_read,
    .write = capture_write,
    .truncate = capture_truncate,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

/* Once per process; the driver and its access list live as long as it. */
static void register_driver(void)
{
    size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
    void *page = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    hid_t driver = page == MAP_FAILED ? -1 : H5FDregister(&capture_class);
    hid_t access = driver < 0 ? -1 : H5Pcreate(H5P_FILE_ACCESS);
    if (access >= 0 && H5Pset_driver(access, driver, NULL) < 0) {
        H5Pclose(access);
        access = -1;
    }
    if (access < 0 && page != MAP_FAILED)
        munmap(page, page_size);
    marker = access < 0 ? NULL : page;
    fapl = access;
}

hid_t udfrt_h5_capture_fapl(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_driver);
    return fapl;
}

int udfrt_h5_locate_chunk(hid_t dset, const hsize_t *offset, uint32_t *filter_mask, int64_t *addr,
                          int64_t *size)
{
    capturing = 1;
    captured = 0;
    herr_t st = H5Dread_chunk(dset, H5P_DEFAULT, offset, filter_mask, marker);
    capturing = 0;
    if (st < 0 || !captured)
        return -1;
    *addr = (int64_t)captured_addr;
    *size = (int64_t)captured_size;
    return 0;
}
