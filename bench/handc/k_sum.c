/* k_sum.c — LiberTEM's SumUDF: intensity(y,x) = Σ_n F_n(y,x), stored as f32
 * (sig). Each thread sums exactly into u32 pixel accumulators, pixel block by
 * pixel block so a block's accumulators stay in L1 across the frames of a
 * tile, and flushes them into u64 before 65537 frames could overflow u32. */
#include "handc.h"

#define BLOCK 2048 /* pixels whose accumulators stay in L1 */

typedef struct sum_run {
    handc_scan scan;
    float *intensity; /* px */
} sum_run;

typedef struct sum_part {
    handc_u16_sums sums;
} sum_part;

static void *create(const handc_scan *scan, const handc_params *params)
{
    (void)params;
    sum_run *r = handc_alloc(sizeof *r);
    r->scan = *scan;
    r->intensity = handc_alloc(scan->px * (int64_t)sizeof(float));
    return r;
}

static void *part_create(void *run)
{
    sum_run *r = run;
    sum_part *p = handc_alloc(sizeof *p);
    handc_u16_sums_init(&p->sums, r->scan.px);
    return p;
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)first;
    sum_run *r = run;
    sum_part *p = part;
    int64_t px = r->scan.px;
    handc_u16_sums_reserve(&p->sums, px, count);
    for (int64_t b = 0; b < px; b += BLOCK) {
        int64_t n = px - b < BLOCK ? px - b : BLOCK;
        uint32_t *acc = p->sums.lanes + b;
        const uint16_t *src = frames + b;
        int64_t f = 0;
        /* Four frames per pass: a quarter of the accumulator stores. */
        for (; f + 4 <= count; f += 4, src += 4 * px)
            for (int64_t i = 0; i < n; i++)
                acc[i] += (uint32_t)src[i] + src[px + i] + src[2 * px + i] + src[3 * px + i];
        for (; f < count; f++, src += px)
            for (int64_t i = 0; i < n; i++)
                acc[i] += src[i];
    }
}

static void finish(void *run, void **parts, int n_parts)
{
    sum_run *r = run;
    for (int t = 0; t < n_parts; t++)
        handc_u16_sums_flush(&((sum_part *)parts[t])->sums, r->scan.px);
    for (int64_t i = 0; i < r->scan.px; i++) {
        uint64_t s = 0;
        for (int t = 0; t < n_parts; t++)
            s += ((sum_part *)parts[t])->sums.totals[i];
        r->intensity[i] = (float)s;
    }
}

static int write_results(void *run, const char *dir)
{
    sum_run *r = run;
    int64_t shape[2] = {r->scan.sy, r->scan.sx};
    return handc_write_npy(dir, "sum", "intensity", "<f4", shape, 2, r->intensity);
}

const handc_kernel handc_sum = {"sum", create, part_create, process, finish, write_results};
