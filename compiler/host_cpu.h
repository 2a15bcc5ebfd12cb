/* host_cpu.h — what identifies this machine's CPU for the kernel cache
 * (objcache.h), read with cpuid itself: LLVM, which the code generator uses
 * to pick the CPU and its features, derives both from these same registers,
 * and a cached run never loads LLVM. */
#ifndef UDF_HOST_CPU_H
#define UDF_HOST_CPU_H

#include <stddef.h>
#include <stdint.h>

/* The registers that decide the code LLVM generates for this host: the
 * vendor, family, model and stepping, the feature leaves and the state the
 * operating system enables (XCR0). Returns how many uint32_t it wrote
 * (at most cap). */
size_t host_cpu_identity(uint32_t *out, size_t cap);

#endif
