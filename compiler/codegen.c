/* codegen.c — loop IR to LLVM IR through the C API; see codegen.h.
 *
 * Every LIR variable is an alloca in the entry block (SROA turns them into
 * registers). Loads and stores address elements with a GEP on the element
 * type. Booleans are i1 in registers and one byte in memory. Conversions
 * follow SPEC §2.3: float to integer saturates and maps NaN to 0
 * (llvm.fpto[su]i.sat). Integer division and modulo by zero give 0. */
#include "codegen.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "descriptor.h"
#include "llvm_compat.h"
#include "mathfn.h"
#include "target.h"
#include "vecmath.h"

typedef struct Gen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTypeRef i1, i8, i32, i64, ptr, f32, f64, vd;
    const LFunc *lf;
    LLVMValueRef fn;
    LLVMValueRef *vars;   /* allocas */
    LLVMValueRef *bufs;   /* buffer base pointers (dest in merge) */
    LLVMValueRef *srcs;   /* merge source pointers */
    LLVMValueRef *params; /* param value pointers */
    LLVMValueRef ctx_arg, tile_arg;
    LLVMValueRef frames, nav_index, ordinal; /* tile arrays */
    int n_slots, n_params;
    const char *cpu, *features;
    /* Alias metadata: frames, each buffer, each merge source, each param and
     * the read-only inputs (dims, tile arrays) are distinct allocations; saying so lets LLVM
     * vectorise without runtime overlap checks and reuse loads across stores. */
    unsigned scope_kind, noalias_kind;
    LLVMValueRef *scopes;    /* per base: !{own scope} */
    LLVMValueRef *noaliases; /* per base: !{every other scope} */
    unsigned loop_kind;      /* !llvm.loop */
} Gen;

static int is_float(LType t) { return t == UDF_DTYPE_F32 || t == UDF_DTYPE_F64; }
static int is_signed(LType t) { return t != LT_PTR && type_is_signed((udf_dtype)t); }

static LLVMTypeRef reg_type(Gen *g, LType t)
{
    switch (t) {
    case UDF_DTYPE_BOOL: return g->i1;
    case UDF_DTYPE_I8:
    case UDF_DTYPE_U8: return g->i8;
    case UDF_DTYPE_I16:
    case UDF_DTYPE_U16: return LLVMInt16TypeInContext(g->ctx);
    case UDF_DTYPE_I32:
    case UDF_DTYPE_U32: return g->i32;
    case UDF_DTYPE_I64:
    case UDF_DTYPE_U64: return g->i64;
    case UDF_DTYPE_F32: return g->f32;
    case UDF_DTYPE_F64: return g->f64;
    default: return g->ptr;
    }
}

/* In memory a bool is a byte. */
static LLVMTypeRef mem_type(Gen *g, LType t)
{
    return t == UDF_DTYPE_BOOL ? g->i8 : reg_type(g, t);
}

static LLVMValueRef intrinsic(Gen *g, const char *name, LLVMTypeRef *types, int n_types,
                              LLVMValueRef *args, int n_args)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef decl = LLVMGetIntrinsicDeclaration(g->mod, id, types, (size_t)n_types);
    LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, types, (size_t)n_types);
    return LLVMBuildCall2(g->b, fty, decl, args, (unsigned)n_args, "");
}

/* Enum attribute `name` (value 0) at `index` of function fn. */
static void add_attr(LLVMContextRef ctx, LLVMValueRef fn, unsigned index, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(ctx, kind, 0));
}

/* A libm function: name for f64, name + "f" for f32. */
static LLVMValueRef libm(Gen *g, const char *name, LType t, LLVMValueRef *args, int n)
{
    char full[32];
    snprintf(full, sizeof full, "%s%s", name, t == UDF_DTYPE_F32 ? "f" : "");
    LLVMTypeRef ft = reg_type(g, t);
    LLVMTypeRef params[2] = {ft, ft};
    LLVMTypeRef fty = LLVMFunctionType(ft, params, (unsigned)n, 0);
    LLVMValueRef f = LLVMGetNamedFunction(g->mod, full);
    if (!f) {
        /* Kernels never read errno, so the call touches no memory: LLVM may
         * then vectorise loops calling it (with a vector variant) and move it. */
        f = LLVMAddFunction(g->mod, full, fty);
        const char *attrs[] = {"nounwind", "willreturn", "memory"}; /* memory(none): 0 */
        for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
            add_attr(g->ctx, f, LLVMAttributeFunctionIndex, attrs[i]);
    }
    LLVMValueRef call = LLVMBuildCall2(g->b, fty, f, args, (unsigned)n, "");
    vecmath_offer(g->mod, call, name, n);
    return call;
}

/* An LLVM math intrinsic (llvm.log, ...) that libm implements as `name`. */
static LLVMValueRef math_intrinsic(Gen *g, const char *intrinsic_name, const char *name,
                                   LLVMTypeRef ty, LLVMValueRef *args, int n)
{
    LLVMValueRef call = intrinsic(g, intrinsic_name, &ty, 1, args, n);
    vecmath_offer(g->mod, call, name, n);
    return call;
}

static LLVMValueRef zero_of(Gen *g, LType t)
{
    return is_float(t) ? LLVMConstReal(reg_type(g, t), 0) : LLVMConstInt(reg_type(g, t), 0, 0);
}

/* Computed unsigned value v as float type `to`, without uitofp. A type the
 * float holds exactly (u8 and u16, u32 into f64) is widened to i64 and
 * converted as signed. Otherwise: v itself if its top bit is clear, else
 * twice (v >> 1 | v & 1) converted as signed, where the kept low bit rounds
 * as v would. LLVM 19's SLP vectorizer narrows a uitofp by its operand's sign
 * bits, as if it were sitofp: uitofp(u64(i32 x)) became uitofp(x), reading
 * x = -1746 as 2^32 - 1746 instead of 2^64 - 1746 (also through a umax
 * between cast and conversion). A signed conversion of an operand whose top
 * bit is clear cannot be narrowed wrongly. */
