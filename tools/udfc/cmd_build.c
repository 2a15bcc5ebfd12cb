/* cmd_build.c — `udfc build FILE.udf... -o OUT.o|OUT.so [--header OUT.h]
 * [--cpu NAME] [--dtype T,...] [--corrections SET,...] [--udf NAME]`:
 * kernels ahead of time, for programs that link libudfrt and no LLVM; with
 * --corrections, also kernels that correct frames of each type as they load
 * them. A shared library is linked from the object with the system's C
 * compiler ($CC, else cc). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.h"
#include "commands.h"
#include "compile.h"
#include "cpu_names.h"
#include "dtype.h"
#include "fused_sets.h"
#include "options.h"
#include "units.h"

extern char **environ;

typedef struct BuildOptions {
    const char *udf_args[MAX_UDF_ARGS];
    int n_udf_args;
    const char *select[MAX_UDF_ARGS];
    int n_select;
    const char *output, *header, *cpu;
    udf_dtype dtypes[UDF_DTYPE_COUNT];
    int n_dtypes;
    int fused_planes[MAX_FUSED_SETS]; /* --corrections */
    int n_fused;
} BuildOptions;

static int usage(const char *fmt, const char *arg)
{
    fputs("udfc: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nusage: udfc build FILE.udf... -o OUT.o|OUT.so [--header OUT.h] [--cpu NAME] "
          "[--dtype T,...] [--corrections SET,...] [--udf NAME]\n",
          stderr);
    return 2;
}

static int parse_dtypes(const char *list, BuildOptions *o)
{
    o->n_dtypes = 0;
    for (const char *p = list; *p;) {
        char name[16];
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof name)
            return usage("--dtype expects types separated by commas (like u16,f32), not '%s'",
                         list);
        memcpy(name, p, n);
        name[n] = '\0';
        int t = udfrt_dtype_parse(name);
        if (t < 0)
            return usage("--dtype: unknown type '%s'", name);
        int seen = 0;
        for (int i = 0; i < o->n_dtypes; i++)
            seen |= o->dtypes[i] == (udf_dtype)t;
        if (!seen)
            o->dtypes[o->n_dtypes++] = (udf_dtype)t;
        p += n + (p[n] == ',');
    }
    if (o->n_dtypes == 0)
        return usage("--dtype expects types separated by commas (like u16,f32), not '%s'", list);
    return 0;
}

static int parse(int argc, char **argv, BuildOptions *o)
{
    static const udf_dtype defaults[] = {UDF_DTYPE_U8, UDF_DTYPE_U16, UDF_DTYPE_U32, UDF_DTYPE_F32,
                                         UDF_DTYPE_F64};
    memcpy(o->dtypes, defaults, sizeof defaults);
    o->n_dtypes = sizeof defaults / sizeof *defaults;
    o->cpu = "x86-64-v2";
    int options_end = 0; /* after `--`, every argument is a UDF */
    for (int i = 0; i < argc; i++) {
        /* OPTION VALUE, or OPTION=VALUE as `udfc run` takes it. */
        char name[32];
        const char *a = argv[i], *inline_value = NULL;
        if (!options_end && strcmp(a, "--") == 0) {
            options_end = 1;
            continue;
        }
        if (options_end) {
            if (o->n_udf_args == MAX_UDF_ARGS)
                return usage("%s", "too many UDFs (the limit is 64)");
            o->udf_args[o->n_udf_args++] = a;
            continue;
        }
        size_t eq = strcspn(a, "=");
        if (a[0] == '-' && a[eq] == '=' && eq < sizeof name) {
            memcpy(name, a, eq);
            name[eq] = '\0';
            a = name;
            inline_value = argv[i] + eq + 1;
        }
        const char **slot = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ? &o->output
                            : strcmp(a, "--header") == 0                       ? &o->header
                            : strcmp(a, "--cpu") == 0                          ? &o->cpu
                                                                               : NULL;
        int is_dtype = strcmp(a, "--dtype") == 0, is_udf = strcmp(a, "--udf") == 0;
        int is_fused = strcmp(a, "--corrections") == 0;
        if (slot || is_dtype || is_udf || is_fused) {
            if (!inline_value && i + 1 >= argc)
                return usage("option %s needs a value", a);
            const char *v = inline_value ? inline_value : argv[++i];
            if (!*v)
                return usage("option %s needs a value, not an empty string", a);
            if (slot)
                *slot = v;
            else if (is_dtype && parse_dtypes(v, o))
                return 2;
            else if (is_fused && (o->n_fused = fused_sets_parse(a, v, o->fused_planes)) < 0)
                return 2;
            else if (is_udf && o->n_select == MAX_UDF_ARGS)
                return usage("%s", "too many --udf options (the limit is 64)");
            else if (is_udf)
                o->select[o->n_select++] = v;
        } else if (a[0] == '-') {
            return usage("unknown option '%s'", a);
        } else if (o->n_udf_args == MAX_UDF_ARGS) {
            return usage("%s", "too many UDFs (the limit is 64)");
        } else {
            o->udf_args[o->n_udf_args++] = a;
        }
    }
    if (!cpu_name_known(o->cpu))
        return usage("--cpu expects an x86-64 CPU that LLVM knows (x86-64-v2, x86-64-v3, "
                     "x86-64-v4, native, a model such as znver4), not '%s'",
                     o->cpu);
    if (!o->output)
        return usage("%s", "name the output with -o OUT.o or -o OUT.so");
    size_t n = strlen(o->output);
    if (n < 3 || (strcmp(o->output + n - 2, ".o") != 0 && strcmp(o->output + n - 3, ".so") != 0))
        return usage("-o %s: the output must end in .o (an object) or .so (a shared library)",
                     o->output);
    return 0;
}

