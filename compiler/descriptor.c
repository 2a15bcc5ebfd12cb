/* descriptor.c — emitting udf_module_desc; see descriptor.h. The LLVM struct
 * types below mirror kernel_abi.h field by field; the static assertions pin
 * the layout they assume. */
#include "descriptor.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(udf_dim) == 16, "udf_dim layout");
_Static_assert(offsetof(udf_buffer_desc, init) == 32 && sizeof(udf_buffer_desc) == 40,
               "udf_buffer_desc layout");
_Static_assert(offsetof(udf_param_desc, dims) == 24 && sizeof(udf_param_desc) == 48,
               "udf_param_desc layout");
_Static_assert(sizeof(udf_dimvar_desc) == 16, "udf_dimvar_desc layout");
_Static_assert(offsetof(udf_kernel_desc, buffers) == 48 && sizeof(udf_kernel_desc) == 104,
               "udf_kernel_desc layout");
_Static_assert(offsetof(udf_module_desc, kernels) == 8, "udf_module_desc layout");

typedef struct Emitter {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMTypeRef i32, i64, f64, ptr;
    LLVMTypeRef dim, buffer, param, dimvar, kernel;
} Emitter;

static LLVMTypeRef struct_type(Emitter *e, const char *name, LLVMTypeRef *fields, unsigned n)
{
    LLVMTypeRef t = LLVMStructCreateNamed(e->ctx, name);
    LLVMStructSetBody(t, fields, n, 0);
    return t;
}

static LLVMValueRef i32c(Emitter *e, long long v)
{
    return LLVMConstInt(e->i32, (unsigned long long)v, 1);
}
static LLVMValueRef null(Emitter *e) { return LLVMConstNull(e->ptr); }

static LLVMValueRef private_global(Emitter *e, LLVMValueRef init, const char *label)
{
    LLVMValueRef gv = LLVMAddGlobal(e->mod, LLVMTypeOf(init), label);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    return gv;
}

