/* ds_demo.c — the built-in synthetic 4D-STEM data set `demo[:NY,NX,SY,SX]`
 * (u16, default 64×64 scan of 128×128 frames). Frames are generated on demand
 * into each reader's buffer, deterministically from the frame index, so any
 * thread count gives the same data:
 *   - a bright central disk (the unscattered beam) whose centre follows a
 *     smooth field over the scan, so centre-of-mass maps show structure;
 *   - hexagonal diffraction spots whose orientation and strength depend on the
 *     grain under the beam (a Voronoi tiling of the scan), so virtual dark
 *     fields show grains;
 *   - a weak background and Poisson-like counting noise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dataset.h"

enum { GRAINS = 7, SPOTS = 12 };

typedef struct demo {
    int64_t ny, nx, sy, sx;
    double grain_y[GRAINS], grain_x[GRAINS], grain_angle[GRAINS], grain_strength[GRAINS];
} demo;

struct udfrt_reader {
    uint16_t *frames;
    float *lambda; /* expected counts of the frame being generated */
};

/* A 64-bit mix (splitmix64 finaliser): the only source of randomness. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(uint64_t h) { return (double)(h >> 11) * 0x1p-53; }

static void demo_setup(demo *d)
{
    for (int g = 0; g < GRAINS; g++) {
        d->grain_y[g] = unit(mix(4 * (uint64_t)g + 1));
        d->grain_x[g] = unit(mix(4 * (uint64_t)g + 2));
        d->grain_angle[g] = unit(mix(4 * (uint64_t)g + 3)) * M_PI / 3;
        d->grain_strength[g] = 0.15 + 0.85 * unit(mix(4 * (uint64_t)g + 4));
    }
}

static int grain_at(const demo *d, double y, double x)
{
    int best = 0;
    double best_d2 = INFINITY;
    for (int g = 0; g < GRAINS; g++) {
        double dy = y - d->grain_y[g], dx = x - d->grain_x[g];
        if (dy * dy + dx * dx < best_d2) {
            best_d2 = dy * dy + dx * dx;
            best = g;
        }
    }
    return best;
}

static void generate(const demo *d, int64_t index, float *lambda, uint16_t *out)
{
    const int64_t sy = d->sy, sx = d->sx, npx = sy * sx;
    const double fy = (double)(index / d->nx) / (double)d->ny;
    const double fx = (double)(index % d->nx) / (double)d->nx;
    const double size = (double)(sy < sx ? sy : sx);
    const double amp = size / 24;
    const double cy = sy / 2.0 + amp * sin(2 * M_PI * fx) * cos(M_PI * fy);
    const double cx = sx / 2.0 + amp * sin(2 * M_PI * fy + 1.0) * cos(M_PI * fx);
    const double radius = size / 10;

    for (int64_t y = 0; y < sy; y++)
        for (int64_t x = 0; x < sx; x++) {
            double dist = hypot((double)y - cy, (double)x - cx);
            double edge = radius - dist + 0.5; /* anti-aliased rim over one pixel */
            double disk = edge <= 0 ? 0 : edge >= 1 ? 1 : edge;
            lambda[y * sx + x] = (float)(4.0 + 600.0 * disk);
        }

    int g = grain_at(d, fy, fx);
    const double sigma = size / 96 + 0.6;
    const int reach = (int)ceil(3 * sigma);
    for (int s = 0; s < SPOTS; s++) {
        int second_order = s >= 6;
        double angle = d->grain_angle[g] + (s % 6) * M_PI / 3 + (second_order ? M_PI / 6 : 0);
        double r = size * (second_order ? 0.25 * sqrt(3.0) : 0.25);
        double peak = 300.0 * d->grain_strength[g] * (second_order ? 0.4 : 1.0);
        double py = cy + r * sin(angle), px = cx + r * cos(angle);
        for (int64_t y = (int64_t)py - reach; y <= (int64_t)py + reach; y++)
            for (int64_t x = (int64_t)px - reach; x <= (int64_t)px + reach; x++) {
                if (y < 0 || y >= sy || x < 0 || x >= sx)
                    continue;
                double d2 =
                    ((double)y - py) * ((double)y - py) + ((double)x - px) * ((double)x - px);
                lambda[y * sx + x] += (float)(peak * exp(-d2 / (2 * sigma * sigma)));
            }
    }

    /* Counting noise: mean lambda, spread sqrt(lambda) (triangular shape). */
    uint64_t seed = mix((uint64_t)index ^ 0x5eedull);
    for (int64_t p = 0; p < npx; p++) {
        uint64_t h = mix(seed + (uint64_t)p);
        double tri = ((double)(h & 0xffffffff) + (double)(h >> 32)) * 0x1p-32 - 1.0;
        double v = lambda[p] + sqrt(lambda[p]) * tri * 2.449489742783178;
        out[p] = (uint16_t)(v <= 0 ? 0 : v >= 65535 ? 65535 : v + 0.5);
    }
}

