/* cmd_info.c — `udfc info SPEC [data options]`: what a data set is, how its
 * frames line up with the nav grid, and how a run with the same options
 * (--nav, --sync-offset, --roi, --partitions, corrections) would read it. */
#include <stdio.h>

#include "array_file.h"
#include "commands.h"
#include "session.h"
#include "session_setup.h"
#include "dtype.h"
#include "options.h"
#include "roi.h"
#include "run.h"

static void print_shape(const char *label, int rank, const int64_t *dims)
{
    char text[256];
    udfrt_format_shape(rank, dims, text, sizeof text);
    printf("%s%s\n", label, text);
}

static void print_grid_fit(const udfrt_dataset *ds)
{
    udfrt_grid_fit fit = udfrt_dataset_grid_fit(ds);
    printf("nav grid:   %lld of %lld positions show a frame", (long long)fit.positions_with_frame,
           (long long)ds->nav_size);
    if (ds->sync_offset)
        printf(" (--sync-offset %lld)", (long long)ds->sync_offset);
    printf("\n");
    if (fit.skipped_start || fit.ignored_end)
        printf("            frames not read: %lld at the start, %lld at the end\n",
               (long long)fit.skipped_start, (long long)fit.ignored_end);
    if (fit.inserted_start || fit.inserted_end)
        printf("            positions without a frame: %lld at the start, %lld at the end\n",
               (long long)fit.inserted_start, (long long)fit.inserted_end);
}

int cmd_info(int argc, char **argv)
{
    RunOptions o = {0};
    int rc = options_parse(argc, argv, 0, &o);
    if (rc)
        return rc;
    SessionSetup setup;
    rc = session_setup_open(&o, &setup);
    if (rc)
        return rc;
    const udfrt_dataset *ds = setup.ds;
    const uint8_t *roi = udfrt_session_selection(setup.session);
    const udfrt_corrections *corrections = udfrt_session_corrections_of(setup.session);
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    printf("data set:   %s\nformat:     %s\ndtype:      %s\n", ds->path, ds->ops->format,
           udfrt_dtype_name(ds->dtype));
    print_shape("nav shape:  ", ds->nav_rank, ds->nav_shape);
    print_shape("sig shape:  ", ds->sig_rank, ds->sig_shape);
    printf("frames:     %lld stored, %lld bytes each, %.3f GB in all\n", (long long)ds->image_count,
           (long long)frame_bytes, (double)(ds->image_count * frame_bytes) / 1e9);
    ds->ops->describe(ds, stdout);
    print_grid_fit(ds);
    if (roi)
        printf("roi:        %lld of %lld positions selected (%s)\n",
               (long long)udfrt_roi_count(roi, ds->nav_size), (long long)ds->nav_size, o.roi);
    udfrt_plan plan = udfrt_session_plan(setup.session);
    if (corrections)
        printf("corrections:%s%s %lld excluded pixels; kernels see %s frames, %s\n",
               o.dark ? " dark," : "", o.gain ? " gain," : "",
               (long long)udfrt_corrections_excluded(corrections),
               udfrt_dtype_name(plan.frame_dtype),
               udfrt_session_fusable(setup.session)
                   ? "corrected as udfc run's kernels load them"
                   : "corrected whole as they are read (excluded pixels need their neighbours)");
    printf("partitions: %lld for %lld frames (any thread count)\n", (long long)plan.partitions,
           (long long)plan.frames);
    int64_t tile[UDF_MAX_RANK + 1] = {plan.tile_depth};
    for (int i = 0; i < ds->sig_rank; i++)
        tile[i + 1] = ds->sig_shape[i];
    char shape[256];
    udfrt_format_shape(ds->sig_rank + 1, tile, shape, sizeof shape);
    printf("tiles:      %s %s: %lld whole frames\n", shape, udfrt_dtype_name(plan.frame_dtype),
           (long long)plan.tile_depth);
    session_setup_release(&setup);
    return 0;
}