static LLVMValueRef float_of_unsigned(Gen *g, LLVMValueRef v, LType from, LType to)
{
    LLVMTypeRef it = LLVMTypeOf(v), dst = reg_type(g, to);
    int mantissa = to == UDF_DTYPE_F64 ? 53 : 24;
    if (type_bits((udf_dtype)from) <= mantissa)
        return LLVMBuildSIToFP(g->b, LLVMBuildZExt(g->b, v, g->i64, ""), dst, "");
    LLVMValueRef one = LLVMConstInt(it, 1, 0);
    LLVMValueRef halved =
        LLVMBuildOr(g->b, LLVMBuildLShr(g->b, v, one, ""), LLVMBuildAnd(g->b, v, one, ""), "");
    LLVMValueRef big = LLVMBuildSIToFP(g->b, halved, dst, "");
    big = LLVMBuildFAdd(g->b, big, big, "");
    LLVMValueRef top = LLVMBuildICmp(g->b, LLVMIntSLT, v, LLVMConstInt(it, 0, 0), "");
    return LLVMBuildSelect(g->b, top, big, LLVMBuildSIToFP(g->b, v, dst, ""), "");
}

static LLVMValueRef convert(Gen *g, LLVMValueRef v, LType from, LType to)
{
    if (from == to)
        return v;
    LLVMTypeRef dst = reg_type(g, to);
    if (to == UDF_DTYPE_BOOL)
        return is_float(from) ? LLVMBuildFCmp(g->b, LLVMRealUNE, v, zero_of(g, from), "")
                              : LLVMBuildICmp(g->b, LLVMIntNE, v, zero_of(g, from), "");
    if (is_float(from) && is_float(to))
        return LLVMBuildFPCast(g->b, v, dst, "");
    if (is_float(from)) {
        LLVMTypeRef types[2] = {dst, reg_type(g, from)};
        return intrinsic(g, is_signed(to) ? "llvm.fptosi.sat" : "llvm.fptoui.sat", types, 2, &v, 1);
    }
    /* Loaded and constant values keep uitofp: nothing narrows those. */
    if (is_float(to) && !is_signed(from) && from != UDF_DTYPE_BOOL && !LLVMIsALoadInst(v) &&
        !LLVMIsAConstant(v))
        return float_of_unsigned(g, v, from, to);
    if (is_float(to))
        return is_signed(from) ? LLVMBuildSIToFP(g->b, v, dst, "")
                               : LLVMBuildUIToFP(g->b, v, dst, "");
    return LLVMBuildIntCast2(g->b, v, dst, is_signed(from), "");
}

static LLVMValueRef field(Gen *g, LField f, int64_t arg, LLVMValueRef frame);

/* Base index into scopes/noaliases: 0 frames, then buffers, sources, params;
 * the last base is the read-only inputs (read_only_input). */
static int alias_base(const Gen *g, LBaseKind base, int slot)
{
    switch (base) {
    case LB_VAR: return 0;
    case LB_BUF: return 1 + slot;
    case LB_SRC: return 1 + g->n_slots + slot;
    case LB_PARAM: return 1 + 2 * g->n_slots + slot;
    }
    return -1;
}

static LLVMValueRef tag_access(Gen *g, LLVMValueRef inst, LBaseKind base, int slot)
{
    int i = alias_base(g, base, slot);
    if (i >= 0 && g->scopes) {
        LLVMSetMetadata(inst, g->scope_kind, g->scopes[i]);
        LLVMSetMetadata(inst, g->noalias_kind, g->noaliases[i]);
    }
    return inst;
}

static void build_alias_scopes(Gen *g, const char *fn_name, LLVMValueRef *scopes,
                               LLVMValueRef *noaliases, int n)
{
    char name[256];
    snprintf(name, sizeof name, "%s.domain", fn_name);
    LLVMMetadataRef domain_name = LLVMMDStringInContext2(g->ctx, name, strlen(name));
    LLVMMetadataRef domain = LLVMMDNodeInContext2(g->ctx, &domain_name, 1);
    LLVMMetadataRef each[n];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s.base%d", fn_name, i);
        LLVMMetadataRef ops[2] = {LLVMMDStringInContext2(g->ctx, name, strlen(name)), domain};
        each[i] = LLVMMDNodeInContext2(g->ctx, ops, 2);
    }
    for (int i = 0; i < n; i++) {
        LLVMMetadataRef others[n];
        int k = 0;
        for (int j = 0; j < n; j++)
            if (j != i)
                others[k++] = each[j];
        scopes[i] = LLVMMetadataAsValue(g->ctx, LLVMMDNodeInContext2(g->ctx, &each[i], 1));
        noaliases[i] = LLVMMetadataAsValue(g->ctx, LLVMMDNodeInContext2(g->ctx, others, (size_t)k));
    }
}
static LLVMValueRef expr(Gen *g, const LExpr *e);

static LLVMValueRef element_ptr(Gen *g, LBaseKind base, int slot, LType elem, LLVMValueRef index)
{
    LLVMValueRef p = base == LB_VAR     ? LLVMBuildLoad2(g->b, g->ptr, g->vars[slot], "")
                     : base == LB_SRC   ? g->srcs[slot]
                     : base == LB_PARAM ? g->params[slot]
                                        : g->bufs[slot];
    return LLVMBuildGEP2(g->b, mem_type(g, elem), p, &index, 1, "");
}

