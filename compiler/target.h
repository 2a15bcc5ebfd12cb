/* target.h — the machine kernels are compiled for: the host (JIT, --cpu
 * native) or a named CPU (ahead-of-time builds). */
#ifndef UDF_TARGET_H
#define UDF_TARGET_H

#include <llvm-c/TargetMachine.h>
#include <stddef.h>

/* cpu NULL or "native": this machine's CPU and features. Returns NULL with a
 * message in why[cap] for an unknown CPU. The caller disposes the result. */
LLVMTargetMachineRef target_machine_create(const char *cpu, char *why, size_t cap);

/* Whether the loop vectoriser may call glibc's vector math library in this
 * process (decided by the first target machine; see target.c). */
int target_vector_libm(void);
/* Whether it may call libmvec's AVX-512 variants too (vecmath.h). */
int target_vector_libm_512(void);

#endif
