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
#include "udfrt/kernel_abi.h"

enum { STUB_BYTES = 16, GOT_BYTES = 8 };

/* Where each section goes: its offset in the image, or -1 if not loaded. */
typedef struct layout {
    const unsigned char *obj;
    size_t size;
    const char *from;
    const Elf64_Shdr *sh;
    int n_sections;
    const Elf64_Sym *syms;
    size_t n_syms;
    const char *names; /* the symbol string table */
    size_t names_size;
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

int udfrt_object_is_relocatable(const unsigned char *bytes, size_t size)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)bytes;
    return size >= sizeof *eh && memcmp(bytes, ELFMAG, SELFMAG) == 0 &&
           bytes[EI_CLASS] == ELFCLASS64 && eh->e_type == ET_REL;
}

static int is_got_type(uint32_t type)
{
    return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
           type == R_X86_64_REX_GOTPCRELX;
}

/* Whether [off, off + len) lies within a region of `size` bytes. */
static int within(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static udfrt_status read_headers(layout *l, udfrt_error *err)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)l->obj;
    if (!udfrt_object_is_relocatable(l->obj, l->size) || l->obj[EI_DATA] != ELFDATA2LSB)
        return bad(l, err, "not a 64-bit little-endian ELF relocatable object");
    if (eh->e_machine != EM_X86_64)
        return bad(l, err, "not an x86-64 object");
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
        !within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), l->size) ||
        eh->e_shoff % 8 != 0)
        return bad(l, err, "its section headers lie outside the file");
    l->sh = (const Elf64_Shdr *)(l->obj + eh->e_shoff);
    l->n_sections = eh->e_shnum;
    if (eh->e_shstrndx >= eh->e_shnum || l->sh[eh->e_shstrndx].sh_type != SHT_STRTAB)
        return bad(l, err, "it has no table of section names");
    for (int i = 0; i < l->n_sections; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type != SHT_NOBITS && !within(s->sh_offset, s->sh_size, l->size))
            return bad(l, err, "a section lies outside the file");
        if (s->sh_type == SHT_SYMTAB) {
            if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_offset % 8 != 0 ||
                s->sh_link >= (uint32_t)l->n_sections || l->sh[s->sh_link].sh_type != SHT_STRTAB)
                return bad(l, err, "its symbol table is damaged");
            l->syms = (const Elf64_Sym *)(l->obj + s->sh_offset);
            l->n_syms = s->sh_size / sizeof(Elf64_Sym);
            l->names = (const char *)(l->obj + l->sh[s->sh_link].sh_offset);
            l->names_size = l->sh[s->sh_link].sh_size;
        }
    }
    if (!l->syms)
        return bad(l, err, "it has no symbol table");
    return UDFRT_OK;
}

/* The symbol's name, or NULL if it does not end within the string table. */
static const char *sym_name(const layout *l, const Elf64_Sym *s)
{
    if (s->st_name >= l->names_size ||
        !memchr(l->names + s->st_name, 0, l->names_size - s->st_name))
        return NULL;
    return l->names + s->st_name;
}

static int loaded(const Elf64_Shdr *s)
{
    return s->sh_type != SHT_NULL && (s->sh_flags & SHF_ALLOC) && s->sh_size > 0;
}

static int executable(const Elf64_Shdr *s) { return (s->sh_flags & SHF_EXECINSTR) != 0; }

/* Writable after linking: .data.rel.ro is written only by relocations. */
static int writable(const layout *l, const Elf64_Shdr *s)
{
    const Elf64_Shdr *names = &l->sh[((const Elf64_Ehdr *)l->obj)->e_shstrndx];
    const char *name = "";
    if (s->sh_name < names->sh_size &&
        memchr(l->obj + names->sh_offset + s->sh_name, 0, names->sh_size - s->sh_name))
        name = (const char *)l->obj + names->sh_offset + s->sh_name;
    return (s->sh_flags & SHF_WRITE) && strncmp(name, ".data.rel.ro", 12) != 0;
}

/* The relocation sections that apply to loaded sections, checked; counts the
 * stubs and GOT slots they need. */
