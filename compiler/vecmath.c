/* vecmath.c — libmvec variants for the loop vectoriser; see vecmath.h. */
#include "vecmath.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "target.h"

#define VARIANT_PREFIX "_ZGV" /* x86 vector function ABI names */

/* Declares vector variant `isa` ('e': 512-bit, 'd': 256-bit) of the libm
 * function `name` that `call` calls, and appends its mapping to variants[cap];
 * nothing if this process's libmvec lacks it. */
static void offer_width(LLVMModuleRef mod, LLVMValueRef call, const char *name, int n_args,
                        char isa, char *variants, size_t cap)
{
    LLVMTypeRef scalar = LLVMTypeOf(call);
    int f32 = LLVMGetTypeKind(scalar) == LLVMFloatTypeKind;
    unsigned lanes = (isa == 'e' ? 512u : 256u) / (f32 ? 32u : 64u);
    const char *params = n_args == 2 ? "vv" : "v";
    char vector_name[64];
    snprintf(vector_name, sizeof vector_name, VARIANT_PREFIX "%cN%u%s_%s%s", isa, lanes, params,
             name, f32 ? "f" : "");
    if (!dlsym(RTLD_DEFAULT, vector_name)) /* an older libmvec */
        return;
    size_t len, used = strlen(variants);
    const char *callee = LLVMGetValueName2(LLVMGetCalledValue(call), &len);
    snprintf(variants + used, cap - used, "%s" VARIANT_PREFIX "_LLVM_N%u%s_%.*s(%s)",
             used ? "," : "", lanes, params, (int)len, callee, vector_name);
    if (LLVMGetNamedFunction(mod, vector_name))
        return;
    LLVMTypeRef vec = LLVMVectorType(scalar, lanes);
    LLVMTypeRef types[2] = {vec, vec};
    LLVMAddFunction(mod, vector_name, LLVMFunctionType(vec, types, (unsigned)n_args, 0));
}

void vecmath_offer(LLVMModuleRef mod, LLVMValueRef call, const char *name, int n_args)
{
    if (!target_vector_libm())
        return;
    /* Both widths on AVX-512 targets: some prefer 256-bit vectors (x86-64-v4). */
    char variants[320] = "";
    if (target_vector_libm_512())
        offer_width(mod, call, name, n_args, 'e', variants, sizeof variants);
    offer_width(mod, call, name, n_args, 'd', variants, sizeof variants);
    if (!variants[0])
        return;
    const char *key = "vector-function-abi-variant";
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             LLVMCreateStringAttribute(LLVMGetModuleContext(mod), key,
                                                       (unsigned)strlen(key), variants,
                                                       (unsigned)strlen(variants)));
}

void vecmath_keep(LLVMModuleRef mod)
{
    LLVMValueRef kept[64]; /* at most 8 functions x 2 types x 2 widths */
    unsigned n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f && n < 64; f = LLVMGetNextFunction(f))
        if (LLVMIsDeclaration(f) &&
            strncmp(LLVMGetValueName(f), VARIANT_PREFIX, strlen(VARIANT_PREFIX)) == 0)
            kept[n++] = f;
    if (n == 0)
        return;
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
    LLVMValueRef used = LLVMAddGlobal(mod, LLVMArrayType2(ptr, n), "llvm.compiler.used");
    LLVMSetLinkage(used, LLVMAppendingLinkage);
    LLVMSetSection(used, "llvm.metadata");
    LLVMSetInitializer(used, LLVMConstArray2(ptr, kept, n));
}
