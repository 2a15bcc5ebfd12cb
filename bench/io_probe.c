/* io_probe.c — how should the runtime read a file that is in the page cache?
 * Every variant reads the whole file with the same threads, which take blocks
 * from a shared counter (so a noisy neighbour cannot stall one half), and sums
 * the bytes as u16 so that the cache effects on the compute side are part of
 * the comparison. Each variant prints the median GB/s of the repetitions and
 * the largest peak resident set of one repetition (mapped page-cache pages count: a whole-
 * file mapping makes the process look 2 GiB large), as `io VARIANT GBPS MB`:
 *
 *   pread-nocompute-B  pread into a reused aligned B-byte buffer per thread, no sum
 *                      (the plain read)
 *   pread-B            the same, then the sum
 *   mmap-*             one read-only mapping of the whole file per repetition
 *                      (mapping, faults and munmap timed), then the sum over 1 MiB
 *                      blocks; -touch touches one byte per page instead of summing
 *                      (the fault cost alone), -seq adds MADV_SEQUENTIAL, -populate
 *                      MAP_POPULATE, -willneed MADV_WILLNEED, -huge a 2 MiB-aligned
 *                      address and MADV_HUGEPAGE
 *   mmapwin-B          every window of B bytes mapped on its own (at its 2 MiB-
 *                      aligned file offset), summed, unmapped; -huge adds
 *                      MADV_HUGEPAGE, -populate MAP_POPULATE, -popread
 *                      MADV_POPULATE_READ (page tables filled in one call)
 *
 * usage: io_probe FILE [-j THREADS] [-r REPS] */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"

#define HUGE_ALIGN ((size_t)2 << 20)
#define MAX_THREADS 64

typedef enum method { PREAD, MMAP, MMAP_WINDOW } method;

typedef struct variant {
    const char *name;
    method how;
    size_t block;  /* bytes a thread takes at a time */
    int compute;   /* 0: touch only (pread: nothing; mmap: one byte per page) */
    int map_flags; /* extra mmap flags */
    int advice;    /* madvise advice for the mapping, or -1 */
    int huge;      /* MADV_HUGEPAGE (MMAP: also a 2 MiB-aligned address) */
} variant;

typedef struct probe {
    const variant *v;
    int fd;
    size_t size;
    const unsigned char *map; /* whole-file mapping (MMAP) */
    atomic_size_t next;       /* next block index */
    uint64_t sums[MAX_THREADS];
} probe;

typedef struct worker_arg {
    probe *p;
    int id;
} worker_arg;

static uint64_t touch_pages(const unsigned char *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i += 4096)
        s += p[i];
    return s;
}

