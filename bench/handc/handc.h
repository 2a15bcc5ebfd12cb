/* handc.h — the hand-written C versions of the standard library's UDFs,
 * written for the benchmark as a careful engineer would (LiberTEM's formulas,
 * exact integer sums where u16 data allows, loops the compiler vectorises).
 * main.c reads the scan and runs one kernel on its threads; each k_*.c file
 * is one kernel; npy.c writes the results for the correctness check.
 *
 * Data: a raw u16 scan, C order, 2 nav dims and 2 sig dims. */
#ifndef HANDC_H
#define HANDC_H

#include <stddef.h>
#include <stdint.h>

typedef struct handc_scan {
    int64_t ny, nx; /* nav shape */
    int64_t sy, sx; /* sig shape */
    int64_t frames; /* ny * nx */
    int64_t px;     /* sy * sx */
} handc_scan;

typedef struct handc_params {
    const char *masks; /* raw f32 mask stack (n, sy, sx), for masks */
    double r;          /* disk radius for com (LiberTEM's default: infinite) */
} handc_params;

/* One kernel. The run state and a partial per thread are opaque; `process`
 * sees `count` consecutive frames starting at flat nav index `first`, from
 * any thread in any order. Memory is released when the program exits. */
typedef struct handc_kernel {
    const char *name;
    /* Returns the run state, or NULL after printing why. */
    void *(*create)(const handc_scan *scan, const handc_params *params);
    void *(*part_create)(void *run);
    void (*process)(void *run, void *part, const uint16_t *frames, int64_t first, int64_t count);
    /* Merges the partials and computes the results (timed). */
    void (*finish)(void *run, void **parts, int n_parts);
    /* Writes DIR/<kernel>.<buffer>.npy for each result; 0 on success. */
    int (*write)(void *run, const char *dir);
} handc_kernel;

extern const handc_kernel handc_sumsig, handc_sum, handc_masks, handc_com, handc_stddev,
    handc_stddev_welford, handc_logsum;

/* Writes `data` as DIR/KERNEL.BUFFER.npy with numpy dtype `descr` ("<f4",
 * "<f8", "<i8") and the given shape; 0 on success. */
int handc_write_npy(const char *dir, const char *kernel, const char *buffer, const char *descr,
                    const int64_t *shape, int rank, const void *data);

/* Allocation that exits with a message on failure (64-byte aligned, zeroed). */
void *handc_alloc(int64_t bytes);

/* Exact per-pixel sums of u16 frames (u16_sums.c): kernels add into the u32
 * `lanes`, which are flushed into the u64 `totals` before 65537 frames could
 * overflow them. */
typedef struct handc_u16_sums {
    uint32_t *lanes;
    uint64_t *totals;
    int64_t pending; /* frames in lanes since the last flush */
} handc_u16_sums;

void handc_u16_sums_init(handc_u16_sums *s, int64_t px);
/* Makes room for `frames` more frames in the lanes (flushing if needed). */
void handc_u16_sums_reserve(handc_u16_sums *s, int64_t px, int64_t frames);
void handc_u16_sums_flush(handc_u16_sums *s, int64_t px);

/* The results of both stddev kernels (stddev_out.c): per pixel mean, var
 * and std, and num_frames; the run state of each. */
typedef struct handc_stddev_out {
    handc_scan scan;
    double *mean, *var, *std;
    int64_t num_frames;
} handc_stddev_out;

handc_stddev_out *handc_stddev_out_create(const handc_scan *scan);
/* Writes DIR/<kernel>.{mean,var,std,num_frames}.npy; 0 on success. */
int handc_stddev_out_write(const handc_stddev_out *o, const char *dir, const char *kernel);

#endif
