/* k_masks.c — LiberTEM's ApplyMasksUDF: intensity[n, m] = Σ_p F_n[p]·mask_m[p]
 * in f32 (nav, mask index last). The straightforward loop: for each frame,
 * for each mask, a dot product. The dot product keeps 64 independent f32
 * lanes, which -O3 vectorises into FMAs without -ffast-math (one running sum
 * would not vectorise at all); the lanes are added at the end. */
#include <stdio.h>
#include <stdlib.h>

#include "handc.h"

#define LANES 64

typedef struct masks_run {
    handc_scan scan;
    int64_t n;        /* masks */
    float *masks;     /* n × px */
    float *intensity; /* frames × n */
} masks_run;

static void *create(const handc_scan *scan, const handc_params *params)
{
    if (!params->masks) {
        fputs("handc: masks needs --masks FILE.f32 (raw f32, shape (n, sy, sx))\n", stderr);
        return NULL;
    }
    FILE *f = fopen(params->masks, "rb");
    long bytes = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        bytes = ftell(f);
    int64_t mask_bytes = scan->px * (int64_t)sizeof(float);
    if (bytes <= 0 || bytes % mask_bytes != 0) {
        fprintf(stderr, "handc: '%s' is not a stack of f32 masks of the sig shape\n",
                params->masks);
        return NULL;
    }
    masks_run *r = handc_alloc(sizeof *r);
    r->scan = *scan;
    r->n = bytes / mask_bytes;
    r->masks = handc_alloc(bytes);
    r->intensity = handc_alloc(scan->frames * r->n * (int64_t)sizeof(float));
    rewind(f);
    if (fread(r->masks, 1, (size_t)bytes, f) != (size_t)bytes) {
        fprintf(stderr, "handc: cannot read '%s'\n", params->masks);
        return NULL;
    }
    fclose(f);
    return r;
}

static void *part_create(void *run)
{
    (void)run;
    return NULL;
}

static float dot(const uint16_t *frame, const float *mask, int64_t n)
{
    float acc[LANES] = {0};
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++)
            acc[l] += (float)frame[i + l] * mask[i + l];
    for (; i < n; i++)
        acc[0] += (float)frame[i] * mask[i];
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int l = 0; l < w; l++)
            acc[l] += acc[l + w];
    return acc[0];
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    (void)part;
    masks_run *r = run;
    int64_t px = r->scan.px;
    for (int64_t f = 0; f < count; f++)
        for (int64_t m = 0; m < r->n; m++)
            r->intensity[(first + f) * r->n + m] = dot(frames + f * px, r->masks + m * px, px);
}

static void finish(void *run, void **parts, int n_parts) { (void)run, (void)parts, (void)n_parts; }

static int write_results(void *run, const char *dir)
{
    masks_run *r = run;
    int64_t shape[3] = {r->scan.ny, r->scan.nx, r->n};
    return handc_write_npy(dir, "masks", "intensity", "<f4", shape, 3, r->intensity);
}

const handc_kernel handc_masks = {"masks", create, part_create, process, finish, write_results};
