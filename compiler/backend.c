/* backend.c — loading the LLVM code generator module; see backend.h. */
#include "backend.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heap_pages.h"
#include "udfrt/config.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Opens the module by path: the installed one (UDF_BACKEND_INSTALLED, from
 * udfc's directory) where it exists, else the build tree's (udfc run from
 * its build tree, or a copy of it). Not by name through udfc's run path:
 * under AddressSanitizer the dlopen call comes from the sanitizer's library,
 * whose run path is empty. */
static void *open_module(char *why, size_t cap)
{
    char exe[4096], path[4200];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/%s", exe, UDF_BACKEND_INSTALLED);
    if (access(path, F_OK) != 0)
        snprintf(path, sizeof path, "%s", UDF_BACKEND_BUILT);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        snprintf(why, cap, "cannot load the code generator: %s", dlerror());
    return handle;
}

const CompilerBackend *backend_get(double *load_seconds, char *why, size_t cap)
{
    static const CompilerBackend *loaded;
    if (load_seconds)
        *load_seconds = 0;
    if (loaded)
        return loaded;
    double t0 = now();
    heap_grow_on_huge_pages(UDF_COMPILE_HEAP_BYTES); /* for LLVM's allocations */
    void *handle = open_module(why, cap);
    if (!handle)
        return NULL;
    loaded = dlsym(handle, UDF_BACKEND_SYMBOL);
    if (!loaded) {
        snprintf(why, cap, "%s has no %s", UDF_BACKEND_FILE, UDF_BACKEND_SYMBOL);
        dlclose(handle);
        return NULL;
    }
    if (load_seconds)
        *load_seconds = now() - t0;
    return loaded;
}
