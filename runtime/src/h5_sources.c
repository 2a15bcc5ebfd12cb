/* h5_sources.c — see h5_sources.h. */
#include "h5_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "h5util.h"
#include "inputs.h"

#define PATH_CAP 4096

/* The directory of the file holding dset, without a trailing slash ("." for
 * a file named without one). */
static void own_directory(hid_t dset, char *dir)
{
    if (H5Fget_name(dset, dir, PATH_CAP) < 0)
        dir[0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
}

/* prefix/name into path, with ${ORIGIN} at the start of the prefix standing
 * for the dataset's directory (as HDF5 expands it); "" if that is too long. */
static void join(const char *prefix, size_t prefix_len, const char *dir, const char *name,
                 char *path)
{
    static const char origin[] = "${ORIGIN}";
    const char *rest = prefix;
    const char *base = "";
    if (prefix_len >= sizeof origin - 1 && strncmp(prefix, origin, sizeof origin - 1) == 0) {
        base = dir;
        rest += sizeof origin - 1;
        prefix_len -= sizeof origin - 1;
    }
    if (snprintf(path, PATH_CAP, "%s%.*s/%s", base, (int)prefix_len, rest, name) >= PATH_CAP)
        path[0] = '\0';
}

static int is_file(const char *path, long long *size)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    *size = (long long)sb.st_size;
    return 1;
}

/* Where HDF5 1.10 finds the source file `name` of a virtual dataset: the
 * name itself if absolute, then (by its base name if it was absolute) under
 * each entry of HDF5_VDS_PREFIX, the dataset's directory, the working
 * directory. 0 if nowhere. */
static int find_virtual_source(const char *name, const char *dir, char *path)
{
    long long size;
    if (name[0] == '/') {
        snprintf(path, PATH_CAP, "%s", name);
        if (is_file(path, &size))
            return 1;
        name = strrchr(name, '/') + 1;
    }
    const char *prefixes = getenv("HDF5_VDS_PREFIX");
    for (const char *p = prefixes; p && *p;) {
        size_t len = strcspn(p, ":");
        join(p, len, dir, name, path);
        if (is_file(path, &size))
            return 1;
        p += len + (p[len] == ':');
    }
    join(dir, strlen(dir), dir, name, path);
    if (is_file(path, &size))
        return 1;
    snprintf(path, PATH_CAP, "%s", name);
    return is_file(path, &size);
}

static int has_dataset(const char *file, const char *dataset)
{
    hid_t f = udfrt_h5_open_input(file);
    hid_t d = f >= 0 ? H5Dopen2(f, dataset, H5P_DEFAULT) : -1;
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return d >= 0;
}

static udfrt_status check_virtual(hid_t dset, hid_t dcpl, const char *name, const char *dir,
                                  udfrt_error *err)
{
    size_t count = 0;
    if (H5Pget_virtual_count(dcpl, &count) < 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot read the sources of virtual dataset '%s'",
                          name);
    for (size_t i = 0; i < count; i++) {
        char file[PATH_CAP] = "", dataset[PATH_CAP] = "", path[PATH_CAP];
        H5Pget_virtual_filename(dcpl, i, file, sizeof file);
        H5Pget_virtual_dsetname(dcpl, i, dataset, sizeof dataset);
        if (strchr(file, '%') || strchr(dataset, '%'))
            continue; /* a pattern for unlimited dims: HDF5 finds what exists */
        if (strcmp(file, ".") == 0) {
            if (H5Fget_name(dset, path, sizeof path) < 0)
                continue;
        } else if (!find_virtual_source(file, dir, path)) {
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' is a virtual dataset whose source file '%s' is missing "
                              "(looked for under HDF5_VDS_PREFIX, in '%s' and in the working "
                              "directory)",
                              name, file, dir);
        }
        if (!has_dataset(path, dataset))
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s' is a virtual dataset whose source '%s' has no dataset '%s'",
                              name, path, dataset);
    }
    return UDFRT_OK;
}

/* The segments are read in order until the dataset's bytes are all there:
 * each must be found and hold what is read from it; later ones are not read. */
static udfrt_status check_external(hid_t dset, hid_t dcpl, const char *name, const char *dir,
                                   udfrt_error *err)
{
    int count = H5Pget_external_count(dcpl);
    const char *prefix = getenv("HDF5_EXTFILE_PREFIX");
    hid_t space = H5Dget_space(dset), type = H5Dget_type(dset);
    hssize_t elements = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    long long remaining =
        elements >= 0 && type >= 0 ? (long long)elements * (long long)H5Tget_size(type) : 0;
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    for (int i = 0; i < count && remaining > 0; i++) {
        char file[PATH_CAP] = "", path[PATH_CAP];
        off_t offset = 0;
        hsize_t bytes = 0;
        if (H5Pget_external(dcpl, (unsigned)i, sizeof file, file, &offset, &bytes) < 0)
            return udfrt_fail(err, UDFRT_ERR_DATA, "cannot read the external files of '%s'", name);
        if (prefix && *prefix && file[0] != '/')
            join(prefix, strlen(prefix), dir, file, path);
        else
            snprintf(path, sizeof path, "%s", file);
        long long size = 0;
        if (!is_file(path, &size))
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s', an external data file of '%s', is missing (or not a file)",
                              path, name);
        udfrt_note_input(path);
        long long used =
            bytes == H5F_UNLIMITED || (long long)bytes > remaining ? remaining : (long long)bytes;
        remaining -= used;
        long long need = (long long)offset + used;
        if (size < need)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "'%s', an external data file of '%s', is truncated: the dataset "
                              "keeps bytes up to %lld in it, it has %lld",
                              path, name, need, size);
    }
    return UDFRT_OK;
}

udfrt_status udfrt_h5_check_sources(hid_t dset, hid_t dcpl, const char *name, udfrt_error *err)
{
    char dir[PATH_CAP];
    own_directory(dset, dir);
    if (H5Pget_layout(dcpl) == H5D_VIRTUAL)
        return check_virtual(dset, dcpl, name, dir, err);
    return check_external(dset, dcpl, name, dir, err);
}
