/* elf_object.c — reading and checking an ELF relocatable object's tables;
 * see elf_object.h. */
#include "elf_object.h"

#include <stdint.h>
#include <string.h>

/* Whether `s` is a string table in the file that ends with a NUL (so every
 * name in it does). */
static int strings_ok(const udfrt_elf *o, const Elf64_Shdr *s)
{
    return s->sh_type == SHT_STRTAB && s->sh_size > 0 &&
           udfrt_elf_within(s->sh_offset, s->sh_size, o->size) &&
           o->bytes[s->sh_offset + s->sh_size - 1] == '\0';
}

int udfrt_elf_is_relocatable(const unsigned char *bytes, size_t size)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)bytes;
    return size >= sizeof *eh && memcmp(bytes, ELFMAG, SELFMAG) == 0 &&
           bytes[EI_CLASS] == ELFCLASS64 && eh->e_type == ET_REL;
}

static const char *read_symbols(udfrt_elf *o)
{
    const Elf64_Shdr *st = &o->sh[o->symtab];
    if (st->sh_entsize != sizeof(Elf64_Sym) || st->sh_offset % 8 != 0 ||
        st->sh_size % sizeof(Elf64_Sym) != 0 || st->sh_link >= (uint32_t)o->n_sections ||
        !strings_ok(o, &o->sh[st->sh_link]))
        return "its symbol table is damaged";
    o->syms = (const Elf64_Sym *)(o->bytes + st->sh_offset);
    o->n_syms = st->sh_size / sizeof(Elf64_Sym);
    o->names = (const char *)o->bytes + o->sh[st->sh_link].sh_offset;
    o->names_size = o->sh[st->sh_link].sh_size;
    for (size_t j = 0; j < o->n_syms; j++) {
        const Elf64_Sym *sym = &o->syms[j];
        if (sym->st_name >= o->names_size || sym->st_shndx == SHN_XINDEX ||
            (sym->st_shndx != SHN_UNDEF && sym->st_shndx < SHN_LORESERVE &&
             sym->st_shndx >= o->n_sections))
            return "a symbol's name or section lies outside the object";
    }
    return NULL;
}

const char *udfrt_elf_read(udfrt_elf *o, const unsigned char *bytes, size_t size)
{
    memset(o, 0, sizeof *o);
    o->bytes = bytes;
    o->size = size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)bytes;
    if (!udfrt_elf_is_relocatable(bytes, size) || bytes[EI_DATA] != ELFDATA2LSB)
        return "not a 64-bit little-endian ELF relocatable object";
    if (eh->e_machine != EM_X86_64)
        return "not an x86-64 object";
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 || eh->e_shoff % 8 != 0 ||
        !udfrt_elf_within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size))
        return "its section headers lie outside the file";
    o->sh = (const Elf64_Shdr *)(bytes + eh->e_shoff);
    o->n_sections = eh->e_shnum;
    if (eh->e_shstrndx >= eh->e_shnum || !strings_ok(o, &o->sh[eh->e_shstrndx]))
        return "it has no table of section names";
    o->section_names = (const char *)bytes + o->sh[eh->e_shstrndx].sh_offset;
    o->section_names_size = o->sh[eh->e_shstrndx].sh_size;
    o->symtab = -1;
    for (int i = 1; i < o->n_sections; i++) {
        const Elf64_Shdr *s = &o->sh[i];
        if ((s->sh_type != SHT_NOBITS && !udfrt_elf_within(s->sh_offset, s->sh_size, size)) ||
            s->sh_name >= o->section_names_size)
            return "a section lies outside the file";
        if (s->sh_addralign > UDFRT_ELF_MAX_ALIGN || (s->sh_addralign & (s->sh_addralign - 1)))
            return "a section has an alignment out of range";
        if (s->sh_type == SHT_REL)
            return "it has REL relocations (x86-64 objects use RELA)";
        if (s->sh_type == SHT_GROUP || s->sh_type == SHT_SYMTAB_SHNDX)
            return "it has section groups or extended section indices";
        if (s->sh_type == SHT_SYMTAB && o->symtab >= 0)
            return "it has two symbol tables";
        if (s->sh_type == SHT_SYMTAB)
            o->symtab = i;
    }
    if (o->symtab < 0)
        return "it has no symbol table";
    return read_symbols(o);
}

const char *udfrt_elf_check_relocations(const udfrt_elf *o, const Elf64_Shdr *s)
{
    if (s->sh_entsize != sizeof(Elf64_Rela) || s->sh_offset % 8 != 0 ||
        s->sh_size % sizeof(Elf64_Rela) != 0 || s->sh_link != (uint32_t)o->symtab ||
        s->sh_info == 0 || s->sh_info >= (uint32_t)o->n_sections)
        return "a relocation section is damaged";
    const Elf64_Rela *r = (const Elf64_Rela *)(o->bytes + s->sh_offset);
    for (size_t k = 0; k < s->sh_size / sizeof *r; k++)
        if (ELF64_R_SYM(r[k].r_info) >= o->n_syms)
            return "a relocation names a symbol that does not exist";
    return NULL;
}

const char *udfrt_elf_section_name(const udfrt_elf *o, const Elf64_Shdr *s)
{
    return s->sh_name < o->section_names_size ? o->section_names + s->sh_name : "";
}
