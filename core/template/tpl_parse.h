/* Parser internals shared by tpl_parse.c (statements), tpl_parse_expr.c (expressions)
 * and tpl_parse_check.c (Jinja's compile-time checks). The parser follows Jinja2 3.1's
 * parser.py function by function, so that it accepts and rejects the same templates and
 * reports the same messages. */
#ifndef FG_CORE_TPL_PARSE_H
#define FG_CORE_TPL_PARSE_H

#include "template/tpl_ast.h"

/* Nesting bound for statements and expressions together: keeps the recursive descent
 * (and later the evaluator) far from the C stack's end on hostile input. */
#define TPL_PARSE_MAX_DEPTH 150

typedef struct tpl_end_tags {
    const char *const *names; /* tags that end the body being parsed ("endfor", "else") */
    size_t n;
} tpl_end_tags;

typedef struct tpl_parser {
    tpl_ctx *ctx;
    const char *file;
    const int *line_map;
    size_t n_lines;
    tpl_token *toks;
    size_t n_toks;
    size_t pos;
    int depth;
    const char **tag_stack; /* statements being parsed, innermost last */
    size_t n_tags, cap_tags;
    tpl_end_tags *end_stack;
    size_t n_end, cap_end;
} tpl_parser;

/* Token access. adv() moves on; reaching a lexing error token raises it. */
static inline tpl_token *tpl_p_cur(tpl_parser *p) { return &p->toks[p->pos]; }
bool tpl_p_adv(tpl_parser *p);
/* The token after the current one (NULL after raising a lexing error). */
tpl_token *tpl_p_look(tpl_parser *p);
bool tpl_p_is_name(const tpl_token *t, const char *name);
bool tpl_p_skip_name(tpl_parser *p, const char *name, bool *skipped);
bool tpl_p_skip_type(tpl_parser *p, tpl_tok type, bool *skipped);
/* expect(): "expected token 'X', got 'Y'" / "unexpected end of template, expected 'X'." */
bool tpl_p_expect(tpl_parser *p, tpl_tok type, tpl_token **out);
bool tpl_p_expect_name(tpl_parser *p, const char *name);

/* Errors at a token / a node (line mapped to the user's file). Return false / NULL. */
bool tpl_p_fail(tpl_parser *p, const tpl_token *at, const char *error_class, const char *fmt,
                ...) FG_PRINTF(4, 5);
int tpl_p_line(const tpl_parser *p, int text_line);

/* Node and list building in the arena. */
tpl_node *tpl_p_node(tpl_parser *p, tpl_node_kind kind, const tpl_token *at);
bool tpl_p_append(tpl_parser *p, tpl_nodes *list, tpl_node *node, size_t *cap);
char *tpl_p_name_copy(tpl_parser *p, const tpl_token *t);
bool tpl_p_enter(tpl_parser *p, const tpl_token *at);
static inline void tpl_p_leave(tpl_parser *p) { p->depth--; }

/* Expressions (tpl_parse_expr.c). extra_end: names that also end a tuple ("in"). */
tpl_node *tpl_p_expression(tpl_parser *p, bool with_condexpr);
tpl_node *tpl_p_tuple(tpl_parser *p, bool simplified, bool with_condexpr,
                      const char *extra_end, bool explicit_parens);
tpl_node *tpl_p_primary(tpl_parser *p);
tpl_node *tpl_p_postfix(tpl_parser *p, tpl_node *node);
tpl_node *tpl_p_filter(tpl_parser *p, tpl_node *node, bool start_inline);
bool tpl_p_call_args(tpl_parser *p, tpl_call_args *out);
/* An assignment target: a name, a tuple of names, or ns.attr when with_namespace. */
tpl_node *tpl_p_assign_target(tpl_parser *p, bool with_tuple, bool name_only,
                              const char *extra_end, bool with_namespace);

/* extends / include / import / from ... import (tpl_parse_import.c); t is the tag name. */
tpl_node *tpl_p_extends(tpl_parser *p, tpl_token *t);
tpl_node *tpl_p_include(tpl_parser *p, tpl_token *t);
tpl_node *tpl_p_import(tpl_parser *p, tpl_token *t);
tpl_node *tpl_p_from_import(tpl_parser *p, tpl_token *t);

/* A walk over the tree in Jinja's field order (tpl_parse_walk.c). */
typedef struct tpl_walker tpl_walker;
struct tpl_walker {
    /* Called for every node; false skips its children. store: an assignment target. */
    bool (*enter)(tpl_walker *w, tpl_node *n, bool store);
    /* Macro parameters (Jinja's Name nodes in "param" context); may be NULL. */
    void (*param)(tpl_walker *w, const char *name);
};
void tpl_p_walk(tpl_walker *w, tpl_node *n, bool store);
void tpl_p_walk_list(tpl_walker *w, const tpl_nodes *l, bool store);

/* Jinja's compile-time checks and analysis (tpl_parse_check.c): unknown filters/tests
 * outside if-statements, duplicate blocks, extends placement, which special names macro
 * and loop bodies use. */
bool tpl_p_check(tpl_parser *p, tpl_template *tmpl);
/* Jinja's symbol analysis (tpl_parse_symbols.c): fills the `unset` lists of the template
 * and of every frame-opening statement. Runs after tpl_p_check. */
bool tpl_p_symbols(tpl_parser *p, tpl_template *tmpl);

#endif
