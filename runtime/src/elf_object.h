/* elf_object.h — an x86-64 ELF relocatable object's tables located and
 * checked: its section headers, section names, symbol table and symbol
 * names, and its relocation sections. Shared by the runtime's linker
 * (object_link.c) and the code generator's merge of two objects
 * (compiler/object_merge.c, which compiles this file into its module). */
#ifndef UDFRT_ELF_OBJECT_H
#define UDFRT_ELF_OBJECT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* The largest section alignment taken: a page. */
#define UDFRT_ELF_MAX_ALIGN 4096u

typedef struct udfrt_elf {
    const unsigned char *bytes; /* 8-byte aligned (a malloc'd copy, say) */
    size_t size;
    const Elf64_Shdr *sh;
    int n_sections;
    const char *section_names; /* NUL-terminated at its end */
    size_t section_names_size;
    int symtab; /* the symbol table's section index */
    const Elf64_Sym *syms;
    size_t n_syms;
    const char *names; /* the symbols' string table, NUL-terminated at its end */
    size_t names_size;
} udfrt_elf;

/* Whether [off, off + len) lies within `size` bytes. */
static inline int udfrt_elf_within(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Whether bytes[size] start like an ELF relocatable object. */
int udfrt_elf_is_relocatable(const unsigned char *bytes, size_t size);

/* Locates the tables of the object bytes[size] in *o and checks them: a
 * 64-bit little-endian x86-64 relocatable object whose sections lie in the
 * file, aligned to powers of two up to UDFRT_ELF_MAX_ALIGN; one symbol table
 * whose symbols name string-table offsets and sections that exist; no REL
 * relocations, section groups or extended section indices. NULL, or what is
 * wrong with it, as a phrase ("its section headers lie outside the file"). */
const char *udfrt_elf_read(udfrt_elf *o, const unsigned char *bytes, size_t size);

/* Checks relocation section `s` of o: RELA entries in the file, for a
 * section that exists, against o's symbol table and its symbols. NULL, or
 * what is wrong. */
const char *udfrt_elf_check_relocations(const udfrt_elf *o, const Elf64_Shdr *s);

/* The name of section s ("" for none). */
const char *udfrt_elf_section_name(const udfrt_elf *o, const Elf64_Shdr *s);

#endif
