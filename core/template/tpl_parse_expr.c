/* Expression parsing, precedence from lowest to highest as in Jinja2:
 * conditional (a if c else b) < or < and < not < comparisons (incl. in, not in) <
 * + - < ~ < * / // % < ** < unary - + < primary with postfix (.x [k] (call)) and
 * filters/tests (|f is t). */
#include "template/tpl_parse.h"
#include "template/tpl_impl.h"

#include <string.h>

#define TRY(x)                                                                            \
    do {                                                                                  \
        if (!(x)) return NULL;                                                            \
    } while (0)

static tpl_node *parse_or(tpl_parser *p);
static tpl_node *parse_unary(tpl_parser *p, bool with_filter);

/* Left-associative chains (a + b + c, x.y.z, v|f|g) nest the tree one level per link, so
 * each link counts toward the nesting bound until the chain is complete. */
static tpl_node *chain_end(tpl_parser *p, int extra, tpl_node *node) {
    p->depth -= extra;
    return node;
}

static tpl_node *parse_condexpr(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *expr1 = parse_or(p);
    TRY(expr1);
    for (;;) {
        bool skipped;
        TRY(tpl_p_skip_name(p, "if", &skipped));
        if (!skipped) break;
        tpl_node *test = parse_or(p);
        TRY(test);
        tpl_node *expr3 = NULL;
        TRY(tpl_p_skip_name(p, "else", &skipped));
        if (skipped) {
            TRY(tpl_p_enter(p, tpl_p_cur(p)));
            expr3 = parse_condexpr(p);
            tpl_p_leave(p);
            TRY(expr3);
        }
        tpl_node *n = tpl_p_node(p, N_CONDEXPR, start);
        TRY(n);
        n->u.cond.test = test;
        n->u.cond.then = expr1;
        n->u.cond.otherwise = expr3;
        expr1 = n;
        start = tpl_p_cur(p);
    }
    return expr1;
}

tpl_node *tpl_p_expression(tpl_parser *p, bool with_condexpr) {
    TRY(tpl_p_enter(p, tpl_p_cur(p)));
    tpl_node *n = with_condexpr ? parse_condexpr(p) : parse_or(p);
    tpl_p_leave(p);
    return n;
}

static tpl_node *binary(tpl_parser *p, tpl_node_kind kind, tpl_tok op, const tpl_token *at,
                        tpl_node *left, tpl_node *right) {
    tpl_node *n = tpl_p_node(p, kind, at);
    TRY(n);
    n->u.binop.op = op;
    n->u.binop.left = left;
    n->u.binop.right = right;
    return n;
}

static tpl_node *parse_not(tpl_parser *p);

static tpl_node *parse_and(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *left = parse_not(p);
    TRY(left);
    for (int extra = 0;; extra++) {
        bool skipped;
        TRY(tpl_p_skip_name(p, "and", &skipped));
        if (!skipped) return chain_end(p, extra, left);
        TRY(tpl_p_enter(p, start));
        tpl_node *right = parse_not(p);
        TRY(right);
        left = binary(p, N_AND, TOK_EOF, start, left, right);
        TRY(left);
        start = tpl_p_cur(p);
    }
}

static tpl_node *parse_or(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *left = parse_and(p);
    TRY(left);
    for (int extra = 0;; extra++) {
        bool skipped;
        TRY(tpl_p_skip_name(p, "or", &skipped));
        if (!skipped) return chain_end(p, extra, left);
        TRY(tpl_p_enter(p, start));
        tpl_node *right = parse_and(p);
        TRY(right);
        left = binary(p, N_OR, TOK_EOF, start, left, right);
        TRY(left);
        start = tpl_p_cur(p);
    }
}

static tpl_node *parse_compare(tpl_parser *p);

static tpl_node *parse_not(tpl_parser *p) {
    tpl_token *t = tpl_p_cur(p);
    if (!tpl_p_is_name(t, "not")) return parse_compare(p);
    TRY(tpl_p_adv(p));
    TRY(tpl_p_enter(p, t));
    tpl_node *operand = parse_not(p);
    tpl_p_leave(p);
    TRY(operand);
    tpl_node *n = tpl_p_node(p, N_NOT, t);
    TRY(n);
    n->u.operand = operand;
    return n;
}

