/* A plugin that claims a newer ABI major than the host: the host must refuse it and
 * name both versions. Written without FG_PLUGIN_DEFINE, which always uses this SDK's
 * version. */
#include <forgather/plugin.h>

static const fg_plugin_desc descriptor = {
    sizeof(fg_plugin_desc), FG_ABI_MAJOR + 1, 0, "newer_abi", "9.0.0", "from the future", "MIT",
    0, 0, NULL};

FG_EXPORT const fg_plugin_desc *fg_plugin_entry(const fg_host_info *host, fg_error *err) {
    (void)host;
    (void)err;
    return &descriptor;
}
