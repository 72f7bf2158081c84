/* A plugin whose factory name collides with the built-in `adamw`: a bare reference must
 * then be reported as ambiguous, naming both plugins and their files. */
#include <forgather/plugin.h>

static fg_status create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    fg_api->error_set(err, FG_E_UNSUPPORTED, "duplicate_factory.adamw is a test stub");
    return FG_E_UNSUPPORTED;
}

static const fg_factory_desc factories[] = {
    FG_FACTORY_NOPARAMS(FG_KIND_OPTIMIZER, "adamw", "collides with the built-in adamw", create),
};

FG_PLUGIN_DEFINE("duplicate_factory", "0.0.1", "test plugin with a colliding factory name", "MIT", factories)