static tpl_node *parse_math1(tpl_parser *p);

static tpl_node *parse_compare(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *expr = parse_math1(p);
    TRY(expr);
    tpl_cmp_op *ops = NULL;
    size_t n_ops = 0, cap_ops = 0;
    tpl_nodes operands = {0};
    size_t cap = 0;
    for (;;) {
        tpl_token *t = tpl_p_cur(p);
        tpl_cmp_op op;
        switch (t->type) {
        case TOK_EQ: op = CMP_EQ; break;
        case TOK_NE: op = CMP_NE; break;
        case TOK_LT: op = CMP_LT; break;
        case TOK_LTEQ: op = CMP_LTEQ; break;
        case TOK_GT: op = CMP_GT; break;
        case TOK_GTEQ: op = CMP_GTEQ; break;
        default:
            if (tpl_p_is_name(t, "in")) {
                op = CMP_IN;
            } else if (tpl_p_is_name(t, "not")) {
                tpl_token *next = tpl_p_look(p);
                TRY(next);
                if (!tpl_p_is_name(next, "in")) goto done;
                TRY(tpl_p_adv(p));
                op = CMP_NOTIN;
            } else {
                goto done;
            }
        }
        TRY(tpl_p_adv(p));
        tpl_node *right = parse_math1(p);
        TRY(right);
        if (n_ops == cap_ops) {
            size_t nc = cap_ops ? cap_ops * 2 : 4;
            tpl_cmp_op *grown = tpl_alloc(p->ctx, nc * sizeof *grown);
            TRY(grown);
            if (n_ops) memcpy(grown, ops, n_ops * sizeof *ops);
            ops = grown;
            cap_ops = nc;
        }
        ops[n_ops++] = op;
        TRY(tpl_p_append(p, &operands, right, &cap));
    }
done:
    if (n_ops == 0) return expr;
    tpl_node *n = tpl_p_node(p, N_COMPARE, start);
    TRY(n);
    n->u.compare.first = expr;
    n->u.compare.ops = ops;
    n->u.compare.operands = operands;
    return n;
}

static tpl_node *parse_concat(tpl_parser *p);

static tpl_node *parse_math1(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *left = parse_concat(p);
    TRY(left);
    int extra = 0;
    for (; tpl_p_cur(p)->type == TOK_ADD || tpl_p_cur(p)->type == TOK_SUB; extra++) {
        TRY(tpl_p_enter(p, start));
        tpl_tok op = tpl_p_cur(p)->type;
        TRY(tpl_p_adv(p));
        tpl_node *right = parse_concat(p);
        TRY(right);
        left = binary(p, N_BINOP, op, start, left, right);
        TRY(left);
        start = tpl_p_cur(p);
    }
    return chain_end(p, extra, left);
}

static tpl_node *parse_math2(tpl_parser *p);

static tpl_node *parse_concat(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *first = parse_math2(p);
    TRY(first);
    if (tpl_p_cur(p)->type != TOK_TILDE) return first;
    tpl_node *n = tpl_p_node(p, N_CONCAT, start);
    TRY(n);
    size_t cap = 0;
    TRY(tpl_p_append(p, &n->u.items, first, &cap));
    while (tpl_p_cur(p)->type == TOK_TILDE) {
        TRY(tpl_p_adv(p));
        tpl_node *next = parse_math2(p);
        TRY(next);
        TRY(tpl_p_append(p, &n->u.items, next, &cap));
    }
    return n;
}

static tpl_node *parse_pow(tpl_parser *p);

static tpl_node *parse_math2(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *left = parse_pow(p);
    TRY(left);
    for (int extra = 0;; extra++) {
        tpl_tok op = tpl_p_cur(p)->type;
        if (op != TOK_MUL && op != TOK_DIV && op != TOK_FLOORDIV && op != TOK_MOD)
            return chain_end(p, extra, left);
        TRY(tpl_p_enter(p, start));
        TRY(tpl_p_adv(p));
        tpl_node *right = parse_pow(p);
        TRY(right);
        left = binary(p, N_BINOP, op, start, left, right);
        TRY(left);
        start = tpl_p_cur(p);
    }
}

