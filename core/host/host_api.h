/* The one fg_host_api table the core hands to every plugin. */
#ifndef FG_CORE_HOST_API_H
#define FG_CORE_HOST_API_H

#include <forgather/fg_host_api.h>

const fg_host_api *fg_host_api_table(void);
const fg_host_info *fg_host_info_get(void);
/* Where resolve_path() makes relative paths absolute (the config's directory). */
void fg_host_set_base_dir(const char *dir);
/* Seed for parameter initialisation. */
void fg_host_set_seed(uint64_t seed);
uint64_t fg_host_seed(void);

#endif
