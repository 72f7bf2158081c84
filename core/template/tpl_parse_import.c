/* Statements that name other templates: extends, include, import, from ... import
 * (Jinja2's Parser.parse_extends/include/import/from). */
#include "template/tpl_parse.h"
#include "template/tpl_impl.h"

#include <string.h>

#define TRY(x)                                                                            \
    do {                                                                                  \
        if (!(x)) return NULL;                                                            \
    } while (0)

/* `with context` / `without context` after include / import / from. */
static bool parse_import_context(tpl_parser *p, bool *with_context, bool *given) {
    tpl_token *t = tpl_p_cur(p);
    *given = false;
    if (!tpl_p_is_name(t, "with") && !tpl_p_is_name(t, "without")) return true;
    tpl_token *next = tpl_p_look(p);
    if (next == NULL) return false;
    if (!tpl_p_is_name(next, "context")) return true;
    *with_context = tpl_p_is_name(t, "with");
    *given = true;
    return tpl_p_adv(p) && tpl_p_adv(p);
}

tpl_node *tpl_p_extends(tpl_parser *p, tpl_token *t) {
    tpl_node *n;
    TRY(tpl_p_adv(p));
    TRY(n = tpl_p_node(p, N_EXTENDS, t));
    TRY(n->u.extends.template_ = tpl_p_expression(p, true));
    return n;
}

tpl_node *tpl_p_include(tpl_parser *p, tpl_token *t) {
    tpl_node *n;
    TRY(tpl_p_adv(p));
    TRY(n = tpl_p_node(p, N_INCLUDE, t));
    TRY(n->u.include.template_ = tpl_p_expression(p, true));
    tpl_token *next = NULL;
    if (tpl_p_is_name(tpl_p_cur(p), "ignore")) TRY(next = tpl_p_look(p));
    if (next != NULL && tpl_p_is_name(next, "missing")) {
        n->u.include.ignore_missing = true;
        TRY(tpl_p_adv(p) && tpl_p_adv(p));
    }
    bool given;
    n->u.include.with_context = true;
    TRY(parse_import_context(p, &n->u.include.with_context, &given));
    return n;
}

tpl_node *tpl_p_import(tpl_parser *p, tpl_token *t) {
    tpl_node *n;
    TRY(tpl_p_adv(p));
    TRY(n = tpl_p_node(p, N_IMPORT, t));
    TRY(n->u.import.template_ = tpl_p_expression(p, true));
    TRY(tpl_p_expect_name(p, "as"));
    tpl_node *target = tpl_p_assign_target(p, true, true, NULL, false);
    TRY(target);
    n->u.import.target = target->u.name;
    bool given;
    TRY(parse_import_context(p, &n->u.import.with_context, &given));
    return n;
}

tpl_node *tpl_p_from_import(tpl_parser *p, tpl_token *t) {
    tpl_node *n;
    TRY(tpl_p_adv(p));
    TRY(n = tpl_p_node(p, N_FROM_IMPORT, t));
    TRY(n->u.from_import.template_ = tpl_p_expression(p, true));
    TRY(tpl_p_expect_name(p, "import"));
    size_t cap = 0;
    for (;;) {
        if (n->u.from_import.n) TRY(tpl_p_expect(p, TOK_COMMA, NULL));
        if (tpl_p_cur(p)->type != TOK_NAME) {
            TRY(tpl_p_expect(p, TOK_NAME, NULL));
            continue; /* not reached: expect failed */
        }
        bool given;
        TRY(parse_import_context(p, &n->u.from_import.with_context, &given));
        if (given) break;
        tpl_token *name_tok = tpl_p_cur(p);
        tpl_node *target = tpl_p_assign_target(p, true, true, NULL, false);
        TRY(target);
        if (target->u.name[0] == '_') {
            tpl_p_fail(p, name_tok, TPL_E_ASSERTION,
                       "names starting with an underline can not be imported");
            return NULL;
        }
        const char *alias = target->u.name;
        bool as;
        TRY(tpl_p_skip_name(p, "as", &as));
        if (as) {
            tpl_node *a = tpl_p_assign_target(p, true, true, NULL, false);
            TRY(a);
            alias = a->u.name;
        }
        if (n->u.from_import.n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            const char **names = tpl_alloc(p->ctx, nc * sizeof *names);
            const char **aliases = tpl_alloc(p->ctx, nc * sizeof *aliases);
            TRY(names && aliases);
            if (cap) {
                memcpy(names, n->u.from_import.names, cap * sizeof *names);
                memcpy(aliases, n->u.from_import.aliases, cap * sizeof *aliases);
            }
            n->u.from_import.names = names;
            n->u.from_import.aliases = aliases;
            cap = nc;
        }
        n->u.from_import.names[n->u.from_import.n] = target->u.name;
        n->u.from_import.aliases[n->u.from_import.n++] = alias;
        TRY(parse_import_context(p, &n->u.from_import.with_context, &given));
        if (given || tpl_p_cur(p)->type != TOK_COMMA) break;
    }
    return n;
}
