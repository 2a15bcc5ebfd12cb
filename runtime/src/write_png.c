/* write_png.c — `--png DIR`: a quick-look image DIR/<udf>.<buffer>.png of
 * every 2-D nav or sig result (libpng, 8-bit grey, row 0 at the top). The
 * contrast is stretched between two percentiles of the finite values, as
 * numpy.percentile computes them (linear interpolation); values outside are
 * clipped, NaN is black. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "dtype.h"
#include "udfrt/config.h"
#include "writers.h"

/* Images of the scan or the detector: nav or sig results of rank 2 without
 * dims of their own (radial_profile's bins on a 1-D scan are no image). */
static int wanted(const udfrt_result *r)
{
    return (r->kind == UDF_KIND_NAV || r->kind == UDF_KIND_SIG) && r->rank == 2 && r->dims == 0 &&
           r->elements > 0;
}

/* The k-th smallest of a[0..n) (Hoare's quickselect). Afterwards a[0..k) holds
 * no larger and a(k..n) no smaller elements. The values must not be NaN. */
static double kth_smallest(double *a, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi];
        double pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return a[k];
}

/* numpy.percentile(values, p) with the default linear method. */
static double percentile(double *a, int64_t n, double p)
{
    double index = p / 100 * (double)(n - 1);
    int64_t k = (int64_t)floor(index);
    double below = kth_smallest(a, n, k), frac = index - (double)k;
    if (frac == 0 || k + 1 >= n)
        return below;
    double above = a[k + 1];
    for (int64_t i = k + 2; i < n; i++)
        above = a[i] < above ? a[i] : above;
    return below + (above - below) * frac;
}

/* Grey levels of the result's elements; 0 on failure to allocate. */
static int stretch(const udfrt_result *r, uint8_t *grey)
{
    double *finite = udfrt_malloc((size_t)r->elements * sizeof *finite);
    if (!finite)
        return 0;
    int64_t n = 0;
    for (int64_t i = 0; i < r->elements; i++) {
        double v = udfrt_load_double(r->data, r->dtype, (size_t)i);
        if (isfinite(v))
            finite[n++] = v;
    }
    double lo = 0, hi = 0;
    if (n > 0) {
        lo = percentile(finite, n, UDF_PNG_LOW_PERCENTILE);
        hi = percentile(finite, n, UDF_PNG_HIGH_PERCENTILE);
    }
    udfrt_free(finite);
    for (int64_t i = 0; i < r->elements; i++) {
        double v = udfrt_load_double(r->data, r->dtype, (size_t)i);
        grey[i] = isnan(v) || v <= lo ? 0
                  : v >= hi           ? 255
                                      : (uint8_t)((v - lo) / (hi - lo) * 255 + 0.5);
    }
    return 1;
}

typedef struct png_failure {
    jmp_buf jump;
    int errnum;
} png_failure;

/* libpng would print and abort; we record the system error and unwind. */
static void on_png_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_failure *f = png_get_error_ptr(png);
    f->errnum = errno;
    longjmp(f->jump, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Encodes grey[height][width] into `tmp`; returns 0 with *errnum set on
 * failure. */
static int encode(const char *tmp, const uint8_t *grey, uint32_t height, uint32_t width,
                  int *errnum)
{
    FILE *file = fopen(tmp, "wb");
    if (!file) {
        *errnum = errno;
        return 0;
    }
    png_failure failure = {.errnum = 0};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    volatile int ok = 0; /* read after a longjmp */
    if (png && info) {
        if (setjmp(failure.jump) == 0) {
            png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
            png_init_io(png, file);
            png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                         PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
            png_write_info(png, info);
            for (uint32_t y = 0; y < height; y++)
                png_write_row(png, grey + (size_t)y * width);
            png_write_end(png, NULL);
            ok = 1;
        }
    }
    *errnum = failure.errnum;
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    if (fclose(file) != 0 && ok) {
        *errnum = errno;
        ok = 0;
    }
    return ok;
}

static udfrt_status write_one(udfrt_staging *s, const char *dir, const udfrt_result *r,
                              udfrt_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.%s.png", dir, r->udf, r->name) >= (int)sizeof path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "output directory name '%s' is too long", dir);
    if (r->shape[0] > PNG_UINT_31_MAX || r->shape[1] > PNG_UINT_31_MAX)
        return udfrt_fail(err, UDFRT_ERR_DATA, "%s/%s is too large for a PNG image", r->udf,
                          r->name);
    uint8_t *grey = udfrt_malloc((size_t)r->elements);
    if (!grey || !stretch(r, grey)) {
        udfrt_free(grey);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the image '%s'", path);
    }
    const char *tmp;
    udfrt_status st = udfrt_stage_file(s, path, &tmp, err);
    int errnum = 0;
    if (st == UDFRT_OK && !encode(tmp, grey, (uint32_t)r->shape[0], (uint32_t)r->shape[1], &errnum))
        st = errnum ? udfrt_fail_errno(err, UDFRT_ERR_DATA, errnum, "cannot write '%s'", path)
                    : udfrt_fail(err, UDFRT_ERR_DATA, "cannot write '%s'", path);
    udfrt_free(grey);
    return st;
}

udfrt_status udfrt_write_png(udfrt_staging *s, const char *dir, const udfrt_result *results, int n,
                             udfrt_error *err)
{
    for (int i = 0; i < n; i++) {
        if (!wanted(&results[i]))
            continue;
        udfrt_status st = write_one(s, dir, &results[i], err);
        if (st != UDFRT_OK)
            return st;
    }
    return UDFRT_OK;
}
