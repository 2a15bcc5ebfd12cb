/* out_dir.c — where result files go: checking, before a run spends its time,
 * that -o and the --npy/--png directories can be made, and making those
 * directories when the results are written. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "atomic_file.h"
#include "writers.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A copy of dir to cut into prefixes, with room for "." or "/". */
static char *path_copy(const char *dir)
{
    size_t len = strlen(dir);
    char *path = udfrt_malloc(len + 2);
    return path ? memcpy(path, dir, len + 1) : NULL;
}

udfrt_status udfrt_make_dir(const char *dir, udfrt_staging *staging, udfrt_error *err)
{
    size_t len = strlen(dir);
    char *path = path_copy(dir);
    if (!path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    udfrt_status st = UDFRT_OK;
    /* Each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= len && st == UDFRT_OK; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) == 0)
            st = udfrt_staging_made_dir(staging, path, err);
        else if (errno != EEXIST)
            st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot create directory '%s'", path);
        else if (!is_dir(path))
            st = udfrt_fail(err, UDFRT_ERR_DATA,
                            "cannot create directory '%s': '%s' exists and is not a directory", dir,
                            path);
        path[i] = saved;
    }
    udfrt_free(path);
    return st;
}

udfrt_status udfrt_check_dir(const char *dir, udfrt_error *err)
{
    char *path = path_copy(dir);
    if (!path)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    udfrt_status st = UDFRT_OK;
    /* The longest prefix that exists (dir itself, a parent, the working
     * directory) must be a directory udf may write in. */
    for (;;) {
        struct stat sb;
        if (stat(path, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                st = udfrt_fail(err, UDFRT_ERR_DATA,
                                "cannot create directory '%s': '%s' exists and is not a directory",
                                dir, path);
            else if (access(path, W_OK | X_OK) != 0)
                st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno,
                                      "cannot create directory '%s' in '%s'", dir, path);
            break;
        }
        char *slash = strrchr(path, '/');
        if (!slash)
            strcpy(path, ".");
        else if (slash == path)
            path[1] = '\0';
        else
            *slash = '\0';
    }
    udfrt_free(path);
    return st;
}

udfrt_status udfrt_check_output_file(const char *path, udfrt_error *err)
{
    if (udfrt_check_replaceable(path, err) != UDFRT_OK)
        return UDFRT_ERR_DATA;
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *parent = udfrt_malloc(len + 1);
    if (!parent)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    memcpy(parent, slash ? path : ".", len);
    parent[len] = '\0';
    udfrt_status st = UDFRT_OK;
    if (!is_dir(parent))
        st = udfrt_fail(err, UDFRT_ERR_DATA, "cannot write '%s': directory '%s' does not exist",
                        path, parent);
    else if (access(parent, W_OK | X_OK) != 0)
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s' into '%s'", path,
                              parent);
    /* The file is written as a temporary first (atomic_file.h). */
    long name_max = st == UDFRT_OK ? pathconf(parent, _PC_NAME_MAX) : -1;
    size_t name_len = strlen(slash ? slash + 1 : path);
    if (name_max > 0 && name_len + strlen(UDFRT_TEMP_SUFFIX) > (size_t)name_max)
        st = udfrt_fail(err, UDFRT_ERR_DATA,
                        "cannot write '%s': its name has %zu characters, and this file system "
                        "takes %ld (less 11 for the temporary udf writes first)",
                        path, name_len, name_max);
    udfrt_free(parent);
    return st;
}
