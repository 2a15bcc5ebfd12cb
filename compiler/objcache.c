/* objcache.c — the on-disk kernel object cache; see objcache.h. */
#include "objcache.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <gnu/libc-version.h>
#include <llvm/Config/llvm-config.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "backend.h"
#include "host_cpu.h"

/* The directory, or NULL when caching is off. */
static const char *cache_dir(char *buf, size_t cap)
{
    const char *dir = getenv("UDF_CACHE_DIR");
    if (dir)
        return *dir && strcmp(dir, "off") != 0 ? dir : NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/udf", xdg);
    else if (home && *home)
        snprintf(buf, cap, "%s/.cache/udf", home);
    else
        return NULL;
    return buf;
}

/* The compiler's identity, whatever its version number says: the GNU build
 * ID the linker put into this executable (a hash of its contents), else a
 * hash of the executable's file — which took 0.5 ms of a cached run's 2 ms
 * on a virtual machine. Computed once. */
static XXH128_hash_t self_hash;
static int self_hash_ok;

/* Hashes the build ID into self_hash if the notes [p, p + size), padded to
 * `align`, hold one. */
static void hash_note(const unsigned char *p, size_t size, size_t align)
{
    size_t at = 0;
    while (size - at >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)(p + at);
        size_t name = at + sizeof *note, namesz = note->n_namesz, descsz = note->n_descsz;
        size_t name_room = (namesz + align - 1) / align * align;
        size_t desc_room = (descsz + align - 1) / align * align;
        if (name_room > size - name || desc_room > size - name - name_room)
            return; /* a note that runs past the segment */
        size_t desc = name + name_room;
        if (note->n_type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name, "GNU", 4) == 0) {
            self_hash = XXH3_128bits(p + desc, descsz);
            self_hash_ok = 1;
            return;
        }
        at = desc + desc_room;
    }
}

/* dl_iterate_phdr's callback: looks for the build ID in the note segments of
 * the first object it is shown, the executable, and stops. */
static int hash_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    for (int i = 0; i < info->dlpi_phnum && !self_hash_ok; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE)
            hash_note((const unsigned char *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
                      ph->p_align == 8 ? 8 : 4);
    }
    return 1;
}

static void hash_self(void)
{
    dl_iterate_phdr(hash_build_id, NULL);
    if (self_hash_ok)
        return;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    XXH3_state_t *h = XXH3_createState();
    char buf[1 << 16];
    ssize_t got = -1;
    if (h && XXH3_128bits_reset(h) == XXH_OK)
        while ((got = read(fd, buf, sizeof buf)) > 0)
            XXH3_128bits_update(h, buf, (size_t)got);
    close(fd);
    if (got == 0) {
        self_hash = XXH3_128bits_digest(h);
        self_hash_ok = 1;
    }
    XXH3_freeState(h);
}

static void update_str(XXH3_state_t *h, const char *s)
{
    XXH3_128bits_update(h, s, strlen(s) + 1); /* with the NUL: fields stay apart */
}

void objcache_key(ObjKey *key, CheckedUdf *const *udfs, int n, const KernelVariant *variant)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    char dir[4096];
    memset(key, 0, sizeof *key);
    if (!cache_dir(dir, sizeof dir))
        return;
    pthread_once(&once, hash_self);
    XXH3_state_t *h = self_hash_ok ? XXH3_createState() : NULL;
    if (!h || XXH3_128bits_reset(h) != XXH_OK) {
        XXH3_freeState(h);
        return;
    }
    XXH3_128bits_update(h, &self_hash, sizeof self_hash);
    update_str(h, udfc_backend_id); /* also in udfc's build ID; said outright */
    update_str(h, LLVM_VERSION_STRING);
    update_str(h, gnu_get_libc_version()); /* which libmvec functions kernels may call */
    uint32_t cpu[64];
    XXH3_128bits_update(h, cpu, host_cpu_identity(cpu, 64) * sizeof *cpu);
    char number[32];
    snprintf(number, sizeof number, "%d %d %d %d", UDF_ABI_VERSION, (int)variant->input,
             variant->fused, n);
    update_str(h, number);
    for (int i = 0; i < n; i++) {
        update_str(h, udfs[i]->udf->name);
        update_str(h, udfs[i]->src->text);
    }
    XXH128_canonical_t out;
    XXH128_canonicalFromHash(&out, XXH3_128bits_digest(h));
    XXH3_freeState(h);
    for (size_t i = 0; i < sizeof out.digest; i++)
        snprintf(key->hex + 2 * i, 3, "%02x", out.digest[i]);
    key->usable = 1;
}

static int entry_path(const ObjKey *key, char *path, size_t cap)
{
    char dir[4096];
    const char *d = cache_dir(dir, sizeof dir);
    return d && snprintf(path, cap, "%s/%s.o", d, key->hex) < (int)cap;
}

/* The checksum that ends each entry. */
static void hash_bytes(const void *data, size_t size, XXH128_canonical_t *out)
{
    XXH128_canonicalFromHash(out, XXH3_128bits(data, size));
}

/* The whole file at `path` in a malloc'd buffer, or NULL. */
static unsigned char *read_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unsigned char *data = NULL;
    if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0 && (data = malloc((size_t)sb.st_size))) {
        size_t at = 0;
        ssize_t got = 1;
        while (at < (size_t)sb.st_size && (got = read(fd, data + at, (size_t)sb.st_size - at)) > 0)
            at += (size_t)got;
        *size = at;
        if (at != (size_t)sb.st_size) {
            free(data);
            data = NULL;
        }
    }
    if (fd >= 0)
        close(fd);
    return data;
}

unsigned char *objcache_load(const ObjKey *key, size_t *size)
{
    char path[4200];
    if (!key->usable || !entry_path(key, path, sizeof path) || access(path, R_OK) != 0)
        return NULL;
    size_t total = 0;
    unsigned char *data = read_file(path, &total);
    XXH128_canonical_t sum;
    int intact = 0;
    if (data && total > sizeof sum) {
        hash_bytes(data, total - sizeof sum, &sum);
        intact = memcmp(&sum, data + total - sizeof sum, sizeof sum) == 0;
    }
    if (intact) {
        *size = total - sizeof sum;
        return data;
    }
    free(data);
    unlink(path);
    return NULL;
}

/* mkdir -p for the cache directory. */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return 0;
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

int objcache_store(const ObjKey *key, const void *data, size_t size, char *why, size_t cap)
{
    char dir[4096], path[4200], tmp[4300];
    const char *d = cache_dir(dir, sizeof dir);
    if (!key->usable || !d || !entry_path(key, path, sizeof path))
        return 1;
    if (!make_dirs(d)) {
        snprintf(why, cap, "cannot create cache directory '%s': %s", d, strerror(errno));
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, cap, "cannot write to cache directory '%s': %s", d, strerror(errno));
        return 0;
    }
    XXH128_canonical_t sum;
    hash_bytes(data, size, &sum);
    int ok = write(fd, data, size) == (ssize_t)size && write(fd, &sum, sizeof sum) == sizeof sum;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 1;
    snprintf(why, cap, "cannot write cache entry '%s': %s", path, strerror(errno));
    unlink(tmp);
    return 0;
}
