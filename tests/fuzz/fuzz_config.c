/* Fuzz target for the YAML configuration loader: parse arbitrary bytes (with a few
 * variables defined), apply fixed --set overrides, touch every node, free. When the
 * input starts with the comment line "#=PATH=VALUE", that assignment is applied too, so
 * the fuzzer can explore --set paths (the comment leaves the YAML unchanged).
 * Besides crashes and leaks it checks the error contract: a failure always comes with a
 * matching code and a message that starts with the file name ("FILE:LINE:COL: "). */
#include "config/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const fg_var VARS[] = {
    {"lr", "1e-3"},
    {"x", "[1, {a: 2}]"},
    {"obj", "!singleton:thing@var_obj {k: 1}"},
    {"bad", "[1,"},
    {"nested", "!var lr"},          /* !var inside a value: an error */
    {"empty", ""},                  /* null */
    {"dup", "{a: 1, a: 2}"},        /* errors inside a value */
    {"deep", "[[[[[[[[[[1]]]]]]]]]]"},
};

/* Reads every field of every reachable node, bounded so alias graphs stay cheap; with
 * AddressSanitizer this catches dangling or half-built nodes. */
static size_t touch(const fg_node *n, size_t budget) {
    if (budget == 0 || n == NULL) return 0;
    size_t used = 1;
    volatile size_t sink = n->loc.file ? strlen(n->loc.file) : 0;
    if (n->s) sink += strlen(n->s);
    if (n->ref) sink += strlen(n->ref);
    if (n->identity) sink += strlen(n->identity);
    if (n->type == FG_NODE_LIST || n->type == FG_NODE_MAP) {
        for (size_t k = 0; k < n->n && used < budget; k++) {
            if (n->type == FG_NODE_MAP) sink += strlen(n->keys[k]) + (size_t)n->key_locs[k].line;
            used += touch(n->items[k], budget - used);
        }
    }
    (void)sink;
    return used;
}

static void check_error(fg_status st, const fg_error *err, const char *prefix) {
    if (st == FG_OK) return;
    if (err->code != st || err->msg[0] == '\0') abort();
    if (memchr(err->msg, '\0', sizeof err->msg) == NULL) abort();
    if (st == FG_E_PARSE && prefix != NULL && strncmp(err->msg, prefix, strlen(prefix)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fg_config *cfg = NULL;
    fg_error err;
    memset(&err, 0, sizeof err);
    fg_status st = fg_config_parse((const char *)data, size, "fuzz.yaml", VARS,
                                   sizeof VARS / sizeof VARS[0], &cfg, &err);
    check_error(st, &err, "fuzz.yaml:");
    if (st != FG_OK) return 0;
    if (cfg == NULL || fg_config_root(cfg) == NULL) abort();
    touch(fg_config_root(cfg), 100000);
    st = fg_config_set(cfg, "a.b=[1, {c: !var x}, !partial:f@id {}]", &err);
    check_error(st, &err, NULL);
    if (size > 2 && data[0] == '#' && data[1] == '=') {
        size_t end = 2;
        while (end < size && data[end] != '\n' && data[end] != '\0') end++;
        char assignment[512];
        size_t len = end - 2 < sizeof assignment - 1 ? end - 2 : sizeof assignment - 1;
        memcpy(assignment, data + 2, len);
        assignment[len] = '\0';
        st = fg_config_set(cfg, assignment, &err);
        check_error(st, &err, NULL);
        touch(fg_config_root(cfg), 100000);
    }
    st = fg_config_set(cfg, "main.0=*nope", &err); /* always an error */
    if (st == FG_OK) abort();
    check_error(st, &err, NULL);
    touch(fg_config_root(cfg), 100000);
    /* The effective config must read back and write out to the same text. */
    char *text1 = NULL, *text2 = NULL;
    fg_config *again = NULL;
    if (fg_config_emit(cfg, &text1, &err) != FG_OK) abort();
    st = fg_config_parse(text1, strlen(text1), "emitted.yaml", NULL, 0, &again, &err);
    if (st != FG_OK) {
        fprintf(stderr, "emitted config does not parse: %s\n%s\n", err.msg, text1);
        abort();
    }
    if (fg_config_emit(again, &text2, &err) != FG_OK || strcmp(text1, text2) != 0) {
        fprintf(stderr, "emit(parse(emit(x))) differs:\n%s\n---\n%s\n", text1, text2 ? text2 : "");
        abort();
    }
    free(text1);
    free(text2);
    fg_config_free(again);
    fg_config_free(cfg);
    return 0;
}
