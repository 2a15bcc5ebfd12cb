/* descriptor.h — the module's udf_module_desc (kernel_abi.h) as LLVM
 * constants: names, docs, buffers, params, dims and entry points of every
 * lowered udf, under the symbol UDF_MODULE_SYMBOL. */
#ifndef UDF_DESCRIPTOR_H
#define UDF_DESCRIPTOR_H

#include <llvm-c/Core.h>

#include "lower.h"

typedef struct KernelFns {
    LLVMValueRef tile, merge, result, prepare; /* NULL where absent */
} KernelFns;

void descriptor_emit(LLVMModuleRef mod, LoweredUdf *const *udfs, const KernelFns *fns, int n);

#endif