/* Integer a // b and a % b with Python's signs; b == 0 gives 0. */
static LLVMValueRef int_divmod(Gen *g, Op op, LType t, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef ty = reg_type(g, t);
    LLVMValueRef zero = LLVMConstInt(ty, 0, 0), one = LLVMConstInt(ty, 1, 0);
    LLVMValueRef b_zero = LLVMBuildICmp(g->b, LLVMIntEQ, b, zero, "");
    LLVMValueRef safe = LLVMBuildSelect(g->b, b_zero, one, b, "");
    if (!is_signed(t)) {
        LLVMValueRef r =
            op == OP_MOD ? LLVMBuildURem(g->b, a, safe, "") : LLVMBuildUDiv(g->b, a, safe, "");
        return LLVMBuildSelect(g->b, b_zero, zero, r, "");
    }
    /* b == -1 would overflow for the most negative a: use 1 and negate. */
    LLVMValueRef minus_one = LLVMConstAllOnes(ty);
    LLVMValueRef b_m1 = LLVMBuildICmp(g->b, LLVMIntEQ, safe, minus_one, "");
    safe = LLVMBuildSelect(g->b, b_m1, one, safe, "");
    LLVMValueRef q = LLVMBuildSDiv(g->b, a, safe, "");
    LLVMValueRef r = LLVMBuildSRem(g->b, a, safe, "");
    /* Python: when r != 0 and r, b differ in sign, q -= 1 and r += b. */
    LLVMValueRef r_nz = LLVMBuildICmp(g->b, LLVMIntNE, r, zero, "");
    LLVMValueRef signs = LLVMBuildICmp(g->b, LLVMIntSLT, LLVMBuildXor(g->b, r, safe, ""), zero, "");
    LLVMValueRef adjust = LLVMBuildAnd(g->b, r_nz, signs, "");
    LLVMValueRef result;
    if (op == OP_MOD) {
        result = LLVMBuildSelect(g->b, adjust, LLVMBuildAdd(g->b, r, safe, ""), r, "");
        result = LLVMBuildSelect(g->b, b_m1, zero, result, "");
    } else {
        result = LLVMBuildSelect(g->b, adjust, LLVMBuildSub(g->b, q, one, ""), q, "");
        result = LLVMBuildSelect(g->b, b_m1, LLVMBuildNeg(g->b, a, ""), result, "");
    }
    return LLVMBuildSelect(g->b, b_zero, zero, result, "");
}

/* Float // and % as numpy computes them (npy_divmod): the quotient from
 * fmod, (a - fmod(a, b)) / b snapped to the nearest integer, not
 * floor(a / b) (1.0 // 0.1 is 9, whose remainder 0.1 - ulp fmod gives); a
 * zero remainder has b's sign, a zero quotient that of a / b; b == 0 gives
 * a / b and fmod's NaN. */
static LLVMValueRef float_divmod(Gen *g, Op op, LType t, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef ty = reg_type(g, t);
    LLVMValueRef zero = zero_of(g, t);
    LLVMValueRef mod = LLVMBuildFRem(g->b, a, b, "");
    LLVMValueRef b_zero = LLVMBuildFCmp(g->b, LLVMRealOEQ, b, zero, "");
    LLVMValueRef mod_nz = LLVMBuildFCmp(g->b, LLVMRealUNE, mod, zero, "");
    LLVMValueRef signs_differ = LLVMBuildXor(g->b, LLVMBuildFCmp(g->b, LLVMRealOLT, b, zero, ""),
                                             LLVMBuildFCmp(g->b, LLVMRealOLT, mod, zero, ""), "");
    LLVMValueRef adjust = LLVMBuildAnd(g->b, mod_nz, signs_differ, "");
    if (op == OP_MOD) {
        LLVMValueRef signed_zero[] = {zero, b};
        LLVMValueRef r = LLVMBuildSelect(g->b, adjust, LLVMBuildFAdd(g->b, mod, b, ""), mod, "");
        r = LLVMBuildSelect(g->b, mod_nz, r, intrinsic(g, "llvm.copysign", &ty, 1, signed_zero, 2),
                            "");
        return LLVMBuildSelect(g->b, b_zero, mod, r, "");
    }
    LLVMValueRef quotient = LLVMBuildFDiv(g->b, a, b, "");
    LLVMValueRef div = LLVMBuildFDiv(g->b, LLVMBuildFSub(g->b, a, mod, ""), b, "");
    div =
        LLVMBuildSelect(g->b, adjust, LLVMBuildFSub(g->b, div, LLVMConstReal(ty, 1), ""), div, "");
    LLVMValueRef floor = intrinsic(g, "llvm.floor", &ty, 1, &div, 1);
    LLVMValueRef round_up = LLVMBuildFCmp(g->b, LLVMRealOGT, LLVMBuildFSub(g->b, div, floor, ""),
                                          LLVMConstReal(ty, 0.5), "");
    LLVMValueRef q = LLVMBuildSelect(
        g->b, round_up, LLVMBuildFAdd(g->b, floor, LLVMConstReal(ty, 1), ""), floor, "");
    LLVMValueRef signed_zero[] = {zero, quotient};
    q = LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealUNE, div, zero, ""), q,
                        intrinsic(g, "llvm.copysign", &ty, 1, signed_zero, 2), "");
    return LLVMBuildSelect(g->b, b_zero, quotient, q, "");
}

static LLVMValueRef compare(Gen *g, Op op, LType t, LLVMValueRef a, LLVMValueRef b)
{
    if (is_float(t)) {
        LLVMRealPredicate p = op == OP_EQ   ? LLVMRealOEQ
                              : op == OP_NE ? LLVMRealUNE
                              : op == OP_LT ? LLVMRealOLT
                              : op == OP_LE ? LLVMRealOLE
                              : op == OP_GT ? LLVMRealOGT
                                            : LLVMRealOGE;
        return LLVMBuildFCmp(g->b, p, a, b, "");
    }
    int s = is_signed(t);
    LLVMIntPredicate p = op == OP_EQ   ? LLVMIntEQ
                         : op == OP_NE ? LLVMIntNE
                         : op == OP_LT ? (s ? LLVMIntSLT : LLVMIntULT)
                         : op == OP_LE ? (s ? LLVMIntSLE : LLVMIntULE)
                         : op == OP_GT ? (s ? LLVMIntSGT : LLVMIntUGT)
                                       : (s ? LLVMIntSGE : LLVMIntUGE);
    return LLVMBuildICmp(g->b, p, a, b, "");
}