static tpl_node *parse_pow(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *left = parse_unary(p, true);
    TRY(left);
    int extra = 0;
    for (; tpl_p_cur(p)->type == TOK_POW; extra++) {
        TRY(tpl_p_enter(p, start));
        TRY(tpl_p_adv(p));
        tpl_node *right = parse_unary(p, true);
        TRY(right);
        left = binary(p, N_BINOP, TOK_POW, start, left, right);
        TRY(left);
        start = tpl_p_cur(p);
    }
    return chain_end(p, extra, left);
}

static tpl_node *parse_filter_expr(tpl_parser *p, tpl_node *node);

static tpl_node *parse_unary(tpl_parser *p, bool with_filter) {
    tpl_token *t = tpl_p_cur(p);
    tpl_node *node;
    TRY(tpl_p_enter(p, t));
    if (t->type == TOK_SUB || t->type == TOK_ADD) {
        TRY(tpl_p_adv(p));
        tpl_node *operand = parse_unary(p, false);
        TRY(operand);
        node = tpl_p_node(p, t->type == TOK_SUB ? N_NEG : N_POS, t);
        TRY(node);
        node->u.operand = operand;
    } else {
        node = tpl_p_primary(p);
        TRY(node);
    }
    node = tpl_p_postfix(p, node);
    if (node != NULL && with_filter) node = parse_filter_expr(p, node);
    tpl_p_leave(p);
    return node;
}

static tpl_node *parse_seq(tpl_parser *p, tpl_node_kind kind, tpl_tok close, bool dict);

tpl_node *tpl_p_primary(tpl_parser *p) {
    tpl_token *t = tpl_p_cur(p);
    tpl_node *node;
    switch (t->type) {
    case TOK_NAME:
        if (tpl_p_is_name(t, "true") || tpl_p_is_name(t, "True") || tpl_p_is_name(t, "false") ||
            tpl_p_is_name(t, "False")) {
            TRY(node = tpl_p_node(p, N_CONST, t));
            node->u.constant = tpl_bool(t->text[0] == 't' || t->text[0] == 'T');
        } else if (tpl_p_is_name(t, "none") || tpl_p_is_name(t, "None")) {
            TRY(node = tpl_p_node(p, N_CONST, t));
            node->u.constant = tpl_none();
        } else {
            TRY(node = tpl_p_node(p, N_NAME, t));
            TRY(node->u.name = tpl_p_name_copy(p, t));
        }
        TRY(tpl_p_adv(p));
        return node;
    case TOK_STRING: {
        /* adjacent string literals concatenate */
        TRY(node = tpl_p_node(p, N_CONST, t));
        size_t total = 0, i = p->pos;
        while (p->toks[i].type == TOK_STRING) total += p->toks[i++].len;
        char *buf = tpl_alloc(p->ctx, total + 1);
        TRY(buf);
        size_t k = 0;
        while (tpl_p_cur(p)->type == TOK_STRING) {
            memcpy(buf + k, tpl_p_cur(p)->text, tpl_p_cur(p)->len);
            k += tpl_p_cur(p)->len;
            TRY(tpl_p_adv(p));
        }
        TRY(tpl_str_new(p->ctx, buf, k, &node->u.constant));
        return node;
    }
    case TOK_INTEGER:
    case TOK_FLOAT:
        TRY(node = tpl_p_node(p, N_CONST, t));
        node->u.constant = t->type == TOK_INTEGER ? tpl_int(t->ival) : tpl_float(t->fval);
        TRY(tpl_p_adv(p));
        return node;
    case TOK_LPAREN:
        TRY(tpl_p_adv(p));
        TRY(node = tpl_p_tuple(p, false, true, NULL, true));
        TRY(tpl_p_expect(p, TOK_RPAREN, NULL));
        return node;
    case TOK_LBRACKET: return parse_seq(p, N_LIST, TOK_RBRACKET, false);
    case TOK_LBRACE: return parse_seq(p, N_DICT, TOK_RBRACE, true);
    default:
        tpl_p_fail(p, t, TPL_E_SYNTAX, "unexpected '%s'", tpl_tok_describe(t->type));
        return NULL;
    }
}

