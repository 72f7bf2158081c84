/* The code generator's pieces that every generated file depends on compiling: names
 * become C identifiers (keywords and clashes with the project's own files avoided), text
 * inside comments and string literals cannot end them, templates fill only their keys;
 * and the host services refuse misuse with an error that says what went wrong. (The
 * whole path, config to compiled program, is tests/py/test_codegen.py.) */
#include "codegen/codegen_internal.h"

#include <stdlib.h>
#include <string.h>

#include "fg_test.h"

static void check_identifier(const char *in, const char *want) {
    char out[64];
    cg_identifier(in, out, sizeof out);
    CHECK_MSG(strcmp(out, want) == 0, "cg_identifier(\"%s\") = \"%s\", want \"%s\"", in, out, want);
}

static void check_name(const char *stem, const char *want) {
    char out[64];
    fg_codegen_name(stem, out, sizeof out);
    CHECK_MSG(strcmp(out, want) == 0, "fg_codegen_name(\"%s\") = \"%s\", want \"%s\"", stem, out, want);
}

static void check_text(void (*fn)(cg_text *, const char *), const char *in, const char *want) {
    cg_text t = {0};
    fn(&t, in);
    CHECK_MSG(t.s != NULL && strcmp(t.s, want) == 0, "\"%s\" -> \"%s\", want \"%s\"", in, t.s ? t.s : "", want);
    cg_text_free(&t);
}

static void names(void) {
    check_identifier("blocks.0.attn", "blocks_0_attn");
    check_identifier("0x", "n0x");
    check_identifier("int", "int_");
    check_identifier("a-b c", "a_b_c");
    check_identifier("", "_");
    check_name("rope-gqa", "rope_gqa");
    check_name("main", "main_model");            /* main.c is taken */
    check_name("fgc_runtime", "fgc_runtime_model"); /* so are the runtime's files */
    check_name("baseline", "baseline");
}

static void text(void) {
    check_text(cg_comment_text, "a */ b /* c\nd", "a * / b / * c d");
    check_text(cg_string_literal, "a\"b\\c?\?=\n", "\"a\\\"b\\\\c\\?\\?=\\012\"");
    const char *const pairs[][2] = {{"name", "rope"}, {"NAME", "ROPE"}};
    const char *tmpl = "$@ @name@.c @NAME@_H @other@ @name";
    cg_text t = {0};
    cg_expand(&t, tmpl, strlen(tmpl), pairs, 2);
    CHECK_MSG(t.s != NULL && strcmp(t.s, "$@ rope.c ROPE_H @other@ @name") == 0, "cg_expand: \"%s\"", t.s);
    cg_text_free(&t);
}

/* The services need an emit_code running; outside one, or misused, they fail once and
 * keep that first error. */
static void services(void) {
    fg_codegen cg = {0};
    fg_error err = {0};
    fg_codegen_printf(&cg, "    int x;\n");
    CHECK(cg.failed && strstr(cg.err.msg, "code_printf: called outside emit_code") != NULL);
    CHECK(fg_codegen_call(&cg, &cg, "x", "y", &err) != FG_OK && strcmp(err.msg, cg.err.msg) == 0);
    CHECK(fg_codegen_param(&cg, NULL) == NULL);

    fg_codegen h = {0};
    CHECK(fg_codegen_helper(&h, "rope_table", "static int t;\n", &err) == FG_OK);
    CHECK(fg_codegen_helper(&h, "rope_table", "static int t;\n", &err) == FG_OK); /* asked again: once */
    CHECK(h.helpers.s != NULL && strcmp(h.helpers.s, "static int t;\n\n") == 0);
    CHECK(fg_codegen_helper(&h, "rope_table", "static int u;\n", &err) != FG_OK &&
          strstr(err.msg, "two definitions of helper 'rope_table' differ") != NULL);
    cg_text_free(&h.helpers);
    for (size_t i = 0; i < h.n_helpers; i++) {
        free(h.helper_defs[i][0]);
        free(h.helper_defs[i][1]);
    }
    free(h.helper_defs);
}

int main(void) {
    names();
    text();
    services();
    return fg_test_finish("test_codegen");
}