static void demo_reader_destroy(udfrt_reader *rd)
{
    if (rd) {
        udfrt_free(rd->frames);
        udfrt_free(rd->lambda);
    }
    udfrt_free(rd);
}

static udfrt_status demo_reader_create(udfrt_dataset *ds, int64_t max_frames, udfrt_reader **out,
                                       udfrt_error *err)
{
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    if (rd) {
        rd->frames = udfrt_aligned_alloc((size_t)(ds->sig_size * max_frames) * sizeof(uint16_t));
        rd->lambda = udfrt_aligned_alloc((size_t)ds->sig_size * sizeof(float));
    }
    if (!rd || !rd->frames || !rd->lambda) {
        demo_reader_destroy(rd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the demo data set");
    }
    *out = rd;
    return UDFRT_OK;
}

static udfrt_status demo_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                              int64_t count, const void **frames, udfrt_error *err)
{
    (void)err;
    for (int64_t i = 0; i < count; i++) {
        uint16_t *frame = rd->frames + i * ds->sig_size;
        generate(ds->impl, file_frames[i], rd->lambda, frame);
        frames[i] = frame;
    }
    return UDFRT_OK;
}

static void demo_describe(const udfrt_dataset *ds, FILE *out)
{
    (void)ds;
    fprintf(out, "layout:     generated in memory (shifting disk, grains, noise)\n");
}

static void demo_destroy(udfrt_dataset *ds) { udfrt_free(ds->impl); }

static const udfrt_dataset_ops demo_ops = {
    .format = "demo",
    .reader_create = demo_reader_create,
    .reader_destroy = demo_reader_destroy,
    .read = demo_read,
    .describe = demo_describe,
    .destroy = demo_destroy,
};

udfrt_status udfrt_open_demo(const char *spec, const udfrt_open_options *opt, udfrt_dataset **out,
                             udfrt_error *err)
{
    (void)opt;
    long long dims[4] = {64, 64, 128, 128};
    if (spec[4] == ':') {
        char tail;
        if (sscanf(spec + 5, "%lld,%lld,%lld,%lld%c", &dims[0], &dims[1], &dims[2], &dims[3],
                   &tail) != 4)
            return udfrt_fail(err, UDFRT_ERR_USAGE,
                              "malformed demo spec '%s' (expected demo:NY,NX,SY,SX)", spec);
        for (int i = 0; i < 4; i++)
            if (dims[i] <= 0 || dims[i] > (1 << 16))
                return udfrt_fail(err, UDFRT_ERR_USAGE,
                                  "demo dims must be between 1 and 65536, not as in '%s'", spec);
    }
    udfrt_dataset *ds;
    udfrt_status st = udfrt_dataset_new(spec, &demo_ops, sizeof(demo), &ds, err);
    if (st != UDFRT_OK)
        return st;
    demo *d = ds->impl;
    ds->dtype = UDF_DTYPE_U16;
    int64_t shape[4] = {dims[0], dims[1], dims[2], dims[3]};
    st = udfrt_dataset_set_shape(ds, 4, shape, 2, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    d->ny = shape[0];
    d->nx = shape[1];
    d->sy = shape[2];
    d->sx = shape[3];
    demo_setup(d);
    *out = ds;
    return UDFRT_OK;
}
