/* The simple trainer: single process, one batch per step, no accumulation. Its config
 * is read here, in create (config values are only valid during create); the run itself
 * is in loop.c, validation in eval.c, the closing sample in sample.c. */
#include "trainer.h"

#include <math.h>
#include <string.h>

static void trainer_destroy(void *self) {
    simple_trainer *t = self;
    if (t == NULL) return;
    /* model, datasets, tokenizer, optimizer and schedule belong to the host */
    if (t->g != NULL) fg_api->graph_free(t->g);
    fg_api->free(t->window);
    fg_api->free(t->offsets);
    fg_api->free(t->a.sample_prompt);
    fg_api->free(t->callback_vts);
    fg_api->free(t);
}

static const fg_trainer_vtbl trainer_vtbl = {
    .base = {sizeof(fg_trainer_vtbl), FG_KIND_TRAINER, trainer_destroy},
    .train = trainer_train,
};

fg_status trainer_object_vt(void *obj, int32_t kind, uint32_t min_size, const char *key,
                            const void **vt, fg_error *err) {
    const fg_vtbl_header *h = obj != NULL ? *(const fg_vtbl_header *const *)obj : NULL;
    if (h == NULL || h->kind != kind || h->struct_size < min_size) {
        fg_api->error_set(err, FG_E_TYPE,
                          "simple: '%s' is not an object of kind %d with a complete vtable", key,
                          (int)kind);
        return FG_E_TYPE;
    }
    *vt = h;
    return FG_OK;
}

/* Builds (through the host) the object under `key` and checks its vtable. `optional`
 * leaves *obj NULL when the key is absent. */
static fg_status get_object(const fg_params *params, const char *key, int32_t kind,
                            uint32_t min_vt_size, int optional, void **obj, const void **vt,
                            fg_error *err) {
    *obj = NULL;
    *vt = NULL;
    if (optional && !fg_api->param_present(params, key)) return FG_OK;
    fg_status st = fg_api->param_object(params, key, obj, err);
    if (st != FG_OK) return st;
    return trainer_object_vt(*obj, kind, min_vt_size, key, vt, err);
}

static fg_status read_objects(simple_trainer *t, const fg_params *params, fg_error *err) {
    const void *vt = NULL;
    fg_status st;
    if ((st = get_object(params, "model", FG_KIND_MODEL, FG_VTBL_THROUGH(fg_model_vtbl, max_seq_len), 0, &t->model, &vt,
                         err)) != FG_OK)
        return st;
    t->model_vt = vt;
    if ((st = get_object(params, "tokenizer", FG_KIND_TOKENIZER, FG_VTBL_THROUGH(fg_tokenizer_vtbl, decode), 1,
                         &t->tokenizer, &vt, err)) != FG_OK)
        return st;
    t->tok_vt = vt;
    if ((st = get_object(params, "train_dataset", FG_KIND_DATASET, sizeof(fg_dataset_vtbl), 0,
                         &t->train_ds, &vt, err)) != FG_OK)
        return st;
    t->train_vt = vt;
    if ((st = get_object(params, "eval_dataset", FG_KIND_DATASET, sizeof(fg_dataset_vtbl), 1,
                         &t->eval_ds, &vt, err)) != FG_OK)
        return st;
    t->eval_vt = vt;
    if ((st = fg_api->param_partial(params, "optimizer", &t->optimizer, err)) != FG_OK) return st;
    if (t->optimizer == NULL) {
        fg_api->error_set(err, FG_E_NOT_FOUND, "simple: parameter 'optimizer' is missing");
        return FG_E_NOT_FOUND;
    }
    if (fg_api->param_present(params, "lr_scheduler") &&
        (st = fg_api->param_partial(params, "lr_scheduler", &t->lr_scheduler, err)) != FG_OK)
        return st;
    return FG_OK;
}

static fg_status read_args(trainer_args *a, const fg_params *params, fg_error *err) {
    const fg_params *m = NULL;
    int64_t seed = 0;
    const char *prompt = NULL;
    fg_status st;
    if ((st = fg_api->param_map(params, "args", &m, err)) != FG_OK) return st;
    if ((st = fg_api->param_int(m, "batch_size", &a->batch_size, err)) != FG_OK ||
        (st = fg_api->param_int(m, "seq_len", &a->seq_len, err)) != FG_OK ||
        (st = fg_api->param_int(m, "max_steps", &a->max_steps, err)) != FG_OK ||
        (st = fg_api->param_int(m, "eval_steps", &a->eval_steps, err)) != FG_OK ||
        (st = fg_api->param_int(m, "eval_batches", &a->eval_batches, err)) != FG_OK ||
        (st = fg_api->param_int(m, "logging_steps", &a->logging_steps, err)) != FG_OK ||
        (st = fg_api->param_float(m, "max_grad_norm", &a->max_grad_norm, err)) != FG_OK ||
        (st = fg_api->param_int(m, "seed", &seed, err)) != FG_OK ||
        (st = fg_api->param_int(m, "sample_tokens", &a->sample_tokens, err)) != FG_OK ||
        (st = fg_api->param_str(m, "sample_prompt", &prompt, err)) != FG_OK ||
        (st = fg_api->param_float(m, "temperature", &a->temperature, err)) != FG_OK ||
        (st = fg_api->param_bool(m, "save_model", &a->save_model, err)) != FG_OK ||
        (st = fg_api->param_bool(m, "progress", &a->progress, err)) != FG_OK ||
        (st = fg_api->param_int(m, "save_steps", &a->save_steps, err)) != FG_OK)
        return st;
    if (a->batch_size < 1 || a->max_steps < 1 || a->seq_len < 0 || a->eval_steps < 0 ||
        a->eval_batches < 0 || a->logging_steps < 0 || a->sample_tokens < 0) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: args need batch_size >= 1 and max_steps >= 1, and no negative "
                          "seq_len, eval_steps, eval_batches, logging_steps or sample_tokens");
        return FG_E_RANGE;
    }
    if (!(a->max_grad_norm >= 0.0) || !(a->temperature >= 0.0)) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: max_grad_norm (%g) and temperature (%g) must be >= 0",
                          a->max_grad_norm, a->temperature);
        return FG_E_RANGE;
    }
    a->seed = (uint64_t)seed;
    if (prompt == NULL) prompt = "";
    const size_t len = strlen(prompt);
    a->sample_prompt = fg_api->alloc(len + 1);
    if (a->sample_prompt == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory");
        return FG_E_NOMEM;
    }
    memcpy(a->sample_prompt, prompt, len + 1);
    return FG_OK;
}

