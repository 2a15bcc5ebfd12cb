/* k_logsum.c — LiberTEM's LogsumUDF: logsum(y,x) = Σ_n ln(F_n(y,x) − min F_n + 1),
 * f32 (sig), by the standard library's formula: a sum of logarithms is the
 * logarithm of a product. Each thread multiplies every pixel's factors (the
 * integers 1..65536) in f64 and takes a logarithm every 63 frames, before a
 * 64th factor could take the product past 2^1023. Pixels go in blocks of
 * BLOCK, whose products stay in L1 while a tile's frames go through them. */
#include <stdlib.h>
#include <string.h>

#include "handc.h"

#define BLOCK 1024
#define FRAMES_PER_LOG 63 /* 1023 // 16 */

typedef struct logsum_run {
    handc_scan scan;
    float *logsum;
} logsum_run;

typedef struct logsum_part {
    double *acc;        /* the logarithms taken so far, summed */
    double *product;    /* the factors not yet in acc */
    int64_t in_product; /* frames product holds (the same for every pixel) */
    uint16_t *mins;     /* per frame of the current tile */
    int64_t mins_cap;
} logsum_part;

/* ln(x) for normal x > 0: x = m·2^e with m in [√½, √2), then
 * ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172: the odd series to
 * s^15 is within 1e-14. Vectorises (no calls, no branches). */
static inline double log_f64(double x)
{
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdu;
    uint64_t u, mu;
    memcpy(&u, &x, sizeof u);
    uint64_t t = u - sqrt_half;
    double e = (double)((int64_t)t >> 52);
    mu = (t & 0x000fffffffffffffu) + sqrt_half;
    double m;
    memcpy(&m, &mu, sizeof m);
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double q = 1.0 / 15;
    q = q * s2 + 1.0 / 13;
    q = q * s2 + 1.0 / 11;
    q = q * s2 + 1.0 / 9;
    q = q * s2 + 1.0 / 7;
    q = q * s2 + 1.0 / 5;
    q = q * s2 + 1.0 / 3;
    return e * 0.69314718055994530942 + (2.0 * s + 2.0 * s * s2 * q);
}

static void *create(const handc_scan *scan, const handc_params *params)
{
    (void)params;
    logsum_run *r = handc_alloc(sizeof *r);
    r->scan = *scan;
    r->logsum = handc_alloc(scan->px * (int64_t)sizeof(float));
    return r;
}

static void *part_create(void *run)
{
    logsum_run *r = run;
    logsum_part *p = handc_alloc(sizeof *p);
    p->acc = handc_alloc(r->scan.px * (int64_t)sizeof(double));
    p->product = handc_alloc(r->scan.px * (int64_t)sizeof(double));
    for (int64_t i = 0; i < r->scan.px; i++)
        p->product[i] = 1.0;
    return p;
}

static uint16_t frame_min(const uint16_t *f, int64_t n)
{
    uint16_t m = UINT16_MAX;
    for (int64_t i = 0; i < n; i++)
        m = f[i] < m ? f[i] : m;
    return m;
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)first;
    logsum_run *r = run;
    logsum_part *p = part;
    int64_t px = r->scan.px;
    if (count > p->mins_cap) {
        free(p->mins);
        p->mins = handc_alloc(count * (int64_t)sizeof *p->mins);
        p->mins_cap = count;
    }
    for (int64_t f = 0; f < count; f++)
        p->mins[f] = frame_min(frames + f * px, px);
    int64_t in_product = p->in_product;
    for (int64_t b = 0; b < px; b += BLOCK) {
        int64_t n = px - b < BLOCK ? px - b : BLOCK;
        double *product = p->product + b, *acc = p->acc + b;
        in_product = p->in_product;
        for (int64_t f = 0; f < count; f++) {
            const uint16_t *src = frames + f * px + b;
            double base = 1.0 - (double)p->mins[f];
            for (int64_t i = 0; i < n; i++)
                product[i] *= (double)src[i] + base;
            if (++in_product == FRAMES_PER_LOG) {
                for (int64_t i = 0; i < n; i++) {
                    acc[i] += log_f64(product[i]);
                    product[i] = 1.0;
                }
                in_product = 0;
            }
        }
    }
    p->in_product = in_product;
}

static void finish(void *run, void **parts, int n_parts)
{
    logsum_run *r = run;
    for (int64_t i = 0; i < r->scan.px; i++) {
        double s = 0;
        for (int t = 0; t < n_parts; t++) {
            const logsum_part *p = parts[t];
            s += p->acc[i] + log_f64(p->product[i]);
        }
        r->logsum[i] = (float)s;
    }
}

static int write_results(void *run, const char *dir)
{
    logsum_run *r = run;
    int64_t shape[2] = {r->scan.sy, r->scan.sx};
    return handc_write_npy(dir, "logsum", "logsum", "<f4", shape, 2, r->logsum);
}

const handc_kernel handc_logsum = {"logsum", create, part_create, process, finish, write_results};
