/* kernel_abi.h — the contract between generated kernels and libudfrt.
 *
 * The compiler emits, for every module, one constant `udf_module_desc` named
 * UDF_MODULE_SYMBOL that lists the kernels with their buffers, params and entry
 * points. The runtime reads nothing else from generated code, whether the module
 * was JIT-compiled or loaded from a shared library. Both sides include this file;
 * any change to a struct or a function type below must bump UDF_ABI_VERSION. */
#ifndef UDFRT_KERNEL_ABI_H
#define UDFRT_KERNEL_ABI_H

#include <stdint.h>

#define UDF_ABI_VERSION 7
/* The oldest version whose modules this runtime still loads: a version-5
 * module is a version-6 one without fused kernels (see `fused`); a
 * version-6 one a version-7 one that does not rely on UDF_MAX_SIG_DIM. */
#define UDF_ABI_OLDEST 5
#define UDF_MODULE_SYMBOL "udf_module"
/* Most dims a data set's nav or sig part, or a buffer's extra shape, may have. */
#define UDF_MAX_RANK 8
/* The runtime passes no frame longer than this along any sig dim, so kernels
 * (from version 7) may convert frame coordinates to float through 32-bit
 * integers. */
#define UDF_MAX_SIG_DIM 2147483647ll

/* Element types: enum suffix, spelling in .udf and .npy-independent name,
 * size in bytes, is_float, is_signed. */
#define UDF_DTYPES(X)        \
    X(BOOL, "bool", 1, 0, 0) \
    X(I8, "i8", 1, 0, 1)     \
    X(I16, "i16", 2, 0, 1)   \
    X(I32, "i32", 4, 0, 1)   \
    X(I64, "i64", 8, 0, 1)   \
    X(U8, "u8", 1, 0, 0)     \
    X(U16, "u16", 2, 0, 0)   \
    X(U32, "u32", 4, 0, 0)   \
    X(U64, "u64", 8, 0, 0)   \
    X(F32, "f32", 4, 1, 1)   \
    X(F64, "f64", 8, 1, 1)

typedef enum udf_dtype {
#define UDF_X_ENUM(e, name, size, is_float, is_signed) UDF_DTYPE_##e,
    UDF_DTYPES(UDF_X_ENUM)
#undef UDF_X_ENUM
        UDF_DTYPE_COUNT
} udf_dtype;

/* Where a buffer lives: one element (block) per scan position, per detector
 * pixel, or one global array. */
typedef enum udf_kind { UDF_KIND_NAV, UDF_KIND_SIG, UDF_KIND_SINGLE } udf_kind;

/* Buffer flags. */
#define UDF_BUF_PRIVATE 1u /* scratch: merged, never written out */
/* assigned in `result` only: the result entry fills it, from its start value */
#define UDF_BUF_DERIVED 2u
/* merged by adding (updates are all `+=`): the start value is where the sum
 * begins, once, so only the first partition's partial starts there and the
 * others at 0 */
#define UDF_BUF_SUMMED 4u
/* private, and no entry point of this input type's kernel loads or stores it
 * (only the branches for other types use it): the runtime allocates it
 * nowhere and passes NULL. Runtimes that predate it allocate it as any other. */
#define UDF_BUF_UNUSED 8u
/* private, and every partition writes each element before it reads it (a
 * frame-invariant value cached once per partition, a table of runs): the
 * runtime need not fill it with its start value. Runtimes that predate it
 * fill it as any other. */
#define UDF_BUF_UNINIT 16u

/* One extra dim of a buffer or param. */
typedef enum udf_dim_kind {
    UDF_DIM_LITERAL,   /* value */
    UDF_DIM_VAR,       /* the value of dim variable `value` */
    UDF_DIM_NAV_SHAPE, /* nav_shape[value] */
    UDF_DIM_SIG_SHAPE  /* sig_shape[value] */
} udf_dim_kind;

typedef struct udf_dim {
    int32_t kind; /* udf_dim_kind */
    int32_t reserved;
    int64_t value;
} udf_dim;

typedef struct udf_buffer_desc {
    const char *name;
    int32_t kind;  /* udf_kind */
    int32_t dtype; /* udf_dtype */
    uint32_t flags;
    int32_t rank; /* number of extra dims */
    const udf_dim *dims;
    double init; /* start value of every element; may be +-inf */
} udf_buffer_desc;

typedef enum udf_param_kind {
    UDF_PARAM_SCALAR, /* one value */
    UDF_PARAM_ARRAY,  /* an array of shape dims */
    UDF_PARAM_SIG,    /* detector-shaped, stacked: shape dims + sig */
    UDF_PARAM_NAV     /* per frame: shape nav + dims */
} udf_param_kind;