static LLVMValueRef binary(Gen *g, const LExpr *e)
{
    LType t = e->a->type;
    LLVMValueRef a = expr(g, e->a), b = expr(g, e->b);
    int f = is_float(t);
    LLVMValueRef v;
    switch (e->op) {
    case OP_ADD: v = f ? LLVMBuildFAdd(g->b, a, b, "") : LLVMBuildAdd(g->b, a, b, ""); break;
    case OP_SUB: v = f ? LLVMBuildFSub(g->b, a, b, "") : LLVMBuildSub(g->b, a, b, ""); break;
    case OP_MUL: v = f ? LLVMBuildFMul(g->b, a, b, "") : LLVMBuildMul(g->b, a, b, ""); break;
    case OP_DIV: v = LLVMBuildFDiv(g->b, a, b, ""); break;
    case OP_FLOORDIV:
    case OP_MOD: return f ? float_divmod(g, e->op, t, a, b) : int_divmod(g, e->op, t, a, b);
    case OP_POW: {
        LLVMTypeRef ft = f ? reg_type(g, t) : g->f64;
        LLVMValueRef args[2] = {convert(g, a, t, f ? t : UDF_DTYPE_F64),
                                convert(g, b, t, f ? t : UDF_DTYPE_F64)};
        v = math_intrinsic(g, "llvm.pow", "pow", ft, args, 2);
        return f ? v : convert(g, v, UDF_DTYPE_F64, t);
    }
    case OP_AND: return LLVMBuildAnd(g->b, a, b, "");
    case OP_OR: return LLVMBuildOr(g->b, a, b, "");
    default: return compare(g, e->op, t, a, b);
    }
    if (f && !e->exact)
        llvm_compat_float_flags(v, e->reassoc);
    return v;
}

/* Whether every value of x is a number other than -0: an integer converted
 * to float (or a constant such as that). */
static int plain_number(const LExpr *x)
{
    if (x->kind == LE_CAST)
        return !is_float(x->a->type);
    return x->kind == LE_CONST && is_float(x->type) && !isnan(x->fval) &&
           !(x->fval == 0 && signbit(x->fval));
}

/* min and max; of floats NaN-propagating, like numpy.minimum/maximum, with
 * -0 below +0 (llvm.minimum/maximum). Where one operand x is a plain number
 * (an integer frame converted, as in `max(intensity, frame)`), `x >= y ? x :
 * y` for max and `x < y ? x : y` for min give the same for every y — NaN,
 * and -0 against x's +0, included — in a compare and a blend instead of
 * LLVM's six-instruction expansion. */
static LLVMValueRef minmax(Gen *g, LFn fn, LType t, const LExpr *ea, LLVMValueRef a,
                           const LExpr *eb, LLVMValueRef b)
{
    if (is_float(t)) {
        int a_plain = plain_number(ea);
        if (a_plain || plain_number(eb)) {
            LLVMValueRef x = a_plain ? a : b, y = a_plain ? b : a;
            Op toward = fn == LF_MIN ? OP_LT : OP_GE;
            return LLVMBuildSelect(g->b, compare(g, toward, t, x, y), x, y, "");
        }
        LLVMTypeRef ty = reg_type(g, t);
        LLVMValueRef args[2] = {a, b};
        return intrinsic(g, fn == LF_MIN ? "llvm.minimum" : "llvm.maximum", &ty, 1, args, 2);
    }
    LLVMValueRef pick_a = compare(g, fn == LF_MIN ? OP_LT : OP_GT, t, a, b);
    return LLVMBuildSelect(g->b, pick_a, a, b, "");
}

static LLVMValueRef function_call(Gen *g, const LExpr *e)
{
    LType t = e->a->type;
    LLVMValueRef a = expr(g, e->a), b = e->b ? expr(g, e->b) : NULL;
    LLVMTypeRef ty = reg_type(g, t);
    LLVMValueRef args[2] = {a, b};
    switch (e->fn) {
    case LF_MIN:
    case LF_MAX: return minmax(g, e->fn, t, e->a, a, e->b, b);
    case LF_ABS:
        if (is_float(t))
            return intrinsic(g, "llvm.fabs", &ty, 1, args, 1);
        if (!is_signed(t))
            return a;
        return LLVMBuildSelect(g->b, compare(g, OP_LT, t, a, zero_of(g, t)),
                               LLVMBuildNeg(g->b, a, ""), a, "");
    case LF_ISNAN:
        return is_float(t) ? LLVMBuildFCmp(g->b, LLVMRealUNO, a, a, "") : LLVMConstInt(g->i1, 0, 0);
    case LF_SQRT: return intrinsic(g, "llvm.sqrt", &ty, 1, args, 1);
    case LF_EXP: return math_intrinsic(g, "llvm.exp", "exp", ty, args, 1);
    case LF_LOG: /* written out where no vector library would vectorise it */
        return t == UDF_DTYPE_F32 && !target_vector_libm()
                   ? mathfn_log_f32(g->b, a)
                   : math_intrinsic(g, "llvm.log", "log", ty, args, 1);
    case LF_LOG_POS:
        return t == UDF_DTYPE_F32 ? mathfn_log_f32_normal(g->b, a)
                                  : math_intrinsic(g, "llvm.log", "log", ty, args, 1);
    case LF_SIN: return math_intrinsic(g, "llvm.sin", "sin", ty, args, 1);
    case LF_COS: return math_intrinsic(g, "llvm.cos", "cos", ty, args, 1);
    case LF_FLOOR: return intrinsic(g, "llvm.floor", &ty, 1, args, 1);
    case LF_CEIL: return intrinsic(g, "llvm.ceil", &ty, 1, args, 1);
    case LF_ROUND: return intrinsic(g, "llvm.roundeven", &ty, 1, args, 1); /* numpy.round */
    case LF_POW: return math_intrinsic(g, "llvm.pow", "pow", ty, args, 2);
    case LF_LOG1P: return libm(g, "log1p", t, args, 1);
    case LF_TAN: return libm(g, "tan", t, args, 1);
    case LF_ATAN2: return libm(g, "atan2", t, args, 2);
    case LF_NONE: break;
    }
    return a;
}

