/* A plugin built against ABI 1.0, before the host's tables grew: the host must accept it
 * (minor versions only append). Its descriptor is written out as 1.0 would have it. */
#include <forgather/plugin.h>

const fg_host_api *fg_api;

static fg_status create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    fg_api->error_set(err, FG_E_UNSUPPORTED, "older_minor.legacy is a test stub");
    return FG_E_UNSUPPORTED;
}

static const fg_factory_desc factories[] = {
    FG_FACTORY_NOPARAMS(FG_KIND_TOKENIZER, "legacy", "a factory from an ABI 1.0 plugin", create),
};

static const fg_plugin_desc descriptor = {
    sizeof(fg_plugin_desc), 1, 0, "older_minor", "0.9.0", "built against SDK 1.0", "MIT", 1, 0, factories};

FG_EXPORT const fg_plugin_desc *fg_plugin_entry(const fg_host_info *host, fg_error *err) {
    if (host->abi_major != 1) return &descriptor;
    fg_api = host->api;
    return &descriptor;
}
