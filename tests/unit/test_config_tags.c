/* Forgather's tags beyond the basic constructors: !tuple, !dlist, !meta, identities on
 * every tag, merge keys from tagged anchors, '.'-keys at the root, scalar payloads of
 * constructor tags, !var values marked for the graph, and the round trip of all of these
 * through the effective config (fg_config_emit). */
#include "config/config.h"
#include "fg_test.h"

#include <stdlib.h>
#include <string.h>

static fg_config *parse_vars(const char *yaml, const fg_var *vars, size_t n_vars) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", vars, n_vars, &cfg, &err);
    CHECK_MSG(st == FG_OK && cfg != NULL, "parse failed: %s", err.msg);
    return cfg;
}

static fg_config *parse(const char *yaml) { return parse_vars(yaml, NULL, 0); }

static void expect_error(int line, const char *yaml, const char *const *fragments) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err);
    CHECK_MSG(st == FG_E_PARSE && cfg == NULL, "line %d: expected a parse error, got %d", line, st);
    for (; *fragments != NULL; fragments++)
        CHECK_MSG(strstr(err.msg, *fragments) != NULL, "line %d: '%s' not in message: %s", line,
                  *fragments, err.msg);
    fg_config_free(cfg);
}

#define EXPECT_ERROR(yaml, ...) expect_error(__LINE__, yaml, (const char *const[]){__VA_ARGS__, NULL})

static fg_node *get(const fg_config *cfg, const char *key) {
    return fg_node_get(fg_config_root(cfg), key);
}

static bool is_int(const fg_node *n, int64_t v) { return n && n->type == FG_NODE_INT && n->i == v; }

static void test_tuple(void) {
    fg_config *cfg = parse("t: !tuple [1, 2]\n"
                           "e: !tuple ''\n"
                           "n: !tuple:@pair [a, b]\n"
                           "l: !list [1]\n");
    if (cfg == NULL) return;
    const fg_node *t = get(cfg, "t"), *e = get(cfg, "e"), *n = get(cfg, "n");
    CHECK(t->type == FG_NODE_LIST && t->container == FG_CONTAINER_TUPLE && t->n == 2);
    CHECK(t->ctor == FG_CTOR_NONE && t->identity == NULL && is_int(t->items[1], 2));
    /* Forgather's `!tuple ''` gives an empty list; an empty tuple here: the same value */
    CHECK(e->type == FG_NODE_LIST && e->container == FG_CONTAINER_TUPLE && e->n == 0);
    CHECK(n->container == FG_CONTAINER_TUPLE && strcmp(n->identity, "pair") == 0);
    CHECK(get(cfg, "l")->container == FG_CONTAINER_LIST);
    fg_config_free(cfg);

    EXPECT_ERROR("a: !tuple {b: 1}\n", "t.yaml:1:4: ", "cannot be applied to a mapping");
    EXPECT_ERROR("a: !tuple x\n", "t.yaml:1:4: ", "'!tuple' expects a list");
    EXPECT_ERROR("a: !tuple:x [1]\n", "t.yaml:1:4: ", "takes only an identity");
}

static void test_dlist(void) {
    fg_config *cfg = parse(".define:\n"
                           "  base: &base !dlist:@cbs\n"
                           "    logger: !singleton:logger {}\n"
                           "    saver: !singleton:saver {}\n"
                           "    off: ~\n"
                           "  extra: &extra {more: 5}\n"
                           "all: *base\n"
                           "child: !dlist {<<: *base, saver: null, extra: 3}\n"
                           "two: !dlist {<<: [*extra, *base], logger: ~}\n"
                           "d: !dlist {a: 1, b: ~, c: [2], d: !!null '', e: '', f: false}\n"
                           "empty: !dlist ''\n");
    if (cfg == NULL) return;
    const fg_node *all = get(cfg, "all"), *child = get(cfg, "child"), *two = get(cfg, "two");
    const fg_node *d = get(cfg, "d");
    CHECK(all->type == FG_NODE_LIST && all->container == FG_CONTAINER_LIST && all->n == 2);
    CHECK(strcmp(all->identity, "cbs") == 0);
    CHECK(all->items[0]->ctor == FG_CTOR_SINGLETON && strcmp(all->items[0]->ref, "logger") == 0);
    /* a child template deletes an entry with `key: ~`; merged values stay shared nodes */
    CHECK(child->type == FG_NODE_LIST && child->n == 2 && child->identity == NULL);
    CHECK(child->items[0] == all->items[0] && is_int(child->items[1], 3));
    CHECK(two->n == 2 && is_int(two->items[0], 5) && two->items[1] == all->items[1]);
    /* only nulls are dropped: '' and false stay */
    CHECK(d->n == 4 && is_int(d->items[0], 1) && d->items[1]->type == FG_NODE_LIST);
    CHECK(d->items[2]->type == FG_NODE_STR && d->items[3]->type == FG_NODE_BOOL);
    CHECK(get(cfg, "empty")->type == FG_NODE_LIST && get(cfg, "empty")->n == 0);
    fg_config_free(cfg);

    EXPECT_ERROR("a: !dlist [1, 2]\n", "t.yaml:1:4: ", "'!dlist' expects a mapping",
                 "null value drops");
    EXPECT_ERROR("a: !dlist x\n", "t.yaml:1:4: ", "expects a mapping");
    EXPECT_ERROR("a: &l [1]\nb: {<<: *l}\n", "t.yaml:1:8: ", "merge key '<<' expects a mapping");
    EXPECT_ERROR("a: &d !dlist {x: *d}\n", "t.yaml:1:18: ", "recursive");
}

