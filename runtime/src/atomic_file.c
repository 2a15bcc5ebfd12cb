/* atomic_file.c — temporary-then-rename output files; see atomic_file.h.
 *
 * Every temporary is a node of one global list that a signal handler may walk
 * at any moment: a node is filled before it is published (an atomic store of
 * the list head) and unlinked before it is freed, so the handler only ever
 * sees whole nodes. Writers run on one thread. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "inputs.h"

typedef struct temp_node {
    struct temp_node *_Atomic next;
    struct temp_node *next_in_staging;
    char *final_path;
    int committed;
    int scratch; /* a working file: never renamed, removed with the staging */
    char tmp[];
} temp_node;

static temp_node *_Atomic live_temps;

struct udfrt_staging {
    temp_node *files; /* newest first */
    char **dirs;      /* directories made for the outputs, in the order made */
    int n_dirs, cap_dirs;
    int committed;
};

static void unlink_node(temp_node *node)
{
    temp_node *_Atomic *link = &live_temps;
    for (temp_node *n = atomic_load(link); n; link = &n->next, n = atomic_load(link))
        if (n == node) {
            atomic_store(link, atomic_load(&node->next));
            return;
        }
}

udfrt_status udfrt_staging_create(udfrt_staging **out, udfrt_error *err)
{
    *out = udfrt_calloc(1, sizeof **out);
    return *out ? UDFRT_OK : udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for output files");
}

/* Whether paths a and b name the same file: the same base name in the same
 * directory (which exists: a temporary was made in it). */
static int same_destination(const char *a, const char *b)
{
    const char *base_a = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
    const char *base_b = strrchr(b, '/') ? strrchr(b, '/') + 1 : b;
    if (strcmp(base_a, base_b) != 0)
        return 0;
    char dir_a[4096], dir_b[4096];
    snprintf(dir_a, sizeof dir_a, "%.*s", base_a == a ? 1 : (int)(base_a - a),
             base_a == a ? "." : a);
    snprintf(dir_b, sizeof dir_b, "%.*s", base_b == b ? 1 : (int)(base_b - b),
             base_b == b ? "." : b);
    struct stat sa, sb;
    return stat(dir_a, &sa) == 0 && stat(dir_b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static udfrt_status stage(udfrt_staging *s, const char *final_path, int scratch, const char **tmp,
                          udfrt_error *err);

udfrt_status udfrt_stage_file(udfrt_staging *s, const char *final_path, const char **tmp,
                              udfrt_error *err)
{
    for (const temp_node *n = s->files; n; n = n->next_in_staging)
        if (!n->scratch && same_destination(n->final_path, final_path))
            return udfrt_fail(err, UDFRT_ERR_USAGE,
                              "two outputs of this run would both be written to '%s'%s%s%s; "
                              "give them different names",
                              final_path, strcmp(n->final_path, final_path) ? " (also named '" : "",
                              strcmp(n->final_path, final_path) ? n->final_path : "",
                              strcmp(n->final_path, final_path) ? "')" : "");
    return stage(s, final_path, 0, tmp, err);
}

udfrt_status udfrt_stage_scratch(udfrt_staging *s, const char *near_path, const char **tmp,
                                 udfrt_error *err)
{
    return stage(s, near_path, 1, tmp, err);
}

static udfrt_status stage(udfrt_staging *s, const char *final_path, int scratch, const char **tmp,
                          udfrt_error *err)
{
    size_t len = strlen(final_path);
    temp_node *node = udfrt_calloc(1, sizeof *node + len + sizeof UDFRT_TEMP_SUFFIX);
    char *final_copy = udfrt_malloc(len + 1);
    if (!node || !final_copy) {
        udfrt_free(node);
        udfrt_free(final_copy);
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for output files");
    }
    node->final_path = memcpy(final_copy, final_path, len + 1);
    node->scratch = scratch;
    snprintf(node->tmp, len + sizeof UDFRT_TEMP_SUFFIX, "%s" UDFRT_TEMP_SUFFIX, final_path);
    /* Publish before the file exists, so that no moment leaves it untracked. */
    atomic_store(&node->next, atomic_load(&live_temps));
    atomic_store(&live_temps, node);
    int fd = mkostemp(node->tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        unlink_node(node);
        udfrt_free(node->final_path);
        udfrt_free(node);
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, e, "cannot create output file '%s'",
                                final_path);
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    node->next_in_staging = s->files;
    s->files = node;
    *tmp = node->tmp;
    return UDFRT_OK;
}

udfrt_status udfrt_write_all(int fd, const void *data, size_t bytes, const char *path,
                             udfrt_error *err)
{
    const unsigned char *p = data;
    while (bytes > 0) {
        ssize_t put = write(fd, p, bytes);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
        p += put;
        bytes -= (size_t)put;
    }
    return UDFRT_OK;
}

static udfrt_status sync_file(const temp_node *node, udfrt_error *err)
{
    int fd = open(node->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, e, "cannot write '%s'", node->final_path);
    }
    close(fd);
    return UDFRT_OK;
}

udfrt_status udfrt_check_replaceable(const char *path, udfrt_error *err)
{
    struct stat st;
    if (udfrt_is_input(path))
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot write '%s': it is an input of this run",
                          path);
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return UDFRT_OK;
    return udfrt_fail(err, UDFRT_ERR_DATA, "cannot write '%s': it is a %s, not a regular file",
                      path, S_ISDIR(st.st_mode) ? "directory" : "special file");
}

