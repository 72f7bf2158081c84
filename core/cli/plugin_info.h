/* How fgrun shows a plugin's factories and their parameter specs, shared by
 * `fgrun plugins` and `fgrun plugin check` so both print the same thing. */
#ifndef FG_CLI_PLUGIN_INFO_H
#define FG_CLI_PLUGIN_INFO_H

#include <cjson/cJSON.h>
#include <forgather/plugin.h>

/* "  [kind] name: doc" and one line per parameter (nested fields indented). */
void fg_cli_print_factory(const fg_factory_desc *f);
/* {name, kind, doc, parameters: [...]}; NULL when out of memory. */
cJSON *fg_cli_factory_json(const fg_factory_desc *f);

#endif