/* [a, b] and {k: v, ...}, trailing comma allowed. */
static tpl_node *parse_seq(tpl_parser *p, tpl_node_kind kind, tpl_tok close, bool dict) {
    tpl_token *open = tpl_p_cur(p);
    TRY(tpl_p_adv(p));
    tpl_node *n = tpl_p_node(p, kind, open);
    TRY(n);
    size_t cap = 0, cap_v = 0;
    size_t count = 0;
    while (tpl_p_cur(p)->type != close) {
        if (count) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        if (tpl_p_cur(p)->type == close) break;
        tpl_node *item = tpl_p_expression(p, true);
        TRY(item);
        if (dict) {
            TRY(tpl_p_expect(p, TOK_COLON, NULL));
            tpl_node *value = tpl_p_expression(p, true);
            TRY(value);
            TRY(tpl_p_append(p, &n->u.dict.keys, item, &cap));
            TRY(tpl_p_append(p, &n->u.dict.values, value, &cap_v));
        } else {
            TRY(tpl_p_append(p, &n->u.items, item, &cap));
        }
        count++;
    }
    TRY(tpl_p_expect(p, close, NULL));
    return n;
}

/* Jinja 3.1.2 passes its extra end rules (`in` of a for loop) to test_any() as one
 * tuple, so they never match: `for a, in x` reads `in` as a name and then fails. We
 * accept exactly what 3.1.2 accepts, so extra_end is deliberately not consulted. */
static bool is_tuple_end(tpl_parser *p, const char *extra_end) {
    (void)extra_end;
    tpl_token *t = tpl_p_cur(p);
    return t->type == TOK_VAR_END || t->type == TOK_BLOCK_END || t->type == TOK_RPAREN;
}

tpl_node *tpl_p_tuple(tpl_parser *p, bool simplified, bool with_condexpr,
                      const char *extra_end, bool explicit_parens) {
    tpl_token *start = tpl_p_cur(p);
    tpl_nodes args = {0};
    size_t cap = 0;
    bool is_tuple = false;
    TRY(tpl_p_enter(p, start));
    for (;;) {
        if (args.n) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        if (is_tuple_end(p, extra_end)) break;
        tpl_node *item = simplified ? tpl_p_primary(p) : tpl_p_expression(p, with_condexpr);
        TRY(item);
        TRY(tpl_p_append(p, &args, item, &cap));
        if (tpl_p_cur(p)->type == TOK_COMMA) is_tuple = true;
        else break;
        start = tpl_p_cur(p);
    }
    tpl_p_leave(p);
    if (!is_tuple) {
        if (args.n) return args.items[0];
        if (!explicit_parens) {
            tpl_token *t = tpl_p_cur(p);
            tpl_p_fail(p, t, TPL_E_SYNTAX, "Expected an expression, got '%.*s'",
                       t->type == TOK_NAME ? (int)t->len : (int)strlen(tpl_tok_describe(t->type)),
                       t->type == TOK_NAME ? t->text : tpl_tok_describe(t->type));
            return NULL;
        }
    }
    tpl_node *n = tpl_p_node(p, N_TUPLE, start);
    TRY(n);
    n->u.items = args;
    return n;
}

/* Inside [ ]: an expression or a slice a:b:c with any part left out. */
static tpl_node *parse_subscribed(tpl_parser *p) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *parts[3] = {NULL, NULL, NULL};
    if (start->type == TOK_COLON) {
        TRY(tpl_p_adv(p));
    } else {
        tpl_node *node = tpl_p_expression(p, true);
        TRY(node);
        if (tpl_p_cur(p)->type != TOK_COLON) return node;
        TRY(tpl_p_adv(p));
        parts[0] = node;
    }
    tpl_tok t = tpl_p_cur(p)->type;
    if (t != TOK_COLON && t != TOK_RBRACKET && t != TOK_COMMA) TRY(parts[1] = tpl_p_expression(p, true));
    if (tpl_p_cur(p)->type == TOK_COLON) {
        TRY(tpl_p_adv(p));
        t = tpl_p_cur(p)->type;
        if (t != TOK_RBRACKET && t != TOK_COMMA) TRY(parts[2] = tpl_p_expression(p, true));
    }
    tpl_node *n = tpl_p_node(p, N_SLICE, start);
    TRY(n);
    n->u.slice.start = parts[0];
    n->u.slice.stop = parts[1];
    n->u.slice.step = parts[2];
    return n;
}

