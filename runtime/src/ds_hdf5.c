/* ds_hdf5.c — HDF5 datasets as data sets (`PATH.h5[:/dataset/path]`). The
 * HDF5 library serialises every call behind one global lock, so it stays out
 * of the data path wherever it can:
 *  - contiguous datasets are read like raw files at their byte offset
 *    (frame_file), without the library;
 *  - chunked datasets, unfiltered or with filters udf decodes itself
 *    (h5_filters.h), are read and decoded in the worker threads, the library
 *    only locating each chunk (h5_chunks.h, h5_capture.h);
 *  - everything else (other filters, compact, virtual or external storage,
 *    unwritten contiguous data) goes through H5Dread, serialised. */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "dataset.h"
#include "dtype.h"
#include "frame_file.h"
#include "h5_capture.h"
#include "h5_chunks.h"
#include "h5_sources.h"
#include "h5util.h"
#include "inputs.h"
#include "udfrt/config.h"

typedef enum read_mode { MODE_CONTIGUOUS, MODE_CHUNKS, MODE_LIBRARY } read_mode;

typedef struct h5_impl {
    udfrt_frame_file ff; /* first, so that MODE_CONTIGUOUS can use the frame_file ops */
    read_mode mode;
    hid_t file, dset, mem_type;
    char *name;           /* "file:/path" for messages */
    char ds_path[1024];   /* the dataset inside the file */
    char data_file[4096]; /* the file that holds the dataset (differs behind external links) */
    const char *library_reason; /* MODE_LIBRARY: why */
    char reason_buf[256];
    udfrt_h5_chunks chunks; /* MODE_CHUNKS, and the layout for describe */
    int chunked;
    int64_t hdf5_chunks; /* chunks allocated in the file */
} h5_impl;

struct udfrt_reader { /* MODE_CHUNKS and MODE_LIBRARY */
    udfrt_h5_chunk_reader *chunks;
    unsigned char *out;
    hid_t file_space;
};

static const char *const suffixes[] = {".h5", ".hdf5", ".hdf", ".hspy", ".emd", ".nxs", ".nx5"};

static int ends_with_suffix(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && strncasecmp(s + n - k, suffixes[i], k) == 0)
            return 1;
    }
    return 0;
}

size_t udfrt_hdf5_split_spec(const char *spec)
{
    size_t n = strlen(spec);
    for (size_t i = n; i > 0; i--)
        if (spec[i - 1] == ':' && ends_with_suffix(spec, i - 1))
            return i - 1;
    return ends_with_suffix(spec, n) ? n : 0;
}

/* The innermost message on this thread's HDF5 error stack (the cause). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc)
        snprintf(data, 256, "%s", e->desc);
    return 0;
}

static const char *h5_cause(char *buf)
{
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, buf);
    return buf[0] ? buf : "unknown HDF5 error";
}

/* Searching the file for the largest dataset of >= 3 dims with a numeric type. */
typedef struct search {
    char best[1024];
    hssize_t best_size;
} search;

/* The elements of dataset `name` at loc if it can hold frames (a numeric
 * type, at least 3 dims), else -1. */
static hssize_t frame_elements(hid_t loc, const char *name)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t space = H5Dget_space(d), type = H5Dget_type(d);
    udf_dtype t;
    int be;
    hssize_t n = space >= 0 && type >= 0 && H5Sget_simple_extent_ndims(space) >= 3 &&
                         udfrt_h5_element_type(type, &t, &be)
                     ? H5Sget_simple_extent_npoints(space)
                     : -1;
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
    return n;
}

static herr_t visit(hid_t loc, const char *name, const H5O_info_t *info, void *data)
{
    search *s = data;
    hssize_t n = info->type == H5O_TYPE_DATASET ? frame_elements(loc, name) : -1;
    if (n > s->best_size && strlen(name) + 2 < sizeof s->best) {
        s->best_size = n;
        snprintf(s->best, sizeof s->best, "/%s", name);
    }
    return 0;
}