static LLVMValueRef expr(Gen *g, const LExpr *e)
{
    switch (e->kind) {
    case LE_CONST:
        if (is_float(e->type))
            return LLVMConstReal(reg_type(g, e->type), e->fval);
        return LLVMConstInt(reg_type(g, e->type), (unsigned long long)e->ival, is_signed(e->type));
    case LE_VAR: return LLVMBuildLoad2(g->b, reg_type(g, e->type), g->vars[e->var], "");
    case LE_LOAD: {
        LLVMValueRef p = element_ptr(g, e->base, e->var, e->type, expr(g, e->a));
        LLVMValueRef v =
            tag_access(g, LLVMBuildLoad2(g->b, mem_type(g, e->type), p, ""), e->base, e->var);
        return e->type == UDF_DTYPE_BOOL
                   ? LLVMBuildICmp(g->b, LLVMIntNE, v, LLVMConstInt(g->i8, 0, 0), "")
                   : v;
    }
    case LE_FIELD: return field(g, e->field, e->ival, e->a ? expr(g, e->a) : NULL);
    case LE_BIN: return binary(g, e);
    case LE_UN: {
        LLVMValueRef a = expr(g, e->a);
        if (e->op == OP_NOT)
            return LLVMBuildNot(g->b, a, "");
        return is_float(e->type) ? LLVMBuildFNeg(g->b, a, "") : LLVMBuildNeg(g->b, a, "");
    }
    case LE_CAST: return convert(g, expr(g, e->a), e->a->type, e->type);
    case LE_FN: return function_call(g, e);
    case LE_SELECT: return LLVMBuildSelect(g->b, expr(g, e->a), expr(g, e->b), expr(g, e->c), "");
    }
    return NULL;
}

/* Reads a field of the udf_ctx or udf_tile arguments (byte offsets from
 * kernel_abi.h, which this file compiles against). */
static LLVMValueRef load_at(Gen *g, LLVMTypeRef ty, LLVMValueRef base, size_t offset)
{
    LLVMValueRef off = LLVMConstInt(g->i64, offset, 0);
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->i8, base, &off, 1, "");
    return LLVMBuildLoad2(g->b, ty, p, "");
}

/* A load of the dims or the tile's arrays: memory that is not behind the
 * kernel's noalias arguments and that no kernel writes. Its own alias scope
 * tells LLVM that stores into buffers leave it unchanged, so it is not
 * reloaded after each of them. */
static LLVMValueRef read_only_input(Gen *g, LLVMValueRef load)
{
    int inputs = 1 + 2 * g->n_slots + g->n_params; /* the last alias base */
    if (g->scopes) {
        LLVMSetMetadata(load, g->scope_kind, g->scopes[inputs]);
        LLVMSetMetadata(load, g->noalias_kind, g->noaliases[inputs]);
    }
    return load;
}

static LLVMValueRef field(Gen *g, LField f, int64_t arg, LLVMValueRef frame)
{
    switch (f) {
    case LX_SIG_SIZE: return load_at(g, g->i64, g->ctx_arg, offsetof(udf_ctx, sig_size));
    case LX_NAV_SIZE: return load_at(g, g->i64, g->ctx_arg, offsetof(udf_ctx, nav_size));
    case LX_NAV_SHAPE:
        return load_at(g, g->i64, g->ctx_arg, offsetof(udf_ctx, nav_shape) + 8 * (size_t)arg);
    case LX_SIG_SHAPE:
        return load_at(g, g->i64, g->ctx_arg, offsetof(udf_ctx, sig_shape) + 8 * (size_t)arg);
    case LX_DIM: {
        LLVMValueRef dims = load_at(g, g->ptr, g->ctx_arg, offsetof(udf_ctx, dims));
        return read_only_input(g, load_at(g, g->i64, dims, 8 * (size_t)arg));
    }
    case LX_DEPTH: return load_at(g, g->i64, g->tile_arg, offsetof(udf_tile, depth));
    case LX_GIVEN: {
        LLVMValueRef bit = LLVMBuildLShr(g->b, LLVMGetParam(g->fn, 1),
                                         LLVMConstInt(g->i64, (unsigned long long)arg, 0), "");
        return LLVMBuildTrunc(g->b, bit, g->i1, "");
    }
    case LX_FRAME_PTR:
    case LX_NAV_INDEX:
    case LX_ORDINAL: {
        LLVMValueRef array = f == LX_FRAME_PTR   ? g->frames
                             : f == LX_NAV_INDEX ? g->nav_index
                                                 : g->ordinal;
        LLVMValueRef p =
            LLVMBuildGEP2(g->b, f == LX_FRAME_PTR ? g->ptr : g->i64, array, &frame, 1, "");
        return read_only_input(g, LLVMBuildLoad2(g->b, f == LX_FRAME_PTR ? g->ptr : g->i64, p, ""));
    }
    }
    return NULL;
}

