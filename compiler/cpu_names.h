/* cpu_names.h — the x86-64 CPUs the code generator can compile for, by
 * name: a table of LLVM 19's, kept in the front end so that udfc checks
 * `--cpu` without loading LLVM (backend.h). */
#ifndef UDF_CPU_NAMES_H
#define UDF_CPU_NAMES_H

/* Whether `cpu` names an x86-64 CPU LLVM 19 can compile for, or "native". */
int cpu_name_known(const char *cpu);

#endif