static fg_status check_seq_len(const simple_trainer *t, fg_error *err) {
    const int64_t max_T = t->model_vt->max_seq_len(t->model);
    if (t->a.seq_len > max_T) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: seq_len %lld exceeds the model's max_seq_len %lld",
                          (long long)t->a.seq_len, (long long)max_T);
        return FG_E_RANGE;
    }
    return FG_OK;
}

static fg_status trainer_create(const fg_params *params, const fg_create_args *args, void **out,
                                fg_error *err) {
    simple_trainer *t = fg_api->alloc(sizeof(simple_trainer));
    if (t == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory");
        return FG_E_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->vt = &trainer_vtbl;
    fg_status st = read_args(&t->a, params, err);
    if (st == FG_OK) st = read_objects(t, params, err);
    if (st == FG_OK) st = callbacks_read(t, params, err);
    if (st == FG_OK) st = check_seq_len(t, err);
    if (st != FG_OK) {
        trainer_destroy(t);
        return st;
    }
    *out = t;
    return FG_OK;
}

static const fg_param_spec args_fields[] = {
    FG_SPEC_INT("batch_size", "8", 1, 1e6, "sequences per step"),
    FG_SPEC_INT("seq_len", "0", 0, 1e7, "tokens per sequence; 0 = the model's max_seq_len"),
    FG_SPEC_INT("max_steps", "1000", 1, 1e15, "optimizer updates to run"),
    FG_SPEC_INT("eval_steps", "100", 0, 1e15,
                "validate every this many steps; 0 = only at the end"),
    FG_SPEC_INT("eval_batches", "16", 0, 1e6,
                "batches per validation (fixed, evenly spaced windows); 0 = no validation"),
    FG_SPEC_INT("logging_steps", "10", 0, 1e15,
                "log (trainer_logs.json and the progress line) every this many steps; 0 = never"),
    FG_SPEC_FLOAT("max_grad_norm", "1.0", 0, INFINITY,
                  "clip the global gradient L2 norm to this; 0 = no clipping"),
    FG_SPEC_INT("seed", "42", 0, 9007199254740992.0,
                "seed of the batch sampler, dropout and the closing sample"),
    FG_SPEC_INT("sample_tokens", "200", 0, 1e6,
                "tokens to generate after training (needs a tokenizer); 0 = no sample"),
    FG_SPEC_STR("sample_prompt", "\"\"", NULL,
                "text the sample continues; empty = start from a newline"),
    FG_SPEC_FLOAT("temperature", "0.8", 0, 100, "sampling temperature; 0 = greedy"),
    FG_SPEC_BOOL("progress", "true",
                 "print the progress line and validation losses on stderr (false: leave it to a "
                 "callback such as progress)"),
    FG_SPEC_BOOL("save_model", "true",
                 "write <run_dir>/model.safetensors at the end (and when interrupted)"),
    FG_SPEC_INT("save_steps", "0", 0, 1e15,
                "write checkpoint-<step>/ every this many steps (0: only when interrupted); "
                "fgrun train --resume continues from one"),
};

static const fg_param_spec trainer_spec[] = {
    FG_SPEC_OBJECT("model", FG_KIND_MODEL, 1, "the model to train"),
    FG_SPEC_OBJECT("tokenizer", FG_KIND_TOKENIZER, 0,
                   "encodes sample_prompt and decodes the sample"),
    FG_SPEC_OBJECT("train_dataset", FG_KIND_DATASET, 1,
                   "token stream that training windows are drawn from at random"),
    FG_SPEC_OBJECT("eval_dataset", FG_KIND_DATASET, 0, "token stream for the validation loss"),
    FG_SPEC_PARTIAL("optimizer", FG_KIND_OPTIMIZER, 1,
                    "optimizer, created with the model's parameters"),
    FG_SPEC_PARTIAL("lr_scheduler", FG_KIND_LR_SCHEDULE, 0,
                    "multiplier of the base lr per step, created with total_steps = max_steps; "
                    "none = constant"),
    {"args", FG_PARAM_MAP, 0, 0, (uint32_t)(sizeof(args_fields) / sizeof(args_fields[0])), "{}", 1,
     0, "training settings", NULL, args_fields},
    FG_SPEC_OBJECT_LIST("callbacks", FG_KIND_CALLBACK,
                        "called at train begin/end, each step, log, evaluation and checkpoint, in "
                        "list order; they may ask for a checkpoint or an early stop "
                        "(trainer_logs.json and the progress line are always written)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_TRAINER, "simple",
               "Single-process trainer: random windows of the train set, AdamW-style "
               "optimizer step with gradient clipping and an LR schedule, periodic "
               "validation, logs, model.safetensors and a closing text sample.",
               trainer_spec, trainer_create),
};

FG_PLUGIN_DEFINE("simple_trainer", "0.1.0", "Simple single-process trainer", "MIT", factories)
