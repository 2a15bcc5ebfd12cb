/* corrections.c — dark/gain/excluded-pixel corrections; see corrections.h.
 *
 * (raw - dark) * gain is one vectorisable loop per stored type; the repair of
 * excluded pixels uses neighbour lists computed once, so a frame costs one
 * pass over its pixels plus a few loads per excluded pixel. */
#include "corrections.h"

#include "alloc.h"
#include "array_file.h"
#include "dtype.h"

typedef void (*correct_fn)(const void *restrict raw, void *restrict out, const void *restrict dark,
                           const void *restrict gain, int64_t n);

/* Stored types by the float type T they are corrected in, with their C type. */
#define CORRECTED_IN_F32(X) \
    X(BOOL, uint8_t) X(I8, int8_t) X(I16, int16_t) X(U8, uint8_t) X(U16, uint16_t) X(F32, float)
#define CORRECTED_IN_F64(X) \
    X(I32, int32_t) X(I64, int64_t) X(U32, uint32_t) X(U64, uint64_t) X(F64, double)

/* Blocks of a fixed 16 pixels, and restrict parameters, let GCC's -O2 (its
 * "very cheap" vectoriser: no alias checks, no epilogues) vectorise the loop.
 * One loop per stored type and per set of planes given: without a gain, or a
 * dark frame, the loop reads one stream fewer (subtracting 0 and multiplying
 * by 1 change no value; runs with a dark frame only took 1.13-1.15x less
 * time on u16 frames). */
#define DEFINE_LOOP(name, ctype, t, value)                                                    \
    static void name(const void *restrict raw, void *restrict out, const void *restrict dark, \
                     const void *restrict gain, int64_t n)                                    \
    {                                                                                         \
        const ctype *r = raw;                                                                 \
        t *o = out;                                                                           \
        const t *d = dark, *g = gain;                                                         \
        (void)d;                                                                              \
        (void)g;                                                                              \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16)                                                          \
            for (int64_t j = i; j < i + 16; j++)                                              \
                o[j] = value;                                                                 \
        for (int64_t j = i; j < n; j++)                                                       \
            o[j] = value;                                                                     \
    }
