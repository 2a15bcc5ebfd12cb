/* object_link.c — linking a relocatable object into memory; see object_link.h.
 *
 * The image is one anonymous mapping: the executable sections, then a stub
 * per call to a function outside the object (`jmp *slot(%rip)` and the
 * slot: the process's libraries lie farther than a 32-bit displacement
 * reaches), read-only data and GOT slots, then writable data. Code ends up
 * read-only and executable, read-only data read-only. Every offset, index
 * and size in the object's headers, symbols and relocations is checked
 * against the object before use: a damaged file is refused with a message.
 * What the relocated code and descriptor then point at is trusted as the
 * code generator's (cache entries carry a checksum; module.c checks that the
 * descriptor's kernel table lies in the image). */
#include "object_link.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "elf_object.h"
#include "udfrt/kernel_abi.h"

enum { STUB_BYTES = 16, GOT_BYTES = 8 };

/* Where each section goes: its offset in the image, or -1 if not loaded. */
typedef struct layout {
    udfrt_elf elf; /* the object's tables */
    const char *from;
    int64_t *at;            /* per section */
    uintptr_t *extern_addr; /* per symbol: resolved outside address, 0 if not yet */
    size_t stubs, got, end_exec, end_read, bytes;
    size_t n_stubs, n_got;
    unsigned char *image;
} layout;

static udfrt_status bad(const layout *l, udfrt_error *err, const char *what)
{
    return udfrt_fail(err, UDFRT_ERR_DATA, "%s is not a kernel object this runtime can load: %s",
                      l->from, what);
}

static int is_got_type(uint32_t type)
{
    return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
           type == R_X86_64_REX_GOTPCRELX;
}

static int loaded(const Elf64_Shdr *s)
{
    return s->sh_type != SHT_NULL && (s->sh_flags & SHF_ALLOC) && s->sh_size > 0;
}

static int executable(const Elf64_Shdr *s) { return (s->sh_flags & SHF_EXECINSTR) != 0; }

/* Writable after linking: .data.rel.ro is written only by relocations. */
static int writable(const layout *l, const Elf64_Shdr *s)
{
    return (s->sh_flags & SHF_WRITE) &&
           strncmp(udfrt_elf_section_name(&l->elf, s), ".data.rel.ro", 12) != 0;
}

/* The relocation sections that apply to loaded sections, checked; counts the
 * stubs and GOT slots they need. */
static udfrt_status count_relocations(layout *l, udfrt_error *err)
{
    for (int i = 0; i < l->elf.n_sections; i++) {
        const Elf64_Shdr *s = &l->elf.sh[i];
        if (s->sh_type != SHT_RELA)
            continue;
        const char *wrong = udfrt_elf_check_relocations(&l->elf, s);
        if (wrong)
            return bad(l, err, wrong);
        if (!loaded(&l->elf.sh[s->sh_info]))
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(l->elf.bytes + s->sh_offset);
        for (size_t k = 0; k < s->sh_size / sizeof *r; k++) {
            uint32_t type = ELF64_R_TYPE(r[k].r_info);
            size_t sym = ELF64_R_SYM(r[k].r_info);
            if (is_got_type(type))
                l->n_got++;
            else if (type == R_X86_64_PLT32 && l->elf.syms[sym].st_shndx == SHN_UNDEF)
                l->n_stubs++;
        }
    }
    return UDFRT_OK;
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* Places the loaded sections: executable, stubs | read-only, GOT | writable;
 * each group starts on a page. */
static udfrt_status place(layout *l, udfrt_error *err)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), off = 0;
    l->at = udfrt_calloc((size_t)l->elf.n_sections, sizeof *l->at);
    if (!l->at)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory linking %s", l->from);
    for (int group = 0; group < 3; group++) {
        for (int i = 0; i < l->elf.n_sections; i++) {
            const Elf64_Shdr *s = &l->elf.sh[i];
            if (!loaded(s))
                continue;
            int g = executable(s) ? 0 : writable(l, s) ? 2 : 1;
            if (g != group)
                continue;
            uint64_t a = s->sh_addralign ? s->sh_addralign : 1;
            if (a > page ||
                s->sh_size > (1ull << 32)) /* alignment: a power of two (elf_object.h) */
                return bad(l, err, "a section has an alignment or size out of range");
            off = align_up(off, a);
            l->at[i] = (int64_t)off;
            off += s->sh_size;
        }
        if (group == 0) {
            l->stubs = off = align_up(off, STUB_BYTES);
            off += l->n_stubs * STUB_BYTES;
            l->end_exec = off = align_up(off, page);
        } else if (group == 1) {
            l->got = off = align_up(off, GOT_BYTES);
            off += l->n_got * GOT_BYTES;
            l->end_read = off = align_up(off, page);
        }
    }
    l->bytes = align_up(off, page);
    for (int i = 0; i < l->elf.n_sections; i++)
        if (!loaded(&l->elf.sh[i]))
            l->at[i] = -1;
    return UDFRT_OK;
}

