/* check_internal.h — the checker's state and the helpers its files share
 * (check.c drives, check_decl.c declares, check_expr.c resolves expressions,
 * check_body.c checks statements). Not for other stages. */
#ifndef UDF_CHECK_INTERNAL_H
#define UDF_CHECK_INTERNAL_H

#include "builtins.h"
#include "check.h"

typedef struct Checker {
    Source *src;
    Arena *arena;
    CheckedUdf *cu;
    Symbol *globals; /* buffers, params, dim variables, predefined names */
    Symbol *scope;   /* coords, parts, lets and free indices in view, newest first */
    BodyPlace place;
    int n_lets;
    /* The statement being checked: free indices it has made, and whether an
     * unknown name in an index position may become one. */
    Symbol *free;
    int allow_free;
    int cap_buffers;
    /* Buffer reads in the frame body, checked once we know which buffers
     * only `result` computes. */
    Expr **frame_reads;
    int n_frame_reads, cap_frame_reads;
} Checker;

Symbol *chk_symbol(Checker *c, SymKind kind, const char *name, Loc loc);
Symbol *chk_lookup(Checker *c, const char *name);
Symbol *chk_find(Symbol *list, const char *name);
void chk_unknown(Checker *c, Loc loc, const char *what, const char *name);
/* Whether `name` is predefined in every udf (frame, index, nav_shape, ...). */
int chk_predefined(const char *name);
void chk_add_buffer(Checker *c, Symbol *s);

/* Returns 0 after reporting an error in `e` or below (then e->shape is
 * meaningless and callers stay silent about it). */
int chk_expr(Checker *c, Expr *e);
const char *chk_shape_words(Shape s);
/* The shape of a combination of operands; reports mixing nav and pixel. */
int chk_combine(Checker *c, Loc loc, Shape a, Shape b, Shape *out);
/* Checks the indices of an indexed buffer or param reference and returns the
 * combined shape of the indices (pixel-shaped indices scatter or gather). */
int chk_indices(Checker *c, Expr *e, Symbol *base, Shape *index_shape);

void chk_note_frame_read(Checker *c, Expr *e);

void chk_declarations(Checker *c, Udf *u);
/* Checks the extra dims of a declaration into sym->dims; `binding` allows new
 * names to be bound from a param's shape. */
void chk_dims(Checker *c, Symbol *sym, Expr *dims, int binding);

void chk_frame_body(Checker *c, Body *b);
void chk_merge_body(Checker *c, Body *b);
void chk_result_body(Checker *c, Body *b);

#endif
