/* object_merge.c — two relocatable objects made one; see object_merge.h.
 *
 * The output: the ELF header, the contents of the inputs' sections in input
 * order (each section kept whole: a relocatable object may hold two .text),
 * one symbol table, one string table (section and symbol names), the
 * section headers. The inputs' own symbol and string tables are replaced by
 * those; LLVM's address-significance tables (.llvm_addrsig, which index the
 * old symbol tables and only serve identical-code folding) are dropped.
 * Every offset, index, alignment and size read from an input is checked
 * first, by the reader the runtime's linker uses too (elf_object.h): a
 * damaged input is an internal error, not a crash. Weak, common and
 * extended-index symbols, which the code generator does not emit, are
 * refused rather than merged as a linker would. */
#include "object_merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_object.h"

#define SHT_LLVM_ADDRSIG_TYPE 0x6fff4c03u

typedef struct Input {
    udfrt_elf elf;     /* its tables, read and checked (elf_object.h) */
    int *section_to;   /* per section: its index in the output, 0 if dropped */
    size_t *symbol_to; /* per symbol: its index in the output's symbol table */
} Input;

/* The output's string table, growing. */
typedef struct Strings {
    char *text;
    size_t size, cap;
} Strings;

static int fail(char *why, size_t cap, const char *what, const char *name)
{
    snprintf(why, cap, "cannot merge the kernels' two objects: %s%s", what, name);
    return 0;
}

/* Beyond what udfrt_elf_read checks: only local and global symbols, none
 * common; relocations only for code and data; no other links between
 * sections. */
static int mergeable(const Input *in, char *why, size_t cap)
{
    const udfrt_elf *o = &in->elf;
    for (size_t j = 0; j < o->n_syms; j++) {
        const Elf64_Sym *sym = &o->syms[j];
        int bind = ELF64_ST_BIND(sym->st_info);
        if ((bind != STB_LOCAL && bind != STB_GLOBAL) || sym->st_shndx == SHN_COMMON)
            return fail(why, cap, "a weak or common symbol: ", o->names + sym->st_name);
    }
    for (int i = 1; i < o->n_sections; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if (s->sh_type == SHT_RELA) {
            const char *wrong = udfrt_elf_check_relocations(o, s);
            if (wrong)
                return fail(why, cap, wrong, "");
            uint32_t target = o->sh[s->sh_info].sh_type;
            if (target == SHT_SYMTAB || target == SHT_STRTAB || target == SHT_RELA ||
                target == SHT_LLVM_ADDRSIG_TYPE)
                return fail(why, cap, "relocations for a section that is neither code nor data",
                            "");
        } else if ((s->sh_type != SHT_SYMTAB && s->sh_type != SHT_LLVM_ADDRSIG_TYPE &&
                    s->sh_link != 0) ||
                   (s->sh_flags & SHF_INFO_LINK)) {
            return fail(why, cap, "a section linked to another: ", udfrt_elf_section_name(o, s));
        }
    }
    return 1;
}

static int read_input(Input *in, const unsigned char *bytes, size_t size, char *why, size_t cap)
{
    const char *wrong = udfrt_elf_read(&in->elf, bytes, size);
    if (wrong)
        return fail(why, cap, wrong, "");
    if (!mergeable(in, why, cap))
        return 0;
    in->section_to = calloc((size_t)in->elf.n_sections, sizeof *in->section_to);
    in->symbol_to = calloc(in->elf.n_syms, sizeof *in->symbol_to);
    return in->section_to && in->symbol_to ? 1 : fail(why, cap, "out of memory", "");
}

/* Whether section i of `in` goes to the output as it is. */
static int kept(const Input *in, int i)
{
    const udfrt_elf *o = &in->elf;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)o->bytes;
    return i != o->symtab && i != (int)o->sh[o->symtab].sh_link && i != eh->e_shstrndx &&
           o->sh[i].sh_type != SHT_LLVM_ADDRSIG_TYPE;
}

/* The offset of `s` appended to the table; SIZE_MAX if out of memory. */
static size_t add_string(Strings *t, const char *s)
{
    size_t len = strlen(s) + 1;
    if (t->size + len > t->cap) {
        size_t cap = (t->cap ? 2 * t->cap : 1024) + len;
        char *text = realloc(t->text, cap);
        if (!text)
            return SIZE_MAX;
        t->text = text;
        t->cap = cap;
    }
    memcpy(t->text + t->size, s, len);
    t->size += len;
    return t->size - len;
}

/* The output symbol table being built. */
typedef struct Symbols {
    Elf64_Sym *sym;
    size_t n, first_global;
    Strings names;
} Symbols;

