/* mathfn.c — math functions written out as LLVM IR; see mathfn.h. */
#include "mathfn.h"

#include <stddef.h>

static LLVMValueRef f32c(LLVMTypeRef f32, double v) { return LLVMConstReal(f32, v); }
static LLVMValueRef i32c(LLVMTypeRef i32, unsigned long long v) { return LLVMConstInt(i32, v, 0); }

/* a·b + c, fused where the target has FMA (llvm.fmuladd). */
static LLVMValueRef muladd(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y, LLVMValueRef z)
{
    LLVMModuleRef mod = LLVMGetGlobalParent(LLVMGetBasicBlockParent(LLVMGetInsertBlock(b)));
    LLVMTypeRef t = LLVMTypeOf(x);
    unsigned id = LLVMLookupIntrinsicID("llvm.fmuladd", 12);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(mod, id, &t, 1);
    LLVMValueRef args[] = {x, y, z};
    return LLVMBuildCall2(b, LLVMIntrinsicGetType(LLVMGetTypeContext(t), id, &t, 1), fn, args, 3,
                          "");
}

/* Cephes' logf: x = m·2^e with m in [√½, √2) (found by offsetting the bits
 * of x by those of √½, so no compare is needed); ln x = ln m + e·ln 2, ln m
 * from a degree-9 polynomial in m − 1, ln 2 split in two parts so that e·ln 2
 * adds exactly. Within 1 ulp of the exact logarithm on normal and (with
 * `subnormals`) subnormal inputs (tests/e2e/test_mathfn.py). */
static LLVMValueRef log_of_positive(LLVMBuilderRef b, LLVMValueRef x, LLVMTypeRef f32,
                                    LLVMTypeRef i32, int subnormals)
{
    static const double poly[] = {7.0376836292E-2,  -1.1514610310E-1, 1.1676998740E-1,
                                  -1.2420140846E-1, 1.4249322787E-1,  -1.6668057665E-1,
                                  2.0000714765E-1,  -2.4999993993E-1, 3.3333331174E-1};
    const unsigned long long sqrt_half_bits = 0x3f3504f3;
    /* Subnormals are scaled into the normal range first. */
    LLVMValueRef tiny = NULL;
    if (subnormals) {
        tiny = LLVMBuildFCmp(b, LLVMRealOLT, x, f32c(f32, 0x1p-126), "");
        x = LLVMBuildSelect(b, tiny, LLVMBuildFMul(b, x, f32c(f32, 0x1p23), ""), x, "");
    }
    LLVMValueRef bits = LLVMBuildBitCast(b, x, i32, "");
    LLVMValueRef offset = LLVMBuildSub(b, bits, i32c(i32, sqrt_half_bits), "");
    LLVMValueRef e = LLVMBuildAShr(b, offset, i32c(i32, 23), "");
    if (subnormals)
        e = LLVMBuildSelect(b, tiny, LLVMBuildSub(b, e, i32c(i32, 23), ""), e, "");
    LLVMValueRef m_bits = LLVMBuildAdd(b, LLVMBuildAnd(b, offset, i32c(i32, 0x007fffff), ""),
                                       i32c(i32, sqrt_half_bits), "");
    LLVMValueRef t = LLVMBuildFSub(b, LLVMBuildBitCast(b, m_bits, f32, ""), f32c(f32, 1.0), "");
    LLVMValueRef z = LLVMBuildFMul(b, t, t, "");
    LLVMValueRef p = f32c(f32, poly[0]);
    for (size_t i = 1; i < sizeof poly / sizeof *poly; i++)
        p = muladd(b, p, t, f32c(f32, poly[i]));
    LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, p, t, ""), z, "");
    LLVMValueRef fe = LLVMBuildSIToFP(b, e, f32, "");
    y = muladd(b, fe, f32c(f32, -2.12194440e-4), y);
    y = muladd(b, z, f32c(f32, -0.5), y);
    return muladd(b, fe, f32c(f32, 0.693359375), LLVMBuildFAdd(b, t, y, ""));
}

LLVMValueRef mathfn_log_f32(LLVMBuilderRef b, LLVMValueRef x)
{
    LLVMTypeRef f32 = LLVMTypeOf(x);
    LLVMContextRef ctx = LLVMGetTypeContext(f32);
    LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
    LLVMValueRef r = log_of_positive(b, x, f32, i32, 1);
    /* ln 0 = -inf, ln +inf = +inf, ln of a negative number or NaN = NaN */
    LLVMValueRef inf = f32c(f32, __builtin_inf());
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, f32c(f32, 0.0), ""),
                        LLVMBuildFNeg(b, inf, ""), r, "");
    r = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, x, inf, ""), inf, r, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealULT, x, f32c(f32, 0.0), ""),
                           f32c(f32, __builtin_nan("")), r, "");
}

LLVMValueRef mathfn_log_f32_normal(LLVMBuilderRef b, LLVMValueRef x)
{
    LLVMTypeRef f32 = LLVMTypeOf(x);
    return log_of_positive(b, x, f32, LLVMInt32TypeInContext(LLVMGetTypeContext(f32)), 0);
}
