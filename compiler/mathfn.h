/* mathfn.h — math functions that code generation writes out as plain LLVM
 * IR instead of calling a library, for targets where LLVM 19 has no vector
 * library to call (below AVX2 it calls scalar libm per element): there loops
 * using them vectorise. (On AVX2 targets libmvec's log was as fast as this
 * one, measured on logsum, and compiles in less time.) */
#ifndef UDF_MATHFN_H
#define UDF_MATHFN_H

#include <llvm-c/Core.h>

/* ln x for an f32 value x (or a vector of them), with IEEE special cases:
 * ln 0 = -inf, ln +inf = +inf, NaN for negative x and NaN. */
LLVMValueRef mathfn_log_f32(LLVMBuilderRef b, LLVMValueRef x);

/* ln x for f32 x known to be a positive normal number (no special cases):
 * inline, it is cheaper than a call of libmvec's logf, which checks for them. */
LLVMValueRef mathfn_log_f32_normal(LLVMBuilderRef b, LLVMValueRef x);

#endif