/* Opens h's dataset. MODE_LIBRARY reads through the library's chunk cache:
 * room for a run of chunks (64 MiB), so that reading frame by frame decodes
 * each chunk once; the other modes do not use it. */
static udfrt_status open_dset(h5_impl *h, udfrt_error *err)
{
    char cause[256];
    size_t cache_bytes = 64 << 20;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 12421, cache_bytes, 1.0);
    h->dset = H5Dopen2(h->file, h->ds_path, dapl);
    H5Pclose(dapl);
    h->chunks.dset = h->dset;
    if (h->dset < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot open dataset '%s' (%s)", h->name,
                          h5_cause(cause));
    return UDFRT_OK;
}

/* A hint for a group given as the dataset path: NeXus's @signal or EMD's data. */
static const char *group_hint(hid_t file, const char *path, char *buf, size_t size)
{
    char child[1200];
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    buf[0] = 0;
    if (g < 0)
        return buf;
    if (H5Aexists(g, "signal") > 0) {
        hid_t a = H5Aopen(g, "signal", H5P_DEFAULT), t = H5Aget_type(a);
        char name[256] = "";
        if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) &&
            H5Tget_size(t) < sizeof name) {
            hid_t mt = H5Tcopy(t);
            H5Aread(a, mt, name);
            H5Tclose(mt);
        } else if (H5Tget_class(t) == H5T_STRING) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t)); /* h5py writes UTF-8 */
            if (H5Aread(a, mt, &v) >= 0 && v) {
                snprintf(name, sizeof name, "%s", v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        }
        H5Tclose(t);
        H5Aclose(a);
        if (name[0])
            snprintf(buf, size, " (its @signal names '%s/%s')", path, name);
    } else {
        snprintf(child, sizeof child, "%s/data", path);
        if (H5Lexists(g, "data", H5P_DEFAULT) > 0)
            snprintf(buf, size, " (did you mean '%s'?)", child);
    }
    H5Gclose(g);
    return buf;
}

static udfrt_status find_dataset(h5_impl *h, const char *file_path, const char *ds_path,
                                 udfrt_error *err)
{
    char cause[256], hint[1400];
    if (ds_path) {
        snprintf(h->ds_path, sizeof h->ds_path, "%s", ds_path);
        if (ds_path[0] != '/' || strlen(ds_path) >= sizeof h->ds_path)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s': the dataset path '%s' must start with '/' (e.g. "
                              "%s:/entry/data)",
                              file_path, ds_path, file_path);
        H5O_info_t info;
        if (H5Oget_info_by_name2(h->file, ds_path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has no object '%s' (%s)", file_path,
                              ds_path, h5_cause(cause));
        if (info.type != H5O_TYPE_DATASET)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' in '%s' is a %s, not a dataset%s", ds_path,
                              file_path, info.type == H5O_TYPE_GROUP ? "group" : "named datatype",
                              group_hint(h->file, ds_path, hint, sizeof hint));
    } else {
        search s = {.best_size = -1};
        if (H5Ovisit2(h->file, H5_INDEX_NAME, H5_ITER_INC, visit, &s, H5O_INFO_BASIC) < 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "cannot list the objects of '%s' (%s)",
                              file_path, h5_cause(cause));
        if (s.best_size < 0)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' has no numeric dataset with at least 3 dims; name one as "
                              "%s:/path/to/dataset",
                              file_path, file_path);
        snprintf(h->ds_path, sizeof h->ds_path, "%s", s.best);
    }
    size_t n = strlen(file_path) + strlen(h->ds_path) + 2;
    char *name = udfrt_malloc(n);
    if (!name)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", file_path);
    snprintf(name, n, "%s:%s", file_path, h->ds_path);
    udfrt_free(h->name);
    h->name = name;
    return open_dset(h, err);
}

