/* backend.c — loading the LLVM code generator module; see backend.h. */
#include "backend.h"

#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const CompilerBackend *backend_get(double *load_seconds, char *why, size_t cap)
{
    static const CompilerBackend *loaded;
    *load_seconds = 0;
    if (loaded)
        return loaded;
    double t0 = now();
    /* Searched in udfc's run path: the build tree, or the installed lib dir. */
    void *handle = dlopen(UDF_BACKEND_FILE, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(why, cap, "cannot load the code generator %s: %s", UDF_BACKEND_FILE, dlerror());
        return NULL;
    }
    loaded = dlsym(handle, UDF_BACKEND_SYMBOL);
    if (!loaded) {
        snprintf(why, cap, "%s has no %s", UDF_BACKEND_FILE, UDF_BACKEND_SYMBOL);
        dlclose(handle);
        return NULL;
    }
    *load_seconds = now() - t0;
    return loaded;
}
