/* YAML merge keys (`<<: *base`, `<<: [*a, *b]`). Like PyYAML, only the pairs of the
 * source mappings are merged, whatever tag those mappings carry, so a tagged anchor such
 * as `&info !dict {...}` can be reused as keyword arguments. Explicit keys always win;
 * among sources, the first listed wins. Order: merged keys first (in source order), then
 * the explicit keys that were not merged. The value nodes are shared, not copied, so an
 * aliased singleton stays one object. */
#include "config/config_internal.h"

#include <string.h>

fg_status fgc_merge_apply(fgc_arena *a, fg_node *const *sources, size_t n_sources,
                          const fgc_pairs *explicit_pairs, fgc_pairs *out,
                          const fg_loc *map_loc, fg_error *err) {
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < n_sources; s++) {
        const fg_node *src = sources[s];
        for (size_t k = 0; k < src->n; k++) {
            if (fgc_pairs_find(out, src->keys[k]) >= 0) continue;
            if (!fgc_pairs_push(a, out, src->keys[k], src->key_locs[k], src->items[k]))
                return fgc_nomem(err, map_loc);
        }
    }
    for (size_t k = 0; k < explicit_pairs->n; k++) {
        const char *key = explicit_pairs->keys[k];
        long at = fgc_pairs_find(out, key);
        if (at >= 0) {
            out->locs[at] = explicit_pairs->locs[k];
            out->items[at] = explicit_pairs->items[k];
        } else if (!fgc_pairs_push(a, out, key, explicit_pairs->locs[k],
                                   explicit_pairs->items[k])) {
            return fgc_nomem(err, map_loc);
        }
    }
    return FG_OK;
}
