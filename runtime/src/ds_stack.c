/* ds_stack.c — several data sets read as one: the frames of the first
 * member, then those of the second, and so on (a Dectris Arina master
 * file's data_000001, data_000002, ... behind external links). Each member
 * keeps its own reading path; a reader creates a member's reader when a read
 * first reaches that member and drops the readers a read no longer needs,
 * so a run holds the buffers and mapped windows of about one member per
 * thread, however many members there are. */
#include <string.h>
#include <sys/resource.h>

#include "alloc.h"
#include "dataset.h"
#include "dtype.h"

typedef struct stack_impl {
    udfrt_dataset **members;
    int n;
    int64_t *first; /* n + 1: the stacked index of each member's first frame, then the total */
    int can_map;    /* some member can map or copy its frames (reader_copy) */
} stack_impl;

struct udfrt_reader {
    const stack_impl *stack;
    udfrt_reader **members; /* per member: its reader, or NULL */
    int64_t max_frames;
    int64_t *local; /* a run's indices within its member */
    int copy;       /* the last reader_copy choice, or -1 */
};

/* The member that holds stacked frame f. */
static int member_of(const stack_impl *s, int64_t f)
{
    int lo = 0, hi = s->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->first[mid] <= f)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void drop_member_reader(udfrt_reader *rd, int m)
{
    if (rd->members[m])
        rd->stack->members[m]->ops->reader_destroy(rd->members[m]);
    rd->members[m] = NULL;
}

static void stack_reader_destroy(udfrt_reader *rd)
{
    if (rd->members)
        for (int m = 0; m < rd->stack->n; m++)
            drop_member_reader(rd, m);
    udfrt_free(rd->local);
    udfrt_free(rd->members);
    udfrt_free(rd);
}

static udfrt_status stack_reader_create(udfrt_dataset *ds, int64_t max_frames, udfrt_reader **out,
                                        udfrt_error *err)
{
    stack_impl *s = ds->impl;
    udfrt_reader *rd = udfrt_calloc(1, sizeof *rd);
    if (!rd)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", ds->path);
    rd->stack = s;
    rd->members = udfrt_calloc((size_t)s->n, sizeof *rd->members);
    rd->local = udfrt_malloc((size_t)max_frames * sizeof *rd->local);
    if (!rd->members || !rd->local) {
        stack_reader_destroy(rd);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", ds->path);
    }
    rd->max_frames = max_frames;
    rd->copy = -1;
    *out = rd;
    return UDFRT_OK;
}

/* Member m's reader, made when first needed, with the reader's copy choice. */
static udfrt_status member_reader(udfrt_reader *rd, int m, udfrt_error *err)
{
    if (rd->members[m])
        return UDFRT_OK;
    udfrt_dataset *member = rd->stack->members[m];
    udfrt_status st = member->ops->reader_create(member, rd->max_frames, &rd->members[m], err);
    if (st == UDFRT_OK && rd->copy >= 0 && member->ops->reader_copy)
        member->ops->reader_copy(rd->members[m], rd->copy);
    return st;
}

static udfrt_status stack_read(udfrt_dataset *ds, udfrt_reader *rd, const int64_t *file_frames,
                               int64_t count, const void **frames, udfrt_error *err)
{
    const stack_impl *s = ds->impl;
    int lo = member_of(s, file_frames[0]), hi = member_of(s, file_frames[count - 1]);
    for (int m = 0; m < s->n; m++)
        if (m < lo || m > hi)
            drop_member_reader(rd, m);
    for (int64_t i = 0; i < count;) {
        int m = member_of(s, file_frames[i]);
        int64_t run = 0;
        while (i + run < count && file_frames[i + run] < s->first[m + 1]) {
            rd->local[run] = file_frames[i + run] - s->first[m];
            run++;
        }
        udfrt_dataset *member = s->members[m];
        udfrt_status st = member_reader(rd, m, err);
        if (st == UDFRT_OK)
            st = member->ops->read(member, rd->members[m], rd->local, run, frames + i, err);
        if (st != UDFRT_OK)
            return st;
        i += run;
    }
    return UDFRT_OK;
}

/* Passed on to the members that have the choice, also those read later;
 * 0 (always copies) when none has it. */
static int stack_reader_copy(udfrt_reader *rd, int copy)
{
    rd->copy = copy;
    for (int m = 0; m < rd->stack->n; m++)
        if (rd->members[m] && rd->stack->members[m]->ops->reader_copy)
            rd->stack->members[m]->ops->reader_copy(rd->members[m], copy);
    return rd->stack->can_map;
}

static void stack_describe(const udfrt_dataset *ds, FILE *out)
{
    const stack_impl *s = ds->impl;
    enum { SHOWN = 6 };
    fprintf(out, "stack:      %d datasets read as one, in name order:\n", s->n);
    for (int m = 0; m < s->n; m++) {
        if (m == SHOWN / 2 && s->n > SHOWN) {
            fprintf(out, "              ... %d more ...\n", s->n - SHOWN);
            m = s->n - SHOWN / 2;
        }
        fprintf(out, "              frames %lld-%lld: %s\n", (long long)s->first[m],
                (long long)s->first[m + 1] - 1, s->members[m]->path);
    }
    fprintf(out, "first:      %s\n", s->members[0]->path);
    s->members[0]->ops->describe(s->members[0], out);
}

