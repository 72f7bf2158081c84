/* fg_config_emit: the effective config reads back as the same tree. Emitting, parsing the
 * text and emitting again gives the same text; types, values, tags and the sharing of
 * anchored nodes survive; strings that look like other types stay strings. */
#include "config/config.h"
#include "fg_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *source =
    "seed: 7\n"
    ".define:\n"
    "  tok: &tok !singleton:byte_tokenizer {}\n"
    "  base: &base { lr: 1.0e-3, betas: [0.9, 0.95] }\n"
    "model: &model !singleton:causal_lm@main_model\n"
    "  d_model: 64\n"
    "  block: !partial:pre_norm_block\n"
    "    attention: !partial:multihead { num_heads: 4 }\n"
    "main: !singleton:simple\n"
    "  model: *model\n"
    "  tokenizer: *tok\n"
    "  other_tokenizer: *tok\n"
    "  optimizer: !partial:adamw { <<: *base, weight_decay: 0 }\n"
    "  bare: !factory:thing\n"
    "  strings: ['true', '1', '~', 'null', 'a: b', '#x', \"two\\nlines\", '', '1e-3', ' pad ']\n"
    "  numbers: [1e-3, 0.1, .inf, -.inf, 3, -0, 1.0e+300, 2.5e-310]\n"
    "  flags: [true, false, null]\n"
    "  name: !var { name: who, default: anonymous }\n";

static int emit_text(const fg_config *cfg, char **out) {
    fg_error err;
    if (fg_config_emit(cfg, out, &err) != FG_OK) {
        fprintf(stderr, "emit: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int main(void) {
    fg_error err;
    fg_config *a = NULL, *b = NULL;
    fg_var vars[] = {{"who", "\"ada\""}};
    CHECK_MSG(fg_config_parse(source, strlen(source), "src.yaml", vars, 1, &a, &err) == FG_OK, "%s", err.msg);
    CHECK_MSG(fg_config_set(a, "main.optimizer.lr=2.0e-3", &err) == FG_OK, "%s", err.msg);
    char *text1 = NULL, *text2 = NULL;
    CHECK(emit_text(a, &text1) == 0);
    CHECK_MSG(fg_config_parse(text1, strlen(text1), "effective.yaml", NULL, 0, &b, &err) == FG_OK, "%s\n%s",
              err.msg, text1);
    CHECK(emit_text(b, &text2) == 0);
    CHECK_MSG(text1 && text2 && strcmp(text1, text2) == 0, "emit(parse(emit(x))) != emit(x):\n%s\n---\n%s",
              text1, text2);

    const fg_node *main_node = fg_node_get(fg_config_root(b), "main");
    CHECK(main_node != NULL && main_node->ctor == FG_CTOR_SINGLETON && strcmp(main_node->ref, "simple") == 0);
    const fg_node *model = fg_node_get(main_node, "model");
    CHECK(model == fg_node_get(fg_config_root(b), "model")); /* alias kept: same object */
    CHECK(model->identity && strcmp(model->identity, "main_model") == 0);
    CHECK(fg_node_get(main_node, "tokenizer") == fg_node_get(main_node, "other_tokenizer"));
    const fg_node *opt = fg_node_get(main_node, "optimizer");
    CHECK(opt->ctor == FG_CTOR_PARTIAL && fg_node_get(opt, "lr")->type == FG_NODE_FLOAT &&
          fg_node_get(opt, "lr")->f == 2.0e-3 && fg_node_get(opt, "betas")->n == 2);
    CHECK(fg_node_get(main_node, "bare")->ctor == FG_CTOR_FACTORY);
    const fg_node *strings = fg_node_get(main_node, "strings");
    const char *want[] = {"true", "1", "~", "null", "a: b", "#x", "two\nlines", "", "1e-3", " pad "};
    CHECK(strings->n == 10);
    for (size_t i = 0; i < strings->n && i < 10; i++)
        CHECK_MSG(strings->items[i]->type == FG_NODE_STR && strcmp(strings->items[i]->s, want[i]) == 0,
                  "string %zu came back as type %d '%s'", i, strings->items[i]->type, strings->items[i]->s);
    const fg_node *numbers = fg_node_get(main_node, "numbers");
    const double nums[] = {1e-3, 0.1, INFINITY, -INFINITY};
    for (size_t i = 0; i < 4; i++)
        CHECK(numbers->items[i]->type == FG_NODE_FLOAT && numbers->items[i]->f == nums[i]);
    CHECK(numbers->items[4]->type == FG_NODE_INT && numbers->items[4]->i == 3);
    CHECK(numbers->items[6]->f == 1.0e+300 && numbers->items[7]->f == 2.5e-310); /* exact round trip */
    const fg_node *flags = fg_node_get(main_node, "flags");
    CHECK(flags->items[0]->type == FG_NODE_BOOL && flags->items[0]->b && flags->items[2]->type == FG_NODE_NULL);
    CHECK(strcmp(fg_node_get(main_node, "name")->s, "ada") == 0);
    CHECK(fg_node_get(fg_config_root(b), ".define") == NULL);
    free(text1);
    free(text2);
    fg_config_free(a);
    fg_config_free(b);
    return fg_test_finish("test_config_emit");
}