static udfrt_status count_relocations(layout *l, udfrt_error *err)
{
    for (int i = 0; i < l->n_sections; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type == SHT_REL)
            return bad(l, err, "it has REL relocations (x86-64 objects use RELA)");
        if (s->sh_type != SHT_RELA)
            continue;
        if (s->sh_info >= (uint32_t)l->n_sections || s->sh_entsize != sizeof(Elf64_Rela) ||
            s->sh_offset % 8 != 0)
            return bad(l, err, "a relocation section is damaged");
        if (!loaded(&l->sh[s->sh_info]))
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(l->obj + s->sh_offset);
        for (size_t k = 0; k < s->sh_size / sizeof *r; k++) {
            uint32_t type = ELF64_R_TYPE(r[k].r_info);
            size_t sym = ELF64_R_SYM(r[k].r_info);
            if (sym >= l->n_syms)
                return bad(l, err, "a relocation names a symbol that does not exist");
            if (is_got_type(type))
                l->n_got++;
            else if (type == R_X86_64_PLT32 && l->syms[sym].st_shndx == SHN_UNDEF)
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
    l->at = udfrt_calloc((size_t)l->n_sections, sizeof *l->at);
    if (!l->at)
        return udfrt_fail(err, UDFRT_ERR_DATA, "out of memory linking %s", l->from);
    for (int group = 0; group < 3; group++) {
        for (int i = 0; i < l->n_sections; i++) {
            const Elf64_Shdr *s = &l->sh[i];
            if (!loaded(s))
                continue;
            int g = executable(s) ? 0 : writable(l, s) ? 2 : 1;
            if (g != group)
                continue;
            uint64_t a = s->sh_addralign ? s->sh_addralign : 1;
            if (a > page || (a & (a - 1)) || s->sh_size > (1ull << 32))
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
    for (int i = 0; i < l->n_sections; i++)
        if (!loaded(&l->sh[i]))
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
    const Elf64_Sym *s = &l->syms[index];
    if (s->st_shndx == SHN_ABS) {
        *out = (uintptr_t)s->st_value;
        return UDFRT_OK;
    }
    if (s->st_shndx != SHN_UNDEF) {
        if (s->st_shndx >= l->n_sections || l->at[s->st_shndx] < 0 ||
            s->st_value > l->sh[s->st_shndx].sh_size)
            return bad(l, err, "a symbol lies outside the sections it names");
        *out = (uintptr_t)l->image + (uintptr_t)l->at[s->st_shndx] + (uintptr_t)s->st_value;
        return UDFRT_OK;
    }
    if (l->extern_addr[index]) {
        *out = l->extern_addr[index];
        return UDFRT_OK;
    }
    const char *name = sym_name(l, s);
    if (!name)
        return bad(l, err, "a symbol's name lies outside the string table");
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
    if (!within(r->r_offset, (uint64_t)width, target->sh_size))
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
        if (l->syms[sym].st_shndx == SHN_UNDEF) {
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
    for (int i = 0; i < l->n_sections; i++) {
        const Elf64_Shdr *s = &l->sh[i];
        if (s->sh_type != SHT_RELA || l->at[s->sh_info] < 0)
            continue;
        const Elf64_Rela *r = (const Elf64_Rela *)(l->obj + s->sh_offset);
        for (size_t k = 0; k < s->sh_size / sizeof *r; k++) {
            udfrt_status st =
                relocate_one(l, &l->sh[s->sh_info], l->at[s->sh_info], &r[k], &stub, &got, err);
            if (st != UDFRT_OK)
                return st;
        }
    }
    return UDFRT_OK;
}

/* The defined global UDF_MODULE_SYMBOL. */
static const void *module_symbol(const layout *l)
{
    for (size_t i = 0; i < l->n_syms; i++) {
        const Elf64_Sym *s = &l->syms[i];
        const char *name = sym_name(l, s);
        if (name && strcmp(name, UDF_MODULE_SYMBOL) == 0 && s->st_shndx != SHN_UNDEF &&
            s->st_shndx < l->n_sections && l->at[s->st_shndx] >= 0 &&
            within(s->st_value, sizeof(udf_module_desc), l->sh[s->st_shndx].sh_size))
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
    for (int i = 0; i < l->n_sections; i++)
        if (l->at[i] >= 0 && l->sh[i].sh_type != SHT_NOBITS)
            memcpy(l->image + l->at[i], l->obj + l->sh[i].sh_offset, l->sh[i].sh_size);
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
    layout l = {.obj = object, .size = size, .from = from};
    udfrt_status st = read_headers(&l, err);
    if (st == UDFRT_OK)
        st = count_relocations(&l, err);
    if (st == UDFRT_OK)
        st = place(&l, err);
    if (st == UDFRT_OK && !(l.extern_addr = udfrt_calloc(l.n_syms, sizeof *l.extern_addr)))
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