/* Filters of a chunked dataset; decides MODE_CHUNKS or MODE_LIBRARY. */
static udfrt_status read_filters(h5_impl *h, hid_t dcpl, udfrt_error *err)
{
    udfrt_h5_pipeline *p = &h->chunks.pipeline;
    int n = H5Pget_nfilters(dcpl);
    if (n < 0 || n > UDFRT_H5_MAX_FILTERS)
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has an unreadable filter pipeline", h->name);
    p->count = n;
    h->mode = MODE_CHUNKS;
    for (int i = 0; i < n; i++) {
        udfrt_h5_filter *f = &p->filters[i];
        unsigned flags, config = 0;
        size_t nv = UDFRT_H5_FILTER_VALUES;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nv, f->values, sizeof f->name,
                                         f->name, &config);
        if (id < 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has an unreadable filter pipeline",
                              h->name);
        f->id = (unsigned)id;
        f->n_values = nv < UDFRT_H5_FILTER_VALUES ? (unsigned)nv : UDFRT_H5_FILTER_VALUES;
        const char *why = NULL;
        if (udfrt_h5_filter_decodable(f, &why))
            continue;
        char label[128];
        udfrt_h5_filter_label(f, label, sizeof label);
        if (H5Zfilter_avail(id) <= 0 ||
            (H5Zget_filter_info(id, &config) >= 0 && !(config & H5Z_FILTER_CONFIG_DECODE_ENABLED)))
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' is compressed with filter %s, which neither udf nor an "
                              "installed HDF5 plugin can decode",
                              h->name, label);
        snprintf(h->reason_buf, sizeof h->reason_buf, "filter %s: %s", label, why);
        h->library_reason = h->reason_buf;
        h->mode = MODE_LIBRARY;
    }
    return UDFRT_OK;
}

