/* k_stddev_welford.c — the stdlib's stddev formula by hand, for comparing the
 * compiler with C on the same arithmetic: per thread and pixel, Welford's f64
 * update frame by frame (n += 1; δ = F − mean; mean += δ / n;
 * M2 += δ · (F − mean)), then the threads' partials combined with Chan's
 * pairwise formula; var = M2 / N (population), std = √var. k_stddev.c gets
 * the same results from exact integer sums, which u16 data allows and which
 * is faster; this one shows what the floating-point update itself costs.
 * Blocks of pixels outside and four frames per pass inside, as k_stddev.c. */
#include <math.h>

#include "handc.h"

#define BLOCK 1024

typedef struct welford_part {
    double *mean, *m2;
    int64_t n;
} welford_part;

static void *create(const handc_scan *scan, const handc_params *params)
{
    (void)params;
    return handc_stddev_out_create(scan);
}

static void *part_create(void *run)
{
    handc_stddev_out *r = run;
    welford_part *p = handc_alloc(sizeof *p);
    p->mean = handc_alloc(r->scan.px * (int64_t)sizeof(double));
    p->m2 = handc_alloc(r->scan.px * (int64_t)sizeof(double));
    return p;
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)first;
    handc_stddev_out *r = run;
    welford_part *p = part;
    int64_t px = r->scan.px;
    for (int64_t b = 0; b < px; b += BLOCK) {
        int64_t n = px - b < BLOCK ? px - b : BLOCK;
        double *mean = p->mean + b, *m2 = p->m2 + b;
        const uint16_t *src = frames + b;
        int64_t f = 0;
        double seen = (double)p->n;
        for (; f + 4 <= count; f += 4, src += 4 * px) {
            double w[4] = {1 / (seen + 1), 1 / (seen + 2), 1 / (seen + 3), 1 / (seen + 4)};
            seen += 4;
            for (int64_t i = 0; i < n; i++) {
                double m = mean[i], q = m2[i];
                for (int k = 0; k < 4; k++) {
                    double v = src[k * px + i], d = v - m;
                    m += d * w[k];
                    q += d * (v - m);
                }
                mean[i] = m;
                m2[i] = q;
            }
        }
        for (; f < count; f++, src += px) {
            double w = 1 / (seen + 1);
            seen += 1;
            for (int64_t i = 0; i < n; i++) {
                double v = src[i], d = v - mean[i];
                mean[i] += d * w;
                m2[i] += d * (v - mean[i]);
            }
        }
    }
    p->n += count;
}

/* Chan's formula, partial by partial, into r->mean and r->var (which holds
 * M2 until the last loop). */
static void finish(void *run, void **parts, int n_parts)
{
    handc_stddev_out *r = run;
    int64_t n = 0;
    for (int t = 0; t < n_parts; t++) {
        const welford_part *p = parts[t];
        if (p->n == 0)
            continue;
        double na = (double)n, nb = (double)p->n, total = na + nb;
        for (int64_t i = 0; i < r->scan.px; i++) {
            double delta = p->mean[i] - r->mean[i];
            r->var[i] += p->m2[i] + delta * delta * (na * nb / total);
            r->mean[i] += delta * (nb / total);
        }
        n += p->n;
    }
    for (int64_t i = 0; i < r->scan.px; i++) {
        r->var[i] /= (double)n;
        r->std[i] = sqrt(r->var[i]);
    }
    r->num_frames = n;
}

static int write_results(void *run, const char *dir)
{
    return handc_stddev_out_write(run, dir, "stddev_welford");
}

const handc_kernel handc_stddev_welford = {"stddev_welford", create, part_create,
                                           process,          finish, write_results};
