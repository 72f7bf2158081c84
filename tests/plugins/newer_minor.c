/* A plugin built for a newer minor ABI than the host: it may use host slots the host
 * lacks, so the host must refuse it and name both versions. */
#include <forgather/plugin.h>

static const fg_plugin_desc descriptor = {
    sizeof(fg_plugin_desc), FG_ABI_MAJOR, FG_ABI_MINOR + 1, "newer_minor", "1.0.0",
    "built against a newer SDK", "MIT", 0, 0, NULL};

FG_EXPORT const fg_plugin_desc *fg_plugin_entry(const fg_host_info *host, fg_error *err) {
    (void)host;
    (void)err;
    return &descriptor;
}
