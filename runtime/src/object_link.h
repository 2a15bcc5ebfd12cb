/* object_link.h — an ELF relocatable object (x86-64, as udfc's code generator
 * emits for the JIT, its kernel cache and `udfc build -o KERNELS.o`) linked
 * into this process's memory: its sections laid out in one mapping, its
 * relocations applied, the functions it calls (libm, libmvec, memset) found
 * in the process. No LLVM is needed to run kernels so. Internal to libudfrt. */
#ifndef UDFRT_OBJECT_LINK_H
#define UDFRT_OBJECT_LINK_H

#include <stddef.h>

#include "error.h"

typedef struct udfrt_linked {
    void *image; /* the mapping: code read-only and executable, data read-only */
    size_t bytes;
    const void *module; /* the object's UDF_MODULE_SYMBOL */
} udfrt_linked;

/* Links object[size] (named `from` in messages). UDFRT_ERR_DATA if it is not
 * such an object, is damaged, needs a relocation or symbol this linker does
 * not know, or has no UDF_MODULE_SYMBOL. */
udfrt_status udfrt_object_link(const unsigned char *object, size_t size, const char *from,
                               udfrt_linked *out, udfrt_error *err);
void udfrt_object_unlink(udfrt_linked *linked);

#endif
