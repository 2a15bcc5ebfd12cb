/* k_com.c — LiberTEM's CoMUDF with its defaults (cy, cx = sig // 2, no scan
 * rotation, no flip, no regression) and a disk of radius r (--r, default
 * infinite: the whole frame). Per frame the three mask sums Σ F·S, Σ F·y·S,
 * Σ F·x·S are exact integers without a multiplication per pixel: one pass over
 * the disk (a span of columns per row) adds each row into column sums and
 * into its row sum, then Σ F·y·S = Σ_y y·row_y and Σ F·x·S = Σ_x x·col_x.
 * (Row and column sums fit u32 for frames up to 65537 pixels a side.) Then,
 * all f32 (nav):
 *   field = (Σ F y S / Σ F S − cy, Σ F x S / Σ F S − cx), 0 where Σ F S = 0,
 *   magnitude = |field|, divergence = ∂fy/∂y + ∂fx/∂x, curl = ∂fy/∂x − ∂fx/∂y,
 * with the derivatives taken over the scan like numpy.gradient. */
#include <math.h>
#include <string.h>

#include "handc.h"

typedef struct com_run {
    handc_scan scan;
    int64_t *x0, *x1; /* per row: the disk's columns are [x0, x1) */
    double cy, cx;
    float *field, *magnitude, *divergence, *curl;
} com_run;

static void *create(const handc_scan *scan, const handc_params *params)
{
    com_run *r = handc_alloc(sizeof *r);
    r->scan = *scan;
    r->cy = (double)(scan->sy / 2);
    r->cx = (double)(scan->sx / 2);
    r->x0 = handc_alloc(scan->sy * (int64_t)sizeof(int64_t));
    r->x1 = handc_alloc(scan->sy * (int64_t)sizeof(int64_t));
    double r2 = params->r * params->r;
    for (int64_t y = 0; y < scan->sy; y++) {
        r->x0[y] = scan->sx;
        for (int64_t x = 0; x < scan->sx; x++)
            if ((y - r->cy) * (y - r->cy) + (x - r->cx) * (x - r->cx) <= r2) {
                r->x0[y] = x < r->x0[y] ? x : r->x0[y];
                r->x1[y] = x + 1;
            }
    }
    r->field = handc_alloc(scan->frames * 2 * (int64_t)sizeof(float));
    r->magnitude = handc_alloc(scan->frames * (int64_t)sizeof(float));
    r->divergence = handc_alloc(scan->frames * (int64_t)sizeof(float));
    r->curl = handc_alloc(scan->frames * (int64_t)sizeof(float));
    return r;
}

/* A thread's column sums of the current frame. */
static void *part_create(void *run)
{
    com_run *r = run;
    return handc_alloc(r->scan.sx * (int64_t)sizeof(uint32_t));
}

static void process(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count)
{
    com_run *r = run;
    uint32_t *col = part;
    int64_t sx = r->scan.sx;
    for (int64_t f = 0; f < count; f++) {
        const uint16_t *frame = frames + f * r->scan.px;
        uint64_t s = 0, sum_y = 0, sum_x = 0;
        memset(col, 0, (size_t)sx * sizeof *col);
        for (int64_t y = 0; y < r->scan.sy; y++) {
            const uint16_t *row = frame + y * sx;
            uint32_t row_sum = 0;
            for (int64_t x = r->x0[y]; x < r->x1[y]; x++) {
                col[x] += row[x];
                row_sum += row[x];
            }
            s += row_sum;
            sum_y += (uint64_t)y * row_sum;
        }
        for (int64_t x = 0; x < sx; x++)
            sum_x += (uint64_t)x * col[x];
        float *out = r->field + (first + f) * 2;
        out[0] = s ? (float)((double)sum_y / (double)s - r->cy) : 0.0f;
        out[1] = s ? (float)((double)sum_x / (double)s - r->cx) : 0.0f;
    }
}

/* numpy.gradient at position i of the n values v[0], v[stride], ...:
 * central differences inside, one-sided at the ends, 0 for a single value. */
static float gradient(const float *v, int64_t stride, int64_t i, int64_t n)
{
    if (n < 2)
        return 0.0f;
    int64_t lo = i > 0 ? i - 1 : 0, hi = i < n - 1 ? i + 1 : n - 1;
    return (v[hi * stride] - v[lo * stride]) / (float)(hi - lo);
}

static void finish(void *run, void **parts, int n_parts)
{
    (void)parts, (void)n_parts;
    com_run *r = run;
    int64_t ny = r->scan.ny, nx = r->scan.nx;
    for (int64_t y = 0; y < ny; y++)
        for (int64_t x = 0; x < nx; x++) {
            int64_t n = y * nx + x;
            float fy = r->field[2 * n], fx = r->field[2 * n + 1];
            const float *row = r->field + 2 * y * nx, *col = r->field + 2 * x;
            r->magnitude[n] = sqrtf(fy * fy + fx * fx);
            r->divergence[n] = gradient(col, 2 * nx, y, ny) + gradient(row + 1, 2, x, nx);
            r->curl[n] = gradient(row, 2, x, nx) - gradient(col + 1, 2 * nx, y, ny);
        }
}

static int write_results(void *run, const char *dir)
{
    com_run *r = run;
    int64_t shape[3] = {r->scan.ny, r->scan.nx, 2};
    return handc_write_npy(dir, "com", "field", "<f4", shape, 3, r->field) ||
           handc_write_npy(dir, "com", "magnitude", "<f4", shape, 2, r->magnitude) ||
           handc_write_npy(dir, "com", "divergence", "<f4", shape, 2, r->divergence) ||
           handc_write_npy(dir, "com", "curl", "<f4", shape, 2, r->curl);
}

const handc_kernel handc_com = {"com", create, part_create, process, finish, write_results};
