/* k_stddev.c — LiberTEM's StdDevUDF: per pixel over all N frames, f64 (sig)
 *   mean = S / N,  var = Σ (F − mean)² / N (population),  std = √var,
 * and num_frames = N. Each thread sums S = Σ F (u32 lanes, flushed into u64
 * before they could overflow) and Q = Σ F² (u64) exactly, pixel block by
 * pixel block; then var = (N·Q − S²) / N² in 128-bit integers is exact up to
 * the final division — no cancellation, unlike the textbook one-pass formula
 * in floating point. */
#include <math.h>

#include "handc.h"

#define BLOCK 1024

typedef struct stddev_part {
    handc_u16_sums s; /* Σ F */
    uint64_t *q;      /* Σ F² */
} stddev_part;

static void *create(const handc_scan *scan, const handc_params *params)
{
    (void)params;
    return handc_stddev_out_create(scan);
}

static void *part_create(void *run)
{
    handc_stddev_out *r = run;
    stddev_part *p = handc_alloc(sizeof *p);
    handc_u16_sums_init(&p->s, r->scan.px);
    p->q = handc_alloc(r->scan.px * (int64_t)sizeof(uint64_t));
    return p;
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)first;
    handc_stddev_out *r = run;
    stddev_part *p = part;
    int64_t px = r->scan.px;
    handc_u16_sums_reserve(&p->s, px, count);
    for (int64_t b = 0; b < px; b += BLOCK) {
        int64_t n = px - b < BLOCK ? px - b : BLOCK;
        uint32_t *s = p->s.lanes + b;
        uint64_t *q = p->q + b;
        const uint16_t *src = frames + b;
        int64_t f = 0;
        /* Four frames per pass: a quarter of the accumulator traffic. */
        for (; f + 4 <= count; f += 4, src += 4 * px)
            for (int64_t i = 0; i < n; i++) {
                uint32_t v0 = src[i], v1 = src[px + i], v2 = src[2 * px + i], v3 = src[3 * px + i];
                s[i] += v0 + v1 + v2 + v3;
                q[i] += (uint64_t)(v0 * v0) + (v1 * v1) + (uint64_t)(v2 * v2) + (v3 * v3);
            }
        for (; f < count; f++, src += px)
            for (int64_t i = 0; i < n; i++) {
                uint32_t v = src[i];
                s[i] += v;
                q[i] += v * v;
            }
    }
}

static void finish(void *run, void **parts, int n_parts)
{
    handc_stddev_out *r = run;
    uint64_t n = (uint64_t)r->scan.frames;
    for (int t = 0; t < n_parts; t++)
        handc_u16_sums_flush(&((stddev_part *)parts[t])->s, r->scan.px);
    for (int64_t i = 0; i < r->scan.px; i++) {
        unsigned __int128 s = 0, q = 0;
        for (int t = 0; t < n_parts; t++) {
            s += ((stddev_part *)parts[t])->s.totals[i];
            q += ((stddev_part *)parts[t])->q[i];
        }
        r->mean[i] = (double)s / (double)n;
        r->var[i] = (double)(n * q - s * s) / ((double)n * (double)n);
        r->std[i] = sqrt(r->var[i]);
    }
    r->num_frames = (int64_t)n;
}

static int write_results(void *run, const char *dir)
{
    return handc_stddev_out_write(run, dir, "stddev");
}

const handc_kernel handc_stddev = {"stddev", create, part_create, process, finish, write_results};
