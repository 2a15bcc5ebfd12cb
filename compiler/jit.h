/* jit.h — running compiled kernels in this process with ORC LLJIT: an object
 * file (fresh from the code generator or from the object cache) is linked in
 * and found through its udf_module_desc symbol. */
#ifndef UDF_JIT_H
#define UDF_JIT_H

#include <llvm-c/Orc.h>
#include <stddef.h>

#include "udfrt/kernel_abi.h"

typedef struct Jit Jit;

/* NULL with a message in why[cap] on failure. */
Jit *jit_create(char *why, size_t cap);
void jit_destroy(Jit *jit);
/* Takes ownership of object `obj` and returns its descriptor, linked. A Jit
 * holds one module. */
const udf_module_desc *jit_add_object(Jit *jit, LLVMMemoryBufferRef obj, char *why, size_t cap);

#endif