static udfrt_status read_layout(h5_impl *h, udfrt_dataset *ds, const hsize_t *dims, hid_t type,
                                int big_endian, udfrt_error *err)
{
    hid_t dcpl = H5Dget_create_plist(h->dset);
    if (dcpl < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot read the layout of '%s'", h->name);
    udfrt_status st = UDFRT_OK;
    udfrt_h5_chunks *c = &h->chunks;
    size_t elem = udfrt_dtype_size(ds->dtype);
    H5D_layout_t layout = H5Pget_layout(dcpl);
    c->rank = ds->nav_rank + ds->sig_rank;
    c->nav_rank = ds->nav_rank;
    c->elem_size = elem;
    c->sig_size = ds->sig_size;
    c->swap_size = big_endian && elem > 1 ? (int)elem : 0;
    c->name = h->name;
    c->dset = h->dset;
    memcpy(c->dims, dims, sizeof *dims * (size_t)c->rank);
    H5Pget_fill_value(dcpl, type, c->fill);
    if (H5Pget_external_count(dcpl) > 0 || layout == H5D_VIRTUAL)
        st = udfrt_h5_check_sources(h->dset, dcpl, h->name, err);
    if (st != UDFRT_OK) {
        H5Pclose(dcpl);
        return st;
    }
    if (H5Pget_external_count(dcpl) > 0) {
        h->mode = MODE_LIBRARY;
        h->library_reason = "external raw storage";
    } else if (layout == H5D_CONTIGUOUS) {
        haddr_t offset = H5Dget_offset(h->dset);
        if (offset == HADDR_UNDEF) {
            h->mode = MODE_LIBRARY;
            h->library_reason = "contiguous storage never written (fill values)";
        } else {
            h->mode = MODE_CONTIGUOUS;
            h->ff.first_offset = (int64_t)offset;
            h->ff.frame_bytes = ds->sig_size * (int64_t)elem;
            h->ff.stride = h->ff.frame_bytes;
            h->ff.swap_size = c->swap_size;
        }
    } else if (layout == H5D_CHUNKED) {
        h->chunked = 1;
        if (H5Pget_chunk(dcpl, c->rank, c->chunk) != c->rank)
            st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot read the chunk shape of '%s'", h->name);
        int64_t chunk_elems = 1;
        for (int d = 0; st == UDFRT_OK && d < c->rank; d++)
            chunk_elems *= (int64_t)c->chunk[d];
        c->pipeline.elem_size = elem;
        c->pipeline.chunk_bytes = (size_t)chunk_elems * elem;
        if (st == UDFRT_OK)
            st = read_filters(h, dcpl, err);
        hid_t space = H5Dget_space(h->dset);
        hsize_t n = 0;
        if (space >= 0 && H5Dget_num_chunks(h->dset, space, &n) >= 0)
            h->hdf5_chunks = (int64_t)n;
        if (space >= 0)
            H5Sclose(space);
    } else {
        h->mode = MODE_LIBRARY;
        h->library_reason = layout == H5D_COMPACT ? "compact layout" : "virtual dataset";
    }
    H5Pclose(dcpl);
    return st;
}

/* Read blocks and the chunk cache size of MODE_CHUNKS (see h5_chunks.h). */
static void plan_chunks(h5_impl *h, udfrt_dataset *ds)
{
    udfrt_h5_chunks *c = &h->chunks;
    int n = c->nav_rank, whole_sig = 1, first = n - 1;
    for (int d = n; d < c->rank; d++)
        whole_sig &= c->chunk[d] == c->dims[d];
    for (int d = 0; d < n; d++)
        if (c->chunk[d] > 1) {
            first = d;
            break;
        }
    c->frames_per_chunk = whole_sig && first == n - 1 ? (int64_t)c->chunk[n - 1] : 0;
    /* A block of stored frames made of whole chunks: the chunk extent along
     * the first chunked nav dim times the dims after it. Where that dim's
     * chunks do not divide it and a dim comes before it, chunks restart with
     * each index of the dim before, and so does the block: the whole dim. */
    int64_t block = (int64_t)c->chunk[first], touched = 1;
    if (first > 0 && c->dims[first] % c->chunk[first] != 0)
        block = (int64_t)c->dims[first];
    for (int d = first + 1; d < n; d++)
        block *= (int64_t)c->dims[d];
    for (int d = first + 1; d < c->rank; d++)
        touched *= (int64_t)((c->dims[d] + c->chunk[d] - 1) / c->chunk[d]);
    ds->read_block = block;
    /* Enough decoded chunks for one such block; fewer if that is too big
     * (chunks are then decoded more than once, still correct). */
    int64_t budget = UDF_CHUNK_CACHE_BYTES / (int64_t)c->pipeline.chunk_bytes;
    c->cache_slots = touched < budget ? touched : budget;
    if (c->cache_slots < 1)
        c->cache_slots = 1;
}

/* The file that holds the dataset (behind external links, another than the
 * one opened), for the reads that bypass the library: the library's own
 * descriptor of it, duplicated (a file opened again by name could have been
 * replaced meanwhile), into h->ff; recorded as an input of the run. */
static udfrt_status open_data_file(h5_impl *h, udfrt_error *err)
{
    if (H5Fget_name(h->dset, h->data_file, sizeof h->data_file) < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot tell which file holds '%s'", h->name);
    udfrt_note_input(h->data_file);
    hid_t file = H5Iget_file_id(h->dset);
    void *handle = NULL;
    int fd = file >= 0 && H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle
                 ? dup(*(int *)handle)
                 : -1;
    if (file >= 0)
        H5Fclose(file);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot read '%s', which holds '%s'", h->data_file,
                          h->name);
    }
    h->ff.fd = fd;
    h->ff.size = st.st_size;
    return UDFRT_OK;
}

static udfrt_status check_contiguous(h5_impl *h, udfrt_dataset *ds, udfrt_error *err)
{
    udfrt_status st = open_data_file(h, err);
    if (st != UDFRT_OK)
        return st;
    int64_t need = h->ff.first_offset + ds->image_count * h->ff.frame_bytes;
    if (h->ff.size < need)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s' is truncated: the dataset needs %lld bytes of the file, it has "
                          "%lld",
                          h->name, (long long)need, (long long)h->ff.size);
    return UDFRT_OK;
}

