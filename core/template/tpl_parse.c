/* Statement parsing (Jinja2's Parser.parse_* for tags) and the token helpers shared with
 * the expression parser. */
#include "template/tpl_parse.h"
#include "template/tpl_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRY(x)                                                                            \
    do {                                                                                  \
        if (!(x)) return NULL;                                                            \
    } while (0)
#define TRY_B(x)                                                                          \
    do {                                                                                  \
        if (!(x)) return false;                                                           \
    } while (0)

/* ---- tokens and errors ------------------------------------------------------------- */

int tpl_p_line(const tpl_parser *p, int text_line) {
    if (p->line_map != NULL && text_line >= 1 && (size_t)text_line <= p->n_lines)
        return p->line_map[text_line - 1];
    return text_line;
}

bool tpl_p_fail(tpl_parser *p, const tpl_token *at, const char *error_class, const char *fmt,
                ...) {
    if (p->ctx->failed) return false;
    char msg[FG_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->ctx->loc.file = p->file;
    p->ctx->loc.line = tpl_p_line(p, at->line);
    p->ctx->loc.column = at->col;
    return tpl_fail(p->ctx, error_class, "%s", msg);
}

static bool raise_lex_error(tpl_parser *p, const tpl_token *t) {
    return tpl_p_fail(p, t, TPL_E_SYNTAX, "%.*s", (int)t->len, t->text);
}

bool tpl_p_adv(tpl_parser *p) {
    if (p->toks[p->pos].type == TOK_EOF || p->toks[p->pos].type == TOK_ERROR)
        return p->toks[p->pos].type == TOK_EOF || raise_lex_error(p, &p->toks[p->pos]);
    p->pos++;
    if (p->toks[p->pos].type == TOK_ERROR) return raise_lex_error(p, &p->toks[p->pos]);
    return true;
}

tpl_token *tpl_p_look(tpl_parser *p) {
    tpl_token *t = tpl_p_cur(p);
    if (t->type == TOK_EOF) return t;
    if (t[1].type == TOK_ERROR) {
        raise_lex_error(p, &t[1]);
        return NULL;
    }
    return &t[1];
}

bool tpl_p_is_name(const tpl_token *t, const char *name) {
    size_t n = strlen(name);
    return t->type == TOK_NAME && t->len == n && memcmp(t->text, name, n) == 0;
}

bool tpl_p_skip_name(tpl_parser *p, const char *name, bool *skipped) {
    *skipped = tpl_p_is_name(tpl_p_cur(p), name);
    return !*skipped || tpl_p_adv(p);
}

bool tpl_p_skip_type(tpl_parser *p, tpl_tok type, bool *skipped) {
    *skipped = tpl_p_cur(p)->type == type;
    return !*skipped || tpl_p_adv(p);
}

/* describe_token: a name describes itself. */
static void describe(const tpl_token *t, const char **text, int *len) {
    if (t->type == TOK_NAME) {
        *text = t->text;
        *len = (int)t->len;
    } else {
        *text = tpl_tok_describe(t->type);
        *len = (int)strlen(*text);
    }
}

static bool expect_fail(tpl_parser *p, const char *expected) {
    tpl_token *t = tpl_p_cur(p);
    if (t->type == TOK_EOF)
        return tpl_p_fail(p, t, TPL_E_SYNTAX, "unexpected end of template, expected '%s'.",
                          expected);
    const char *got;
    int got_len;
    describe(t, &got, &got_len);
    return tpl_p_fail(p, t, TPL_E_SYNTAX, "expected token '%s', got '%.*s'", expected, got_len,
                      got);
}

bool tpl_p_expect(tpl_parser *p, tpl_tok type, tpl_token **out) {
    tpl_token *t = tpl_p_cur(p);
    if (t->type != type) return expect_fail(p, tpl_tok_describe(type));
    if (out != NULL) *out = t;
    return tpl_p_adv(p);
}

bool tpl_p_expect_name(tpl_parser *p, const char *name) {
    if (!tpl_p_is_name(tpl_p_cur(p), name)) return expect_fail(p, name);
    return tpl_p_adv(p);
}

/* ---- building ------------------------------------------------------------------------ */

tpl_node *tpl_p_node(tpl_parser *p, tpl_node_kind kind, const tpl_token *at) {
    tpl_node *n = tpl_alloc(p->ctx, sizeof *n);
    if (n == NULL) return NULL;
    n->kind = kind;
    n->line = tpl_p_line(p, at->line);
    n->column = at->col;
    return n;
}

bool tpl_p_append(tpl_parser *p, tpl_nodes *list, tpl_node *node, size_t *cap) {
    if (list->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        tpl_node **items = tpl_realloc(p->ctx, list->items, *cap * sizeof *items, nc * sizeof *items);
        if (items == NULL) return false;
        list->items = items;
        *cap = nc;
    }
    list->items[list->n++] = node;
    return true;
}

char *tpl_p_name_copy(tpl_parser *p, const tpl_token *t) {
    char *s = tpl_alloc(p->ctx, t->len + 1);
    if (s != NULL) memcpy(s, t->text, t->len);
    return s;
}

bool tpl_p_enter(tpl_parser *p, const tpl_token *at) {
    if (p->depth >= TPL_PARSE_MAX_DEPTH)
        return tpl_p_fail(p, at, TPL_E_SYNTAX, "template nested too deeply (more than %d levels)",
                          TPL_PARSE_MAX_DEPTH);
    p->depth++;
    return true;
}

/* ---- unknown tags and early ends ------------------------------------------------------ */

static bool push_tag(tpl_parser *p, const char *name) {
    if (p->n_tags == p->cap_tags) {
        size_t nc = p->cap_tags ? p->cap_tags * 2 : 16;
        const char **t = tpl_realloc(p->ctx, p->tag_stack, p->cap_tags * sizeof *t, nc * sizeof *t);
        if (t == NULL) return false;
        p->tag_stack = t;
        p->cap_tags = nc;
    }
    p->tag_stack[p->n_tags++] = name;
    return true;
}

static bool push_end(tpl_parser *p, tpl_end_tags tags) {
    if (p->n_end == p->cap_end) {
        size_t nc = p->cap_end ? p->cap_end * 2 : 16;
        tpl_end_tags *e = tpl_realloc(p->ctx, p->end_stack, p->cap_end * sizeof *e, nc * sizeof *e);
        if (e == NULL) return false;
        p->end_stack = e;
        p->cap_end = nc;
    }
    p->end_stack[p->n_end++] = tags;
    return true;
}

/* Jinja's _fail_ut_eof: name is the unknown tag, or NULL at the end of the template;
 * `extra` is an end-tag set looked for beyond the stack. */
static bool fail_unknown_or_eof(tpl_parser *p, const tpl_token *at, const char *name,
                                size_t name_len, const tpl_end_tags *extra) {
    char msg[FG_ERROR_MSG_SIZE];
    size_t len = 0;
#define ADD(...)                                                                          \
    do {                                                                                  \
        int k_ = snprintf(msg + len, sizeof msg - len, __VA_ARGS__);                      \
        if (k_ > 0) len += (size_t)k_ < sizeof msg - len ? (size_t)k_ : sizeof msg - len - 1; \
    } while (0)
    if (name == NULL) ADD("Unexpected end of template.");
    else ADD("Encountered unknown tag '%.*s'.", (int)name_len, name);
    const tpl_end_tags *top = extra != NULL ? extra : p->n_end ? &p->end_stack[p->n_end - 1] : NULL;
    if (top != NULL && top->n > 0) {
        bool expected = false;
        for (size_t i = 0; name != NULL && i < p->n_end + (extra != NULL); i++) {
            const tpl_end_tags *set = i < p->n_end ? &p->end_stack[i] : extra;
            for (size_t j = 0; j < set->n; j++)
                if (strlen(set->names[j]) == name_len && memcmp(set->names[j], name, name_len) == 0)
                    expected = true;
        }
        if (expected)
            ADD(" You probably made a nesting mistake. Jinja is expecting this tag, but currently"
                " looking for ");
        else
            ADD(" Jinja was looking for the following tags: ");
        for (size_t j = 0; j < top->n; j++) ADD("%s'%s'", j ? " or " : "", top->names[j]);
        ADD(".");
    }
    if (p->n_tags > 0)
        ADD(" The innermost block that needs to be closed is '%s'.", p->tag_stack[p->n_tags - 1]);
#undef ADD
    return tpl_p_fail(p, at, TPL_E_SYNTAX, "%s", msg);
}

/* ---- bodies ---------------------------------------------------------------------------- */

static tpl_node *parse_statement(tpl_parser *p);

static bool is_end_tag(const tpl_token *t, const tpl_end_tags *end) {
    for (size_t i = 0; end != NULL && i < end->n; i++)
        if (tpl_p_is_name(t, end->names[i])) return true;
    return false;
}

/* Template data, {{ }} and {% %} up to one of `end` (or the end of the template). */
static bool subparse(tpl_parser *p, const tpl_end_tags *end, tpl_nodes *body) {
    memset(body, 0, sizeof *body);
    size_t cap = 0, out_cap = 0;
    tpl_node *output = NULL; /* the N_OUTPUT collecting data and {{ }} */
    if (end != NULL && !push_end(p, *end)) return false;
    for (;;) {
        tpl_token *t = tpl_p_cur(p);
        if (t->type == TOK_EOF) break;
        if (t->type == TOK_ERROR) return raise_lex_error(p, t);
        if (t->type == TOK_DATA || t->type == TOK_VAR_BEGIN) {
            if (output == NULL) {
                if (!(output = tpl_p_node(p, N_OUTPUT, t))) return false;
                out_cap = 0;
                if (!tpl_p_append(p, body, output, &cap)) return false;
            }
            tpl_node *item;
            if (t->type == TOK_DATA) {
                if (!(item = tpl_p_node(p, N_DATA, t))) return false;
                item->u.data.text = t->text;
                item->u.data.len = t->len;
                if (!tpl_p_adv(p)) return false;
            } else {
                if (!tpl_p_adv(p)) return false;
                if (!(item = tpl_p_tuple(p, false, true, NULL, false))) return false;
                if (!tpl_p_expect(p, TOK_VAR_END, NULL)) return false;
            }
            if (!tpl_p_append(p, &output->u.items, item, &out_cap)) return false;
            continue;
        }
        if (t->type != TOK_BLOCK_BEGIN)
            return tpl_p_fail(p, t, TPL_E_SYNTAX, "internal parsing error");
        output = NULL;
        if (!tpl_p_adv(p)) return false;
        if (is_end_tag(tpl_p_cur(p), end)) {
            p->n_end--;
            return true;
        }
        tpl_node *stmt = parse_statement(p);
        if (stmt == NULL || !tpl_p_append(p, body, stmt, &cap)) return false;
        if (!tpl_p_expect(p, TOK_BLOCK_END, NULL)) return false;
    }
    if (end != NULL) p->n_end--;
    return true;
}

#define END_TAGS(...)                                                                     \
    (&(tpl_end_tags){(const char *const[]){__VA_ARGS__},                                  \
                     sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

/* `%}` then a body up to one of `end`; with drop_needle the end tag is consumed. */
static bool parse_statements(tpl_parser *p, const tpl_end_tags *end, bool drop_needle,
                             tpl_nodes *body) {
    bool skipped;
    if (!tpl_p_skip_type(p, TOK_COLON, &skipped)) return false;
    if (!tpl_p_expect(p, TOK_BLOCK_END, NULL)) return false;
    if (!subparse(p, end, body)) return false;
    if (tpl_p_cur(p)->type == TOK_EOF) return fail_unknown_or_eof(p, tpl_p_cur(p), NULL, 0, end);
    return !drop_needle || tpl_p_adv(p);
}

/* ---- statements ---------------------------------------------------------------------------- */

static tpl_node *parse_set(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *target = tpl_p_assign_target(p, true, false, NULL, true);
    TRY(target);
    bool assign;
    TRY(tpl_p_skip_type(p, TOK_ASSIGN, &assign));
    if (assign) {
        tpl_node *n = tpl_p_node(p, N_SET, t);
        TRY(n);
        n->u.set.target = target;
        TRY(n->u.set.value = tpl_p_tuple(p, false, true, NULL, false));
        return n;
    }
    tpl_node *n = tpl_p_node(p, N_SET_BLOCK, t);
    TRY(n);
    n->u.set_block.target = target;
    if (tpl_p_cur(p)->type == TOK_PIPE) TRY(n->u.set_block.filter = tpl_p_filter(p, NULL, false));
    TRY(parse_statements(p, END_TAGS("endset"), true, &n->u.set_block.body));
    return n;
}

static tpl_node *parse_for(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_FOR, t);
    TRY(n);
    TRY(n->u.for_.target = tpl_p_assign_target(p, true, false, "in", false));
    TRY(tpl_p_expect_name(p, "in"));
    TRY(n->u.for_.iter = tpl_p_tuple(p, false, false, "recursive", false));
    bool skipped;
    TRY(tpl_p_skip_name(p, "if", &skipped));
    if (skipped) TRY(n->u.for_.filter = tpl_p_expression(p, true));
    TRY(tpl_p_skip_name(p, "recursive", &n->u.for_.recursive));
    TRY(parse_statements(p, END_TAGS("endfor", "else"), false, &n->u.for_.body));
    bool is_endfor = tpl_p_is_name(tpl_p_cur(p), "endfor");
    TRY(tpl_p_adv(p));
    if (!is_endfor) TRY(parse_statements(p, END_TAGS("endfor"), true, &n->u.for_.else_body));
    return n;
}

static tpl_node *parse_if(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_IF, t);
    TRY(n);
    size_t cap = 0, cap_bodies = 0;
    for (;;) {
        tpl_node *test = tpl_p_tuple(p, false, false, NULL, false);
        TRY(test);
        TRY(tpl_p_append(p, &n->u.if_.tests, test, &cap));
        if (n->u.if_.tests.n > cap_bodies) {
            size_t nc = cap_bodies ? cap_bodies * 2 : 4;
            tpl_nodes *bodies = tpl_realloc(p->ctx, n->u.if_.bodies, cap_bodies * sizeof *bodies,
                                            nc * sizeof *bodies);
            TRY(bodies);
            n->u.if_.bodies = bodies;
            cap_bodies = nc;
        }
        TRY(parse_statements(p, END_TAGS("elif", "else", "endif"), false,
                             &n->u.if_.bodies[n->u.if_.tests.n - 1]));
        tpl_token *end = tpl_p_cur(p);
        TRY(tpl_p_adv(p));
        if (tpl_p_is_name(end, "elif")) continue;
        if (tpl_p_is_name(end, "else"))
            TRY(parse_statements(p, END_TAGS("endif"), true, &n->u.if_.else_body));
        return n;
    }
}

static tpl_node *parse_with(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_WITH, t);
    TRY(n);
    size_t cap_t = 0, cap_v = 0;
    while (tpl_p_cur(p)->type != TOK_BLOCK_END) {
        if (n->u.with.targets.n) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        tpl_node *target = tpl_p_assign_target(p, true, false, NULL, false);
        TRY(target);
        TRY(tpl_p_expect(p, TOK_ASSIGN, NULL));
        tpl_node *value = tpl_p_expression(p, true);
        TRY(value);
        TRY(tpl_p_append(p, &n->u.with.targets, target, &cap_t));
        TRY(tpl_p_append(p, &n->u.with.values, value, &cap_v));
    }
    TRY(parse_statements(p, END_TAGS("endwith"), true, &n->u.with.body));
    return n;
}