static tpl_node *parse_subscript(tpl_parser *p, tpl_node *node) {
    tpl_token *t = tpl_p_cur(p);
    TRY(tpl_p_adv(p));
    if (t->type == TOK_DOT) {
        tpl_token *attr = tpl_p_cur(p);
        TRY(tpl_p_adv(p));
        if (attr->type == TOK_NAME) {
            tpl_node *n = tpl_p_node(p, N_GETATTR, t);
            TRY(n);
            n->u.getattr.obj = node;
            TRY(n->u.getattr.attr = tpl_p_name_copy(p, attr));
            return n;
        }
        if (attr->type != TOK_INTEGER) {
            tpl_p_fail(p, attr, TPL_E_SYNTAX, "expected name or number");
            return NULL;
        }
        tpl_node *key = tpl_p_node(p, N_CONST, attr);
        TRY(key);
        key->u.constant = tpl_int(attr->ival);
        tpl_node *n = tpl_p_node(p, N_GETITEM, t);
        TRY(n);
        n->u.getitem.obj = node;
        n->u.getitem.key = key;
        return n;
    }
    /* '[' */
    tpl_nodes args = {0};
    size_t cap = 0;
    while (tpl_p_cur(p)->type != TOK_RBRACKET) {
        if (args.n) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        tpl_node *arg = parse_subscribed(p);
        TRY(arg);
        TRY(tpl_p_append(p, &args, arg, &cap));
    }
    TRY(tpl_p_expect(p, TOK_RBRACKET, NULL));
    tpl_node *key;
    if (args.n == 1) {
        key = args.items[0];
    } else {
        TRY(key = tpl_p_node(p, N_TUPLE, t));
        key->u.items = args;
    }
    tpl_node *n = tpl_p_node(p, N_GETITEM, t);
    TRY(n);
    n->u.getitem.obj = node;
    n->u.getitem.key = key;
    return n;
}

static tpl_node *parse_call(tpl_parser *p, tpl_node *fn) {
    tpl_node *n = tpl_p_node(p, N_CALL, tpl_p_cur(p));
    TRY(n);
    n->u.call.fn = fn;
    TRY(tpl_p_call_args(p, &n->u.call.args));
    return n;
}

tpl_node *tpl_p_postfix(tpl_parser *p, tpl_node *node) {
    for (int extra = 0;; extra++) {
        tpl_tok t = tpl_p_cur(p)->type;
        if (t != TOK_DOT && t != TOK_LBRACKET && t != TOK_LPAREN) return chain_end(p, extra, node);
        TRY(tpl_p_enter(p, tpl_p_cur(p)));
        node = t == TOK_LPAREN ? parse_call(p, node) : parse_subscript(p, node);
        TRY(node);
    }
}

static tpl_node *parse_test(tpl_parser *p, tpl_node *node);

static tpl_node *parse_filter_expr(tpl_parser *p, tpl_node *node) {
    for (int extra = 0;; extra++) {
        tpl_token *t = tpl_p_cur(p);
        bool is_test = tpl_p_is_name(t, "is");
        if (t->type != TOK_PIPE && !is_test && t->type != TOK_LPAREN)
            return chain_end(p, extra, node);
        TRY(tpl_p_enter(p, t));
        if (t->type == TOK_PIPE) node = tpl_p_filter(p, node, false);
        else if (is_test) node = parse_test(p, node);
        else node = parse_call(p, node);
        TRY(node);
    }
}

