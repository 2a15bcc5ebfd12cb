/* jit.c — LLJIT setup and object loading; see jit.h. Process symbols (libm,
 * libmvec) resolve through a search generator. */
#include "jit.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <stdio.h>
#include <stdlib.h>

#include "target.h"

struct Jit {
    LLVMOrcLLJITRef lljit;
};

static int failed(LLVMErrorRef err, const char *what, char *why, size_t cap)
{
    if (!err)
        return 0;
    char *msg = LLVMGetErrorMessage(err);
    snprintf(why, cap, "%s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return 1;
}

Jit *jit_create(char *why, size_t cap)
{
    LLVMTargetMachineRef tm = target_machine_create(NULL, why, cap);
    if (!tm)
        return NULL;
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
        builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
    Jit *jit = calloc(1, sizeof *jit);
    if (!jit) {
        LLVMOrcDisposeLLJITBuilder(builder);
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    if (failed(LLVMOrcCreateLLJIT(&jit->lljit, builder), "cannot start the JIT", why, cap)) {
        free(jit);
        return NULL;
    }
    LLVMOrcDefinitionGeneratorRef gen;
    char prefix = LLVMOrcLLJITGetGlobalPrefix(jit->lljit);
    if (failed(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, prefix, NULL, NULL),
               "cannot link the JIT to this process", why, cap)) {
        jit_destroy(jit);
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit->lljit), gen);
    return jit;
}

void jit_destroy(Jit *jit)
{
    if (!jit)
        return;
    if (jit->lljit)
        LLVMConsumeError(LLVMOrcDisposeLLJIT(jit->lljit));
    free(jit);
}

const udf_module_desc *jit_add_object(Jit *jit, LLVMMemoryBufferRef obj, char *why, size_t cap)
{
    LLVMOrcJITDylibRef dylib = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    if (failed(LLVMOrcLLJITAddObjectFile(jit->lljit, dylib, obj), "cannot add kernels", why, cap))
        return NULL;
    LLVMOrcExecutorAddress addr = 0;
    if (failed(LLVMOrcLLJITLookup(jit->lljit, &addr, UDF_MODULE_SYMBOL), "cannot compile kernels",
               why, cap))
        return NULL;
    return (const udf_module_desc *)(uintptr_t)addr;
}