static LLVMValueRef string(Emitter *e, const char *s)
{
    LLVMValueRef gv =
        private_global(e, LLVMConstStringInContext(e->ctx, s, (unsigned)strlen(s), 0), "str");
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

static LLVMValueRef array(Emitter *e, LLVMTypeRef elem, LLVMValueRef *items, int n,
                          const char *label)
{
    return n ? private_global(e, LLVMConstArray2(elem, items, (uint64_t)n), label) : null(e);
}

static LLVMValueRef dims(Emitter *e, const Symbol *s)
{
    LLVMValueRef items[UDF_MAX_RANK];
    for (int i = 0; i < s->rank; i++) {
        const Dim *d = &s->dims[i];
        static const int kinds[] = {[DIM_LITERAL] = UDF_DIM_LITERAL,
                                    [DIM_VAR] = UDF_DIM_VAR,
                                    [DIM_NAV_SHAPE] = UDF_DIM_NAV_SHAPE,
                                    [DIM_SIG_SHAPE] = UDF_DIM_SIG_SHAPE};
        int64_t value = d->kind == DIM_VAR ? d->var->slot : d->value;
        LLVMValueRef f[] = {i32c(e, kinds[d->kind]), i32c(e, 0),
                            LLVMConstInt(e->i64, (unsigned long long)value, 1)};
        items[i] = LLVMConstNamedStruct(e->dim, f, 3);
    }
    return array(e, e->dim, items, s->rank, "dims");
}

static LLVMValueRef buffer(Emitter *e, const Symbol *b, udf_dtype type, int used)
{
    int is_private = b->scratch || b->decl->is_private;
    uint32_t flags = (is_private ? UDF_BUF_PRIVATE : 0) | (b->derived ? UDF_BUF_DERIVED : 0) |
                     (b->merge == MERGE_SUM ? UDF_BUF_SUMMED : 0) |
                     (is_private && !used ? UDF_BUF_UNUSED : 0) |
                     (b->scratch && b->uninit ? UDF_BUF_UNINIT : 0);
    LLVMValueRef f[] = {string(e, b->name),
                        i32c(e, b->buf_kind),
                        i32c(e, type),
                        i32c(e, flags),
                        i32c(e, b->rank),
                        dims(e, b),
                        LLVMConstReal(e->f64, b->init)};
    return LLVMConstNamedStruct(e->buffer, f, 7);
}

static LLVMValueRef param(Emitter *e, const Symbol *p, udf_dtype type)
{
    LLVMValueRef f[] = {string(e, p->name),
                        i32c(e, p->param_kind),
                        i32c(e, type),
                        i32c(e, p->rank),
                        i32c(e, p->decl->init != NULL),
                        dims(e, p),
                        LLVMConstReal(e->f64, p->range_lo),
                        LLVMConstReal(e->f64, p->range_hi)};
    return LLVMConstNamedStruct(e->param, f, 8);
}

static LLVMValueRef dimvar(Emitter *e, const Symbol *v)
{
    LLVMValueRef f[] = {string(e, v->name), i32c(e, v->param->slot), i32c(e, v->axis)};
    return LLVMConstNamedStruct(e->dimvar, f, 3);
}

static LLVMValueRef or_null(Emitter *e, LLVMValueRef fn) { return fn ? fn : null(e); }

static LLVMValueRef kernel(Emitter *e, const LoweredUdf *lu, const KernelFns *fns)
{
    const CheckedUdf *cu = lu->cu;
    int n = lu->n_buffers > cu->n_params ? lu->n_buffers : cu->n_params;
    if (cu->n_dimvars > n)
        n = cu->n_dimvars;
    LLVMValueRef items[n + 1];
    for (int i = 0; i < lu->n_buffers; i++)
        items[i] = buffer(e, lu->buffers[i], lu->buffer_types[i], lu->buffer_used[i]);
    LLVMValueRef buffers = array(e, e->buffer, items, lu->n_buffers, "buffers");
    for (int i = 0; i < cu->n_params; i++)
        items[i] = param(e, cu->params[i], lu->param_types[i]);
    LLVMValueRef params = array(e, e->param, items, cu->n_params, "params");
    for (int i = 0; i < cu->n_dimvars; i++)
        items[i] = dimvar(e, cu->dimvars[i]);
    LLVMValueRef dimvars = array(e, e->dimvar, items, cu->n_dimvars, "dimvars");
    LLVMValueRef f[] = {
        string(e, cu->udf->name),
        string(e, cu->udf->doc ? cu->udf->doc : ""),
        i32c(e, lu->input),
        i32c(e, lu->n_buffers),
        i32c(e, cu->n_params),
        i32c(e, cu->n_dimvars),
        i32c(e, cu->n_coords),
        i32c(e, cu->min_sig_rank),
        i32c(e, cu->min_nav_rank),
        i32c(e, lu->fused),
        buffers,
        params,
        dimvars,
        or_null(e, fns->prepare),
        fns->tile,
        or_null(e, fns->merge),
        or_null(e, fns->result),
    };
    return LLVMConstNamedStruct(e->kernel, f, sizeof f / sizeof *f);
}

void descriptor_emit(LLVMModuleRef mod, LoweredUdf *const *udfs, const KernelFns *fns, int n)
{
    Emitter e = {.mod = mod, .ctx = LLVMGetModuleContext(mod)};
    e.i32 = LLVMInt32TypeInContext(e.ctx);
    e.i64 = LLVMInt64TypeInContext(e.ctx);
    e.f64 = LLVMDoubleTypeInContext(e.ctx);
    e.ptr = LLVMPointerTypeInContext(e.ctx, 0);
    LLVMTypeRef dim_f[] = {e.i32, e.i32, e.i64};
    e.dim = struct_type(&e, "udf_dim", dim_f, 3);
    LLVMTypeRef buf_f[] = {e.ptr, e.i32, e.i32, e.i32, e.i32, e.ptr, e.f64};
    e.buffer = struct_type(&e, "udf_buffer_desc", buf_f, 7);
    LLVMTypeRef par_f[] = {e.ptr, e.i32, e.i32, e.i32, e.i32, e.ptr, e.f64, e.f64};
    e.param = struct_type(&e, "udf_param_desc", par_f, 8);
    LLVMTypeRef var_f[] = {e.ptr, e.i32, e.i32};
    e.dimvar = struct_type(&e, "udf_dimvar_desc", var_f, 3);
    LLVMTypeRef k_f[] = {e.ptr, e.ptr, e.i32, e.i32, e.i32, e.i32, e.i32, e.i32, e.i32,
                         e.i32, e.ptr, e.ptr, e.ptr, e.ptr, e.ptr, e.ptr, e.ptr};
    e.kernel = struct_type(&e, "udf_kernel_desc", k_f, sizeof k_f / sizeof *k_f);
    LLVMValueRef kernels[n + 1];
    for (int i = 0; i < n; i++)
        kernels[i] = kernel(&e, udfs[i], &fns[i]);
    LLVMValueRef m[] = {i32c(&e, UDF_ABI_VERSION), i32c(&e, n),
                        array(&e, e.kernel, kernels, n, "kernels")};
    LLVMValueRef init = LLVMConstStructInContext(e.ctx, m, 3, 0);
    LLVMValueRef gv = LLVMAddGlobal(mod, LLVMTypeOf(init), UDF_MODULE_SYMBOL);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
}