static pthread_once_t mvec_once = PTHREAD_ONCE_INIT;
static void *mvec;

/* glibc's vector math (libmvec), which vectorised kernels may call. */
static void open_mvec(void) { mvec = dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL); }

/* The address of symbol `index`: in the image, or found in the process. */
static udfrt_status symbol_address(layout *l, size_t index, uintptr_t *out, udfrt_error *err)
{
    const Elf64_Sym *s = &l->elf.syms[index];
    if (s->st_shndx == SHN_ABS) {
        *out = (uintptr_t)s->st_value;
        return UDFRT_OK;
    }
    if (s->st_shndx != SHN_UNDEF) {
        if (s->st_shndx >= l->elf.n_sections || l->at[s->st_shndx] < 0 ||
            s->st_value > l->elf.sh[s->st_shndx].sh_size)
            return bad(l, err, "a symbol lies outside the sections it names");
        *out = (uintptr_t)l->image + (uintptr_t)l->at[s->st_shndx] + (uintptr_t)s->st_value;
        return UDFRT_OK;
    }
    if (l->extern_addr[index]) {
        *out = l->extern_addr[index];
        return UDFRT_OK;
    }
    const char *name = l->elf.names + s->st_name; /* checked by udfrt_elf_read */
    void *addr = dlsym(RTLD_DEFAULT, name);
    if (!addr) {
        pthread_once(&mvec_once, open_mvec);
        addr = mvec ? dlsym(mvec, name) : NULL;
    }
    if (!addr)
        return udfrt_fail(err, UDFRT_ERR_DATA, "%s calls '%s', which this process does not have",
                          l->from, name);
    *out = l->extern_addr[index] = (uintptr_t)addr;
    return UDFRT_OK;
}

/* Writes `value` of `width` bytes at image offset `where`; a 32-bit value
 * must fit (signed). */
static udfrt_status put(layout *l, unsigned char *where, int64_t value, int width, udfrt_error *err)
{
    if (width == 4) {
        if (value < INT32_MIN || value > INT32_MAX)
            return bad(l, err, "a 32-bit relocation does not reach its target");
        int32_t v = (int32_t)value;
        memcpy(where, &v, 4);
    } else {
        memcpy(where, &value, 8);
    }
    return UDFRT_OK;
}

static udfrt_status relocate_one(layout *l, const Elf64_Shdr *target, int64_t target_at,
                                 const Elf64_Rela *r, size_t *stub, size_t *got, udfrt_error *err)
{
    uint32_t type = ELF64_R_TYPE(r->r_info);
    size_t sym = ELF64_R_SYM(r->r_info);
    if (type == R_X86_64_NONE)
        return UDFRT_OK;
    int width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
    if (!udfrt_elf_within(r->r_offset, (uint64_t)width, target->sh_size))
        return bad(l, err, "a relocation lies outside its section");
    unsigned char *where = l->image + target_at + r->r_offset;
    uintptr_t p = (uintptr_t)where, s = 0;
    udfrt_status st = symbol_address(l, sym, &s, err);
    if (st != UDFRT_OK)
        return st;
    int64_t a = r->r_addend;
    switch (type) {
    case R_X86_64_64: return put(l, where, (int64_t)(s + (uintptr_t)a), 8, err);
    case R_X86_64_PC64: return put(l, where, (int64_t)(s + (uintptr_t)a - p), 8, err);
    case R_X86_64_PLT32:
        if (l->elf.syms[sym].st_shndx == SHN_UNDEF) {
            /* A call out of the object: through a stub, `jmp *2(%rip)` (to
             * the slot at stub + 8, after the 6-byte jump and a ud2). */
            unsigned char *code = l->image + l->stubs + (*stub)++ * STUB_BYTES;
            static const unsigned char jmp[8] = {0xff, 0x25, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x0b};
            memcpy(code, jmp, sizeof jmp);
            memcpy(code + 8, &s, 8);
            s = (uintptr_t)code;
        }
        return put(l, where, (int64_t)(s + (uintptr_t)a - p), 4, err);
    case R_X86_64_PC32: /* data outside the object must be within reach, or is refused */
        return put(l, where, (int64_t)(s + (uintptr_t)a - p), 4, err);
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX: {
        unsigned char *slot = l->image + l->got + (*got)++ * GOT_BYTES;
        memcpy(slot, &s, 8);
        return put(l, where, (int64_t)((uintptr_t)slot + (uintptr_t)a - p), 4, err);
    }
    default: {
        char what[96];
        snprintf(what, sizeof what, "it needs relocation type %u, which this linker does not know",
                 type);
        return bad(l, err, what);
    }
    }
}