static tpl_node *parse_autoescape(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_AUTOESCAPE, t);
    TRY(n);
    TRY(n->u.autoescape.value = tpl_p_expression(p, true));
    TRY(parse_statements(p, END_TAGS("endautoescape"), true, &n->u.autoescape.body));
    return n;
}

/* Required blocks may only hold whitespace (and comments, which leave nothing). */
static bool only_whitespace(const tpl_nodes *body) {
    for (size_t i = 0; i < body->n; i++) {
        const tpl_node *out = body->items[i];
        if (out->kind != N_OUTPUT) return false;
        for (size_t j = 0; j < out->u.items.n; j++) {
            const tpl_node *d = out->u.items.items[j];
            if (d->kind != N_DATA) return false;
            for (size_t k = 0; k < d->u.data.len; k++) {
                char c = d->u.data.text[k];
                if (!(c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)))
                    return false;
            }
        }
    }
    return true;
}

static tpl_node *parse_block(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_BLOCK, t);
    TRY(n);
    tpl_token *name = NULL;
    TRY(tpl_p_expect(p, TOK_NAME, &name));
    TRY(n->u.block.name = tpl_p_name_copy(p, name));
    TRY(tpl_p_skip_name(p, "scoped", &n->u.block.scoped));
    TRY(tpl_p_skip_name(p, "required", &n->u.block.required));
    if (tpl_p_cur(p)->type == TOK_SUB) {
        tpl_p_fail(p, tpl_p_cur(p), TPL_E_SYNTAX,
                   "Block names in Jinja have to be valid Python identifiers and may not contain"
                   " hyphens, use an underscore instead.");
        return NULL;
    }
    TRY(parse_statements(p, END_TAGS("endblock"), true, &n->u.block.body));
    if (n->u.block.required && !only_whitespace(&n->u.block.body)) {
        tpl_p_fail(p, tpl_p_cur(p), TPL_E_SYNTAX,
                   "Required blocks can only contain comments or whitespace");
        return NULL;
    }
    bool skipped;
    TRY(tpl_p_skip_name(p, n->u.block.name, &skipped));
    return n;
}