/* MODE_CHUNKS: the workers read the chunks where the library locates them
 * (h5_chunks.h), from the dataset's file. */
static udfrt_status open_chunk_file(h5_impl *h, udfrt_error *err)
{
    udfrt_status st = open_data_file(h, err);
    h->chunks.fd = h->ff.fd;
    h->chunks.file_size = h->ff.size;
    return st;
}

static udfrt_status open_dataset(h5_impl *h, udfrt_dataset *ds, const char *file_path,
                                 const char *ds_path, const udfrt_open_options *opt,
                                 udfrt_error *err)
{
    char cause[256];
    struct stat sb;
    if (stat(file_path, &sb) != 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot open '%s'", file_path);
    if (!S_ISREG(sb.st_mode))
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is not a regular file", file_path);
    if (udfrt_h5_capture_fapl() < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "cannot read '%s': the HDF5 library refused libudfrt's file driver",
                          file_path);
    h->file = udfrt_h5_open_input(file_path);
    if (h->file < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is not a readable HDF5 file (%s)", file_path,
                          h5_cause(cause));
    udfrt_status st = find_dataset(h, file_path, ds_path, err);
    if (st != UDFRT_OK)
        return st;
    udfrt_free(ds->path);
    ds->path = NULL;
    size_t n = strlen(h->name) + 1;
    if (!(ds->path = udfrt_malloc(n)))
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", file_path);
    memcpy(ds->path, h->name, n);

    hid_t type = H5Dget_type(h->dset), space = H5Dget_space(h->dset);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t dims[UDFRT_H5_MAX_RANK];
    int64_t dims64[UDFRT_H5_MAX_RANK];
    int big_endian = 0;
    if (type < 0 || rank < 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot read the type and shape of '%s'", h->name);
    else if (!udfrt_h5_element_type(type, &ds->dtype, &big_endian))
        st = udfrt_fail(err, UDFRT_ERR_DATA,
                        "'%s' has an element type udf cannot read (integers, floats and h5py "
                        "bools are supported)",
                        h->name);
    else if (rank > UDFRT_H5_MAX_RANK)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "'%s' has %d dims, more than udf supports", h->name,
                        rank);
    if (st == UDFRT_OK) {
        H5Sget_simple_extent_dims(space, dims, NULL);
        for (int i = 0; i < rank; i++)
            dims64[i] = (int64_t)dims[i];
        st = udfrt_dataset_set_shape(ds, rank, dims64, opt->sig_dims, err);
    }
    if (st == UDFRT_OK)
        st = read_layout(h, ds, dims, type, big_endian, err);
    if (st == UDFRT_OK && h->mode == MODE_CONTIGUOUS)
        st = check_contiguous(h, ds, err);
    if (st == UDFRT_OK && h->mode == MODE_CHUNKS) {
        plan_chunks(h, ds);
        st = open_chunk_file(h, err);
    }
    if (st == UDFRT_OK && h->mode == MODE_LIBRARY &&
        (h->mem_type = H5Tget_native_type(type, H5T_DIR_ASCEND)) < 0)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot convert the element type of '%s'", h->name);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return st;
}

static udfrt_status h5_reader_create(udfrt_dataset *ds, int64_t max_frames, udfrt_reader **out,
                                     udfrt_error *err)
{
    h5_impl *h = ds->impl;
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    if (!rd)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    rd->file_space = -1;
    udfrt_status st = UDFRT_OK;
    if (h->mode == MODE_CHUNKS) {
        st = udfrt_h5_chunk_reader_create(&h->chunks, max_frames, &rd->chunks, err);
    } else {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* per thread: failures are reported by us */
        rd->out = udfrt_aligned_alloc(
            (size_t)(max_frames * ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype)));
        rd->file_space = H5Dget_space(h->dset);
        if (!rd->out || rd->file_space < 0)
            st =
                udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for read buffers of '%s'", ds->path);
    }
    if (st != UDFRT_OK) {
        ds->ops->reader_destroy(rd);
        return st;
    }
    *out = rd;
    return UDFRT_OK;
}