bool tpl_p_call_args(tpl_parser *p, tpl_call_args *out) {
    tpl_token *open = tpl_p_cur(p);
    memset(out, 0, sizeof *out);
    if (!tpl_p_expect(p, TOK_LPAREN, NULL)) return false;
    size_t cap_pos = 0, cap_kw = 0, cap_names = 0;
    bool require_comma = false;
    while (tpl_p_cur(p)->type != TOK_RPAREN) {
        if (require_comma) {
            if (!tpl_p_expect(p, TOK_COMMA, NULL)) return false;
            if (tpl_p_cur(p)->type == TOK_RPAREN) break;
        }
        tpl_token *t = tpl_p_cur(p);
        bool bad = false;
        if (t->type == TOK_MUL) {
            bad = out->star != NULL || out->dstar != NULL;
            if (!bad) {
                if (!tpl_p_adv(p)) return false;
                if (!(out->star = tpl_p_expression(p, true))) return false;
            }
        } else if (t->type == TOK_POW) {
            bad = out->dstar != NULL;
            if (!bad) {
                if (!tpl_p_adv(p)) return false;
                if (!(out->dstar = tpl_p_expression(p, true))) return false;
            }
        } else {
            tpl_token *next = NULL;
            if (t->type == TOK_NAME && !(next = tpl_p_look(p))) return false;
            if (t->type == TOK_NAME && next->type == TOK_ASSIGN) {
                bad = out->dstar != NULL;
                if (!bad) {
                    char *key = tpl_p_name_copy(p, t);
                    if (key == NULL || !tpl_p_adv(p) || !tpl_p_adv(p)) return false;
                    tpl_node *value = tpl_p_expression(p, true);
                    if (value == NULL) return false;
                    if (out->kw.n == cap_names) {
                        size_t nc = cap_names ? cap_names * 2 : 4;
                        const char **names = tpl_alloc(p->ctx, nc * sizeof *names);
                        if (names == NULL) return false;
                        if (out->kw.n) memcpy(names, out->kw_names, out->kw.n * sizeof *names);
                        out->kw_names = names;
                        cap_names = nc;
                    }
                    out->kw_names[out->kw.n] = key;
                    if (!tpl_p_append(p, &out->kw, value, &cap_kw)) return false;
                }
            } else {
                bad = out->star != NULL || out->dstar != NULL || out->kw.n > 0;
                if (!bad) {
                    tpl_node *value = tpl_p_expression(p, true);
                    if (value == NULL || !tpl_p_append(p, &out->pos, value, &cap_pos)) return false;
                }
            }
        }
        if (bad)
            return tpl_p_fail(p, open, TPL_E_SYNTAX, "invalid syntax for function call expression");
        require_comma = true;
    }
    return tpl_p_expect(p, TOK_RPAREN, NULL);
}

/* A dotted filter/test name: "name" or "a.b". */
static char *dotted_name(tpl_parser *p) {
    tpl_token *t = NULL;
    if (!tpl_p_expect(p, TOK_NAME, &t)) return NULL;
    size_t len = t->len;
    char *name = tpl_p_name_copy(p, t);
    while (name != NULL && tpl_p_cur(p)->type == TOK_DOT) {
        tpl_token *part = NULL;
        if (!tpl_p_adv(p) || !tpl_p_expect(p, TOK_NAME, &part)) return NULL;
        char *joined = tpl_alloc(p->ctx, len + 1 + part->len + 1);
        if (joined == NULL) return NULL;
        memcpy(joined, name, len);
        joined[len] = '.';
        memcpy(joined + len + 1, part->text, part->len);
        len += 1 + part->len;
        name = joined;
    }
    return name;
}

tpl_node *tpl_p_filter(tpl_parser *p, tpl_node *node, bool start_inline) {
    int extra = 0;
    for (; tpl_p_cur(p)->type == TOK_PIPE || start_inline; extra++) {
        TRY(tpl_p_enter(p, tpl_p_cur(p)));
        if (!start_inline) TRY(tpl_p_adv(p));
        tpl_token *t = tpl_p_cur(p);
        char *name = dotted_name(p);
        TRY(name);
        tpl_node *n = tpl_p_node(p, N_FILTER, t);
        TRY(n);
        n->u.filter.input = node;
        n->u.filter.name = name;
        n->u.filter.filter = tpl_filter_lookup(name);
        if (tpl_p_cur(p)->type == TOK_LPAREN) TRY(tpl_p_call_args(p, &n->u.filter.args));
        node = n;
        start_inline = false;
    }
    return chain_end(p, extra, node);
}

