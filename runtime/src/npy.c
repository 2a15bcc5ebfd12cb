/* npy.c — .npy header parsing and formatting; see npy.h. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dtype.h"

static const struct {
    char kind;
    int size;
    udf_dtype dtype;
} descr_table[] = {
    {'b', 1, UDF_DTYPE_BOOL}, {'i', 1, UDF_DTYPE_I8},  {'i', 2, UDF_DTYPE_I16},
    {'i', 4, UDF_DTYPE_I32},  {'i', 8, UDF_DTYPE_I64}, {'u', 1, UDF_DTYPE_U8},
    {'u', 2, UDF_DTYPE_U16},  {'u', 4, UDF_DTYPE_U32}, {'u', 8, UDF_DTYPE_U64},
    {'f', 4, UDF_DTYPE_F32},  {'f', 8, UDF_DTYPE_F64},
};

/* Returns the text after `'key':` in the dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(dict, quoted);
    if (!p)
        return NULL;
    p += strlen(quoted);
    p += strspn(p, " ");
    if (*p != ':')
        return NULL;
    p++;
    return p + strspn(p, " ");
}

static udfrt_status bad(udfrt_error *err, const char *path, const char *why)
{
    return udfrt_fail(err, UDFRT_ERR_DATA, "'%s' is not a valid .npy file: %s", path, why);
}

static udfrt_status parse_descr(const char *v, const char *path, udfrt_npy_header *hdr,
                                udfrt_error *err)
{
    if (v && *v == '[')
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "'%s' holds structured elements (a record of fields), which udf does "
                          "not read (it reads bool, i8..i64, u8..u64, f32, f64)",
                          path);
    if (!v || *v != '\'')
        return bad(err, path, "no 'descr' string in its header");
    char order = v[1], kind = v[2];
    char *end = NULL;
    long size = isdigit((unsigned char)v[3]) ? strtol(v + 3, &end, 10) : -1;
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return bad(err, path, "unknown byte order in 'descr'");
    for (size_t i = 0; i < sizeof descr_table / sizeof *descr_table && size > 0 && *end == '\'';
         i++) {
        if (descr_table[i].kind == kind && descr_table[i].size == size) {
            hdr->dtype = descr_table[i].dtype;
            hdr->big_endian = order == '>' && size > 1;
            return UDFRT_OK;
        }
    }
    char shown[32];
    return udfrt_fail(err, UDFRT_ERR_DATA,
                      "'%s' holds elements of type '%s', which udf does not read (it reads "
                      "bool, i8..i64, u8..u64, f32, f64)",
                      path, udfrt_shown(shown, sizeof shown, v + 1, strlen(v + 1), '\''));
}

static udfrt_status parse_shape(const char *v, const char *path, udfrt_npy_header *hdr,
                                udfrt_error *err)
{
    if (!v || *v != '(')
        return bad(err, path, "no 'shape' tuple in its header");
    v++;
    hdr->rank = 0;
    for (;;) {
        v += strspn(v, " ,");
        if (*v == ')')
            return UDFRT_OK;
        char *end;
        errno = 0;
        long long d = strtoll(v, &end, 10);
        if (end == v || d < 0 || errno)
            return bad(err, path, "malformed 'shape'");
        if (hdr->rank == UDFRT_NPY_MAX_RANK)
            return bad(err, path, "too many dimensions");
        hdr->shape[hdr->rank++] = d;
        v = end;
        v += strspn(v, " L");
        if (*v != ',' && *v != ')')
            return bad(err, path, "malformed 'shape'");
    }
}

udfrt_status udfrt_npy_read_header(int fd, const char *path, udfrt_npy_header *hdr,
                                   udfrt_error *err)
{
    unsigned char pre[12];
    ssize_t got = pread(fd, pre, sizeof pre, 0);
    if (got < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot read '%s'", path);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return bad(err, path, "it does not start with the .npy magic bytes");
    int major = pre[6];
    size_t header_len, start;
    if (major == 1) {
        header_len = pre[8] | (size_t)pre[9] << 8;
        start = 10;
    } else if ((major == 2 || major == 3) && got == 12) {
        header_len = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        start = 12;
    } else {
        return bad(err, path, "unknown format version");
    }
    if (header_len > (1u << 20))
        return bad(err, path, "header longer than 1 MiB");
    char *dict = udfrt_malloc(header_len + 1);
    if (!dict)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", path);
    got = pread(fd, dict, header_len, (off_t)start);
    udfrt_status st = UDFRT_OK;
    if (got != (ssize_t)header_len) {
        st = bad(err, path, "its header is truncated");
    } else {
        dict[header_len] = '\0';
        const char *fortran = dict_value(dict, "fortran_order");
        if (!fortran)
            st = bad(err, path, "no 'fortran_order' in its header");
        else if (strncmp(fortran, "True", 4) == 0)
            st = udfrt_fail(err, UDFRT_ERR_DATA,
                            "'%s' is stored in Fortran order; save it in C order "
                            "(numpy.ascontiguousarray) to read it",
                            path);
        else if (strncmp(fortran, "False", 5) != 0 || isalnum((unsigned char)fortran[5]))
            st = bad(err, path, "'fortran_order' is neither True nor False");
        else
            st = parse_descr(dict_value(dict, "descr"), path, hdr, err);
        if (st == UDFRT_OK)
            st = parse_shape(dict_value(dict, "shape"), path, hdr, err);
    }
    udfrt_free(dict);
    hdr->data_offset = (int64_t)(start + header_len);
    return st;
}

size_t udfrt_npy_format_header(udf_dtype t, int rank, const int64_t *shape, char *out, size_t cap)
{
    static const char kinds[] = {
        [UDF_DTYPE_BOOL] = 'b', [UDF_DTYPE_I8] = 'i',  [UDF_DTYPE_I16] = 'i', [UDF_DTYPE_I32] = 'i',
        [UDF_DTYPE_I64] = 'i',  [UDF_DTYPE_U8] = 'u',  [UDF_DTYPE_U16] = 'u', [UDF_DTYPE_U32] = 'u',
        [UDF_DTYPE_U64] = 'u',  [UDF_DTYPE_F32] = 'f', [UDF_DTYPE_F64] = 'f',
    };
    char dict[1024];
    size_t size = udfrt_dtype_size(t);
    int n = snprintf(dict, sizeof dict, "{'descr': '%c%c%zu', 'fortran_order': False, 'shape': (",
                     size == 1 ? '|' : '<', kinds[t], size);
    for (int i = 0; i < rank && n < (int)sizeof dict; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[i],
                      i + 1 < rank ? " " : "");
    if (n < (int)sizeof dict)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    if (n >= (int)sizeof dict - 1)
        return 0;
    size_t total = ((10 + (size_t)n + 1) + 63) / 64 * 64;
    if (total > cap || total - 10 > 65535)
        return 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (char)((total - 10) & 0xff);
    out[9] = (char)((total - 10) >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}