/* The index of the global named `name` in the output (defined ones only if
 * `defined`), 0 if none. */
static size_t find_global(const Symbols *out, const char *name, int defined)
{
    for (size_t i = out->first_global; i < out->n; i++)
        if ((!defined || out->sym[i].st_shndx != SHN_UNDEF) &&
            strcmp(out->names.text + out->sym[i].st_name, name) == 0)
            return i;
    return 0;
}

/* Symbol j of `in` appended to the output, its name and section renumbered. */
static int add_symbol(Symbols *out, Input *in, size_t j, char *why, size_t cap)
{
    Elf64_Sym sym = in->elf.syms[j];
    const char *name = in->elf.names + sym.st_name;
    if (sym.st_shndx != SHN_UNDEF && sym.st_shndx < SHN_LORESERVE) {
        if (!in->section_to[sym.st_shndx])
            return fail(why, cap, "a symbol in a dropped section: ", name);
        sym.st_shndx = (Elf64_Half)in->section_to[sym.st_shndx];
    }
    size_t at = add_string(&out->names, name);
    if (at == SIZE_MAX)
        return fail(why, cap, "out of memory", "");
    sym.st_name = (Elf64_Word)at;
    out->sym[out->n] = sym;
    in->symbol_to[j] = out->n++;
    return 1;
}

/* The output's symbols: every local, then every defined global, then each
 * undefined global that neither object defines, once per name. */
static int merge_symbols(Symbols *out, Input in[2], char *why, size_t cap)
{
    out->sym = calloc(1 + in[0].elf.n_syms + in[1].elf.n_syms, sizeof *out->sym);
    if (!out->sym || add_string(&out->names, "") == SIZE_MAX)
        return fail(why, cap, "out of memory", "");
    out->n = 1;
    for (int k = 0; k < 2; k++)
        for (size_t j = 1; j < in[k].elf.n_syms; j++)
            if (ELF64_ST_BIND(in[k].elf.syms[j].st_info) == STB_LOCAL &&
                !add_symbol(out, &in[k], j, why, cap))
                return 0;
    out->first_global = out->n;
    for (int k = 0; k < 2; k++)
        for (size_t j = 1; j < in[k].elf.n_syms; j++) {
            const Elf64_Sym *sym = &in[k].elf.syms[j];
            if (ELF64_ST_BIND(sym->st_info) == STB_LOCAL || sym->st_shndx == SHN_UNDEF)
                continue;
            if (find_global(out, in[k].elf.names + sym->st_name, 1))
                return fail(why, cap, "a symbol defined in both: ", in[k].elf.names + sym->st_name);
            if (!add_symbol(out, &in[k], j, why, cap))
                return 0;
        }
    for (int k = 0; k < 2; k++)
        for (size_t j = 1; j < in[k].elf.n_syms; j++) {
            const Elf64_Sym *sym = &in[k].elf.syms[j];
            if (ELF64_ST_BIND(sym->st_info) == STB_LOCAL || sym->st_shndx != SHN_UNDEF)
                continue;
            size_t found = find_global(out, in[k].elf.names + sym->st_name, 0);
            if (found)
                in[k].symbol_to[j] = found;
            else if (!add_symbol(out, &in[k], j, why, cap))
                return 0;
        }
    return 1;
}

static uint64_t align_up(uint64_t offset, uint64_t align)
{
    return align > 1 ? (offset + align - 1) / align * align : offset;
}

/* The output's section headers, their names added to `names`, and their
 * contents laid out from the end of the ELF header, up to *end; 0 if out of
 * memory. */
