/* heap_pages.h — the process heap grown ahead on 2 MiB pages, before udfc
 * loads LLVM to compile (backend.c), and the second compile thread's heap
 * too: LLVM allocates tens of MB in small pieces, which a heap of 4 KiB
 * pages faults in one page at a time. */
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

/* For a thread that compiles beside the main one (llvm_backend.c), after
 * heap_grow_on_huge_pages advised the main heap: advises 2 MiB pages for
 * the calling thread's own malloc heap (a glibc arena, which malloc's top
 * pad makes whole at once, 64 MiB) and makes its first 2 MiB, which the
 * arena's header has touched in 4 KiB pages already, one huge page where
 * the kernel can (MADV_COLLAPSE). The second compile thread faulted ~600
 * times, ~7 ms, in its heap. Returns the bytes advised; 0 if none (the main
 * heap was not advised, or this thread allocates from it). */
size_t thread_heap_on_huge_pages(void);

#endif
