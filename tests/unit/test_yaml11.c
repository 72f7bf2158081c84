/* Scalar resolution table: YAML 1.1 as PyYAML's SafeLoader (Forgather's loader) reads
 * plain scalars, and the few places where we differ on purpose (marked OURS, with what
 * PyYAML gives). Also forced tags, and the helpers that write scalars back out. */
#include "config/config.h"
#include "config/config_internal.h"
#include "fg_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *text; /* a plain scalar */
    fg_node_type type;
    double value; /* INT/FLOAT: the number; BOOL: 1 or 0 */
} row;

#define S(t) {t, FG_NODE_STR, 0}
#define N(t) {t, FG_NODE_NULL, 0}
#define B(t, v) {t, FG_NODE_BOOL, v}
#define I(t, v) {t, FG_NODE_INT, v}
#define F(t, v) {t, FG_NODE_FLOAT, v}

static const row TABLE[] = {
    /* null */
    N("~"), N("null"), N("Null"), N("NULL"), S("nULL"), S("none"), S("None"),
    /* bool: PyYAML's exact list; y/n and mixed case stay strings */
    B("yes", 1), B("Yes", 1), B("YES", 1), B("no", 0), B("No", 0), B("NO", 0),
    B("true", 1), B("True", 1), B("TRUE", 1), B("false", 0), B("False", 0), B("FALSE", 0),
    B("on", 1), B("On", 1), B("ON", 1), B("off", 0), B("Off", 0), B("OFF", 0),
    S("y"), S("Y"), S("n"), S("N"), S("yEs"), S("oN"), S("tRUE"),
    /* int */
    I("0", 0), I("-0", 0), I("+0", 0), I("12", 12), I("-12", -12), I("+7", 7),
    I("1_000", 1000), I("1__0", 10), I("1_", 1),
    I("0x1F", 31), I("0x1f", 31), I("-0x1", -1), I("0x_ff", 255), S("0x"), S("0X1F"),
    S("0x_"), /* PyYAML: an error (no digits) */
    I("0b101", 5), I("-0b1", -1), I("0b1_0", 2), S("0b"), S("0b2"),
    I("010", 8), I("007", 7), I("00", 0), I("0_", 0), I("-010", -8), S("08"), S("09"), S("0_8"),
    I("0o17", 15), /* OURS: YAML 1.2 octal; PyYAML: the string '0o17' */
    I("9223372036854775807", 9223372036854775807.0), I("-9223372036854775808", -9223372036854775808.0),
    S("_1"), S("1_a"), S("+"),
    /* base 60: PyYAML reads 1:30 as 90 and 1:30.5 as 90.5 */
    S("1:30"), S("190:20:30"), S("1:30.5"), S("-1:30"), /* OURS */
    /* float */
    F("1.0", 1.0), F("1.", 1.0), F("1._", 1.0), F(".5", 0.5), F("1.5", 1.5), F("-2.5", -2.5),
    F("1_000.5", 1000.5), F("0.1_5", 0.15), F("01.5", 1.5),
    F("1.0e-3", 1e-3), F("1.0E+3", 1e3), F("-2.5E+2", -250.0), F(".5e-1", 0.05),
    F("1e-3", 1e-3),  /* OURS: PyYAML needs a dot: the string '1e-3' */
    F("1e3", 1e3),    /* OURS: PyYAML: '1e3' */
    F("1.0e3", 1e3),  /* OURS: PyYAML needs the exponent's sign: '1.0e3' */
    F("-.5", -0.5),   /* OURS: PyYAML: '-.5' */
    F("+.5e1", 5.0),  /* OURS */
    F(".inf", INFINITY), F(".Inf", INFINITY), F(".INF", INFINITY), F("+.inf", INFINITY),
    F("-.inf", -INFINITY), F("-.INF", -INFINITY),
    F(".nan", NAN), F(".NaN", NAN), F(".NAN", NAN),
    S("-.nan"), S(".nAn"), S("nan"), S("inf"), S("infinity"), S("."), S("._5"), S("1.2.3"),
    S("1e"), S("1e+"), S("e3"), S("1.0e3_0"), S("0x1.8p3"),
    /* dates: PyYAML makes date objects, which Forgather rejects; OURS: the text */
    S("2024-01-01"), S("2024-1-1"), S("2001-12-14t21:59:43.10-05:00"),
    /* other */
    S("="), S("<<x"), S("text with spaces"),
};

static const char *type_name(fg_node_type t) { return fg_node_type_name(t); }

static void test_table(void) {
    for (size_t k = 0; k < sizeof TABLE / sizeof TABLE[0]; k++) {
        const row *r = &TABLE[k];
        char yaml[128];
        snprintf(yaml, sizeof yaml, "v: %s\n", r->text);
        fg_config *cfg = NULL;
        fg_error err = {0, {0}};
        fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err);
        CHECK_MSG(st == FG_OK, "'%s': %s", r->text, err.msg);
        if (st != FG_OK) continue;
        const fg_node *v = fg_node_get(fg_config_root(cfg), "v");
        CHECK_MSG(v != NULL && v->type == r->type, "'%s': expected %s, got %s", r->text,
                  type_name(r->type), v ? type_name(v->type) : "nothing");
        if (v != NULL && v->type == r->type) {
            switch (r->type) {
            case FG_NODE_STR: CHECK_MSG(strcmp(v->s, r->text) == 0, "'%s': '%s'", r->text, v->s); break;
            case FG_NODE_BOOL: CHECK_MSG(v->b == (r->value != 0), "'%s'", r->text); break;
            case FG_NODE_INT:
                CHECK_MSG((double)v->i == r->value, "'%s': %lld", r->text, (long long)v->i);
                CHECK(v->f == (double)v->i);
                break;
            case FG_NODE_FLOAT:
                CHECK_MSG(isnan(r->value) ? isnan(v->f) : v->f == r->value, "'%s': %g", r->text, v->f);
                break;
            default: break;
            }
            CHECK_MSG(strcmp(v->s, r->text) == 0, "'%s': source text kept", r->text);
        }
        fg_config_free(cfg);
    }
    /* the empty plain scalar is null too */
    fg_config *cfg = NULL;
    CHECK(fg_config_parse("v:\n", 3, "t.yaml", NULL, 0, &cfg, NULL) == FG_OK);
    if (cfg != NULL) CHECK(fg_node_get(fg_config_root(cfg), "v")->type == FG_NODE_NULL);
    fg_config_free(cfg);
}

