/* toyaml internals shared by tpl_toyaml.c (emitter) and tpl_yaml_scalar.c (scalar rules). */
#ifndef FG_CORE_TPL_YAML_H
#define FG_CORE_TPL_YAML_H

#include "template/tpl_impl.h"

/* Which styles PyYAML allows for a scalar (allow_unicode=True). */
typedef struct tpl_yaml_analysis {
    bool empty, multiline, flow_plain, block_plain, single_quoted;
} tpl_yaml_analysis;

void tpl_yaml_analyze(const uint32_t *s, size_t n, tpl_yaml_analysis *a);
/* True when the plain text would resolve to int, float, bool, null, timestamp ... */
bool tpl_yaml_resolves_non_str(const char *s, size_t n);
static inline bool tpl_yaml_is_break(uint32_t c) { return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }

#endif