static void h5_reader_destroy(udfrt_reader *rd)
{
    if (!rd)
        return;
    udfrt_h5_chunk_reader_destroy(rd->chunks);
    if (rd->file_space >= 0)
        H5Sclose(rd->file_space);
    udfrt_free(rd->out);
    udfrt_free(rd);
}

/* MODE_LIBRARY: one H5Dread per run of consecutive frames along the last nav
 * dim; the library converts to host order. */
static udfrt_status read_library(udfrt_dataset *ds, h5_impl *h, udfrt_reader *rd,
                                 const int64_t *file_frames, int64_t count, const void **frames,
                                 udfrt_error *err)
{
    const udfrt_h5_chunks *c = &h->chunks;
    int64_t frame_bytes = ds->sig_size * (int64_t)udfrt_dtype_size(ds->dtype);
    int64_t row = (int64_t)c->dims[c->nav_rank - 1];
    for (int64_t i = 0; i < count;) {
        int64_t f = file_frames[i], run = 1;
        while (i + run < count && file_frames[i + run] == f + run && (f + run) % row != 0)
            run++;
        hsize_t start[UDFRT_H5_MAX_RANK] = {0}, extent[UDFRT_H5_MAX_RANK];
        int64_t rest = f;
        for (int d = c->rank - 1; d >= 0; d--) {
            if (d >= c->nav_rank) {
                extent[d] = c->dims[d];
                continue;
            }
            start[d] = (hsize_t)(rest % (int64_t)c->dims[d]);
            rest /= (int64_t)c->dims[d];
            extent[d] = d == c->nav_rank - 1 ? (hsize_t)run : 1;
        }
        hsize_t elems = (hsize_t)(run * ds->sig_size);
        hid_t mem = H5Screate_simple(1, &elems, NULL);
        unsigned char *dst = rd->out + i * frame_bytes;
        herr_t e = mem < 0 ? -1
                           : H5Sselect_hyperslab(rd->file_space, H5S_SELECT_SET, start, NULL,
                                                 extent, NULL);
        if (e >= 0)
            e = H5Dread(h->dset, h->mem_type, mem, rd->file_space, H5P_DEFAULT, dst);
        if (mem >= 0)
            H5Sclose(mem);
        if (e < 0) {
            char cause[256];
            return udfrt_fail(err, UDFRT_ERR_DATA, "cannot read frames %lld to %lld of '%s' (%s)",
                              (long long)f, (long long)(f + run - 1), h->name, h5_cause(cause));
        }
        for (int64_t k = 0; k < run; k++)
            frames[i + k] = dst + k * frame_bytes;
        i += run;
    }
    return UDFRT_OK;
}

static udfrt_status h5_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                            int64_t count, const void **frames, udfrt_error *err)
{
    h5_impl *h = ds->impl;
    if (h->mode == MODE_CHUNKS)
        return udfrt_h5_chunks_read(&h->chunks, rd->chunks, file_frames, count, frames, err);
    return read_library(ds, h, rd, file_frames, count, frames, err);
}