/* Quoted and block scalars are strings whatever they look like. */
static void test_quoted(void) {
    const char *yaml = "a: ['yes', \"1e-3\", '0x1F', '~', \"2024-01-01\", ! on]\nb: |\n  yes\n";
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err) == FG_OK, "%s", err.msg);
    if (cfg == NULL) return;
    const fg_node *a = fg_node_get(fg_config_root(cfg), "a");
    for (size_t k = 0; k < a->n; k++) CHECK_MSG(a->items[k]->type == FG_NODE_STR, "item %zu", k);
    CHECK(strcmp(fg_node_get(fg_config_root(cfg), "b")->s, "yes\n") == 0);
    fg_config_free(cfg);
}

static void expect_parse_error(int line, const char *yaml, const char *fragment) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    fg_status st = fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err);
    CHECK_MSG(st == FG_E_PARSE && cfg == NULL, "line %d: status %d", line, st);
    CHECK_MSG(strstr(err.msg, fragment) != NULL && strncmp(err.msg, "t.yaml:1:", 9) == 0,
              "line %d: '%s' not in: %s", line, fragment, err.msg);
    fg_config_free(cfg);
}

/* Standard tags force a type: the 1.1 forms count, and a misfit is an error. */
static void test_forced(void) {
    const char *yaml = "a: [!!bool yes, !!bool Off, !!int 0b11, !!int 1_0, !!float 2, "
                       "!!float 1e-3, !!str yes, !!str 12, !!null x]\n";
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err) == FG_OK, "%s", err.msg);
    if (cfg == NULL) return;
    fg_node **it = fg_node_get(fg_config_root(cfg), "a")->items;
    CHECK(it[0]->type == FG_NODE_BOOL && it[0]->b && it[1]->type == FG_NODE_BOOL && !it[1]->b);
    CHECK(it[2]->type == FG_NODE_INT && it[2]->i == 3 && it[3]->i == 10);
    CHECK(it[4]->type == FG_NODE_FLOAT && it[4]->f == 2.0);
    CHECK(it[5]->type == FG_NODE_FLOAT && it[5]->f == 1e-3);
    CHECK(it[6]->type == FG_NODE_STR && it[7]->type == FG_NODE_STR && it[8]->type == FG_NODE_NULL);
    fg_config_free(cfg);

    expect_parse_error(__LINE__, "a: !!bool y\n", "is not a boolean");
    expect_parse_error(__LINE__, "a: !!int 1:30\n", "not an integer");
    expect_parse_error(__LINE__, "a: !!int 08\n", "not an integer");
    expect_parse_error(__LINE__, "a: !!float 1:30.5\n", "not a number");
    expect_parse_error(__LINE__, "a: 0x1_0000_0000_0000_0000\n", "does not fit in 64 bits");
    expect_parse_error(__LINE__, "a: 0b1" "0000000000" "0000000000" "0000000000" "0000000000"
                                 "0000000000" "0000000000" "000\n",
                       "does not fit");
    expect_parse_error(__LINE__, "a: 1_0e999\n", "too large for a double");
}

/* Writing scalars back: floats keep a '.', which PyYAML needs; a string is written plain
 * only when it would read back as the same string (here and in PyYAML). */
static void test_writers(void) {
    const struct {
        double f;
        const char *text;
    } floats[] = {{1e-5, "1.0e-05"}, {3.0, "3.0"}, {0.1, "0.1"}, {-2.5e300, "-2.5e+300"},
                  {1e22, "1.0e+22"}, {INFINITY, ".inf"}, {-INFINITY, "-.inf"}, {NAN, ".nan"},
                  {0.3, "0.3"}};
    for (size_t k = 0; k < sizeof floats / sizeof floats[0]; k++) {
        char buf[64];
        fgc_format_float(floats[k].f, buf, sizeof buf);
        CHECK_MSG(strcmp(buf, floats[k].text) == 0, "%g -> %s (want %s)", floats[k].f, buf,
                  floats[k].text);
    }
    const char *plain[] = {"abc", "main.model", "t.yaml:3:4", "y", "n", "--set:1:1", "nan", ".x"};
    const char *quoted[] = {"yes", "1e-3", "12", "1:30", "2024-01-01", "~", "", "null", "=",
                            "<<", ".inf", "-1", "+1:30", ".5", "0o17"};
    for (size_t k = 0; k < sizeof plain / sizeof *plain; k++)
        CHECK_MSG(fgc_scalar_plain_ok(plain[k]), "'%s' should be plain", plain[k]);
    for (size_t k = 0; k < sizeof quoted / sizeof *quoted; k++)
        CHECK_MSG(!fgc_scalar_plain_ok(quoted[k]), "'%s' should be quoted", quoted[k]);
}

int main(void) {
    test_table();
    test_quoted();
    test_forced();
    test_writers();
    return fg_test_finish("test_yaml11");
}