#define DEFINE_CORRECT(e, ctype, t)                          \
    DEFINE_LOOP(both_##e, ctype, t, ((t)r[j] - d[j]) * g[j]) \
    DEFINE_LOOP(dark_##e, ctype, t, (t)r[j] - d[j])          \
    DEFINE_LOOP(gain_##e, ctype, t, (t)r[j] * g[j])          \
    DEFINE_LOOP(none_##e, ctype, t, (t)r[j])
#define DEFINE_F32(e, ctype) DEFINE_CORRECT(e, ctype, float)
#define DEFINE_F64(e, ctype) DEFINE_CORRECT(e, ctype, double)
CORRECTED_IN_F32(DEFINE_F32)
CORRECTED_IN_F64(DEFINE_F64)

/* Per stored type: its loops, indexed by (dark given) + 2 * (gain given). */
static const struct {
    correct_fn fn[4];
    udf_dtype output;
} correct_table[UDF_DTYPE_COUNT] = {
#define FNS(e)                                 \
    {                                          \
        none_##e, dark_##e, gain_##e, both_##e \
    }
#define ROW_F32(e, ctype) [UDF_DTYPE_##e] = {FNS(e), UDF_DTYPE_F32},
#define ROW_F64(e, ctype) [UDF_DTYPE_##e] = {FNS(e), UDF_DTYPE_F64},
    CORRECTED_IN_F32(ROW_F32) CORRECTED_IN_F64(ROW_F64)};

struct udfrt_corrections {
    udf_dtype output;
    int64_t sig_size;
    correct_fn correct;
    void *dark, *gain; /* sig_size elements of T, or NULL where not given */
    int64_t n_excluded;
    int64_t *excluded;        /* flat index of each excluded pixel */
    int64_t *neighbour_start; /* n_excluded + 1 offsets into neighbours */
    int64_t *neighbours;      /* valid neighbours of each excluded pixel, flat indices */
};

udf_dtype udfrt_corrections_dtype(udf_dtype stored) { return correct_table[stored].output; }
udf_dtype udfrt_corrections_output(const udfrt_corrections *c) { return c->output; }
int64_t udfrt_corrections_excluded(const udfrt_corrections *c) { return c->n_excluded; }
const void *udfrt_corrections_dark(const udfrt_corrections *c) { return c->dark; }
const void *udfrt_corrections_gain(const udfrt_corrections *c) { return c->gain; }

int32_t udfrt_corrections_fusable(const udfrt_corrections *c, udf_dtype stored)
{
    if (c->n_excluded > 0)
        return 0;
    return UDF_FUSED | (int32_t)stored | (c->dark ? UDF_FUSED_DARK : 0) |
           (c->gain ? UDF_FUSED_GAIN : 0);
}

void udfrt_corrections_destroy(udfrt_corrections *c)
{
    if (!c)
        return;
    udfrt_free(c->dark);
    udfrt_free(c->gain);
    udfrt_free(c->excluded);
    udfrt_free(c->neighbour_start);
    udfrt_free(c->neighbours);
    udfrt_free(c);
}

/* `values` (sig_size of them) converted to T, or NULL if not given: the
 * loops of corrections without that plane do not read it. */
static void *make_plane(const udfrt_corrections *c, const double *values)
{
    void *plane =
        values ? udfrt_aligned_alloc((size_t)c->sig_size * udfrt_dtype_size(c->output)) : NULL;
    if (plane)
        for (int64_t i = 0; i < c->sig_size; i++)
            udfrt_store_double(plane, c->output, (size_t)i, values[i]);
    return plane;
}

static void pixel_coord(const udfrt_dataset *ds, int64_t pixel, int64_t *coord)
{
    for (int d = ds->sig_rank - 1; d >= 0; d--) {
        coord[d] = pixel % ds->sig_shape[d];
        pixel /= ds->sig_shape[d];
    }
}

/* Counts the valid neighbours of pixel `pixel`, and lists their flat indices
 * in list[] unless it is NULL. */
static int64_t list_neighbours(const udfrt_dataset *ds, const uint8_t *excluded, int64_t pixel,
                               int64_t *list)
{
    int64_t coord[UDF_MAX_RANK], combos = 1, n = 0;
    pixel_coord(ds, pixel, coord);
    for (int d = 0; d < ds->sig_rank; d++)
        combos *= 3;
    for (int64_t m = 0; m < combos; m++) {
        int64_t digits = m, index = 0, scale = 1;
        int inside = 1, centre = 1;
        for (int d = ds->sig_rank - 1; d >= 0; d--) {
            int64_t step = digits % 3 - 1, c = coord[d] + step;
            digits /= 3;
            centre &= step == 0;
            inside &= c >= 0 && c < ds->sig_shape[d];
            index += c * scale;
            scale *= ds->sig_shape[d];
        }
        if (centre || !inside || excluded[index])
            continue;
        if (list)
            list[n] = index;
        n++;
    }
    return n;
}

static udfrt_status build_repairs(const udfrt_dataset *ds, const uint8_t *excluded,
                                  const char *exclude_name, udfrt_corrections *c, udfrt_error *err)
{
    int64_t total = 0;
    for (int64_t p = 0; p < ds->sig_size; p++) {
        if (!excluded[p])
            continue;
        int64_t n = list_neighbours(ds, excluded, p, NULL);
        if (n == 0) {
            char where[256];
            int64_t coord[UDF_MAX_RANK];
            pixel_coord(ds, p, coord);
            udfrt_format_shape(ds->sig_rank, coord, where, sizeof where);
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "--exclude: in '%s', excluded pixel %s has no valid neighbour to "
                              "take its value from (all pixels around it are excluded or outside "
                              "the frame)",
                              exclude_name, where);
        }
        c->n_excluded++;
        total += n;
    }
    c->excluded = udfrt_calloc((size_t)c->n_excluded, sizeof *c->excluded);
    c->neighbour_start = udfrt_calloc((size_t)c->n_excluded + 1, sizeof *c->neighbour_start);
    c->neighbours = udfrt_calloc((size_t)total, sizeof *c->neighbours);
    if (!c->excluded || !c->neighbour_start || !c->neighbours)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the excluded pixels");
    int64_t k = 0, used = 0;
    for (int64_t p = 0; p < ds->sig_size; p++) {
        if (!excluded[p])
            continue;
        c->excluded[k] = p;
        c->neighbour_start[k++] = used;
        used += list_neighbours(ds, excluded, p, c->neighbours + used);
    }
    c->neighbour_start[k] = used;
    return UDFRT_OK;
}

udfrt_status udfrt_corrections_create(const udfrt_dataset *ds, const double *dark,
                                      const double *gain, const uint8_t *excluded,
                                      const char *exclude_name, udfrt_corrections **out,
                                      udfrt_error *err)
{
    *out = NULL;
    udfrt_corrections *c = udfrt_calloc(1, sizeof *c);
    if (!c)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the corrections");
    c->output = udfrt_corrections_dtype(ds->dtype);
    c->correct = correct_table[ds->dtype].fn[(dark != NULL) + 2 * (gain != NULL)];
    c->sig_size = ds->sig_size;
    c->dark = make_plane(c, dark);
    c->gain = make_plane(c, gain);
    udfrt_status st = UDFRT_OK;
    if ((dark && !c->dark) || (gain && !c->gain))
        st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the corrections");
    if (st == UDFRT_OK && excluded)
        st = build_repairs(ds, excluded, exclude_name, c, err);
    if (st != UDFRT_OK) {
        udfrt_corrections_destroy(c);
        return st;
    }
    *out = c;
    return UDFRT_OK;
}

void udfrt_corrections_apply(const udfrt_corrections *c, const void *raw, void *out)
{
    c->correct(raw, out, c->dark, c->gain, c->sig_size);
    for (int64_t k = 0; k < c->n_excluded; k++) {
        double sum = 0;
        int64_t first = c->neighbour_start[k], last = c->neighbour_start[k + 1];
        for (int64_t i = first; i < last; i++)
            sum += udfrt_load_double(out, c->output, (size_t)c->neighbours[i]);
        udfrt_store_double(out, c->output, (size_t)c->excluded[k], sum / (double)(last - first));
    }
}

/* Loads one correction file of the sig shape as doubles. */
static udfrt_status load_plane(const udfrt_dataset *ds, const char *path, const char *option,
                               double **out, udfrt_error *err)
{
    *out = NULL;
    if (!path)
        return UDFRT_OK;
    udfrt_array a;
    udfrt_error local = {0};
    if (udfrt_array_load(path, ds->sig_size, &a, &local) != UDFRT_OK)
        return udfrt_fail(err, local.code, "%s: %s", option, local.msg);
    int same = a.rank == ds->sig_rank;
    for (int d = 0; same && d < a.rank; d++)
        same = a.shape[d] == ds->sig_shape[d];
    if (!same) {
        char have[256], want[256];
        udfrt_format_shape(a.rank, a.shape, have, sizeof have);
        udfrt_format_shape(ds->sig_rank, ds->sig_shape, want, sizeof want);
        udfrt_array_free(&a);
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "%s: '%s' has shape %s, but the frames have the sig shape %s", option,
                          path, have, want);
    }
    *out = udfrt_malloc((size_t)a.elements * sizeof **out);
    if (*out)
        for (int64_t i = 0; i < a.elements; i++)
            (*out)[i] = udfrt_load_double(a.data, a.dtype, (size_t)i);
    udfrt_array_free(&a);
    return *out ? UDFRT_OK : udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", path);
}

udfrt_status udfrt_corrections_load(const udfrt_dataset *ds, const char *dark_path,
                                    const char *gain_path, const char *exclude_path,
                                    udfrt_corrections **out, udfrt_error *err)
{
    double *dark = NULL, *gain = NULL, *exclude = NULL;
    uint8_t *excluded = NULL;
    udfrt_status st = load_plane(ds, dark_path, "--dark", &dark, err);
    if (st == UDFRT_OK)
        st = load_plane(ds, gain_path, "--gain", &gain, err);
    if (st == UDFRT_OK)
        st = load_plane(ds, exclude_path, "--exclude", &exclude, err);
    if (st == UDFRT_OK && exclude) {
        excluded = udfrt_malloc((size_t)ds->sig_size);
        if (!excluded)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for the excluded pixels");
        for (int64_t i = 0; excluded && i < ds->sig_size; i++)
            excluded[i] = exclude[i] != 0;
    }
    if (st == UDFRT_OK)
        st = udfrt_corrections_create(ds, dark, gain, excluded, exclude_path, out, err);
    udfrt_free(dark);
    udfrt_free(gain);
    udfrt_free(exclude);
    udfrt_free(excluded);
    return st;
}
