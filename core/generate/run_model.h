/* A trained run's model and tokenizer, rebuilt from the run's records without training:
 * config.effective.yaml (the config as the run used it, after --set and --var) gives
 * main.model and main.tokenizer, run.json's config_dir the base of its relative paths,
 * and a checkpoint the weights. */
#ifndef FG_CORE_RUN_MODEL_H
#define FG_CORE_RUN_MODEL_H

#include "config/objects.h"
#include "plugin/registry.h"

#include <forgather/fg_components.h>

typedef struct fg_run_model {
    fg_registry registry;
    fg_config *config;
    fg_objects *objects;
    void *model; /* owned by objects */
    const fg_model_vtbl *model_vt;
    void *tokenizer;
    const fg_tokenizer_vtbl *tok_vt;
    char weights[4200]; /* the safetensors file the parameters came from */
} fg_run_model;

/* Loads the plugins (plugin_dirs searched first), builds the model and the tokenizer of
 * the run at run_dir and fills the model's parameters from `checkpoint` (a checkpoint
 * directory, or a run directory standing for its `latest`), or by default from the run's
 * final model.safetensors, else its `latest` checkpoint. Errors name the file or entry at
 * fault. *m must be zeroed; free it with fg_run_model_free, also after an error. */
fg_status fg_run_model_load(fg_run_model *m, const char *run_dir, const char *checkpoint,
                            const char *const *plugin_dirs, size_t n_plugin_dirs, fg_error *err);
void fg_run_model_free(fg_run_model *m);

/* main.model and main.tokenizer of an object graph, built (singletons once), with
 * vtables that have every slot generation calls; `file` names the config in errors. */
fg_status fg_build_main_model(fg_objects *objects, const char *file, void **model, const fg_model_vtbl **model_vt,
                              void **tokenizer, const fg_tokenizer_vtbl **tok_vt, fg_error *err);

#endif