/* Stages `path` with these bytes. */
static udfrt_status stage_bytes(udfrt_staging *staging, const char *path, const void *data,
                                size_t size, udfrt_error *err)
{
    const char *tmp;
    udfrt_status st = udfrt_stage_file(staging, path, &tmp, err);
    if (st != UDFRT_OK)
        return st;
    int fd = open(tmp, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    st = udfrt_write_all(fd, data, size, path, err);
    if (close(fd) != 0 && st == UDFRT_OK)
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot write '%s'", path);
    return st;
}

/* Stages `output` as a shared library linked from `object`:
 * $CC -shared -o OUT OBJ -lmvec -lm, with $CC (default cc) split into words
 * at blanks, as make does ("ccache cc", "gcc -fuse-ld=gold"). */
static udfrt_status stage_shared(udfrt_staging *staging, const char *object, const char *output,
                                 udfrt_error *err)
{
    const char *tmp;
    udfrt_status st = udfrt_stage_file(staging, output, &tmp, err);
    if (st != UDFRT_OK)
        return st;
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    char words[1024];
    char *args[64];
    int n = 0;
    snprintf(words, sizeof words, "%s", cc);
    for (char *save, *w = strtok_r(words, " \t", &save); w && n < 56;
         w = strtok_r(NULL, " \t", &save))
        args[n++] = w;
    if (n == 0)
        args[n++] = "cc";
    const char *rest[] = {"-shared", "-o", tmp, object, "-lmvec", "-lm", NULL};
    for (int i = 0; rest[i]; i++)
        args[n++] = (char *)rest[i];
    args[n] = NULL;
    pid_t pid;
    int status = 0;
    int rc = posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
    if (rc == 0 && waitpid(pid, &status, 0) < 0)
        rc = errno;
    if (rc != 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "cannot run the C compiler '%s' to link '%s': %s",
                          cc, output, strerror(rc));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return udfrt_fail(err, UDFRT_ERR_DATA, "the C compiler '%s' failed to link '%s'", cc,
                          output);
    return UDFRT_OK;
}

/* A kernel per --dtype type, then per type and --corrections set one that
 * corrects frames of that type as it loads them; returns how many. */
static int build_variants(const BuildOptions *o,
                          KernelVariant variants[UDF_DTYPE_COUNT * (MAX_FUSED_SETS + 1)])
{
    int n = 0;
    for (int t = 0; t < o->n_dtypes; t++)
        variants[n++] = (KernelVariant){o->dtypes[t], 0};
    for (int t = 0; t < o->n_dtypes; t++)
        for (int s = 0; s < o->n_fused; s++)
            variants[n++] = fused_variant(o->dtypes[t], o->fused_planes[s]);
    return n;
}

static udfrt_status stage_header(udfrt_staging *staging, const BuildOptions *o, UnitSet *set,
                                 udfrt_error *err)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory");
    char guard[256] = "UDF_KERNELS_";
    const char *base = strrchr(o->header, '/') ? strrchr(o->header, '/') + 1 : o->header;
    for (size_t i = 0, n = strlen(guard); base[i] && n + 1 < sizeof guard; i++, n++)
        guard[n] = isalnum((unsigned char)base[i]) ? (char)toupper((unsigned char)base[i]) : '_';
    KernelVariant variants[UDF_DTYPE_COUNT * (MAX_FUSED_SETS + 1)];
    int n = build_variants(o, variants);
    compile_header(mem, set->udfs, set->n_udfs, variants, n, o->cpu, guard);
    fclose(mem);
    udfrt_status st = stage_bytes(staging, o->header, text, size, err);
    free(text);
    return st;
}

