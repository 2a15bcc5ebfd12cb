/* npy.c — writing results as .npy files (format 1.0) and the checked
 * allocation the kernels use; see handc.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handc.h"

void *handc_alloc(int64_t bytes)
{
    size_t n = ((size_t)bytes + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) {
        fprintf(stderr, "handc: out of memory (%lld bytes)\n", (long long)bytes);
        exit(3);
    }
    memset(p, 0, n);
    return p;
}

int handc_write_npy(const char *dir, const char *kernel, const char *buffer, const char *descr,
                    const int64_t *shape, int rank, const void *data)
{
    char path[4096], dims[256] = "", header[512];
    snprintf(path, sizeof path, "%s/%s.%s.npy", dir, kernel, buffer);
    int64_t count = 1;
    size_t used = 0;
    for (int i = 0; i < rank; i++) {
        used += (size_t)snprintf(dims + used, sizeof dims - used, "%lld,%s", (long long)shape[i],
                                 i + 1 < rank ? " " : "");
        count *= shape[i];
    }
    if (rank > 1)
        dims[used - 1] = '\0'; /* (a, b) but (a,) */
    int len = snprintf(header, sizeof header,
                       "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    /* Magic (6) + version (2) + length (2) + header + padding + '\n' is a multiple of 64. */
    int total = (10 + len + 1 + 63) / 64 * 64;
    int pad = total - 10 - len - 1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "handc: cannot write '%s'\n", path);
        return 1;
    }
    unsigned short hlen = (unsigned short)(total - 10);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fwrite(header, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    size_t item = descr[2] == '4' ? 4 : 8;
    size_t wrote = fwrite(data, item, (size_t)count, f);
    if (fclose(f) != 0 || wrote != (size_t)count) {
        fprintf(stderr, "handc: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}
