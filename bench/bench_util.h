/* bench_util.h — small helpers shared by the benchmark's C programs (membw,
 * io_probe, handc): a monotonic clock, the median of a few timings, a
 * vectorisable u16 sum, whole preads and argument checks. Header-only so each program is
 * one `cc` line. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts `v` in place. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Sum of n u16 values. The inner loop sums at most 65536 values into u32
 * lanes (no overflow: 65536 * 65535 < 2^32), which the compiler vectorises;
 * the outer loop widens to u64. */
static inline uint64_t bench_sum_u16(const uint16_t *p, size_t n)
{
    uint64_t total = 0;
    while (n > 0) {
        size_t m = n < 65536 ? n : 65536;
        uint32_t s = 0;
        for (size_t i = 0; i < m; i++)
            s += p[i];
        total += s;
        p += m;
        n -= m;
    }
    return total;
}

static inline void bench_die(const char *what)
{
    fprintf(stderr, "error: %s\n", what);
    exit(2);
}

/* Reads n bytes at off whole (retrying short reads), or exits. */
static inline void bench_pread_all(int fd, unsigned char *dst, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t got = pread(fd, dst, n, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            bench_die("read error or truncated file");
        dst += got;
        n -= (size_t)got;
        off += got;
    }
}

/* Parses a positive integer option value or exits. */
static inline long long bench_parse_int(const char *opt, const char *text)
{
    char *end;
    long long v = strtoll(text, &end, 0);
    if (end == text || *end || v <= 0) {
        fprintf(stderr, "error: %s expects a positive integer, not '%s'\n", opt, text);
        exit(2);
    }
    return v;
}

#endif