static void stmts(Gen *g, const LStmt *s);

/* A loop ID with the given boolean or integer properties (key, value). A
 * loop ID refers to itself; LLVM makes the node distinct. */
static LLVMValueRef loop_id(Gen *g, const char *const *keys, const int *values, int n)
{
    LLVMMetadataRef self = LLVMTemporaryMDNode(g->ctx, NULL, 0);
    LLVMMetadataRef ops[4] = {self};
    for (int i = 0; i < n; i++) {
        LLVMTypeRef t = strstr(keys[i], ".enable") ? g->i1 : LLVMInt32TypeInContext(g->ctx);
        LLVMMetadataRef pair[] = {LLVMMDStringInContext2(g->ctx, keys[i], strlen(keys[i])),
                                  LLVMValueAsMetadata(LLVMConstInt(t, (unsigned)values[i], 0))};
        ops[i + 1] = LLVMMDNodeInContext2(g->ctx, pair, 2);
    }
    LLVMMetadataRef id = LLVMMDNodeInContext2(g->ctx, ops, (size_t)n + 1);
    LLVMMetadataReplaceAllUsesWith(self, id);
    return LLVMMetadataAsValue(g->ctx, id);
}

/* "Do not vectorise": a loop that is short or runs once per partition, whose
 * vector code would cost compile time, not save run time. */
static LLVMValueRef scalar_loop_id(Gen *g)
{
    const char *keys[] = {"llvm.loop.vectorize.enable"};
    const int values[] = {0};
    return loop_id(g, keys, values, 1);
}

/* A loop of a few iterations each time it runs (a run of pixels of one bin,
 * ~16): vector iterations with masked loads for the tail instead of a
 * scalar remainder, and no interleaving (which would need 4 vectors' worth
 * of iterations before any vector code ran). */
static LLVMValueRef short_trips_loop_id(Gen *g)
{
    const char *keys[] = {"llvm.loop.vectorize.enable", "llvm.loop.vectorize.predicate.enable",
                          "llvm.loop.interleave.count"};
    const int values[] = {1, 1, 1};
    return loop_id(g, keys, values, 3);
}

static void for_loop(Gen *g, const LStmt *s)
{
    LLVMValueRef hi = expr(g, s->hi);
    LLVMBuildStore(g->b, expr(g, s->lo), g->vars[s->var]);
    LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "done");
    LLVMBuildBr(g->b, head);
    LLVMPositionBuilderAtEnd(g->b, head);
    LLVMValueRef i = LLVMBuildLoad2(g->b, g->i64, g->vars[s->var], "");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, hi, ""), body, done);
    LLVMPositionBuilderAtEnd(g->b, body);
    stmts(g, s->body);
    i = LLVMBuildLoad2(g->b, g->i64, g->vars[s->var], "");
    LLVMBuildStore(g->b, LLVMBuildNSWAdd(g->b, i, LLVMConstInt(g->i64, 1, 0), ""), g->vars[s->var]);
    LLVMValueRef latch = LLVMBuildBr(g->b, head);
    if (s->scalar)
        LLVMSetMetadata(latch, g->loop_kind, scalar_loop_id(g));
    else if (s->short_trips)
        LLVMSetMetadata(latch, g->loop_kind, short_trips_loop_id(g));
    LLVMPositionBuilderAtEnd(g->b, done);
}

static void if_stmt(Gen *g, const LStmt *s)
{
    LLVMBasicBlockRef then_bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "then");
    LLVMBasicBlockRef else_bb = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "else");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "endif");
    LLVMBuildCondBr(g->b, expr(g, s->cond), then_bb, else_bb);
    LLVMPositionBuilderAtEnd(g->b, then_bb);
    stmts(g, s->body);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, else_bb);
    stmts(g, s->else_body);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
}

static LLVMValueRef declare_function(Gen *g, const LFunc *lf);

/* A call of a piece (lir_outline.h): the tile's arguments, then the
 * addresses of copies of the vars it shares, whose copies it assigns are
 * read back. Copies, so that the vars' own allocas never escape and stay
 * registers everywhere else in the caller. */
static void call_piece(Gen *g, const LFunc *piece)
{
    LLVMValueRef fn = declare_function(g, piece);
    LLVMValueRef args[3 + piece->n_shared];
    for (int i = 0; i < 3; i++)
        args[i] = LLVMGetParam(g->fn, (unsigned)i);
    LLVMTypeRef types[piece->n_shared + 1];
    LLVMBuilderRef at_entry = LLVMCreateBuilderInContext(g->ctx);
    LLVMPositionBuilderBefore(at_entry, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(g->fn)));
    for (int k = 0; k < piece->n_shared; k++) {
        LLVMValueRef var = g->vars[piece->shared[k]];
        types[k] = reg_type(g, piece->vars[piece->shared[k]].type);
        args[3 + k] = LLVMBuildAlloca(at_entry, types[k], "");
        LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, types[k], var, ""), args[3 + k]);
    }
    LLVMDisposeBuilder(at_entry);
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, 3 + (unsigned)piece->n_shared, "");
    for (int k = 0; k < piece->n_shared; k++)
        if (piece->assigned[k])
            LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, types[k], args[3 + k], ""),
                           g->vars[piece->shared[k]]);
}

static void stmts(Gen *g, const LStmt *s)
{
    for (; s; s = s->next) {
        switch (s->kind) {
        case LS_SET: LLVMBuildStore(g->b, expr(g, s->value), g->vars[s->var]); break;
        case LS_STORE: {
            LLVMValueRef v = expr(g, s->value);
            if (s->elem == UDF_DTYPE_BOOL)
                v = LLVMBuildZExt(g->b, v, g->i8, "");
            LLVMValueRef p = element_ptr(g, s->base, s->slot, s->elem, expr(g, s->index));
            tag_access(g, LLVMBuildStore(g->b, v, p), s->base, s->slot);
            break;
        }
        case LS_FOR: for_loop(g, s); break;
        case LS_IF: if_stmt(g, s); break;
        case LS_CALL: call_piece(g, s->callee); break;
        }
    }
}

