/* codegen.h — loop IR to an LLVM module: one function per kernel entry point
 * and the module's udf_module_desc constant (kernel_abi.h), so that the JIT
 * and ahead-of-time objects carry the same code and the same descriptor. */
#ifndef UDF_CODEGEN_H
#define UDF_CODEGEN_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "lower.h"

/* A module holds one part of some udfs' entry points and declares the
 * others: the hot part (tile and merge, run per tile and partition) is
 * optimised fully; the cold part (prepare and result, run once) gets a light
 * pipeline, which halves the compile time of udfs with large result bodies.
 * One hot module carries the descriptor. The pieces of tiles (lir_outline.h)
 * are a part of their own, optimised fully but never in one module with
 * their callers, so that a tile's code does not depend on where its pieces
 * are compiled. The modules are linked into one after optimisation, before
 * emission, or emitted on two threads and their objects merged
 * (llvm_backend.c). */
typedef enum CodegenPart { CODEGEN_HOT, CODEGEN_COLD, CODEGEN_PIECES } CodegenPart;
#define CODEGEN_PARTS 3

/* Builds the module `name` in `ctx`, for the CPU of `tm`: `part` of each
 * lowered udf i with own[i] set defined (CODEGEN_PIECES: the pieces of its
 * tile with bit k of own_pieces[i] set), every other entry point and called
 * piece declared, and the descriptor of all of them if `descriptor`. The
 * caller owns the module. */
LLVMModuleRef codegen_module(LLVMContextRef ctx, const char *name, LoweredUdf *const *udfs,
                             int n_udfs, const unsigned char *own, const unsigned char *own_pieces,
                             int descriptor, LLVMTargetMachineRef tm, CodegenPart part);

/* Verifies and optimises the module of `part` in place. Returns 0 and a
 * message in why[cap] on failure (an internal error: generated IR must be
 * valid). */
int codegen_optimize(LLVMModuleRef mod, CodegenPart part, LLVMTargetMachineRef tm, char *why,
                     size_t cap);

#endif
