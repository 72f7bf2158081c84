/* YAML configuration loader: scalars, anchors, merge keys, tags, !var, --set, errors. */
#define _POSIX_C_SOURCE 200809L
#include "config/config.h"
#include "fg_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fg_config *parse_vars(const char *yaml, const fg_var *vars, size_t n_vars) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", vars, n_vars, &cfg, &err);
    CHECK_MSG(st == FG_OK && cfg != NULL, "parse failed: %s", err.msg);
    return cfg;
}

static fg_config *parse(const char *yaml) { return parse_vars(yaml, NULL, 0); }

/* Parses yaml expecting failure; checks the code and that the message contains each of
 * the (NULL-terminated) fragments, e.g. the "t.yaml:3:5: " prefix. */
static void expect_error_vars(int line, const char *yaml, const fg_var *vars, size_t n_vars,
                              fg_status code, const char *const *fragments) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", vars, n_vars, &cfg, &err);
    CHECK_MSG(st == code && err.code == code && cfg == NULL,
              "line %d: expected status %d, got %d (%s)", line, code, st, err.msg);
    for (; *fragments != NULL; fragments++)
        CHECK_MSG(strstr(err.msg, *fragments) != NULL, "line %d: '%s' not in message: %s", line,
                  *fragments, err.msg);
    fg_config_free(cfg);
}

#define EXPECT_ERROR(yaml, ...)                                                               \
    expect_error_vars(__LINE__, yaml, NULL, 0, FG_E_PARSE,                                    \
                      (const char *const[]){__VA_ARGS__, NULL})

static fg_node *at(const fg_node *n, const char *path) {
    /* "a.b.0.c": maps by key, lists by index; NULL when absent */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    fg_node *cur = (fg_node *)n;
    for (char *tok = strtok(buf, "."); tok != NULL && cur != NULL; tok = strtok(NULL, ".")) {
        if (cur->type == FG_NODE_LIST) {
            size_t i = (size_t)strtoul(tok, NULL, 10);
            cur = i < cur->n ? cur->items[i] : NULL;
        } else {
            cur = fg_node_get(cur, tok);
        }
    }
    return cur;
}

static bool is_int(const fg_node *n, int64_t v) { return n && n->type == FG_NODE_INT && n->i == v; }
static bool is_float(const fg_node *n, double v) {
    return n && n->type == FG_NODE_FLOAT && n->f == v;
}
static bool is_str(const fg_node *n, const char *s) {
    return n && n->type == FG_NODE_STR && strcmp(n->s, s) == 0;
}
static bool is_bool(const fg_node *n, bool b) { return n && n->type == FG_NODE_BOOL && n->b == b; }
static bool is_null(const fg_node *n) { return n && n->type == FG_NODE_NULL; }