static void *worker(void *arg)
{
    worker_arg *w = arg;
    probe *p = w->p;
    const variant *v = p->v;
    /* mmap, not malloc: freed buffers must not stay resident in the thread's
     * malloc arena and inflate the next variant's peak RSS. */
    unsigned char *buf = NULL;
    if (v->how == PREAD) {
        buf = mmap(NULL, v->block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (buf == MAP_FAILED)
            bench_die("out of memory");
    }
    uint64_t sum = 0;
    for (;;) {
        size_t off = atomic_fetch_add(&p->next, 1) * v->block;
        if (off >= p->size)
            break;
        size_t n = p->size - off < v->block ? p->size - off : v->block;
        if (v->how == PREAD) {
            bench_pread_all(p->fd, buf, n, (off_t)off);
            if (v->compute)
                sum += bench_sum_u16((const uint16_t *)buf, n / 2);
        } else if (v->how == MMAP) {
            sum += v->compute ? bench_sum_u16((const uint16_t *)(p->map + off), n / 2)
                              : touch_pages(p->map + off, n);
        } else {
            void *m = mmap(NULL, n, PROT_READ, MAP_SHARED | v->map_flags, p->fd, (off_t)off);
            if (m == MAP_FAILED)
                bench_die("mmap failed");
            if (v->huge)
                madvise(m, n, MADV_HUGEPAGE);
            if (v->advice >= 0)
                madvise(m, n, v->advice);
            sum += bench_sum_u16(m, n / 2);
            munmap(m, n);
        }
    }
    p->sums[w->id] = sum;
    if (buf)
        munmap(buf, v->block);
    return NULL;
}

/* A read-only mapping of the whole file, at a 2 MiB-aligned address if asked. */
static const unsigned char *map_file(const variant *v, int fd, size_t size)
{
    void *want = NULL;
    int fixed = 0;
    if (v->huge) {
        void *space = mmap(NULL, size + HUGE_ALIGN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (space == MAP_FAILED)
            bench_die("mmap failed");
        uintptr_t a = ((uintptr_t)space + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
        /* Keep only the aligned part of the reservation; the file mapping replaces it. */
        if (a > (uintptr_t)space)
            munmap(space, a - (uintptr_t)space);
        munmap((void *)(a + size), (uintptr_t)space + HUGE_ALIGN - a);
        want = (void *)a;
        fixed = MAP_FIXED;
    }
    void *m = mmap(want, size, PROT_READ, MAP_SHARED | fixed | v->map_flags, fd, 0);
    if (m == MAP_FAILED)
        bench_die("mmap failed");
    if (v->advice >= 0)
        madvise(m, size, v->advice);
    return m;
}

/* Resets the peak resident set of this process (Linux: clear_refs 5). */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* The peak resident set in MB since the last reset, or -1. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

/* One timed pass; returns GB/s and the checksum. */
static double run_once(const variant *v, int fd, size_t size, int threads, uint64_t *checksum)
{
    probe p = {.v = v, .fd = fd, .size = size};
    atomic_init(&p.next, 0);
    pthread_t tid[MAX_THREADS];
    worker_arg args[MAX_THREADS];
    double t0 = bench_now();
    if (v->how == MMAP)
        p.map = map_file(v, fd, size);
    for (int t = 0; t < threads; t++) {
        args[t] = (worker_arg){&p, t};
        pthread_create(&tid[t], NULL, worker, &args[t]);
    }
    *checksum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        *checksum += p.sums[t];
    }
    if (p.map)
        munmap((void *)p.map, size);
    return (double)size / 1e9 / (bench_now() - t0);
}

static const variant variants[] = {
    {"pread-nocompute-1M", PREAD, 1u << 20, 0, 0, -1, 0},
    {"pread-64K", PREAD, 64u << 10, 1, 0, -1, 0},
    {"pread-256K", PREAD, 256u << 10, 1, 0, -1, 0},
    {"pread-1M", PREAD, 1u << 20, 1, 0, -1, 0},
    {"pread-4M", PREAD, 4u << 20, 1, 0, -1, 0},
    {"pread-16M", PREAD, 16u << 20, 1, 0, -1, 0},
    {"mmap-touch", MMAP, 1u << 20, 0, 0, -1, 0},
    {"mmap", MMAP, 1u << 20, 1, 0, -1, 0},
    {"mmap-seq", MMAP, 1u << 20, 1, 0, MADV_SEQUENTIAL, 0},
    {"mmap-willneed", MMAP, 1u << 20, 1, 0, MADV_WILLNEED, 0},
    {"mmap-populate", MMAP, 1u << 20, 1, MAP_POPULATE, -1, 0},
    {"mmap-huge", MMAP, 1u << 20, 1, 0, MADV_HUGEPAGE, 1},
    {"mmapwin-2M", MMAP_WINDOW, 2u << 20, 1, 0, -1, 0},
    {"mmapwin-8M", MMAP_WINDOW, 8u << 20, 1, 0, -1, 0},
    {"mmapwin-32M", MMAP_WINDOW, 32u << 20, 1, 0, -1, 0},
    {"mmapwin-2M-huge", MMAP_WINDOW, 2u << 20, 1, 0, -1, 1},
    {"mmapwin-8M-huge", MMAP_WINDOW, 8u << 20, 1, 0, -1, 1},
    {"mmapwin-8M-populate", MMAP_WINDOW, 8u << 20, 1, MAP_POPULATE, -1, 0},
    {"mmapwin-8M-popread", MMAP_WINDOW, 8u << 20, 1, 0, MADV_POPULATE_READ, 0},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_die("usage: io_probe FILE [-j THREADS] [-r REPS] [-v VARIANT]");
    int threads = 2, reps = 5;
    const char *only = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-j") == 0)
            threads = (int)bench_parse_int(argv[i], argv[i + 1]);
        else if (strcmp(argv[i], "-r") == 0)
            reps = (int)bench_parse_int(argv[i], argv[i + 1]);
        else if (strcmp(argv[i], "-v") == 0)
            only = argv[i + 1];
        else
            bench_die("usage: io_probe FILE [-j THREADS] [-r REPS] [-v VARIANT]");
    }
    if (threads > MAX_THREADS || reps > 100)
        bench_die("at most 64 threads and 100 repetitions");
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        bench_die("cannot open the file");
    size_t size = (size_t)st.st_size & ~(size_t)1;
    enum { N_VARIANTS = sizeof variants / sizeof *variants };
    static double gbps[N_VARIANTS][100], peak_mb[N_VARIANTS];
    uint64_t expect = 0;
    int have_expect = 0;
    /* Rounds over all variants, so that a burst of noise from the machine's
     * other users hits every variant instead of all repetitions of one. */
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < N_VARIANTS; k++) {
            const variant *v = &variants[k];
            if (only && strcmp(only, v->name) != 0)
                continue;
            uint64_t sum;
            reset_peak_rss();
            gbps[k][r] = run_once(v, fd, size, threads, &sum);
            double mb = peak_rss_mb();
            peak_mb[k] = mb > peak_mb[k] ? mb : peak_mb[k];
            if (v->compute && have_expect && sum != expect)
                fprintf(stderr, "io_probe: warning: %s gave a different sum\n", v->name);
            if (v->compute) {
                expect = sum;
                have_expect = 1;
            }
        }
    for (int k = 0; k < N_VARIANTS; k++)
        if (!only || strcmp(only, variants[k].name) == 0)
            printf("io %s %.2f %.0f\n", variants[k].name, bench_median(gbps[k], reps), peak_mb[k]);
    close(fd);
    return 0;
}