static void test_meta(void) {
    fg_config *cfg = parse("m: !meta:codegen:emit@gen {x: 1}\nn: !meta:f [1]\no: !meta:g\n");
    if (cfg == NULL) return;
    const fg_node *m = get(cfg, "m");
    CHECK(m->ctor == FG_CTOR_META && strcmp(m->ref, "codegen:emit") == 0);
    CHECK(strcmp(m->identity, "gen") == 0 && is_int(fg_node_get(m, "x"), 1));
    CHECK(get(cfg, "n")->ctor == FG_CTOR_META && get(cfg, "n")->type == FG_NODE_LIST);
    CHECK(get(cfg, "o")->ctor == FG_CTOR_META);
    fg_config_free(cfg);

    EXPECT_ERROR("a: !meta {x: 1}\n", "t.yaml:1:4: ", "needs a constructor");
    EXPECT_ERROR("a: !meta:a:b:c {}\n", "more than one ':'");
}

/* Every tag takes an @identity; two distinct nodes may not share one; aliases may. */
static void test_identities(void) {
    fg_config *cfg = parse("a: !singleton:x@a {}\nb: !call:x@b {}\nc: !partial:x@c {}\n"
                           "d: !lambda:x@d {}\ne: !factory:x@e {}\nf: !meta:x@f {}\n"
                           "g: !dict:@g {}\nh: !list:@h []\ni: !tuple:@i []\nj: !dlist:@j {}\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    CHECK(r->n == 10);
    for (size_t k = 0; k < r->n; k++)
        CHECK_MSG(r->items[k]->identity && strcmp(r->items[k]->identity, r->keys[k]) == 0, "%s",
                  r->keys[k]);
    /* !call is a singleton, !lambda a partial */
    CHECK(get(cfg, "b")->ctor == FG_CTOR_SINGLETON && get(cfg, "d")->ctor == FG_CTOR_PARTIAL);
    fg_config_free(cfg);

    EXPECT_ERROR("a: !tuple:@n []\nb:\n  c: !dlist:@n {x: 1}\n", "t.yaml:3:6: ",
                 "Multiple definitions found for node 'n'", "at t.yaml:1:4");
    EXPECT_ERROR("a: !meta:m@n {}\nb: !dict:@n {}\n", "t.yaml:2:4: ",
                 "Multiple definitions found for node 'n'", "t.yaml:1:4");
    fg_config_free(parse("a: &a !dlist:@n {x: 1}\nb: [*a, *a]\nc: {d: *a}\n"));
    fg_config_free(parse(".define: &x !meta:m@n {}\na: *x\n"));
}

/* `<<: *a` merges the pairs of &a whatever tag it carries; the result keeps its own. */
static void test_merge_tagged(void) {
    fg_config *cfg = parse(".define:\n"
                           "  s: &s !singleton:x@sx {a: 1, b: 2}\n"
                           "  m: &m !meta:y {c: 3}\n"
                           "plain: {<<: *s, b: 20}\n"
                           "both: !partial:z {<<: [*m, *s]}\n"
                           "again: *s\n");
    if (cfg == NULL) return;
    const fg_node *plain = get(cfg, "plain"), *both = get(cfg, "both");
    CHECK(plain->ctor == FG_CTOR_NONE && plain->identity == NULL && plain->n == 2);
    CHECK(is_int(fg_node_get(plain, "a"), 1) && is_int(fg_node_get(plain, "b"), 20));
    CHECK(both->ctor == FG_CTOR_PARTIAL && both->n == 3 && is_int(fg_node_get(both, "c"), 3));
    CHECK(get(cfg, "again")->ctor == FG_CTOR_SINGLETON && get(cfg, "again")->n == 2);
    fg_config_free(cfg);
}

/* Root keys starting with '.' are dropped after parsing; nowhere else. */
static void test_dot_keys(void) {
    fg_config *cfg = parse(".a: &a 1\n..b: 2\nc.: *a\nd: {.e: 3}\n'.q': 4\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    CHECK(r->n == 2 && strcmp(r->keys[0], "c.") == 0 && strcmp(r->keys[1], "d") == 0);
    CHECK(is_int(get(cfg, "c."), 1) && is_int(fg_node_get(get(cfg, "d"), ".e"), 3));
    fg_config_free(cfg);
}

/* Forgather splats a scalar payload into characters; we refuse it. */
static void test_scalar_payload(void) {
    EXPECT_ERROR("a: 1\nb: !singleton:max \"319\"\n", "t.yaml:2:4: ", "'!singleton:max'",
                 "the scalar '319'", "each character", "{NAME: value}", "[value]");
    EXPECT_ERROR("a: !partial:f x\n", "t.yaml:1:4: ", "the scalar 'x'");
    EXPECT_ERROR("a: !meta:f ~\n", "t.yaml:1:4: ", "the scalar '~'");
    EXPECT_ERROR("!singleton:x a: 1\n", "t.yaml:1:1: ", "key cannot carry a constructor");
    fg_config *cfg = parse("a: !factory:f\nb: !singleton:g ''\nc: !call:h \"\"\n");
    if (cfg == NULL) return;
    CHECK(get(cfg, "a")->ctor == FG_CTOR_FACTORY && get(cfg, "a")->type == FG_NODE_STR);
    CHECK(get(cfg, "b")->ctor == FG_CTOR_SINGLETON && get(cfg, "c")->ctor == FG_CTOR_SINGLETON);
    fg_config_free(cfg);
}

/* A !var's value is marked with its name, unless that node is also used elsewhere. */
static void test_var_marks(void) {
    const fg_var vars[] = {{"lr", "0.5"}, {"opt", "!partial:adamw {lr: 1}"}};
    fg_config *cfg = parse_vars("a: !var lr\n"
                                "b: !var {name: nope, default: 3}\n"
                                "c: !var {name: nope2, default: &d 4}\n"
                                "e: *d\n"
                                "f: !var opt\n"
                                "g: 5\n",
                                vars, 2);
    if (cfg == NULL) return;
    CHECK(get(cfg, "a")->var && strcmp(get(cfg, "a")->var, "lr") == 0);
    CHECK(get(cfg, "b")->var && strcmp(get(cfg, "b")->var, "nope") == 0);
    CHECK(get(cfg, "c")->var == NULL && get(cfg, "c") == get(cfg, "e"));
    CHECK(get(cfg, "f")->var && get(cfg, "f")->ctor == FG_CTOR_PARTIAL);
    CHECK(get(cfg, "g")->var == NULL);
    fg_config_free(cfg);
}

/* The effective config keeps the new tags, identities included. */
static void test_emit(void) {
    fg_config *a = parse("t: !tuple:@tt [1, !meta:m@mm {x: 1}]\n"
                         "d: !dict:@dd {k: v}\n"
                         "l: !dlist:@ll {a: 1, b: ~}\n"
                         "p: !dict {}\n"
                         "q: !tuple []\n"
                         "'<<': 2\n"
                         "f: 1.0e-5\n");
    if (a == NULL) return;
    char *text1 = NULL, *text2 = NULL;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_emit(a, &text1, &err) == FG_OK, "%s", err.msg);
    fg_config *b = text1 ? parse(text1) : NULL;
    if (b != NULL) {
        const fg_node *t = get(b, "t");
        CHECK(t->container == FG_CONTAINER_TUPLE && strcmp(t->identity, "tt") == 0);
        CHECK(t->items[1]->ctor == FG_CTOR_META && strcmp(t->items[1]->identity, "mm") == 0);
        CHECK(get(b, "d")->container == FG_CONTAINER_DICT && strcmp(get(b, "d")->identity, "dd") == 0);
        CHECK(get(b, "l")->container == FG_CONTAINER_LIST && get(b, "l")->n == 1);
        CHECK(strcmp(get(b, "l")->identity, "ll") == 0);
        CHECK(get(b, "p")->container == FG_CONTAINER_DICT && get(b, "q")->n == 0);
        CHECK(is_int(get(b, "<<"), 2)); /* a quoted '<<' key is no merge key */
        CHECK(get(b, "f")->type == FG_NODE_FLOAT && get(b, "f")->f == 1.0e-5);
        CHECK(strstr(text1, "1.0e-05") != NULL); /* PyYAML reads it as a float too */
        CHECK(fg_config_emit(b, &text2, &err) == FG_OK);
        CHECK_MSG(text2 && strcmp(text1, text2) == 0, "%s\n---\n%s", text1, text2);
    }
    free(text1);
    free(text2);
    fg_config_free(a);
    fg_config_free(b);
}

int main(void) {
    test_tuple();
    test_dlist();
    test_meta();
    test_identities();
    test_merge_tagged();
    test_dot_keys();
    test_scalar_payload();
    test_var_marks();
    test_emit();
    return fg_test_finish("test_config_tags");
}