static void test_scalars(void) {
    fg_config *cfg = parse("nulls: [~, null, Null, NULL, !!null, '']\n"
                           "empty:\n"
                           "bools: [true, True, TRUE, false, False, FALSE]\n"
                           "strs: [y, n, yEs, 0x, 1.2.3, '12', \"3.5\", 'yes', "
                           "nan, inf, 2024-01-01, 1:30]\n"
                           "bools11: [yes, No, ON, off]\n"
                           "ints: [0, -12, +7, 007, 0x1F, 0o17, 9223372036854775807, "
                           "-9223372036854775808]\n"
                           "floats: [1e-3, 1.0e-3, .5, 1., -2.5E+2, .inf, -.inf, +.Inf, .nan, "
                           ".NaN]\n"
                           "block: |\n  line one\n  line two\n"
                           "forced: [!!str 12, !!int '7', !!float 3, !!bool 'true', !!null x, ! 5]\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    for (int k = 0; k < 5; k++) CHECK(is_null(at(r, "nulls")->items[k]));
    CHECK(is_str(at(r, "nulls.5"), ""));
    CHECK(is_null(at(r, "empty")));
    for (int k = 0; k < 6; k++) CHECK(is_bool(at(r, "bools")->items[k], k < 3));
    /* YAML 1.1 as PyYAML: y/n stay strings, dates and base-60 are kept as text (our
     * choice); the full table is in test_yaml11.c */
    const char *strs[] = {"y", "n", "yEs", "0x", "1.2.3", "12", "3.5", "yes",
                          "nan", "inf", "2024-01-01", "1:30"};
    for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
        CHECK_MSG(is_str(at(r, "strs")->items[k], strs[k]), "strs[%zu]", k);
    for (int k = 0; k < 4; k++) CHECK(is_bool(at(r, "bools11")->items[k], k % 2 == 0));
    const int64_t ints[] = {0, -12, 7, 7, 31, 15, INT64_MAX, INT64_MIN};
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
        CHECK_MSG(is_int(at(r, "ints")->items[k], ints[k]), "ints[%zu]", k);
    CHECK(strcmp(at(r, "ints.4")->s, "0x1F") == 0); /* the source text is kept */
    const fg_node *f = at(r, "floats");
    CHECK(is_float(f->items[0], 1e-3) && is_float(f->items[1], 1e-3));
    CHECK(is_float(f->items[2], 0.5) && is_float(f->items[3], 1.0));
    CHECK(is_float(f->items[4], -250.0));
    CHECK(is_float(f->items[5], INFINITY) && is_float(f->items[6], -INFINITY));
    CHECK(is_float(f->items[7], INFINITY));
    CHECK(f->items[8]->type == FG_NODE_FLOAT && isnan(f->items[8]->f));
    CHECK(f->items[9]->type == FG_NODE_FLOAT && isnan(f->items[9]->f));
    CHECK(is_str(at(r, "block"), "line one\nline two\n"));
    CHECK(is_str(at(r, "forced.0"), "12"));
    CHECK(is_int(at(r, "forced.1"), 7));
    CHECK(is_float(at(r, "forced.2"), 3.0));
    CHECK(is_bool(at(r, "forced.3"), true));
    CHECK(is_null(at(r, "forced.4")));
    CHECK(is_str(at(r, "forced.5"), "5"));
    fg_config_free(cfg);

    EXPECT_ERROR("a: 1\nb: 9223372036854775808\n", "t.yaml:2:4: ", "does not fit in 64 bits");
    EXPECT_ERROR("a: [-9223372036854775809]\n", "t.yaml:1:5: ", "does not fit");
    EXPECT_ERROR("a: 0xFFFFFFFFFFFFFFFF\n", "t.yaml:1:4: ", "does not fit");
    EXPECT_ERROR("a: 1e999\n", "t.yaml:1:4: ", "too large");
    EXPECT_ERROR("a: !!int 1.5\n", "t.yaml:1:4: ", "not an integer");
    EXPECT_ERROR("a: !!bool y\n", "t.yaml:1:4: ", "not a boolean");
}

static void test_locations(void) {
    fg_config *cfg = parse("a: 1\nbb:\n  c: [x,  y]\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    CHECK(r->loc.line == 1 && r->loc.column == 1 && strcmp(r->loc.file, "t.yaml") == 0);
    CHECK(r->n == 2 && r->key_locs[1].line == 2 && r->key_locs[1].column == 1);
    const fg_node *bb = at(r, "bb");
    CHECK(bb->key_locs[0].line == 3 && bb->key_locs[0].column == 3);
    const fg_node *y = at(r, "bb.c.1");
    CHECK(y->loc.line == 3 && y->loc.column == 11);
    CHECK(strcmp(fg_config_text(cfg), "a: 1\nbb:\n  c: [x,  y]\n") == 0);
    CHECK(fg_node_get(r, "zz") == NULL && fg_node_get(y, "a") == NULL);
    CHECK(strcmp(fg_node_type_name(FG_NODE_MAP), "mapping") == 0);
    CHECK(strcmp(fg_node_type_name(FG_NODE_FLOAT), "float") == 0);
    fg_config_free(cfg);
}

static void test_anchors(void) {
    fg_config *cfg = parse(".define:\n"
                           "  model: &model !singleton:tiny_model@model {dim: 8}\n"
                           "  n: &n 3\n"
                           "a: *model\n"
                           "b: {inner: *model, count: *n}\n"
                           "c: &x [1]\n"
                           "d: *x\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    CHECK(fg_node_get(r, ".define") == NULL && r->n == 4);
    fg_node *a = at(r, "a");
    CHECK(a != NULL && a == at(r, "b.inner")); /* one node: singletons are shared */
    CHECK(a->ctor == FG_CTOR_SINGLETON && strcmp(a->ref, "tiny_model") == 0);
    CHECK(a->identity != NULL && strcmp(a->identity, "model") == 0);
    CHECK(is_int(at(r, "b.count"), 3));
    CHECK(at(r, "c") == at(r, "d") && is_int(at(r, "d.0"), 1));
    fg_config_free(cfg);

    EXPECT_ERROR("a: *nope\n", "t.yaml:1:4: ", "undefined alias '*nope'");
    EXPECT_ERROR("a: &r {b: [*r]}\n", "t.yaml:1:12: ", "recursive");
    EXPECT_ERROR("a: &x 1\nb: &x 2\n", "t.yaml:2:4: ", "duplicate anchor '&x'",
                 "first defined at line 1, column 4");
}

static void test_merge(void) {
    fg_config *cfg = parse(".define:\n"
                           "  base: &base {a: 1, b: 2}\n"
                           "  more: &more !dict:@info {b: 20, c: 30}\n"
                           "  opt: &opt !partial:adamw {lr: 0.1}\n"
                           "m1: {<<: *base, b: 3}\n"
                           "m2:\n"
                           "  b: 4\n"
                           "  <<: [*more, *base]\n"
                           "m3: !singleton:callback {<<: *more, x: *opt}\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    const fg_node *m1 = at(r, "m1");
    CHECK(m1->n == 2 && strcmp(m1->keys[0], "a") == 0 && strcmp(m1->keys[1], "b") == 0);
    CHECK(is_int(at(m1, "a"), 1) && is_int(at(m1, "b"), 3)); /* explicit keys win */
    CHECK(m1->key_locs[0].line == 2); /* a merged key keeps its place of definition */
    const fg_node *m2 = at(r, "m2");
    CHECK(m2->n == 3);
    CHECK(is_int(at(m2, "b"), 4) && is_int(at(m2, "c"), 30) && is_int(at(m2, "a"), 1));
    const fg_node *m3 = at(r, "m3");
    /* the tagged anchor contributes its pairs only; m3 keeps its own tag */
    CHECK(m3->ctor == FG_CTOR_SINGLETON && strcmp(m3->ref, "callback") == 0);
    CHECK(m3->identity == NULL && m3->n == 3 && is_int(at(m3, "b"), 20));
    CHECK(at(m3, "x")->ctor == FG_CTOR_PARTIAL);
    /* the base mapping itself is untouched */
    fg_config_free(cfg);

    EXPECT_ERROR("a: &s 1\nb: {<<: *s}\n", "t.yaml:2:5: ", "merge key '<<' expects a mapping");
    EXPECT_ERROR("a: &s {x: 1}\nb: {<<: [*s, 2]}\n", "t.yaml:2:14: ", "expects a mapping");
}

static void test_tags(void) {
    fg_config *cfg = parse("p: !partial:torch.optim:AdamW@opt {lr: 1}\n"
                           "l: !lambda:mod.sub:fn.attr [1, 2]\n"
                           "s: !singleton:simple {}\n"
                           "c: !call:max@biggest [1, 2]\n"
                           "f: !factory:./pkg/file.py:Thing@thing\n"
                           "d: !dict:@meta {k: v}\n"
                           "li: !list [1]\n"
                           "e1: !dict ''\n"
                           "e2: !list:@empty\n");
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    const fg_node *p = at(r, "p"), *l = at(r, "l"), *s = at(r, "s"), *c = at(r, "c");
    const fg_node *f = at(r, "f"), *d = at(r, "d"), *li = at(r, "li");
    CHECK(p->ctor == FG_CTOR_PARTIAL && p->type == FG_NODE_MAP);
    CHECK(strcmp(p->ref, "torch.optim:AdamW") == 0 && strcmp(p->identity, "opt") == 0);
    CHECK(l->ctor == FG_CTOR_PARTIAL && l->type == FG_NODE_LIST && l->identity == NULL);
    CHECK(strcmp(l->ref, "mod.sub:fn.attr") == 0);
    CHECK(s->ctor == FG_CTOR_SINGLETON && s->type == FG_NODE_MAP && s->n == 0);
    CHECK(c->ctor == FG_CTOR_SINGLETON && strcmp(c->identity, "biggest") == 0);
    /* a constructor with a scalar payload keeps the text (here empty) */
    CHECK(f->ctor == FG_CTOR_FACTORY && is_str(f, "") && strcmp(f->ref, "./pkg/file.py:Thing") == 0);
    CHECK(strcmp(f->identity, "thing") == 0);
    CHECK(d->ctor == FG_CTOR_NONE && d->type == FG_NODE_MAP && strcmp(d->identity, "meta") == 0);
    CHECK(li->ctor == FG_CTOR_NONE && li->type == FG_NODE_LIST && li->n == 1);
    CHECK(at(r, "e1")->type == FG_NODE_MAP && at(r, "e1")->n == 0);
    CHECK(at(r, "e2")->type == FG_NODE_LIST && strcmp(at(r, "e2")->identity, "empty") == 0);
    fg_config_free(cfg);

    EXPECT_ERROR("a: 1\nb: !foo 2\n", "t.yaml:2:4: ", "unknown tag '!foo'", "known tags: ",
                 "!singleton:REF");
    EXPECT_ERROR("a: !!binary aGk=\n", "t.yaml:1:4: ", "unknown tag '!!binary'");
    EXPECT_ERROR("a: !tuples [1]\n", "t.yaml:1:4: ", "unknown tag '!tuples'");
    EXPECT_ERROR("a: !singletonx:y 1\n", "unknown tag '!singletonx:y'");
    EXPECT_ERROR("a: !singleton {x: 1}\n", "t.yaml:1:4: ", "needs a constructor");
    EXPECT_ERROR("a: !singleton:@id {}\n", "t.yaml:1:4: ", "missing constructor");
    EXPECT_ERROR("a: !factory:x@ {}\n", "t.yaml:1:4: ", "empty identity");
    EXPECT_ERROR("a: !partial:a:b:c {}\n", "more than one ':'");
    EXPECT_ERROR("a: !dict:foo {}\n", "t.yaml:1:4: ", "takes only an identity");
    EXPECT_ERROR("a: !dict [1]\n", "t.yaml:1:4: ", "cannot be applied to a list");
    EXPECT_ERROR("a: !list {b: 1}\n", "t.yaml:1:4: ", "cannot be applied to a mapping");
    EXPECT_ERROR("a: !list x\n", "t.yaml:1:4: ", "expects a list");
    EXPECT_ERROR("a: !var:x 1\n", "t.yaml:1:4: ", "is not a tag");
    EXPECT_ERROR("!singleton:x a: 1\n", "t.yaml:1:1: ", "key cannot carry a constructor");
    EXPECT_ERROR("a: 1\nb: !singleton:x@n {}\nc: [!factory:y@n {}]\n", "t.yaml:3:5: ",
                 "Multiple definitions found for node 'n'", "t.yaml:2:4");
    /* aliases of one identified node are fine */
    fg_config_free(parse("a: &a !singleton:x@n {}\nb: *a\n"));
}

static void test_vars(void) {
    const fg_var vars[] = {
        {"lr", "1e-3"},
        {"steps", "10"},
        {"steps", "20"}, /* later entries win */
        {"opt", "!partial:adamw {lr: 0.5}"},
        {"bad", "[1,"},
    };
    fg_config *cfg = parse_vars("lr: !var lr\n"
                                "steps: !var 'steps'\n"
                                "opt: !var {name: opt}\n"
                                "d: !var {name: nope, default: [1, 2]}\n"
                                "n: !var {name: nope, default: ~}\n"
                                "alias: &v !var {name: lr, default: 3}\n"
                                "again: *v\n",
                                vars, 5);
    if (cfg == NULL) return;
    const fg_node *r = fg_config_root(cfg);
    CHECK(is_float(at(r, "lr"), 1e-3));
    CHECK(at(r, "lr")->loc.line == 1 && at(r, "lr")->loc.column == 5); /* the !var's place */
    CHECK(is_int(at(r, "steps"), 20));
    CHECK(at(r, "opt")->ctor == FG_CTOR_PARTIAL && is_float(at(r, "opt.lr"), 0.5));
    CHECK(at(r, "d")->type == FG_NODE_LIST && is_int(at(r, "d.1"), 2));
    CHECK(is_null(at(r, "n")));
    CHECK(at(r, "alias") == at(r, "again") && is_float(at(r, "again"), 1e-3));
    fg_config_free(cfg);

    expect_error_vars(__LINE__, "a: 1\nb: !var undefined_x\n", vars, 5, FG_E_PARSE,
                      (const char *const[]){"t.yaml:2:4: ", "variable 'undefined_x' is undefined",
                                            NULL});
    expect_error_vars(__LINE__, "a: !var bad\n", vars, 5, FG_E_PARSE,
                      (const char *const[]){"t.yaml:1:4: ", "variable 'bad'", "!var bad:",
                                            "YAML syntax error", NULL});
    EXPECT_ERROR("a: !var [x]\n", "t.yaml:1:4: ", "!var cannot be applied to a list");
    EXPECT_ERROR("a: !var {default: 1}\n", "t.yaml:1:4: ", "no 'name'");
    EXPECT_ERROR("a: !var {name: x, other: 1}\n", "t.yaml:1:19: ", "unexpected key 'other'");
    EXPECT_ERROR("a: !var ''\n", "t.yaml:1:4: ", "needs a variable name");
}

static fg_status set(fg_config *cfg, const char *assignment, fg_error *err) {
    fg_status st = fg_config_set(cfg, assignment, err);
    return st;
}

static void test_set(void) {
    fg_config *cfg = parse(".define:\n"
                           "  shared: &shared {lr: 1, wd: 0}\n"
                           "trainer:\n"
                           "  args: {max_steps: 10, name: run}\n"
                           "  cbs: [a, {x: 1}]\n"
                           "opt1: *shared\n"
                           "opt2: *shared\n"
                           "model: &m !singleton:m@model {}\n"
                           "model2: *m\n");
    if (cfg == NULL) return;
    fg_node *r = fg_config_root(cfg);
    fg_error err = {0, {0}};
    CHECK(set(cfg, "trainer.args.max_steps=100", &err) == FG_OK);
    CHECK(is_int(at(r, "trainer.args.max_steps"), 100));
    CHECK(set(cfg, "trainer.args.lr=1e-3", &err) == FG_OK); /* a new key */
    CHECK(is_float(at(r, "trainer.args.lr"), 1e-3) && at(r, "trainer.args")->n == 3);
    CHECK(set(cfg, "trainer.args.name=\"text: with colon\"", &err) == FG_OK);
    CHECK(is_str(at(r, "trainer.args.name"), "text: with colon"));
    CHECK(set(cfg, "trainer.cbs.1.x=[1,2]", &err) == FG_OK);
    CHECK(at(r, "trainer.cbs.1.x")->type == FG_NODE_LIST && is_int(at(r, "trainer.cbs.1.x.1"), 2));
    CHECK(set(cfg, "trainer.cbs.0={k: !partial:f {}}", &err) == FG_OK);
    CHECK(at(r, "trainer.cbs.0.k")->ctor == FG_CTOR_PARTIAL);
    CHECK(set(cfg, "top=", &err) == FG_OK && is_null(at(r, "top")));
    /* inside a shared mapping: every alias sees it (one node) */
    CHECK(set(cfg, "opt1.lr=2", &err) == FG_OK);
    CHECK(is_int(at(r, "opt2.lr"), 2));
    /* replacing an aliased node: only that slot changes */
    CHECK(set(cfg, "opt1={lr: 3}", &err) == FG_OK);
    CHECK(is_int(at(r, "opt1.lr"), 3) && is_int(at(r, "opt2.lr"), 2));
    CHECK(set(cfg, "model2=!singleton:m2@model2 {}", &err) == FG_OK);
    CHECK(at(r, "model") != at(r, "model2"));
    CHECK(strcmp(at(r, "model2")->loc.file, "--set") == 0);

    CHECK(set(cfg, "trainer.argz.max_steps=1", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "t.yaml:4:3: ") != NULL && strstr(err.msg, "no key 'argz'") &&
                  strstr(err.msg, "existing keys: args, cbs"),
              "%s", err.msg);
    CHECK(set(cfg, "trainer.cbs.7=1", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "t.yaml:5:8: ") && strstr(err.msg, "list of 2 items"), "%s",
              err.msg);
    CHECK(set(cfg, "trainer.args.name.x=1", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "is a string"), "%s", err.msg);
    CHECK(set(cfg, "no_equals_sign", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "expected PATH=VALUE"), "%s", err.msg);
    CHECK(set(cfg, "a..b=1", &err) == FG_E_PARSE);
    CHECK(set(cfg, "trainer.args.x=[1,", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "--set:") == err.msg && strstr(err.msg, "YAML syntax error"), "%s",
              err.msg);
    CHECK(set(cfg, "x=!bogus 1", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "unknown tag '!bogus'"), "%s", err.msg);
    /* an identity that is already taken: rejected and undone */
    size_t n_before = r->n;
    CHECK(set(cfg, "other=!factory:f@model {}", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "Multiple definitions found for node 'model'"), "%s", err.msg);
    CHECK(r->n == n_before && fg_node_get(r, "other") == NULL);
    CHECK(set(cfg, "model=!factory:f@model {}", &err) == FG_OK); /* replaces the old one */
    CHECK(fg_config_set(NULL, "a=1", NULL) == FG_E_INVALID_ARG);
    CHECK(fg_config_set(cfg, "zz.yy=1", NULL) == FG_E_PARSE); /* NULL err is allowed */
    fg_config_free(cfg);
}

static void test_errors(void) {
    EXPECT_ERROR("a: 1\nb: [1, 2\nc: 3\n", "t.yaml:3:2: ", "YAML syntax error",
                 "did not find expected ',' or ']'", "flow sequence", "line 2, column 4");
    EXPECT_ERROR("a: 1\n b: 2\n", "t.yaml:2:3: ", "YAML syntax error",
                 "mapping values are not allowed");
    EXPECT_ERROR("a: 1\n---\nb: 2\n", "t.yaml:2:1: ", "expected a single document");
    EXPECT_ERROR("- 1\n- 2\n", "t.yaml:1:1: ", "root of the configuration must be a mapping",
                 "found a list");
    EXPECT_ERROR("just text\n", "t.yaml:1:1: ", "must be a mapping");
    EXPECT_ERROR("", "t.yaml:1:1: ", "configuration is empty");
    EXPECT_ERROR("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml:4:3: ", "duplicate key 'c'",
                 "first defined at line 3");
    EXPECT_ERROR("? [1]\n: 2\n", "mapping keys must be scalars");
    EXPECT_ERROR("a: b\x01\n", "t.yaml:1:5: ", "control characters");
    EXPECT_ERROR("a: \"\\xZZ\"\n", "t.yaml:1:", "YAML syntax error");

    /* nesting is bounded: no stack overflow on hostile input */
    size_t depth = 2000;
    char *deep = malloc(depth * 2 + 8);
    if (deep != NULL) {
        memcpy(deep, "a: ", 3);
        memset(deep + 3, '[', depth);
        memset(deep + 3 + depth, ']', depth);
        deep[3 + 2 * depth] = '\0';
        EXPECT_ERROR(deep, "t.yaml:1:", "nests deeper than");
        free(deep);
    }

    /* aliases cannot multiply nesting past the bound either: 250 levels placed 250 deep */
    char *amp = malloc(2048);
    if (amp != NULL) {
        size_t n = 0;
        n += (size_t)sprintf(amp + n, "a: &a ");
        for (int k = 0; k < 250; k++) amp[n++] = '[';
        for (int k = 0; k < 250; k++) amp[n++] = ']';
        n += (size_t)sprintf(amp + n, "\nb: ");
        for (int k = 0; k < 250; k++) amp[n++] = '[';
        n += (size_t)sprintf(amp + n, "*a");
        for (int k = 0; k < 250; k++) amp[n++] = ']';
        amp[n++] = '\n';
        amp[n] = '\0';
        EXPECT_ERROR(amp, "t.yaml:2:", "nests deeper than 400 levels", "through aliases");
        free(amp);
    }

    /* a NULL error buffer is allowed */
    fg_config *cfg = NULL;
    CHECK(fg_config_parse("- x", 3, "t.yaml", NULL, 0, &cfg, NULL) == FG_E_PARSE && cfg == NULL);
    CHECK(fg_config_parse(NULL, 1, "t.yaml", NULL, 0, &cfg, NULL) == FG_E_INVALID_ARG);
}

static void test_files(void) {
    fg_error err = {0, {0}};
    fg_config *cfg = NULL;
    CHECK(fg_config_load_file("/nonexistent/dir/c.yaml", NULL, 0, &cfg, &err) == FG_E_NOT_FOUND);
    CHECK_MSG(strcmp(err.msg, "/nonexistent/dir/c.yaml: cannot open: No such file or directory") ==
                  0,
              "%s", err.msg);
    CHECK(cfg == NULL);

    char path[] = "/tmp/fg_test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char text[] = "main: !singleton:simple\n  steps: !var steps\nbad: 1\n";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    const fg_var vars[] = {{"steps", "5"}};
    CHECK(fg_config_load_file(path, vars, 1, &cfg, &err) == FG_OK);
    if (cfg != NULL) {
        const fg_node *main_node = at(fg_config_root(cfg), "main");
        CHECK(main_node && main_node->ctor == FG_CTOR_SINGLETON && is_int(at(main_node, "steps"), 5));
        CHECK(strcmp(main_node->loc.file, path) == 0);
        CHECK(strcmp(fg_config_text(cfg), text) == 0);
        fg_config_free(cfg);
    }
    /* errors name the file */
    CHECK(fg_config_load_file(path, NULL, 0, &cfg, &err) == FG_E_PARSE);
    char want[128];
    snprintf(want, sizeof want, "%s:2:10: variable 'steps' is undefined", path);
    CHECK_MSG(strstr(err.msg, want) == err.msg, "%s", err.msg);
    unlink(path);
}

int main(void) {
    test_scalars();
    test_locations();
    test_anchors();
    test_merge();
    test_tags();
    test_vars();
    test_set();
    test_errors();
    test_files();
    return fg_test_finish("test_config");
}
