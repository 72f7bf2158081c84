#include "generate/run_model.h"

#include "host/host_api.h"
#include "io/load_tensors.h"
#include "run/read_file.h"
#include "run/run.h"
#include "run/run_info.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Relative paths of the config (a tokenizer's files) are taken from where the run's
 * config was: run.json's config_dir, else the run directory. */
static fg_status set_base_dir(const char *run_dir, fg_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/run.json", run_dir);
    cJSON *run_json = NULL;
    fg_status st = fg_run_read_json_object(path, &run_json, err);
    if (st != FG_OK) return st;
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(run_json, "config_dir");
    fg_host_set_base_dir(cJSON_IsString(dir) ? dir->valuestring : run_dir);
    cJSON_Delete(run_json);
    return FG_OK;
}

static fg_status weights_path(const char *run_dir, const char *checkpoint, char *out, size_t cap, fg_error *err) {
    char dir[4096];
    if (checkpoint == NULL) {
        snprintf(out, cap, "%s/model.safetensors", run_dir); /* written last: the newest weights */
        if (access(out, F_OK) == 0) return FG_OK;
        char latest[4200];
        snprintf(latest, sizeof latest, "%s/latest", run_dir);
        if (access(latest, F_OK) != 0)
            return fg_error_set(err, FG_E_NOT_FOUND,
                                "%s: no weights: neither model.safetensors (args.save_model) nor a `latest` "
                                "checkpoint (args.save_steps)", run_dir);
        checkpoint = run_dir;
    }
    fg_status st = fg_run_find_checkpoint(checkpoint, dir, sizeof dir, err);
    if (st == FG_OK) snprintf(out, cap, "%s/model.safetensors", dir);
    return st;
}

fg_status fg_build_main_model(fg_objects *objects, const char *file, void **model, const fg_model_vtbl **model_vt,
                              void **tokenizer, const fg_tokenizer_vtbl **tok_vt, fg_error *err) {
    fg_status st = fg_objects_build(objects, "main.model", FG_KIND_MODEL, model, err);
    if (st == FG_OK) st = fg_objects_build(objects, "main.tokenizer", FG_KIND_TOKENIZER, tokenizer, err);
    if (st != FG_OK) return st;
    *model_vt = *(const fg_model_vtbl *const *)*model;
    *tok_vt = *(const fg_tokenizer_vtbl *const *)*tokenizer;
    /* max_seq_len and decode are the last slots generation calls (emit_code, after them,
     * is optional) */
    if ((*model_vt)->base.struct_size < FG_VTBL_THROUGH(fg_model_vtbl, max_seq_len) ||
        (*tok_vt)->base.struct_size < FG_VTBL_THROUGH(fg_tokenizer_vtbl, decode))
        return fg_error_set(err, FG_E_ABI, "%s: main.model or main.tokenizer has a vtable older than this host's",
                            file);
    return FG_OK;
}

static fg_status build(fg_run_model *m, const char *file, fg_error *err) {
    fg_status st = fg_objects_create(&m->registry, m->config, &m->objects, err);
    if (st == FG_OK) st = fg_build_main_model(m->objects, file, &m->model, &m->model_vt, &m->tokenizer, &m->tok_vt, err);
    return st;
}

fg_status fg_run_model_load(fg_run_model *m, const char *run_dir, const char *checkpoint,
                            const char *const *plugin_dirs, size_t n_plugin_dirs, fg_error *err) {
    struct stat sb;
    if (stat(run_dir, &sb) != 0) return fg_error_set(err, FG_E_NOT_FOUND, "%s: %s", run_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode) || !fg_run_dir_is_run(run_dir))
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: not a run directory (no run.json)", run_dir);
    char file[4200];
    snprintf(file, sizeof file, "%s/config.effective.yaml", run_dir);
    fg_status st = weights_path(run_dir, checkpoint, m->weights, sizeof m->weights, err);
    if (st == FG_OK) st = set_base_dir(run_dir, err);
    if (st == FG_OK) st = fg_registry_init(&m->registry, plugin_dirs, n_plugin_dirs, err);
    if (st == FG_OK) st = fg_registry_load_all(&m->registry, err);
    if (st == FG_OK) st = fg_config_load_file(file, NULL, 0, &m->config, err);
    if (st == FG_OK) st = build(m, file, err);
    fg_scope *scope = st == FG_OK ? fg_objects_scope_of(m->model) : NULL;
    if (st == FG_OK && scope == NULL)
        st = fg_error_set(err, FG_E_INTERNAL, "%s: main.model has no parameter scope", file);
    uint64_t n = 0;
    fg_tensor *const *params = NULL;
    if (st == FG_OK) st = fg_scope_params(scope, &n, &params, err);
    if (st == FG_OK) st = fg_load_tensors(m->weights, n, params, err);
    return st;
}

void fg_run_model_free(fg_run_model *m) {
    fg_objects_free(m->objects);
    fg_config_free(m->config);
    fg_registry_free(&m->registry);
    memset(m, 0, sizeof *m);
}
