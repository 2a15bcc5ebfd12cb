/* heap_pages.h — the process heap grown ahead on 2 MiB pages, before udfc
 * loads LLVM to compile (backend.c): LLVM allocates tens of MB in small
 * pieces, which a heap of 4 KiB pages faults in one page at a time. */
#ifndef UDF_HEAP_PAGES_H
#define UDF_HEAP_PAGES_H

#include <stddef.h>

/* Makes malloc grow the main heap `bytes` (at most INT_MAX / 2) at a time and
 * keep what is freed, for the rest of the process, grows it now, and
 * advises 2 MiB pages for the whole 2 MiB pages of the growth. Returns the
 * bytes advised (the kernel backs them with huge pages where transparent
 * huge pages are not switched off); 0 if none (the heap did not grow by brk,
 * as under AddressSanitizer's allocator, or the kernel has no transparent
 * huge pages): the heap then works as before. */
size_t heap_grow_on_huge_pages(size_t bytes);

#endif