/* The object (or library) and the header appear together, or neither. */
static int write_outputs(const BuildOptions *o, UnitSet *set, const unsigned char *data,
                         size_t size)
{
    size_t n = strlen(o->output);
    udfrt_error err = {0};
    udfrt_staging *staging = NULL;
    udfrt_status st = udfrt_staging_create(&staging, &err);
    if (st == UDFRT_OK && strcmp(o->output + n - 2, ".o") == 0) {
        st = stage_bytes(staging, o->output, data, size, &err);
    } else if (st == UDFRT_OK) {
        /* The object to link, next to the library (the C compiler takes a
         * file of no known suffix as linker input). */
        const char *object;
        st = udfrt_stage_scratch(staging, o->output, &object, &err);
        int fd = st == UDFRT_OK ? open(object, O_WRONLY | O_CLOEXEC) : -1;
        if (st == UDFRT_OK && fd < 0)
            st = udfrt_fail_errno(&err, UDFRT_ERR_DATA, errno, "cannot write '%s'", object);
        if (fd >= 0) {
            st = udfrt_write_all(fd, data, size, object, &err);
            if (close(fd) != 0 && st == UDFRT_OK)
                st = udfrt_fail_errno(&err, UDFRT_ERR_DATA, errno, "cannot write '%s'", object);
        }
        if (st == UDFRT_OK)
            st = stage_shared(staging, object, o->output, &err);
    }
    if (st == UDFRT_OK && o->header)
        st = stage_header(staging, o, set, &err);
    if (st == UDFRT_OK)
        st = udfrt_staging_commit(staging, &err);
    udfrt_staging_destroy(staging);
    if (st == UDFRT_OK)
        return 0;
    fprintf(stderr, "udfc: error: %s\n", err.msg);
    return err.code;
}

int cmd_build(int argc, char **argv)
{
    BuildOptions o = {0};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    UnitSet set;
    rc = units_load(&set, o.udf_args, o.n_udf_args);
    if (!rc)
        rc = units_select(&set, o.select, o.n_select);
    if (!rc) {
        char why[2048];
        Arena *arena = arena_create();
        const char *cpu = strcmp(o.cpu, "native") == 0 ? NULL : o.cpu;
        KernelVariant variants[UDF_DTYPE_COUNT * (MAX_FUSED_SETS + 1)];
        int n = build_variants(&o, variants);
        size_t size = 0;
        unsigned char *obj =
            compile_object(set.udfs, set.n_udfs, variants, n, cpu, arena, &size, why, sizeof why);
        if (obj) {
            udfrt_atomic_install_signal_cleanup();
            rc = write_outputs(&o, &set, obj, size);
            free(obj);
        } else {
            fprintf(stderr, "udfc: internal error: %s (please report)\n", why);
            rc = 4;
        }
        arena_destroy(arena);
    }
    units_release(&set);
    return rc;
}