static bool parse_signature(tpl_parser *p, tpl_macro_def *def) {
    TRY_B(tpl_p_expect(p, TOK_LPAREN, NULL));
    size_t cap_names = 0, cap_defaults = 0;
    while (tpl_p_cur(p)->type != TOK_RPAREN) {
        if (def->n_params) TRY_B(tpl_p_expect(p, TOK_COMMA, NULL));
        tpl_node *arg = tpl_p_assign_target(p, true, true, NULL, false);
        TRY_B(arg);
        bool assign;
        TRY_B(tpl_p_skip_type(p, TOK_ASSIGN, &assign));
        if (assign) {
            tpl_node *dflt = tpl_p_expression(p, true);
            TRY_B(dflt);
            TRY_B(tpl_p_append(p, &def->defaults, dflt, &cap_defaults));
        } else if (def->defaults.n) {
            return tpl_p_fail(p, tpl_p_cur(p), TPL_E_SYNTAX,
                              "non-default argument follows default argument");
        }
        if (def->n_params == cap_names) {
            size_t nc = cap_names ? cap_names * 2 : 4;
            const char **names = tpl_realloc(p->ctx, def->params, cap_names * sizeof *names,
                                             nc * sizeof *names);
            TRY_B(names);
            def->params = names;
            cap_names = nc;
        }
        def->params[def->n_params++] = arg->u.name;
    }
    return tpl_p_expect(p, TOK_RPAREN, NULL);
}