typedef struct udf_param_desc {
    const char *name;
    int32_t kind;  /* udf_param_kind */
    int32_t dtype; /* udf_dtype */
    int32_t rank;  /* extra dims */
    int32_t has_default;
    const udf_dim *dims;
    double lo, hi; /* scalar params: the value must lie in [lo, hi]; NaN: no range */
} udf_param_desc;

/* A dim variable is bound from axis `axis` of the array given for param
 * `param`, or, with axis < 0, is the value of integer scalar param `param`. */
typedef struct udf_dimvar_desc {
    const char *name;
    int32_t param;
    int32_t axis;
} udf_dimvar_desc;

/* What every entry point sees of the run. */
typedef struct udf_ctx {
    int64_t nav_rank, sig_rank;
    int64_t nav_shape[UDF_MAX_RANK];
    int64_t sig_shape[UDF_MAX_RANK];
    int64_t nav_size, sig_size;
    const int64_t *dims; /* dim variable values, in udf_dimvar_desc order */
    void *const *params; /* per param: its value (scalar) or its elements */
} udf_ctx;

/* A stack of whole frames. Frames need not be adjacent in memory. */
typedef struct udf_tile {
    int64_t depth;
    const void *const *frames; /* depth pointers to sig_size elements of the input dtype */
    const int64_t *nav_index;  /* flat C-order index of each frame in the full nav grid */
    const int64_t *ordinal;    /* index of each frame among the selected frames */
} udf_tile;

/* `bufs` holds one pointer per buffer, in udf_buffer_desc order: nav buffers
 * span the whole nav grid (shared by all threads; each frame writes only its
 * own element), sig and single buffers are the partial result being built. */
typedef void (*udf_tile_fn)(const udf_ctx *ctx, const udf_tile *tile, void *const *bufs);
/* Combines partial `src` into `dest` (sig and single buffers only). */
typedef void (*udf_merge_fn)(const udf_ctx *ctx, void *const *dest, void *const *src);
/* Runs the `result` body once on the merged, whole buffers. */
typedef void (*udf_result_fn)(const udf_ctx *ctx, void *const *bufs);
/* Writes the defaults of params whose bit in `given` (param index) is 0: a
 * scalar's value, or every element of an array param the runtime made (ABI
 * 4: given arrays set their bit too); a udf has at most 64 params. */
typedef void (*udf_prepare_fn)(const udf_ctx *ctx, uint64_t given);

/* Detector corrections fused into a kernel's frame loads (`udfc run`
 * compiles such kernels for runs with --dark or --gain; `udfc build
 * --corrections` adds them to a module). A kernel whose `fused` is nonzero
 * (UDF_FUSED | the stored element type | UDF_FUSED_DARK, UDF_FUSED_GAIN) is
 * given frames of the stored type and corrects each element as it loads it,
 * (T(raw) - dark[p]) * gain[p] with each step rounded to T = input_dtype, as
 * the runtime's corrections do; the planes, sig_size elements of T each, are
 * ctx->params[n_params] (dark) and ctx->params[n_params + 1] (gain). ABI
 * version 6 gave the field, `reserved` and zero before, this meaning: a
 * runtime of version 5 would take a fused kernel for one of its input type. */
#define UDF_FUSED 0x10000
#define UDF_FUSED_DARK 0x100
#define UDF_FUSED_GAIN 0x200
#define UDF_FUSED_STORED(fused) ((fused)&0xff)
/* The planes of a fused kernel as people read them: "dark", "gain",
 * "dark+gain", or "converted" (neither: the type only). */
static inline const char *udf_fused_planes(int32_t fused)
{
    static const char *const names[] = {"converted", "dark", "gain", "dark+gain"};
    return names[((fused & UDF_FUSED_DARK) ? 1 : 0) + ((fused & UDF_FUSED_GAIN) ? 2 : 0)];
}

typedef struct udf_kernel_desc {
    const char *name;
    const char *doc; /* the comment above `udf NAME` */
    int32_t input_dtype;
    int32_t n_buffers;
    int32_t n_params;
    int32_t n_dimvars;
    int32_t sig_rank;     /* the sig rank the udf needs exactly (frame[y, x]), or 0 */
    int32_t min_sig_rank; /* it reads sig_shape[d] for d < min_sig_rank */
    int32_t min_nav_rank; /* it reads nav_shape[d] or a gradient along d < min_nav_rank */
    int32_t fused;        /* 0, or detector corrections in its frame loads (UDF_FUSED) */
    const udf_buffer_desc *buffers;
    const udf_param_desc *params;
    const udf_dimvar_desc *dimvars;
    udf_prepare_fn prepare;
    udf_tile_fn tile;
    udf_merge_fn merge;   /* NULL when there is nothing to merge */
    udf_result_fn result; /* NULL without a `result` body */
} udf_kernel_desc;

typedef struct udf_module_desc {
    uint32_t abi_version;
    int32_t n_kernels;
    const udf_kernel_desc *kernels;
} udf_module_desc;

#endif
