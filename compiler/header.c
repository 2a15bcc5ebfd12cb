/* header.c — the C header `udfc build --header` writes: the descriptor symbol
 * a program passes to libudfrt, and what each udf computes, needs and gives
 * (from its doc comment and declarations). */
#include <ctype.h>
#include <string.h>

#include "compile.h"

static const char *const param_kinds[] = {[UDF_PARAM_SCALAR] = "param",
                                          [UDF_PARAM_ARRAY] = "param",
                                          [UDF_PARAM_SIG] = "param sig",
                                          [UDF_PARAM_NAV] = "param nav"};
static const char *const buffer_kinds[] = {
    [UDF_KIND_NAV] = "nav", [UDF_KIND_SIG] = "sig", [UDF_KIND_SINGLE] = "single"};

static void print_dims(FILE *out, const Symbol *s)
{
    if (!s->rank)
        return;
    fputc('[', out);
    for (int i = 0; i < s->rank; i++) {
        const Dim *d = &s->dims[i];
        if (i)
            fputs(", ", out);
        switch (d->kind) {
        case DIM_LITERAL: fprintf(out, "%lld", (long long)d->value); break;
        case DIM_VAR: fputs(d->var->name, out); break;
        case DIM_NAV_SHAPE: fprintf(out, "nav_shape[%lld]", (long long)d->value); break;
        case DIM_SIG_SHAPE: fprintf(out, "sig_shape[%lld]", (long long)d->value); break;
        }
    }
    fputc(']', out);
}

static void print_doc(FILE *out, const char *doc)
{
    for (const char *line = doc; *line;) {
        size_t n = strcspn(line, "\n");
        fprintf(out, " *   %.*s\n", (int)n, line);
        line += n + (line[n] == '\n');
    }
}

void compile_header(FILE *out, CheckedUdf *const *udfs, int n, const KernelVariant *variants,
                    int n_variants, const char *cpu, const char *guard)
{
    fprintf(out, "/* Kernels built by udfc build for CPU %s, for frames of type",
            cpu ? cpu : "native");
    int any_fused = 0;
    for (int t = 0; t < n_variants; t++) {
        int fused = variants[t].fused;
        any_fused |= fused != 0;
        if (fused)
            fprintf(out, " %s+%s", dtype_name((udf_dtype)UDF_FUSED_STORED(fused)),
                    udf_fused_planes(fused));
        else
            fprintf(out, " %s", dtype_name(variants[t].input));
    }
    if (any_fused)
        fputs(";\n * TYPE+PLANES: frames of TYPE corrected (dark, gain) as the kernels load them",
              out);
    fputs(".\n * Link the object with libudfrt and pass &udf_module to udfrt_module_wrap(),\n"
          " * or open the shared library with udfrt_module_load().\n */\n",
          out);
    fprintf(out, "#ifndef %s\n#define %s\n\n#include <udfrt/kernel_abi.h>\n\n", guard, guard);
    fputs("/* The descriptor of every kernel below (kernel_abi.h). */\n", out);
    fprintf(out, "extern const udf_module_desc %s;\n", UDF_MODULE_SYMBOL);
    for (int i = 0; i < n; i++) {
        const CheckedUdf *cu = udfs[i];
        fprintf(out, "\n/* udf %s\n", cu->udf->name);
        print_doc(out, cu->udf->doc ? cu->udf->doc : "");
        for (int p = 0; p < cu->n_params; p++) {
            const Symbol *s = cu->params[p];
            fprintf(out, " *   %s %s %s", param_kinds[s->param_kind], dtype_name(s->decl->dtype),
                    s->name);
            print_dims(out, s);
            fputs(s->decl->init ? " (has a default)\n" : "\n", out);
        }
        for (int b = 0; b < cu->n_buffers; b++) {
            const Symbol *s = cu->buffers[b];
            if (s->decl->is_private)
                continue;
            fprintf(out, " *   result: %s %s %s", buffer_kinds[s->buf_kind],
                    dtype_name(s->decl->dtype), s->name);
            print_dims(out, s);
            fputc('\n', out);
        }
        fputs(" */\n", out);
    }
    fprintf(out, "\n#endif\n");
}
