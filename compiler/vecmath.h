/* vecmath.h — glibc's vector math functions (libmvec: _ZGVeN16v_logf,
 * _ZGVdN8v_tanf, ...) offered to LLVM's loop vectoriser for calls to scalar
 * math, at the target's full vector width. LLVM 19's libmvec table lists only
 * the 128- and 256-bit variants of sin, cos, exp, log and pow: on AVX-512
 * targets a loop calling log ran two 8-lane calls per 16 lanes (one 16-lane
 * call is 1.3x faster per element), and loops calling log1p, tan or atan2
 * were not vectorised at all. */
#ifndef UDF_VECMATH_H
#define UDF_VECMATH_H

#include <llvm-c/Core.h>

/* Offers the vector variant of libm function `name` (its f64 spelling; an
 * f32 `call` uses name + "f") with n_args arguments for `call`, when the
 * target may call libmvec (target.h) and this process's libmvec has that
 * variant: a vector-function-abi-variant attribute on the call and a
 * declaration of the vector function. */
void vecmath_offer(LLVMModuleRef mod, LLVMValueRef call, const char *name, int n_args);

/* Keeps the declarations vecmath_offer added until the loop vectoriser has
 * run (llvm.compiler.used): LLVM's pipeline drops unused declarations before
 * it. Call once per module, after all code is generated. */
void vecmath_keep(LLVMModuleRef mod);

#endif
