/* llvm_compat.h — the only place that knows which LLVM version the compiler is
 * built against. The project supports LLVM 19 (see docs/internals.md). */
#ifndef UDF_LLVM_COMPAT_H
#define UDF_LLVM_COMPAT_H

#include <llvm-c/Core.h>
#include <llvm/Config/llvm-config.h>

#if LLVM_VERSION_MAJOR < 19
#error "udf needs LLVM 19 or newer (Debian: llvm-19-dev)"
#endif

/* Lets the optimiser fuse a float multiply and add into one FMA
 * (`contract`), and, with `reassoc`, reorder a float reduction step so that
 * it can vectorise. */
static inline void llvm_compat_float_flags(LLVMValueRef inst, int reassoc)
{
    if (LLVMCanValueUseFastMathFlags(inst))
        LLVMSetFastMathFlags(inst, LLVMFastMathAllowContract |
                                       (reassoc ? LLVMFastMathAllowReassoc : LLVMFastMathNone));
}

#endif