/* Whether the function takes a tile's arguments: a tile, or a piece of one. */
static int tiled(const LFunc *lf) { return lf->kind == LFK_TILE || lf->kind == LFK_PIECE; }

/* Loads the pointers an entry point works with once, in the entry block:
 * every buffer (dest in merge), every merge source, every param. */
static void load_bases(Gen *g, const LFunc *lf, LLVMValueRef *bufs, LLVMValueRef *srcs,
                       LLVMValueRef *params)
{
    LLVMValueRef bufs_arg = LLVMGetParam(g->fn, tiled(lf) ? 2 : 1);
    for (int i = 0; i < g->n_slots; i++) {
        LLVMValueRef off = LLVMConstInt(g->i64, (unsigned long long)i, 0);
        bufs[i] = lf->kind == LFK_PREPARE
                      ? NULL
                      : LLVMBuildLoad2(g->b, g->ptr,
                                       LLVMBuildGEP2(g->b, g->ptr, bufs_arg, &off, 1, ""), "");
        srcs[i] = lf->kind != LFK_MERGE
                      ? NULL
                      : LLVMBuildLoad2(
                            g->b, g->ptr,
                            LLVMBuildGEP2(g->b, g->ptr, LLVMGetParam(g->fn, 2), &off, 1, ""), "");
    }
    LLVMValueRef array =
        g->n_params ? load_at(g, g->ptr, g->ctx_arg, offsetof(udf_ctx, params)) : NULL;
    for (int i = 0; i < g->n_params; i++) {
        LLVMValueRef off = LLVMConstInt(g->i64, (unsigned long long)i, 0);
        params[i] =
            LLVMBuildLoad2(g->b, g->ptr, LLVMBuildGEP2(g->b, g->ptr, array, &off, 1, ""), "");
    }
}

/* Entry points (kernel_abi.h): tile(ctx, tile, bufs), merge(ctx, dest, src),
 * result(ctx, bufs), prepare(ctx, given); and pieces of tiles: piece(ctx,
 * tile, bufs, shared var addresses...), hidden from the object's users and
 * never inlined (a thread of their own compiles them). Declared only (once
 * per module), or defined. */
static LLVMValueRef declare_function(Gen *g, const LFunc *lf)
{
    LLVMValueRef fn = lf->kind == LFK_PIECE ? LLVMGetNamedFunction(g->mod, lf->name) : NULL;
    if (fn)
        return fn;
    int n_params = lf->kind == LFK_RESULT || lf->kind == LFK_PREPARE ? 2 : 3;
    if (lf->kind == LFK_PIECE)
        n_params += lf->n_shared;
    LLVMTypeRef params[n_params];
    for (int i = 0; i < n_params; i++)
        params[i] = g->ptr;
    if (lf->kind == LFK_PREPARE)
        params[1] = g->i64;
    fn = LLVMAddFunction(g->mod, lf->name, LLVMFunctionType(g->vd, params, (unsigned)n_params, 0));
    add_attr(g->ctx, fn, LLVMAttributeFunctionIndex, "nounwind");
    if (lf->kind == LFK_PIECE) {
        add_attr(g->ctx, fn, LLVMAttributeFunctionIndex, "noinline");
        LLVMSetVisibility(fn, LLVMHiddenVisibility);
    }
    for (int i = 1; i <= n_params; i++)
        if (LLVMGetTypeKind(params[i - 1]) == LLVMPointerTypeKind)
            add_attr(g->ctx, fn, (unsigned)i, "noalias");
    LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", g->cpu);
    LLVMAddTargetDependentFunctionAttr(fn, "target-features", g->features);
    return fn;
}

/* A piece's shared vars: copied in from the caller's (`in`), or the ones it
 * assigns copied back. */
static void copy_shared(Gen *g, const LFunc *lf, int in)
{
    for (int k = 0; k < lf->n_shared; k++) {
        LLVMValueRef outside = LLVMGetParam(g->fn, 3 + (unsigned)k);
        LLVMValueRef here = g->vars[lf->shared[k]];
        LLVMTypeRef t = reg_type(g, lf->vars[lf->shared[k]].type);
        if (in)
            LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, t, outside, ""), here);
        else if (lf->assigned[k])
            LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, t, here, ""), outside);
    }
}

static LLVMValueRef emit_function(Gen *g, const LFunc *lf)
{
    LLVMValueRef fn = declare_function(g, lf);
    g->fn = fn;
    g->lf = lf;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
    LLVMPositionBuilderAtEnd(g->b, entry);
    LLVMValueRef vars[lf->n_vars + 1];
    for (int i = 0; i < lf->n_vars; i++)
        vars[i] = LLVMBuildAlloca(g->b, reg_type(g, lf->vars[i].type), lf->vars[i].name);
    g->vars = vars;
    g->ctx_arg = LLVMGetParam(fn, 0);
    LLVMValueRef bufs[g->n_slots + 1], srcs[g->n_slots + 1], param_ptrs[g->n_params + 1];
    load_bases(g, lf, bufs, srcs, param_ptrs);
    g->bufs = bufs;
    g->srcs = srcs;
    g->params = param_ptrs;
    int n_bases = 2 + 2 * g->n_slots + g->n_params;
    LLVMValueRef scopes[n_bases], noaliases[n_bases];
    build_alias_scopes(g, lf->name, scopes, noaliases, n_bases);
    g->scopes = scopes;
    g->noaliases = noaliases;
    if (tiled(lf)) {
        g->tile_arg = LLVMGetParam(fn, 1);
        g->frames = load_at(g, g->ptr, g->tile_arg, offsetof(udf_tile, frames));
        g->nav_index = load_at(g, g->ptr, g->tile_arg, offsetof(udf_tile, nav_index));
        g->ordinal = load_at(g, g->ptr, g->tile_arg, offsetof(udf_tile, ordinal));
    }
    copy_shared(g, lf, 1);
    stmts(g, lf->body);
    copy_shared(g, lf, 0);
    LLVMBuildRetVoid(g->b);
    g->vars = NULL;
    g->bufs = g->srcs = g->params = g->scopes = g->noaliases = NULL;
    return fn;
}