static void print_dims(FILE *out, int rank, const hsize_t *dims)
{
    fputc('(', out);
    for (int i = 0; i < rank; i++)
        fprintf(out, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    fputc(')', out);
}

static void h5_describe(const udfrt_dataset *ds, FILE *out)
{
    const h5_impl *h = ds->impl;
    const udfrt_h5_chunks *c = &h->chunks;
    fprintf(out, "hdf5:       dataset %s, %s\n", h->ds_path,
            c->swap_size ? "big-endian (swapped while reading)" : "little-endian");
    if (h->chunked) {
        fprintf(out, "layout:     chunked ");
        print_dims(out, c->rank, c->chunk);
        fprintf(out, ", %lld chunks stored, %zu bytes each decoded\n", (long long)h->hdf5_chunks,
                c->pipeline.chunk_bytes);
        fprintf(out, "filters:    ");
        for (int i = 0; i < c->pipeline.count; i++) {
            char label[128];
            fprintf(out, "%s%s", i ? " -> " : "",
                    udfrt_h5_filter_label(&c->pipeline.filters[i], label, sizeof label));
        }
        fprintf(out, "%s\n", c->pipeline.count ? "" : "none");
    } else if (h->mode == MODE_CONTIGUOUS) {
        fprintf(out, "layout:     contiguous at byte %lld of %s\n", (long long)h->ff.first_offset,
                h->data_file);
    }
    if (h->mode == MODE_CONTIGUOUS)
        fprintf(out, "reading:    pread at the dataset's offset, without the HDF5 library\n");
    else if (h->mode == MODE_CHUNKS)
        fprintf(out,
                "reading:    chunks located by the HDF5 library, read (pread) and decoded in the "
                "worker threads; %lld frames per read block, %s\n",
                (long long)ds->read_block,
                !c->frames_per_chunk ? "chunks cut into frames through a per-thread cache"
                : c->pipeline.count == 0 && !c->swap_size
                    ? "chunks used in place from the page cache (copied where not aligned)"
                    : "chunks decode straight into tiles");
    else
        fprintf(out, "reading:    H5Dread through the HDF5 library (serialised: %s)\n",
                h->library_reason);
}

static void h5_destroy(udfrt_dataset *ds)
{
    h5_impl *h = ds->impl;
    if (!h)
        return;
    udfrt_frame_file_close(&h->ff);
    if (h->mem_type >= 0)
        H5Tclose(h->mem_type);
    if (h->dset >= 0)
        H5Dclose(h->dset);
    if (h->file >= 0)
        H5Fclose(h->file);
    udfrt_free(h->name);
    udfrt_free(h);
}

static const udfrt_dataset_ops h5_ops = {
    .format = "hdf5",
    .reader_create = h5_reader_create,
    .reader_destroy = h5_reader_destroy,
    .read = h5_read,
    .describe = h5_describe,
    .destroy = h5_destroy,
};

static const udfrt_dataset_ops h5_contiguous_ops = {
    .format = "hdf5",
    .reader_create = udfrt_frame_file_reader_create,
    .reader_destroy = udfrt_frame_file_reader_destroy,
    .read = udfrt_frame_file_read,
    .reader_copy = udfrt_frame_file_reader_copy,
    .describe = h5_describe,
    .destroy = h5_destroy,
};

/* One dataset of the file. */
static udfrt_status open_single(const char *spec, const char *file_path, const char *ds_path,
                                const udfrt_open_options *opt, udfrt_dataset **out,
                                udfrt_error *err)
{
    udfrt_dataset *ds;
    udfrt_status st = udfrt_dataset_new(spec, &h5_ops, sizeof(h5_impl), &ds, err);
    if (st != UDFRT_OK)
        return st;
    h5_impl *h = ds->impl;
    h->ff.fd = -1;
    h->file = h->dset = h->mem_type = -1;
    st = open_dataset(h, ds, file_path, ds_path, opt, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    if (h->mode == MODE_CONTIGUOUS)
        ds->ops = &h5_contiguous_ops;
    *out = ds;
    return UDFRT_OK;
}

/* The members of a group that is a stack of frames, in name order. */
typedef struct stack_list {
    char **names;
    int n, cap, valid;
    char group[1024];
    search found; /* without a path: the file's largest dataset of frames, if any */
} stack_list;

/* A member is a numeric dataset of at least 3 dims; a link that does not
 * resolve (a missing external file) counts too, and opening it reports why. */
static herr_t list_member(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    stack_list *l = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(group, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
        (oi.type != H5O_TYPE_DATASET || frame_elements(group, name) < 0))
        return 1;
    if (l->n == l->cap || !(l->names[l->n] = udfrt_malloc(strlen(name) + 1)))
        return -1;
    strcpy(l->names[l->n++], name);
    return 0;
}

static void free_list(stack_list *l)
{
    for (int i = 0; i < l->n; i++)
        udfrt_free(l->names[i]);
    udfrt_free(l->names);
}

/* Fills `l` with the members of the group at `path` (without a path: of
 * /entry/data, an Arina master's, if the file holds no dataset of at least 3
 * dims itself, else l->found names the largest) when the group is a stack
 * of frames; l->valid says whether it is. A NeXus group whose @signal names
 * its data is not a stack. */
static void list_stack(const char *file_path, const char *path, stack_list *l)
{
    *l = (stack_list){.found.best_size = -1};
    hid_t file = udfrt_h5_open_input(file_path);
    if (file < 0)
        return;
    if (!path &&
        H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &l->found, H5O_INFO_BASIC) >= 0 &&
        l->found.best_size < 0)
        path = "/entry/data";
    H5O_info_t oi;
    H5G_info_t gi;
    hid_t g = path && H5Oget_info_by_name2(file, path, &oi, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
                      oi.type == H5O_TYPE_GROUP
                  ? H5Gopen2(file, path, H5P_DEFAULT)
                  : -1;
    if (g >= 0 && H5Aexists(g, "signal") <= 0 && H5Gget_info(g, &gi) >= 0 && gi.nlinks > 0 &&
        gi.nlinks < 1000000 && (l->names = udfrt_calloc(gi.nlinks, sizeof *l->names))) {
        l->cap = (int)gi.nlinks;
        hsize_t at = 0;
        l->valid = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &at, list_member, l) == 0 &&
                   l->n == l->cap && strlen(path) < 1024;
    }
    if (l->valid && path)
        snprintf(l->group, sizeof l->group, "%s", path);
    if (g >= 0)
        H5Gclose(g);
    H5Fclose(file);
}

/* Every member of the group, stacked. */
static udfrt_status open_stack(const char *spec, const char *file_path, stack_list *l,
                               const udfrt_open_options *opt, udfrt_dataset **out, udfrt_error *err)
{
    udfrt_status st = udfrt_stack_room(spec, l->n, err);
    if (st != UDFRT_OK)
        return st;
    udfrt_dataset **members = udfrt_calloc((size_t)l->n, sizeof *members);
    if (!members)
        st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", spec);
    for (int m = 0; st == UDFRT_OK && m < l->n; m++) {
        size_t n = strlen(file_path) + strlen(l->group) + strlen(l->names[m]) + 3;
        char *member = udfrt_malloc(n);
        if (!member) {
            st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", spec);
            break;
        }
        snprintf(member, n, "%s:%s/%s", file_path, l->group, l->names[m]);
        st = open_single(member, file_path, member + strlen(file_path) + 1, opt, &members[m], err);
        udfrt_free(member);
    }
    if (st == UDFRT_OK)
        return udfrt_dataset_stack(spec, members, l->n, out, err);
    for (int m = 0; members && m < l->n; m++)
        if (members[m])
            udfrt_dataset_destroy(members[m]);
    udfrt_free(members);
    return st;
}

udfrt_status udfrt_open_hdf5(const char *spec, const udfrt_open_options *opt, udfrt_dataset **out,
                             udfrt_error *err)
{
    size_t path_len = udfrt_hdf5_split_spec(spec);
    char *file_path = udfrt_malloc(path_len + 1);
    if (!file_path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", spec);
    memcpy(file_path, spec, path_len);
    file_path[path_len] = 0;
    const char *ds_path = spec[path_len] ? spec + path_len + 1 : NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported by us, once */
    stack_list l;
    list_stack(file_path, ds_path, &l);
    if (!ds_path && l.found.best_size >= 0)
        ds_path = l.found.best; /* searched already */
    udfrt_status st = l.valid ? open_stack(spec, file_path, &l, opt, out, err)
                              : open_single(spec, file_path, ds_path, opt, out, err);
    free_list(&l);
    udfrt_free(file_path);
    return st;
}
