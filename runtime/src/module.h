/* module.h — compiled kernel modules (udfrt.h's udfrt_module): a shared
 * library's or a linked object's udf_module descriptor, checked once. */
#ifndef UDFRT_MODULE_H
#define UDFRT_MODULE_H

#include <stddef.h>

#include "error.h"

/* The kernel of udf `name` for frames of type t with `fused` corrections in
 * its loads (kernel_abi.h UDF_FUSED; 0: frames as the runtime hands them
 * over), or NULL. */
const udf_kernel_desc *udfrt_module_kernel(const udfrt_module *m, const char *name, udf_dtype t,
                                           int32_t fused);
/* Whether the module has a udf of that name (for any frame type). */
int udfrt_module_has(const udfrt_module *m, const char *name);
/* The frame types udf `name` was built for, as "u16 f32 u16+dark ..." in
 * out[cap] (TYPE+PLANES: frames of TYPE corrected in the kernels' loads). */
void udfrt_module_types(const udfrt_module *m, const char *name, char *out, size_t cap);

#endif