/* The entry point lf: its body if it belongs to the part being built and
 * its udf is `own`ed here, else a declaration of what another module
 * defines. */
static LLVMValueRef entry_point(Gen *g, const LFunc *lf, CodegenPart part, int own)
{
    if (!lf)
        return NULL;
    int hot = lf->kind == LFK_TILE || lf->kind == LFK_MERGE;
    return own && hot == (part == CODEGEN_HOT) ? emit_function(g, lf) : declare_function(g, lf);
}

LLVMModuleRef codegen_module(LLVMContextRef ctx, const char *name, LoweredUdf *const *udfs,
                             int n_udfs, const unsigned char *own, const unsigned char *own_pieces,
                             int descriptor, LLVMTargetMachineRef tm, CodegenPart part)
{
    Gen g = {.ctx = ctx};
    g.mod = LLVMModuleCreateWithNameInContext(name, ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(g.mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    char *layout_str = LLVMCopyStringRepOfTargetData(layout);
    LLVMSetDataLayout(g.mod, layout_str);
    LLVMDisposeMessage(layout_str);
    LLVMDisposeTargetData(layout);
    char *cpu = LLVMGetTargetMachineCPU(tm), *features = LLVMGetTargetMachineFeatureString(tm);
    g.cpu = cpu;
    g.features = features;
    g.b = LLVMCreateBuilderInContext(ctx);
    g.i1 = LLVMInt1TypeInContext(ctx);
    g.i8 = LLVMInt8TypeInContext(ctx);
    g.i32 = LLVMInt32TypeInContext(ctx);
    g.i64 = LLVMInt64TypeInContext(ctx);
    g.ptr = LLVMPointerTypeInContext(ctx, 0);
    g.f32 = LLVMFloatTypeInContext(ctx);
    g.f64 = LLVMDoubleTypeInContext(ctx);
    g.vd = LLVMVoidTypeInContext(ctx);
    g.scope_kind = LLVMGetMDKindIDInContext(ctx, "alias.scope", 11);
    g.noalias_kind = LLVMGetMDKindIDInContext(ctx, "noalias", 7);
    g.loop_kind = LLVMGetMDKindIDInContext(ctx, "llvm.loop", 9);
    KernelFns fns[n_udfs + 1];
    for (int i = 0; i < n_udfs; i++) {
        const LoweredUdf *lu = udfs[i];
        g.n_slots = lu->n_buffers;
        g.n_params = lu->cu->n_params + (lu->fused ? 2 : 0); /* the correction planes */
        if (part == CODEGEN_PIECES) {
            for (int k = 0; k < lu->n_pieces; k++)
                if (own_pieces[i] >> k & 1)
                    emit_function(&g, lu->pieces[k]);
            continue;
        }
        fns[i].tile = entry_point(&g, lu->tile, part, own[i]);
        fns[i].merge = entry_point(&g, lu->merge, part, own[i]);
        fns[i].result = entry_point(&g, lu->result, part, own[i]);
        fns[i].prepare = entry_point(&g, lu->prepare, part, own[i]);
    }
    if (descriptor)
        descriptor_emit(g.mod, udfs, fns, n_udfs);
    vecmath_keep(g.mod);
    LLVMDisposeBuilder(g.b);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return g.mod;
}

/* The hot part: LLVM's full pipeline, without loop unrolling (lowering
 * already jams frames and register-blocks free indices where that pays;
 * LLVM's unrolling on top was a fifth of a masks tile's compile work and
 * made no kernel faster in bench/). The cold part: promote the vars to
 * registers, fold, simplify and hoist loop invariants — a third of O1's
 * time for result bodies, which run once. (Skipping these IR passes made
 * result bodies ~3x slower.) */
#define HOT_PIPELINE "default<O3>"
#define COLD_PIPELINE \
    "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg,loop-mssa(licm))"

/* Marks the optimised cold functions `optnone`, which makes code generation
 * select their instructions the fast way (FastISel): ~12% of com's compile
 * work, for result bodies ~1.4x slower (com: +0.3 s on a 4096² scan, whose
 * frames take minutes to read). Done after the IR passes, which skip
 * `optnone` functions. */
static void generate_quickly(LLVMModuleRef mod)
{
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f)) {
            add_attr(ctx, f, LLVMAttributeFunctionIndex, "optnone");
            add_attr(ctx, f, LLVMAttributeFunctionIndex, "noinline"); /* optnone needs it */
        }
}

int codegen_optimize(LLVMModuleRef mod, CodegenPart part, LLVMTargetMachineRef tm, char *why,
                     size_t cap)
{
    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        snprintf(why, cap, "generated IR is invalid: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return 0;
    }
    LLVMDisposeMessage(msg);
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopUnrolling(opts, 0);
    LLVMErrorRef err =
        LLVMRunPasses(mod, part == CODEGEN_COLD ? COLD_PIPELINE : HOT_PIPELINE, tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (err) {
        char *text = LLVMGetErrorMessage(err);
        snprintf(why, cap, "optimisation failed: %s", text);
        LLVMDisposeErrorMessage(text);
        return 0;
    }
    if (part == CODEGEN_COLD)
        generate_quickly(mod);
    return 1;
}
