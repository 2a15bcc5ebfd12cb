/* module.c — loading and querying kernel modules; see module.h and udfrt.h. */
#include "module.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "dtype.h"
#include "elf_check.h"
#include "elf_object.h"
#include "frame_file.h"
#include "inputs.h"
#include "object_link.h"

struct udfrt_module {
    void *handle;       /* dlopen handle, or NULL */
    udfrt_linked image; /* a linked object's image, or none */
    const udf_module_desc *desc;
};

static udfrt_status check_desc(const udf_module_desc *desc, const char *from, udfrt_error *err)
{
    if (desc->abi_version < UDF_ABI_OLDEST || desc->abi_version > UDF_ABI_VERSION)
        return udfrt_fail(err, UDFRT_ERR_DATA,
                          "%s holds kernels for kernel ABI version %u, but this runtime speaks "
                          "versions %u to %u; rebuild them with this udfc (udfc build)",
                          from, desc->abi_version, UDF_ABI_OLDEST, UDF_ABI_VERSION);
    if (desc->n_kernels < 0 || (desc->n_kernels > 0 && !desc->kernels))
        return udfrt_fail(err, UDFRT_ERR_DATA, "%s has a damaged kernel descriptor", from);
    for (int k = 0; k < desc->n_kernels; k++) {
        int32_t f = desc->kernels[k].fused;
        int32_t known = UDF_FUSED | UDF_FUSED_DARK | UDF_FUSED_GAIN | 0xff;
        int bad = f && (desc->abi_version < 6 || !(f & UDF_FUSED) || (f & ~known) ||
                        UDF_FUSED_STORED(f) >= UDF_DTYPE_COUNT);
        if (bad)
            return udfrt_fail(err, UDFRT_ERR_DATA,
                              "%s has a damaged kernel descriptor (udf '%s': corrections %#x)",
                              from, desc->kernels[k].name ? desc->kernels[k].name : "?",
                              (unsigned)f);
    }
    return UDFRT_OK;
}

static udfrt_status wrap(const udf_module_desc *desc, void *handle, udfrt_module **out,
                         udfrt_error *err)
{
    udfrt_module *m = udfrt_calloc(1, sizeof *m);
    if (!m)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    m->handle = handle;
    m->desc = desc;
    *out = m;
    return UDFRT_OK;
}

/* Whether a linked object's descriptor and its kernel table lie in its image. */
static int in_image(const udfrt_linked *l, const udf_module_desc *desc)
{
    uintptr_t begin = (uintptr_t)l->image, end = begin + l->bytes;
    uintptr_t kernels = (uintptr_t)desc->kernels;
    return desc->n_kernels >= 0 && kernels >= begin && kernels <= end &&
           (uintptr_t)desc->n_kernels <= (end - kernels) / sizeof *desc->kernels;
}

udfrt_status udfrt_module_link(const void *object, size_t size, const char *from,
                               udfrt_module **out, udfrt_error *err)
{
    *out = NULL;
    udfrt_linked linked;
    udfrt_status st = udfrt_object_link(object, size, from, &linked, err);
    if (st == UDFRT_OK && !in_image(&linked, linked.module))
        st = udfrt_fail(err, UDFRT_ERR_DATA, "%s has a damaged kernel descriptor", from);
    if (st == UDFRT_OK)
        st = check_desc(linked.module, from, err);
    if (st == UDFRT_OK)
        st = wrap(linked.module, NULL, out, err);
    if (st == UDFRT_OK)
        (*out)->image = linked;
    else
        udfrt_object_unlink(&linked);
    return st;
}

/* An object file (`udfc build -o KERNELS.o`) read whole and linked. */
static udfrt_status load_object(int fd, const char *path, udfrt_module **out, udfrt_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot read '%s'", path);
    unsigned char *bytes = udfrt_malloc((size_t)sb.st_size);
    if (!bytes)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory reading '%s'", path);
    udfrt_status st = udfrt_pread_all(path, fd, bytes, sb.st_size, 0, err);
    char from[4300];
    snprintf(from, sizeof from, "'%s'", path);
    if (st == UDFRT_OK)
        st = udfrt_module_link(bytes, (size_t)sb.st_size, from, out, err);
    udfrt_free(bytes);
    return st;
}

