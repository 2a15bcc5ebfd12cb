/* object_merge.h — two ELF relocatable objects (x86-64) made one, as `ld -r`
 * would: the code generator may compile the kernels' parts on two threads,
 * each to an object of its own (llvm_backend.c), and the JIT, the kernel
 * cache and `udfc build` take one object. */
#ifndef UDF_OBJECT_MERGE_H
#define UDF_OBJECT_MERGE_H

#include <stddef.h>

/* An object holding every section of `a`, then every section of `b`, with
 * one symbol table (locals first) and the relocations renumbered into it; a
 * global that one object leaves undefined and the other defines is bound to
 * that definition. Both inputs must be malloc'd (aligned) copies of objects
 * as LLVM emits them for x86-64 Linux. Returns malloc'd bytes (*size bytes),
 * or NULL with an internal-error message in why[cap]: an input that is not
 * such an object, or a global defined in both. */
unsigned char *object_merge(const unsigned char *a, size_t a_size, const unsigned char *b,
                            size_t b_size, size_t *size, char *why, size_t cap);

#endif