static tpl_node *parse_macro(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_MACRO, t);
    TRY(n);
    tpl_node *name = tpl_p_assign_target(p, true, true, NULL, false);
    TRY(name);
    n->u.macro.name = name->u.name;
    TRY(parse_signature(p, &n->u.macro));
    TRY(parse_statements(p, END_TAGS("endmacro"), true, &n->u.macro.body));
    return n;
}

static tpl_node *parse_call_block(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_CALL_BLOCK, t);
    TRY(n);
    n->u.call_block.caller.name = "caller";
    if (tpl_p_cur(p)->type == TOK_LPAREN) TRY(parse_signature(p, &n->u.call_block.caller));
    tpl_node *call = tpl_p_expression(p, true);
    TRY(call);
    if (call->kind != N_CALL) {
        tpl_p_fail(p, t, TPL_E_SYNTAX, "expected call");
        return NULL;
    }
    n->u.call_block.call = call;
    TRY(parse_statements(p, END_TAGS("endcall"), true, &n->u.call_block.caller.body));
    return n;
}

static tpl_node *parse_filter_block(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_FILTER_BLOCK, t);
    TRY(n);
    TRY(n->u.filter_block.filter = tpl_p_filter(p, NULL, true));
    TRY(parse_statements(p, END_TAGS("endfilter"), true, &n->u.filter_block.body));
    return n;
}

