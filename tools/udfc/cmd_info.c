/* cmd_info.c — `udfc info SPEC [data options]`: what a data set is and how a
 * run would read it. */
#include <stdio.h>

#include "commands.h"
#include "dataset.h"
#include "dtype.h"
#include "options.h"
#include "run.h"

static void print_shape(const char *label, int rank, const int64_t *dims)
{
    printf("%s(", label);
    for (int i = 0; i < rank; i++)
        printf("%s%lld", i ? ", " : "", (long long)dims[i]);
    printf(rank == 1 ? ",)\n" : ")\n");
}

int cmd_info(int argc, char **argv)
{
    RunOptions o = {0};
    int rc = options_parse(argc, argv, 0, &o);
    if (rc)
        return rc;
    if (!o.data)
        o.data = "demo";
    udfrt_error err = {0};
    udfrt_dataset *ds;
    if (udfrt_dataset_open(o.data, &o.open, &ds, &err) != UDFRT_OK) {
        fprintf(stderr, "udfc: error: %s\n", err.msg);
        return err.code;
    }
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    printf("data set:   %s\nformat:     %s\ndtype:      %s\n", ds->path, ds->ops->format,
           udfrt_dtype_name(ds->dtype));
    print_shape("nav shape:  ", ds->nav_rank, ds->nav_shape);
    print_shape("sig shape:  ", ds->sig_rank, ds->sig_shape);
    printf("frames:     %lld stored, %lld bytes each, %.3f GB in all\n",
           (long long)ds->image_count, (long long)frame_bytes,
           (double)(ds->image_count * frame_bytes) / 1e9);
    ds->ops->describe(ds, stdout);
    int64_t frames = ds->nav_size < ds->image_count ? ds->nav_size : ds->image_count;
    printf("partitions: %lld (any thread count)\ntiles:      %lld frames × whole frame\n",
           (long long)udfrt_partition_count(ds, frames), (long long)udfrt_tile_depth(ds));
    udfrt_dataset_destroy(ds);
    return 0;
}
