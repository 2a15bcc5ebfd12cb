/* test_object_merge.c — object_merge (compiler/object_merge.h) on two
 * objects the C compiler made (merge_parts/): the merged object links into a
 * shared library whose functions call across the two parts and out of both;
 * its symbol table binds part_a's reference to part_b's definition; an
 * object merged with itself (a symbol defined twice), a truncated or
 * foreign object and a section aligned out of range are refused with a
 * message.
 *
 * usage: test_object_merge CC PART_A.o PART_B.o WORK_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_merge.h"

static const char *compiler, *part_paths[2], *work_dir;

typedef struct Bytes {
    unsigned char *data;
    size_t size;
} Bytes;

static Bytes read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    Bytes b = {malloc((size_t)ftell(f)), (size_t)ftell(f)};
    rewind(f);
    assert_int_equal(fread(b.data, 1, b.size, f), b.size);
    fclose(f);
    return b;
}

/* How many symbols named `name` the object's symbol table holds, and how
 * many of them are defined. */
static void count_symbols(const Bytes *obj, const char *name, int *all, int *defined)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)obj->data;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(obj->data + eh->e_shoff);
    *all = *defined = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        const Elf64_Sym *syms = (const Elf64_Sym *)(obj->data + sh[i].sh_offset);
        const char *names = (const char *)obj->data + sh[sh[i].sh_link].sh_offset;
        for (size_t j = 0; j < sh[i].sh_size / sizeof *syms; j++)
            if (strcmp(names + syms[j].st_name, name) == 0) {
                (*all)++;
                *defined += syms[j].st_shndx != SHN_UNDEF;
            }
    }
}

static void merged_object_links_and_runs(void **state)
{
    (void)state;
    Bytes a = read_file(part_paths[0]), b = read_file(part_paths[1]);
    char why[256] = "";
    Bytes merged = {NULL, 0};
    merged.data = object_merge(a.data, a.size, b.data, b.size, &merged.size, why, sizeof why);
    assert_non_null(merged.data);
    int all, defined;
    count_symbols(&merged, "part_b_twice", &all, &defined);
    assert_int_equal(all, 1);
    assert_int_equal(defined, 1);
    count_symbols(&merged, "part_a", &all, &defined);
    assert_int_equal(defined, 1);
    count_symbols(&merged, "getpid", &all, &defined);
    assert_int_equal(all, 1);
    assert_int_equal(defined, 0);

    char object[4096], library[4096], command[12288];
    snprintf(object, sizeof object, "%s/merged.o", work_dir);
    snprintf(library, sizeof library, "%s/libmerged.so", work_dir);
    FILE *f = fopen(object, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(merged.data, 1, merged.size, f), merged.size);
    fclose(f);
    snprintf(command, sizeof command, "'%s' -shared -o '%s' '%s'", compiler, library, object);
    assert_int_equal(system(command), 0);
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(handle);
    int (*part_a)(int) = (int (*)(int))dlsym(handle, "part_a");
    assert_non_null(part_a);
    assert_int_equal(part_a(5), 12); /* part_b_twice(5) + part_a_table[1] */
    assert_int_equal(part_a(-3), -4);
    dlclose(handle);
    free(merged.data);
    free(a.data);
    free(b.data);
}

static void bad_inputs_are_refused(void **state)
{
    (void)state;
    Bytes a = read_file(part_paths[0]), b = read_file(part_paths[1]);
    char why[256] = "";
    size_t size = 0;
    assert_null(object_merge(a.data, a.size, a.data, a.size, &size, why, sizeof why));
    assert_non_null(strstr(why, "defined in both: part_a"));
    why[0] = '\0';
    assert_null(object_merge(a.data, a.size / 2, b.data, b.size, &size, why, sizeof why));
    assert_non_null(strstr(why, "cannot merge"));
    why[0] = '\0';
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b.data;
    eh->e_machine = EM_AARCH64;
    assert_null(object_merge(a.data, a.size, b.data, b.size, &size, why, sizeof why));
    assert_non_null(strstr(why, "not an x86-64 object"));
    eh->e_machine = EM_X86_64;
    Elf64_Shdr *sh = (Elf64_Shdr *)(b.data + eh->e_shoff);
    sh[1].sh_addralign = ~(Elf64_Xword)0; /* would wrap the layout's offsets */
    assert_null(object_merge(a.data, a.size, b.data, b.size, &size, why, sizeof why));
    assert_non_null(strstr(why, "alignment out of range"));
    free(a.data);
    free(b.data);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_object_merge CC PART_A.o PART_B.o WORK_DIR\n");
        return 2;
    }
    compiler = argv[1];
    part_paths[0] = argv[2];
    part_paths[1] = argv[3];
    work_dir = argv[4];
    const struct CMUnitTest tests[] = {cmocka_unit_test(merged_object_links_and_runs),
                                       cmocka_unit_test(bad_inputs_are_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