static tpl_node *parse_print(tpl_parser *p, tpl_token *t) {
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, N_OUTPUT, t);
    TRY(n);
    size_t cap = 0;
    while (tpl_p_cur(p)->type != TOK_BLOCK_END) {
        if (n->u.items.n) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        tpl_node *e = tpl_p_expression(p, true);
        TRY(e);
        TRY(tpl_p_append(p, &n->u.items, e, &cap));
    }
    return n;
}

static tpl_node *dispatch(tpl_parser *p, tpl_token *t) {
    if (tpl_p_is_name(t, "for")) return parse_for(p, t);
    if (tpl_p_is_name(t, "if")) return parse_if(p, t);
    if (tpl_p_is_name(t, "block")) return parse_block(p, t);
    if (tpl_p_is_name(t, "set")) return parse_set(p, t);
    if (tpl_p_is_name(t, "macro")) return parse_macro(p, t);
    if (tpl_p_is_name(t, "call")) return parse_call_block(p, t);
    if (tpl_p_is_name(t, "filter")) return parse_filter_block(p, t);
    if (tpl_p_is_name(t, "with")) return parse_with(p, t);
    if (tpl_p_is_name(t, "print")) return parse_print(p, t);
    if (tpl_p_is_name(t, "autoescape")) return parse_autoescape(p, t);
    if (tpl_p_is_name(t, "extends")) return tpl_p_extends(p, t);
    if (tpl_p_is_name(t, "include")) return tpl_p_include(p, t);
    if (tpl_p_is_name(t, "import")) return tpl_p_import(p, t);
    if (tpl_p_is_name(t, "from")) return tpl_p_from_import(p, t);
    return NULL;
}

