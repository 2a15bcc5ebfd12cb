/* stddev_out.c — the results both hand-C stddev kernels compute (per pixel
 * mean, var, std; num_frames) and their .npy files; see handc.h. */
#include "handc.h"

handc_stddev_out *handc_stddev_out_create(const handc_scan *scan)
{
    handc_stddev_out *o = handc_alloc(sizeof *o);
    o->scan = *scan;
    o->mean = handc_alloc(scan->px * (int64_t)sizeof(double));
    o->var = handc_alloc(scan->px * (int64_t)sizeof(double));
    o->std = handc_alloc(scan->px * (int64_t)sizeof(double));
    return o;
}

int handc_stddev_out_write(const handc_stddev_out *o, const char *dir, const char *kernel)
{
    int64_t shape[2] = {o->scan.sy, o->scan.sx};
    return handc_write_npy(dir, kernel, "mean", "<f8", shape, 2, o->mean) ||
           handc_write_npy(dir, kernel, "var", "<f8", shape, 2, o->var) ||
           handc_write_npy(dir, kernel, "std", "<f8", shape, 2, o->std) ||
           handc_write_npy(dir, kernel, "num_frames", "<i8", shape, 0, &o->num_frames);
}