static int lay_out(Elf64_Shdr *shdrs, Input in[2], const Symbols *syms, int symtab_at,
                   int strtab_at, Strings *names, uint64_t *end)
{
    int ok = 1;
    uint64_t offset = sizeof(Elf64_Ehdr);
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < in[k].elf.n_sections; i++) {
            if (!in[k].section_to[i])
                continue;
            Elf64_Shdr s = in[k].elf.sh[i];
            size_t at = add_string(names, in[k].elf.section_names + s.sh_name);
            ok &= at != SIZE_MAX;
            s.sh_name = (Elf64_Word)at;
            if (s.sh_type == SHT_RELA) {
                s.sh_link = (Elf64_Word)symtab_at;
                s.sh_info = (Elf64_Word)in[k].section_to[s.sh_info]; /* kept: read_relocations */
            }
            /* Relocations are read in place: 8-byte aligned whatever the input said. */
            offset =
                align_up(offset, s.sh_type == SHT_RELA && s.sh_addralign < 8 ? 8 : s.sh_addralign);
            s.sh_offset = offset;
            if (s.sh_type != SHT_NOBITS)
                offset += s.sh_size;
            shdrs[in[k].section_to[i]] = s;
        }
    size_t symtab_name = add_string(names, ".symtab"), strtab_name = add_string(names, ".strtab");
    ok &= symtab_name != SIZE_MAX && strtab_name != SIZE_MAX;
    offset = align_up(offset, 8);
    shdrs[symtab_at] = (Elf64_Shdr){.sh_name = (Elf64_Word)symtab_name,
                                    .sh_type = SHT_SYMTAB,
                                    .sh_offset = offset,
                                    .sh_size = syms->n * sizeof(Elf64_Sym),
                                    .sh_link = (Elf64_Word)strtab_at,
                                    .sh_info = (Elf64_Word)syms->first_global,
                                    .sh_addralign = 8,
                                    .sh_entsize = sizeof(Elf64_Sym)};
    offset += shdrs[symtab_at].sh_size;
    shdrs[strtab_at] = (Elf64_Shdr){.sh_name = (Elf64_Word)strtab_name,
                                    .sh_type = SHT_STRTAB,
                                    .sh_offset = offset,
                                    .sh_size = names->size,
                                    .sh_addralign = 1};
    *end = offset + names->size;
    return ok;
}

/* Section i of `in` copied to out[at]; relocations renumbered. */
static void copy_section(unsigned char *out, const Elf64_Shdr *at, const Input *in, int i)
{
    const Elf64_Shdr *s = &in->elf.sh[i];
    if (s->sh_type == SHT_NOBITS)
        return;
    memcpy(out + at->sh_offset, in->elf.bytes + s->sh_offset, s->sh_size);
    if (s->sh_type != SHT_RELA)
        return;
    Elf64_Rela *rela = (Elf64_Rela *)(out + at->sh_offset);
    for (size_t r = 0; r < s->sh_size / sizeof *rela; r++)
        rela[r].r_info =
            ELF64_R_INFO(in->symbol_to[ELF64_R_SYM(rela[r].r_info)], ELF64_R_TYPE(rela[r].r_info));
}

static unsigned char *write_object(Input in[2], Symbols *syms, size_t *size, char *why, size_t cap)
{
    int n_out = 1;
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < in[k].elf.n_sections; i++)
            if (kept(&in[k], i))
                in[k].section_to[i] = n_out++;
    int symtab_at = n_out++, strtab_at = n_out++;
    if (n_out >= SHN_LORESERVE) {
        fail(why, cap, "too many sections", "");
        return NULL;
    }
    if (!merge_symbols(syms, in, why, cap))
        return NULL;
    Elf64_Shdr *shdrs = calloc((size_t)n_out, sizeof *shdrs);
    uint64_t end = 0;
    int laid_out = shdrs && lay_out(shdrs, in, syms, symtab_at, strtab_at, &syms->names, &end);
    uint64_t shoff = align_up(end, 8);
    *size = shoff + (size_t)n_out * sizeof *shdrs;
    unsigned char *out = laid_out ? calloc(1, *size) : NULL;
    if (!out) {
        free(shdrs);
        fail(why, cap, "out of memory", "");
        return NULL;
    }
    Elf64_Ehdr eh = *(const Elf64_Ehdr *)in[0].elf.bytes;
    eh.e_shoff = shoff;
    eh.e_shnum = (Elf64_Half)n_out;
    eh.e_shstrndx = (Elf64_Half)strtab_at;
    memcpy(out, &eh, sizeof eh);
    for (int k = 0; k < 2; k++)
        for (int i = 1; i < in[k].elf.n_sections; i++)
            if (in[k].section_to[i])
                copy_section(out, &shdrs[in[k].section_to[i]], &in[k], i);
    memcpy(out + shdrs[symtab_at].sh_offset, syms->sym, shdrs[symtab_at].sh_size);
    memcpy(out + shdrs[strtab_at].sh_offset, syms->names.text, syms->names.size);
    memcpy(out + shoff, shdrs, (size_t)n_out * sizeof *shdrs);
    free(shdrs);
    return out;
}

unsigned char *object_merge(const unsigned char *a, size_t a_size, const unsigned char *b,
                            size_t b_size, size_t *size, char *why, size_t cap)
{
    Input in[2];
    memset(in, 0, sizeof in);
    Symbols syms = {0};
    unsigned char *out = NULL;
    if (read_input(&in[0], a, a_size, why, cap) && read_input(&in[1], b, b_size, why, cap))
        out = write_object(in, &syms, size, why, cap);
    for (int k = 0; k < 2; k++) {
        free(in[k].section_to);
        free(in[k].symbol_to);
    }
    free(syms.sym);
    free(syms.names.text);
    return out;
}
