/* objcache.h — compiled kernel objects kept on disk, so that running the
 * same udfs on data of the same type on the same CPU again skips the
 * optimiser and code generator. Entries are named by a 128-bit hash (XXH3,
 * libxxhash) of everything that decides the object: the udfs' source texts
 * and names, the input type and the corrections fused into its loads, the
 * CPU (its cpuid registers, host_cpu.h), the LLVM and glibc versions (the
 * vector math functions kernels may call) and the compiler itself (udfc's
 * build ID and the code generator module's hash).
 * None of it needs LLVM, so a cached run never loads it. The directory is
 * $UDF_CACHE_DIR, else $XDG_CACHE_HOME/udf, else ~/.cache/udf;
 * UDF_CACHE_DIR=off disables it.
 * Each entry ends in an XXH3 hash of the object, so a damaged entry is
 * noticed and compiled again. */
#ifndef UDF_OBJCACHE_H
#define UDF_OBJCACHE_H

#include <stddef.h>

#include "lower.h"

typedef struct ObjKey {
    int usable; /* 0: caching is off or the compiler cannot identify itself */
    char hex[65];
} ObjKey;

void objcache_key(ObjKey *key, CheckedUdf *const *udfs, int n, const KernelVariant *variant);
/* The cached object, *size bytes in a malloc'd buffer, or NULL (also for a
 * damaged entry, which is removed). */
unsigned char *objcache_load(const ObjKey *key, size_t *size);
/* Stores an object (atomically: temporary file, then rename). Returns 0 and
 * a reason in why[cap] if it could not; the run goes on without the cache. */
int objcache_store(const ObjKey *key, const void *data, size_t size, char *why, size_t cap);

#endif