udfrt_status udfrt_staging_commit(udfrt_staging *s, udfrt_error *err)
{
    for (temp_node *n = s->files; n; n = n->next_in_staging)
        if (!n->scratch && (sync_file(n, err) != UDFRT_OK ||
                            udfrt_check_replaceable(n->final_path, err) != UDFRT_OK))
            return UDFRT_ERR_DATA;
    for (temp_node *n = s->files; n; n = n->next_in_staging) {
        if (n->scratch)
            continue;
        if (rename(n->tmp, n->final_path) != 0) {
            udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", n->final_path);
            /* Whole or not at all: the files renamed before this one go too. */
            for (temp_node *done = s->files; done != n; done = done->next_in_staging)
                if (!done->scratch)
                    unlink(done->final_path);
            return UDFRT_ERR_DATA;
        }
        n->committed = 1;
        unlink_node(n);
    }
    s->committed = 1;
    return UDFRT_OK;
}

udfrt_status udfrt_staging_made_dir(udfrt_staging *s, const char *dir, udfrt_error *err)
{
    if (s->n_dirs == s->cap_dirs) {
        int cap = s->cap_dirs ? 2 * s->cap_dirs : 4;
        char **grown = udfrt_calloc((size_t)cap, sizeof *grown);
        if (!grown)
            return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for output files");
        if (s->n_dirs)
            memcpy(grown, s->dirs, (size_t)s->n_dirs * sizeof *grown);
        udfrt_free(s->dirs);
        s->dirs = grown;
        s->cap_dirs = cap;
    }
    size_t len = strlen(dir);
    if (!(s->dirs[s->n_dirs] = udfrt_malloc(len + 1)))
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory for output files");
    memcpy(s->dirs[s->n_dirs++], dir, len + 1);
    return UDFRT_OK;
}

void udfrt_staging_destroy(udfrt_staging *s)
{
    if (!s)
        return;
    for (temp_node *n = s->files, *next; n; n = next) {
        next = n->next_in_staging;
        if (!n->committed) {
            unlink(n->tmp);
            unlink_node(n);
        }
        udfrt_free(n->final_path);
        udfrt_free(n);
    }
    for (int i = s->n_dirs - 1; i >= 0; i--) {
        if (!s->committed)
            rmdir(s->dirs[i]); /* empty now: its files were temporaries */
        udfrt_free(s->dirs[i]);
    }
    udfrt_free(s->dirs);
    udfrt_free(s);
}

static void on_fatal_signal(int sig)
{
    for (temp_node *n = atomic_load(&live_temps); n; n = atomic_load(&n->next))
        unlink(n->tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

void udfrt_atomic_install_signal_cleanup(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa = {.sa_handler = on_fatal_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}
