/* k_sumsig.c — LiberTEM's SumSigUDF: intensity[n] = Σ_{y,x} F_n(y,x), the
 * exact integer sum of each frame, stored as f32 (nav). */
#include "../bench_util.h"
#include "handc.h"

typedef struct sumsig_run {
    handc_scan scan;
    float *intensity; /* frames */
} sumsig_run;

static void *create(const handc_scan *scan, const handc_params *params)
{
    (void)params;
    sumsig_run *r = handc_alloc(sizeof *r);
    r->scan = *scan;
    r->intensity = handc_alloc(scan->frames * (int64_t)sizeof(float));
    return r;
}

static void *part_create(void *run)
{
    (void)run;
    return NULL;
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)part;
    sumsig_run *r = run;
    for (int64_t i = 0; i < count; i++)
        r->intensity[first + i] = (float)bench_sum_u16(frames + i * r->scan.px, (size_t)r->scan.px);
}

static void finish(void *run, void **parts, int n_parts) { (void)run, (void)parts, (void)n_parts; }

static int write_results(void *run, const char *dir)
{
    sumsig_run *r = run;
    int64_t shape[2] = {r->scan.ny, r->scan.nx};
    return handc_write_npy(dir, "sumsig", "intensity", "<f4", shape, 2, r->intensity);
}

const handc_kernel handc_sumsig = {"sumsig", create, part_create, process, finish, write_results};