static void destroy_members(udfrt_dataset **members, int n)
{
    for (int m = 0; m < n; m++)
        udfrt_dataset_destroy(members[m]);
    udfrt_free(members);
}

static void stack_destroy(udfrt_dataset *ds)
{
    stack_impl *s = ds->impl;
    if (!s)
        return;
    destroy_members(s->members, s->n);
    udfrt_free(s->first);
    udfrt_free(s);
}

/* Only HDF5 makes stacks (ds_hdf5.c). */
static const udfrt_dataset_ops stack_ops = {
    .format = "hdf5",
    .reader_create = stack_reader_create,
    .reader_destroy = stack_reader_destroy,
    .read = stack_read,
    .reader_copy = stack_reader_copy,
    .describe = stack_describe,
    .destroy = stack_destroy,
};

static int same_frames(const udfrt_dataset *a, const udfrt_dataset *b)
{
    if (a->dtype != b->dtype || a->sig_rank != b->sig_rank)
        return 0;
    for (int i = 0; i < a->sig_rank; i++)
        if (a->sig_shape[i] != b->sig_shape[i])
            return 0;
    return 1;
}

static void print_frames(const udfrt_dataset *ds, char *buf, size_t size)
{
    int n = snprintf(buf, size, "(");
    for (int i = 0; i < ds->sig_rank && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, "%s%lld", i ? ", " : "",
                      (long long)ds->sig_shape[i]);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ") %s", udfrt_dtype_name(ds->dtype));
}

/* A member's read block; formats without blocks leave it 0. */
static int64_t read_block(const udfrt_dataset *member)
{
    return member->read_block > 1 ? member->read_block : 1;
}

/* Whole read blocks of every member line up in the stack when each member
 * but the last holds whole blocks of the same size. */
static int64_t common_read_block(udfrt_dataset **members, int n)
{
    int64_t block = read_block(members[0]);
    for (int m = 0; m < n; m++)
        if (read_block(members[m]) != block || (m < n - 1 && members[m]->image_count % block))
            return 1;
    return block;
}

udfrt_status udfrt_stack_room(const char *path, int n, udfrt_error *err)
{
    /* HDF5 keeps each member's data file open, and a contiguous or chunked
     * member has a descriptor of ours too; 64 more for the run's own files. */
    rlim_t least = (rlim_t)n + 64, want = 2 * (rlim_t)n + 64;
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
        lim.rlim_cur >= want)
        return UDFRT_OK;
    rlim_t before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= want ? want : lim.rlim_max;
    if (lim.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &lim) != 0)
        lim.rlim_cur = before;
    if (lim.rlim_cur >= least)
        return UDFRT_OK;
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "'%s' stacks %d datasets, which keep at least %llu files open, but this "
                      "process may open %llu (ulimit -n; the hard limit is %llu)",
                      path, n, (unsigned long long)least, (unsigned long long)lim.rlim_cur,
                      (unsigned long long)lim.rlim_max);
}

udfrt_status udfrt_dataset_stack(const char *path, udfrt_dataset **members, int n,
                                 udfrt_dataset **out, udfrt_error *err)
{
    udfrt_status st = UDFRT_OK;
    for (int m = 0; st == UDFRT_OK && m < n; m++) {
        if (same_frames(members[0], members[m]))
            continue;
        char want[128], got[128];
        print_frames(members[0], want, sizeof want);
        print_frames(members[m], got, sizeof got);
        st = udfrt_fail(err, UDFRT_ERR_DATA,
                        "'%s' has frames of %s, but '%s' has %s: the datasets of a stack need one "
                        "frame shape and element type",
                        members[m]->path, got, members[0]->path, want);
    }
    udfrt_dataset *ds = NULL;
    if (st == UDFRT_OK)
        st = udfrt_dataset_new(path, &stack_ops, sizeof(stack_impl), &ds, err);
    if (st != UDFRT_OK) {
        destroy_members(members, n);
        return st;
    }
    stack_impl *s = ds->impl; /* owns the members from here on */
    s->members = members;
    s->n = n;
    if (!(s->first = udfrt_malloc(((size_t)n + 1) * sizeof *s->first))) {
        udfrt_dataset_destroy(ds);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory opening '%s'", path);
    }
    s->first[0] = 0;
    for (int m = 0; m < n; m++) {
        s->first[m + 1] = s->first[m] + members[m]->image_count;
        s->can_map |= members[m]->ops->reader_copy != NULL;
    }
    ds->dtype = members[0]->dtype;
    ds->read_block = common_read_block(members, n);
    int64_t dims[1 + UDF_MAX_RANK] = {s->first[n]};
    memcpy(dims + 1, members[0]->sig_shape, (size_t)members[0]->sig_rank * sizeof *dims);
    st = udfrt_dataset_set_shape(ds, 1 + members[0]->sig_rank, dims, members[0]->sig_rank, err);
    if (st != UDFRT_OK) {
        udfrt_dataset_destroy(ds);
        return st;
    }
    *out = ds;
    return UDFRT_OK;
}