/* Whether the file at fd starts like a relocatable object. */
static int is_object_file(int fd)
{
    unsigned char head[64];
    return pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
           udfrt_elf_is_relocatable(head, sizeof head);
}

udfrt_status udfrt_module_load(const char *path, udfrt_module **out, udfrt_error *err)
{
    *out = NULL;
    /* dlopen looks a name without a slash up in the library path: say ./ */
    char local[4200];
    if (!strchr(path, '/') && strlen(path) < sizeof local - 2) {
        snprintf(local, sizeof local, "./%s", path);
        path = local;
    }
    udfrt_note_input(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && is_object_file(fd)) {
        udfrt_status st = load_object(fd, path, out, err);
        close(fd);
        return st;
    }
    if (fd >= 0)
        close(fd);
    udfrt_status checked = udfrt_elf_check(path, err);
    if (checked != UDFRT_OK)
        return checked;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot load kernels from '%s': %s", path,
                          dlerror());
    const udf_module_desc *desc = dlsym(handle, UDF_MODULE_SYMBOL);
    char from[4300];
    snprintf(from, sizeof from, "'%s'", path);
    udfrt_status st = desc ? check_desc(desc, from, err)
                           : udfrt_fail(err, UDFRT_ERR_DATA,
                                        "'%s' is not a kernel library from udfc build (it has no "
                                        "%s symbol)",
                                        path, UDF_MODULE_SYMBOL);
    if (st == UDFRT_OK)
        st = wrap(desc, handle, out, err);
    if (st != UDFRT_OK)
        dlclose(handle);
    return st;
}

udfrt_status udfrt_module_wrap(const udf_module_desc *desc, udfrt_module **out, udfrt_error *err)
{
    *out = NULL;
    udfrt_status st = check_desc(desc, "the linked module", err);
    return st == UDFRT_OK ? wrap(desc, NULL, out, err) : st;
}

void udfrt_module_destroy(udfrt_module *m)
{
    if (!m)
        return;
    if (m->handle)
        dlclose(m->handle);
    udfrt_object_unlink(&m->image);
    udfrt_free(m);
}

int udfrt_module_udfs(const udfrt_module *m, const char **names, int cap)
{
    int n = 0;
    for (int k = 0; k < m->desc->n_kernels; k++) {
        const char *name = m->desc->kernels[k].name;
        int seen = 0;
        for (int j = 0; j < k && !seen; j++)
            seen = strcmp(m->desc->kernels[j].name, name) == 0;
        if (seen)
            continue;
        if (n < cap)
            names[n] = name;
        n++;
    }
    return n;
}

const udf_kernel_desc *udfrt_module_kernel(const udfrt_module *m, const char *name, udf_dtype t,
                                           int32_t fused)
{
    for (int k = 0; k < m->desc->n_kernels; k++)
        if (strcmp(m->desc->kernels[k].name, name) == 0 &&
            m->desc->kernels[k].input_dtype == (int32_t)t && m->desc->kernels[k].fused == fused)
            return &m->desc->kernels[k];
    return NULL;
}

int udfrt_module_has(const udfrt_module *m, const char *name)
{
    for (int k = 0; k < m->desc->n_kernels; k++)
        if (strcmp(m->desc->kernels[k].name, name) == 0)
            return 1;
    return 0;
}

void udfrt_module_types(const udfrt_module *m, const char *name, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; k < m->desc->n_kernels && len < cap; k++) {
        const udf_kernel_desc *kd = &m->desc->kernels[k];
        if (strcmp(kd->name, name) != 0)
            continue;
        int32_t f = kd->fused;
        if (f)
            len += (size_t)snprintf(out + len, cap - len, "%s%s+%s", len ? " " : "",
                                    udfrt_dtype_name((udf_dtype)UDF_FUSED_STORED(f)),
                                    udf_fused_planes(f));
        else
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "",
                                    udfrt_dtype_name((udf_dtype)kd->input_dtype));
    }
}
