/* jit.h — running generated modules in this process with ORC LLJIT. A module
 * added to the JIT is found through its udf_module_desc symbol. */
#ifndef UDF_JIT_H
#define UDF_JIT_H

#include <llvm-c/Orc.h>
#include <stddef.h>

#include "udfrt/kernel_abi.h"

typedef struct Jit Jit;

/* NULL with a message in why[cap] on failure. */
Jit *jit_create(char *why, size_t cap);
void jit_destroy(Jit *jit);
/* Takes ownership of `tsm` (built in a context from jit_new_context) and
 * returns its descriptor, compiled. */
const udf_module_desc *jit_add(Jit *jit, LLVMOrcThreadSafeModuleRef tsm, char *why, size_t cap);

#endif