static tpl_node *parse_test(tpl_parser *p, tpl_node *node) {
    tpl_token *is = tpl_p_cur(p);
    TRY(tpl_p_adv(p));
    bool negated;
    TRY(tpl_p_skip_name(p, "not", &negated));
    char *name = dotted_name(p);
    TRY(name);
    tpl_node *n = tpl_p_node(p, N_TEST, is);
    TRY(n);
    n->u.filter.input = node;
    n->u.filter.name = name;
    n->u.filter.test = tpl_test_lookup(name);
    tpl_token *t = tpl_p_cur(p);
    if (t->type == TOK_LPAREN) {
        TRY(tpl_p_call_args(p, &n->u.filter.args));
    } else if ((t->type == TOK_NAME || t->type == TOK_STRING || t->type == TOK_INTEGER ||
                t->type == TOK_FLOAT || t->type == TOK_LBRACKET || t->type == TOK_LBRACE) &&
               !tpl_p_is_name(t, "else") && !tpl_p_is_name(t, "or") && !tpl_p_is_name(t, "and")) {
        /* one argument without parentheses: `x is divisibleby 3` */
        if (tpl_p_is_name(t, "is")) {
            tpl_p_fail(p, t, TPL_E_SYNTAX, "You cannot chain multiple tests with is");
            return NULL;
        }
        tpl_node *arg = tpl_p_primary(p);
        TRY(arg);
        TRY(arg = tpl_p_postfix(p, arg));
        size_t cap = 0;
        TRY(tpl_p_append(p, &n->u.filter.args.pos, arg, &cap));
    }
    if (!negated) return n;
    tpl_node *neg = tpl_p_node(p, N_NOT, is);
    TRY(neg);
    neg->u.operand = n;
    return neg;
}

/* Jinja's lower-cased node class names, for "can't assign to 'const'". */
static const char *node_class(const tpl_node *n) {
    switch (n->kind) {
    case N_CONST: return "const";
    case N_LIST: return "list";
    case N_DICT: return "dict";
    case N_TUPLE: return "tuple";
    case N_GETATTR: return "getattr";
    case N_GETITEM: return "getitem";
    case N_CALL: return "call";
    case N_FILTER: return "filter";
    case N_TEST: return "test";
    case N_NOT: return "not";
    case N_NEG: return "neg";
    case N_POS: return "pos";
    case N_AND: return "and";
    case N_OR: return "or";
    case N_CONCAT: return "concat";
    case N_COMPARE: return "compare";
    case N_CONDEXPR: return "condexpr";
    case N_BINOP:
        switch (n->u.binop.op) {
        case TOK_ADD: return "add";
        case TOK_SUB: return "sub";
        case TOK_MUL: return "mul";
        case TOK_DIV: return "div";
        case TOK_FLOORDIV: return "floordiv";
        case TOK_MOD: return "mod";
        default: return "pow";
        }
    default: return "expr";
    }
}

static bool can_assign(const tpl_node *n) {
    if (n->kind == N_NAME || n->kind == N_NSREF) return true;
    if (n->kind != N_TUPLE) return false;
    for (size_t i = 0; i < n->u.items.n; i++)
        if (!can_assign(n->u.items.items[i])) return false;
    return true;
}

tpl_node *tpl_p_assign_target(tpl_parser *p, bool with_tuple, bool name_only,
                              const char *extra_end, bool with_namespace) {
    tpl_token *start = tpl_p_cur(p);
    tpl_node *target;
    if (with_namespace) {
        tpl_token *next = tpl_p_look(p);
        TRY(next);
        if (next->type == TOK_DOT) {
            tpl_token *ns = NULL, *attr = NULL;
            TRY(tpl_p_expect(p, TOK_NAME, &ns));
            TRY(tpl_p_adv(p));
            TRY(tpl_p_expect(p, TOK_NAME, &attr));
            TRY(target = tpl_p_node(p, N_NSREF, ns));
            TRY(target->u.nsref.name = tpl_p_name_copy(p, ns));
            TRY(target->u.nsref.attr = tpl_p_name_copy(p, attr));
            return target;
        }
    }
    if (name_only) {
        tpl_token *t = NULL;
        TRY(tpl_p_expect(p, TOK_NAME, &t));
        TRY(target = tpl_p_node(p, N_NAME, t));
        TRY(target->u.name = tpl_p_name_copy(p, t));
        /* a name, even "true": Jinja's Name node takes any identifier here */
        return target;
    }
    target = with_tuple ? tpl_p_tuple(p, true, true, extra_end, false) : tpl_p_primary(p);
    TRY(target);
    if (!can_assign(target)) {
        tpl_p_fail(p, start, TPL_E_SYNTAX, "can't assign to '%s'", node_class(target));
        return NULL;
    }
    return target;
}
