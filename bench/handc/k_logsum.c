/* k_logsum.c — LiberTEM's LogsumUDF: logsum(y,x) = Σ_n ln(F_n(y,x) − min F_n + 1),
 * f32 (sig). The logarithm is computed inline so the loop vectorises:
 * libm's logf is a call per pixel, and glibc's vector logf needs -ffast-math.
 * fast_log is Cephes' logf polynomial; its arguments here are the integers
 * 1..65536, on which it is within 0.56 ulp of the exact logarithm (checked
 * for all of them). Each tile sums into f32 per pixel block, then into the
 * thread's f64 accumulators. */
#include <stdlib.h>
#include <string.h>

#include "handc.h"

#define BLOCK 1024

typedef struct logsum_run {
    handc_scan scan;
    float *logsum;
} logsum_run;

typedef struct logsum_part {
    double *acc;
    uint16_t *mins; /* per frame of the current tile */
    int64_t mins_cap;
} logsum_part;

/* ln(x) for normal x > 0: x = m·2^e with m in [√½, √2), a polynomial in m − 1. */
static inline float fast_log(float x)
{
    uint32_t u, t, mu;
    memcpy(&u, &x, sizeof u);
    t = u - 0x3f3504f3u; /* the bits of √½ */
    float e = (float)((int32_t)t >> 23);
    mu = (t & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mu, sizeof m);
    float f = m - 1.0f, z = f * f;
    float y = 7.0376836292e-2f;
    y = y * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * z - 2.12194440e-4f * e - 0.5f * z;
    return f + y + 0.693359375f * e;
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
    for (int64_t b = 0; b < px; b += BLOCK) {
        int64_t n = px - b < BLOCK ? px - b : BLOCK;
        float t[BLOCK] = {0};
        for (int64_t f = 0; f < count; f++) {
            const uint16_t *src = frames + f * px + b;
            float base = 1.0f - (float)p->mins[f];
            for (int64_t i = 0; i < n; i++)
                t[i] += fast_log((float)src[i] + base);
        }
        for (int64_t i = 0; i < n; i++)
            p->acc[b + i] += t[i];
    }
}

static void finish(void *run, void **parts, int n_parts)
{
    logsum_run *r = run;
    for (int64_t i = 0; i < r->scan.px; i++) {
        double s = 0;
        for (int t = 0; t < n_parts; t++)
            s += ((logsum_part *)parts[t])->acc[i];
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