static tpl_node *parse_statement(tpl_parser *p) {
    tpl_token *t = tpl_p_cur(p);
    if (t->type != TOK_NAME) {
        tpl_p_fail(p, t, TPL_E_SYNTAX, "tag name expected");
        return NULL;
    }
    static const char *const known[] = {"for", "if", "block", "extends", "print", "macro",
                                        "include", "from", "import", "set", "with",
                                        "autoescape", "call", "filter"};
    const char *tag = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (tpl_p_is_name(t, known[i])) tag = known[i];
    if (tag == NULL) {
        fail_unknown_or_eof(p, t, t->text, t->len, NULL);
        return NULL;
    }
    TRY(tpl_p_enter(p, t));
    TRY(push_tag(p, tag));
    tpl_node *n = dispatch(p, t);
    p->n_tags--;
    tpl_p_leave(p);
    return n;
}

bool tpl_parse(tpl_ctx *ctx, const char *file, const char *text, size_t len,
               const int *line_map, size_t n_lines, tpl_template *out) {
    memset(out, 0, sizeof *out);
    tpl_parser p = {.ctx = ctx, .file = file, .line_map = line_map, .n_lines = n_lines};
    if (!tpl_lex(ctx, text, len, &p.toks, &p.n_toks)) return false;
    if (!subparse(&p, NULL, &out->body)) return false;
    return tpl_p_check(&p, out) && tpl_p_symbols(&p, out);
}
