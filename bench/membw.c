/* membw.c — the machine's memory bandwidth: threads reduce (sum as u16) one
 * large in-memory buffer, split in equal contiguous parts, and the median of
 * the repetitions is printed as `membw_gbps X`. This is the ceiling of every
 * number the benchmark prints: data from the page cache cannot arrive faster.
 *
 * usage: membw [-j THREADS] [-m MIB] [-r REPS] */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_util.h"

typedef struct part {
    const uint16_t *data;
    size_t n;
    uint64_t sum;
} part;

static void *reduce(void *arg)
{
    part *p = arg;
    p->sum = bench_sum_u16(p->data, p->n);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 2, reps = 5;
    size_t mib = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        long long v = bench_parse_int(argv[i], argv[i + 1]);
        if (strcmp(argv[i], "-j") == 0)
            threads = (int)v;
        else if (strcmp(argv[i], "-m") == 0)
            mib = (size_t)v;
        else if (strcmp(argv[i], "-r") == 0)
            reps = (int)v;
        else
            bench_die("usage: membw [-j THREADS] [-m MIB] [-r REPS]");
    }
    if (threads > 64 || reps > 100)
        bench_die("at most 64 threads and 100 repetitions");
    size_t bytes = mib << 20;
    /* Huge pages where the kernel allows, so TLB misses do not lower the ceiling. */
    uint16_t *data = NULL;
    if (posix_memalign((void **)&data, 2u << 20, bytes) != 0)
        bench_die("out of memory");
    madvise(data, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes / 2; i++)
        data[i] = (uint16_t)(i * 2654435761u >> 20);
    size_t n = bytes / 2, per = n / (size_t)threads;
    double gbps[100];
    uint64_t check = 0;
    for (int r = 0; r < reps; r++) {
        part parts[64];
        pthread_t tid[64];
        double t0 = bench_now();
        for (int t = 0; t < threads; t++) {
            size_t count = t == threads - 1 ? n - (size_t)t * per : per;
            parts[t] = (part){data + (size_t)t * per, count, 0};
            pthread_create(&tid[t], NULL, reduce, &parts[t]);
        }
        uint64_t total = 0;
        for (int t = 0; t < threads; t++) {
            pthread_join(tid[t], NULL);
            total += parts[t].sum;
        }
        gbps[r] = (double)bytes / 1e9 / (bench_now() - t0);
        if (r > 0 && total != check)
            bench_die("the sum changed between repetitions");
        check = total;
    }
    printf("membw_gbps %.2f\n", bench_median(gbps, reps));
    free(data);
    return 0;
}
