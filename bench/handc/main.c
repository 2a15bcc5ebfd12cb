/* main.c — `handc`: runs one hand-written kernel over a raw u16 scan with
 * pthreads and prints `handc KERNEL seconds S gbps G`. The time covers
 * opening the file, reading it, the kernel, merging and results (what
 * `udfc run --stats` calls the run), not writing the outputs.
 *
 * Reading, as io_probe measured it (see bench/README.md): threads take
 * windows of frames from a shared counter, so a noisy neighbour cannot stall
 * half of the work, and hand the kernel tiles of ~1 MiB (at least one frame):
 *   --io pread  each thread preads one tile at a time into its own reused,
 *               page-aligned buffer;
 *   --io mmap   each thread maps a window of 8 tiles read-only, runs the
 *               kernel on it in place and unmaps it (a whole-file mapping
 *               would be as fast but would count the file in the resident set).
 *
 * usage: handc KERNEL --data FILE --nav NY,NX --sig SY,SX [--io pread|mmap]
 *              [-j THREADS] [--masks FILE.f32] [--r RADIUS] [--out DIR] */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench_util.h"
#include "handc.h"

#define TILE_BYTES ((int64_t)1 << 20)
#define MAX_TILE_FRAMES 4096 /* the kernels' u32 sums flush every 65536 frames */
#define WINDOW_TILES 8
#define MAX_THREADS 64

static const handc_kernel *const kernels[] = {&handc_sumsig, &handc_sum,    &handc_masks,
                                              &handc_com,    &handc_stddev, &handc_stddev_welford,
                                              &handc_logsum};

typedef struct run {
    const handc_kernel *k;
    void *state;
    void *parts[MAX_THREADS];
    handc_scan scan;
    int fd, use_mmap;
    int64_t tile;      /* frames per kernel call */
    int64_t step;      /* frames a thread takes at a time */
    atomic_llong next; /* first frame of the next step */
} run;

typedef struct worker_arg {
    run *r;
    int id;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *w = arg;
    run *r = w->r;
    int64_t frame_bytes = r->scan.px * 2;
    unsigned char *buf = r->use_mmap ? NULL : handc_alloc(r->tile * frame_bytes);
    void *part = r->parts[w->id];
    for (;;) {
        int64_t first = atomic_fetch_add(&r->next, r->step);
        if (first >= r->scan.frames)
            break;
        int64_t count = r->scan.frames - first < r->step ? r->scan.frames - first : r->step;
        if (!r->use_mmap) {
            bench_pread_all(r->fd, buf, (size_t)(count * frame_bytes),
                            (off_t)(first * frame_bytes));
            r->k->process(r->state, part, (const uint16_t *)buf, first, count);
            continue;
        }
        int64_t off = first * frame_bytes, start = off & ~(int64_t)4095;
        size_t len = (size_t)(off + count * frame_bytes - start);
        unsigned char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, (off_t)start);
        if (map == MAP_FAILED)
            bench_die("mmap failed");
        for (int64_t t = 0; t < count; t += r->tile) {
            int64_t n = count - t < r->tile ? count - t : r->tile;
            r->k->process(r->state, part, (const uint16_t *)(map + (off - start) + t * frame_bytes),
                          first + t, n);
        }
        munmap(map, len);
    }
    free(buf);
    return NULL;
}

static void parse_pair(const char *opt, const char *text, int64_t *a, int64_t *b)
{
    char *end;
    *a = strtoll(text, &end, 10);
    if (*end != ',' || *a <= 0)
        bench_die(opt);
    *b = strtoll(end + 1, &end, 10);
    if (*end || *b <= 0)
        bench_die(opt);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_die("usage: handc KERNEL --data FILE --nav NY,NX --sig SY,SX [--io pread|mmap] "
                  "[-j THREADS] [--masks FILE.f32] [--r RADIUS] [--out DIR]");
    run r = {.fd = -1};
    for (size_t i = 0; i < sizeof kernels / sizeof *kernels; i++)
        if (strcmp(kernels[i]->name, argv[1]) == 0)
            r.k = kernels[i];
    if (!r.k)
        bench_die("unknown kernel (sumsig sum masks com stddev stddev_welford logsum)");
    const char *data = NULL, *out = NULL;
    handc_params params = {.r = INFINITY};
    int threads = 2;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *opt = argv[i], *val = argv[i + 1];
        if (strcmp(opt, "--data") == 0)
            data = val;
        else if (strcmp(opt, "--nav") == 0)
            parse_pair("--nav expects NY,NX", val, &r.scan.ny, &r.scan.nx);
        else if (strcmp(opt, "--sig") == 0)
            parse_pair("--sig expects SY,SX", val, &r.scan.sy, &r.scan.sx);
        else if (strcmp(opt, "--io") == 0 && (!strcmp(val, "pread") || !strcmp(val, "mmap")))
            r.use_mmap = strcmp(val, "mmap") == 0;
        else if (strcmp(opt, "-j") == 0)
            threads = (int)bench_parse_int(opt, val);
        else if (strcmp(opt, "--masks") == 0)
            params.masks = val;
        else if (strcmp(opt, "--r") == 0)
            params.r = atof(val);
        else if (strcmp(opt, "--out") == 0)
            out = val;
        else
            bench_die("unknown option or bad value (see the top of handc/main.c)");
    }
    if (!data || !r.scan.ny || !r.scan.sy || threads > MAX_THREADS)
        bench_die("--data, --nav and --sig are required; at most 64 threads");
    r.scan.frames = r.scan.ny * r.scan.nx;
    r.scan.px = r.scan.sy * r.scan.sx;
    r.tile = TILE_BYTES / (r.scan.px * 2);
    r.tile = r.tile < 1 ? 1 : r.tile > MAX_TILE_FRAMES ? MAX_TILE_FRAMES : r.tile;
    r.step = r.use_mmap ? r.tile * WINDOW_TILES : r.tile;
    atomic_init(&r.next, 0);

    double t0 = bench_now();
    r.fd = open(data, O_RDONLY);
    struct stat st;
    if (r.fd < 0 || fstat(r.fd, &st) != 0)
        bench_die("cannot open the data file");
    if (st.st_size < r.scan.frames * r.scan.px * 2)
        bench_die("the data file is smaller than nav x sig u16 values");
    r.state = r.k->create(&r.scan, &params);
    if (!r.state)
        return 2;
    for (int t = 0; t < threads; t++)
        r.parts[t] = r.k->part_create(r.state);
    pthread_t tid[MAX_THREADS];
    worker_arg args[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        args[t] = (worker_arg){&r, t};
        if (pthread_create(&tid[t], NULL, worker, &args[t]) != 0)
            bench_die("cannot start a thread");
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    r.k->finish(r.state, r.parts, threads);
    close(r.fd);
    double seconds = bench_now() - t0;

    printf("handc %s seconds %.4f gbps %.2f\n", r.k->name, seconds,
           (double)(r.scan.frames * r.scan.px * 2) / 1e9 / seconds);
    return out && r.k->write(r.state, out) ? 3 : 0;
}