static udfrt_status relocate(layout *l, udfrt_error *err)
{
    size_t stub = 0, got = 0;
    for (int i = 0; i < l->elf.n_sections; i++) {
        const Elf64_Shdr *s = &l->elf.sh[i];
        if (s->sh_type != SHT_RELA || l->at[s->sh_info] < 0)
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(l->elf.bytes + s->sh_offset);
        for (size_t k = 0; k < s->sh_size / sizeof *r; k++) {
            udfrt_status st =
                relocate_one(l, &l->elf.sh[s->sh_info], l->at[s->sh_info], &r[k], &stub, &got, err);
            if (st != UDFRT_OK)
                return st;
        }
    }
    return UDFRT_OK;
}

/* The defined global UDF_MODULE_SYMBOL. */
static const void *module_symbol(const layout *l)
{
    for (size_t i = 0; i < l->elf.n_syms; i++) {
        const Elf64_Sym *s = &l->elf.syms[i];
        if (strcmp(l->elf.names + s->st_name, UDF_MODULE_SYMBOL) == 0 && s->st_shndx != SHN_UNDEF &&
            s->st_shndx < l->elf.n_sections && l->at[s->st_shndx] >= 0 &&
            udfrt_elf_within(s->st_value, sizeof(udf_module_desc), l->elf.sh[s->st_shndx].sh_size))
            return l->image + l->at[s->st_shndx] + s->st_value;
    }
    return NULL;
}

static udfrt_status link_image(layout *l, udfrt_error *err)
{
    void *p = mmap(NULL, l->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory linking %s", l->from);
    l->image = p;
    for (int i = 0; i < l->elf.n_sections; i++)
        if (l->at[i] >= 0 && l->elf.sh[i].sh_type != SHT_NOBITS)
            memcpy(l->image + l->at[i], l->elf.bytes + l->elf.sh[i].sh_offset,
                   l->elf.sh[i].sh_size);
    udfrt_status st = relocate(l, err);
    if (st == UDFRT_OK &&
        (mprotect(l->image, l->end_exec, PROT_READ | PROT_EXEC) != 0 ||
         mprotect(l->image + l->end_exec, l->end_read - l->end_exec, PROT_READ) != 0))
        st = udfrt_fail_errno(err, UDFRT_ERR_DATA, errno, "cannot protect the kernels of %s",
                              l->from);
    return st;
}

udfrt_status udfrt_object_link(const unsigned char *object, size_t size, const char *from,
                               udfrt_linked *out, udfrt_error *err)
{
    memset(out, 0, sizeof *out);
    layout l = {.from = from};
    const char *wrong = udfrt_elf_read(&l.elf, object, size);
    udfrt_status st = wrong ? bad(&l, err, wrong) : UDFRT_OK;
    if (st == UDFRT_OK)
        st = count_relocations(&l, err);
    if (st == UDFRT_OK)
        st = place(&l, err);
    if (st == UDFRT_OK && !(l.extern_addr = udfrt_calloc(l.elf.n_syms, sizeof *l.extern_addr)))
        st = udfrt_fail(err, UDFRT_ERR_DATA, "out of memory linking %s", from);
    if (st == UDFRT_OK)
        st = link_image(&l, err);
    const void *module = st == UDFRT_OK ? module_symbol(&l) : NULL;
    if (st == UDFRT_OK && !module)
        st = bad(&l, err, "it has no " UDF_MODULE_SYMBOL " symbol");
    if (st == UDFRT_OK)
        *out = (udfrt_linked){.image = l.image, .bytes = l.bytes, .module = module};
    else if (l.image)
        munmap(l.image, l.bytes);
    udfrt_free(l.at);
    udfrt_free(l.extern_addr);
    return st;
}

void udfrt_object_unlink(udfrt_linked *linked)
{
    if (linked->image)
        munmap(linked->image, linked->bytes);
    memset(linked, 0, sizeof *linked);
}
