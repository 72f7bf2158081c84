/* The trainer's side of callbacks: calls each listed callback's hook in order, merges
 * their requests (save, stop), and keeps their state in checkpoints (one file per
 * callback that has state: callback-<i>.safetensors). */
#define _POSIX_C_SOURCE 200809L /* access */
#include "trainer.h"

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* A hook is there when the callback's vtable reaches its slot and the slot is set. */
#define HAS_HOOK(vt, slot) \
    ((vt)->base.struct_size >= offsetof(fg_callback_vtbl, slot) + sizeof((vt)->slot) && (vt)->slot != NULL)

fg_status callbacks_read(simple_trainer *t, const fg_params *params, fg_error *err) {
    void *const *objs = NULL;
    uint64_t n = 0;
    fg_status st = fg_api->param_object_list(params, "callbacks", &objs, &n, err);
    if (st != FG_OK || n == 0) return st;
    t->callback_vts = fg_api->alloc(n * sizeof *t->callback_vts);
    if (t->callback_vts == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory");
        return FG_E_NOMEM;
    }
    for (uint64_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "callbacks[%llu]", (unsigned long long)i);
        const void *vt = NULL;
        if ((st = trainer_object_vt(objs[i], FG_KIND_CALLBACK, sizeof(fg_vtbl_header), key, &vt, err)) != FG_OK)
            return st;
        t->callback_vts[i] = vt;
    }
    t->callbacks = objs;
    t->n_callbacks = n;
    return FG_OK;
}

static fg_status named(fg_status st, uint64_t i, const char *hook, fg_error *err) {
    if (st != FG_OK) fg_api->log(FG_LOG_ERROR, "simple: callbacks[%llu].%s failed", (unsigned long long)i, hook);
    return st;
}

fg_status callbacks_emit(simple_trainer *t, fg_run *run, callback_event ev, const fg_train_state *state,
                         const fg_metrics *m, const char *checkpoint_dir, fg_train_control *ctl,
                         fg_error *err) {
    fg_status st = FG_OK;
    for (uint64_t i = 0; i < t->n_callbacks && st == FG_OK; i++) {
        const fg_callback_vtbl *vt = t->callback_vts[i];
        void *cb = t->callbacks[i];
        switch (ev) {
        case CALLBACK_TRAIN_BEGIN:
            if (HAS_HOOK(vt, on_train_begin)) st = named(vt->on_train_begin(cb, run, state, err), i, "on_train_begin", err);
            break;
        case CALLBACK_STEP_END:
            if (HAS_HOOK(vt, on_step_end)) st = named(vt->on_step_end(cb, run, state, ctl, err), i, "on_step_end", err);
            break;
        case CALLBACK_LOG:
            if (HAS_HOOK(vt, on_log)) st = named(vt->on_log(cb, run, state, m, ctl, err), i, "on_log", err);
            break;
        case CALLBACK_EVALUATE:
            if (HAS_HOOK(vt, on_evaluate)) st = named(vt->on_evaluate(cb, run, state, m, ctl, err), i, "on_evaluate", err);
            break;
        case CALLBACK_SAVE:
            if (HAS_HOOK(vt, on_save)) st = named(vt->on_save(cb, run, state, checkpoint_dir, err), i, "on_save", err);
            break;
        case CALLBACK_TRAIN_END:
            if (HAS_HOOK(vt, on_train_end)) st = named(vt->on_train_end(cb, run, state, err), i, "on_train_end", err);
            break;
        }
    }
    return st;
}

static fg_status state_path(char *out, size_t cap, const char *dir, uint64_t i, fg_error *err) {
    int n = snprintf(out, cap, "%s/callback-%llu.safetensors", dir, (unsigned long long)i);
    if (n < 0 || (size_t)n >= cap) {
        fg_api->error_set(err, FG_E_RANGE, "simple: checkpoint path too long: %s", dir);
        return FG_E_RANGE;
    }
    return FG_OK;
}

fg_status callbacks_save_state(const simple_trainer *t, const char *dir, fg_error *err) {
    for (uint64_t i = 0; i < t->n_callbacks; i++) {
        const fg_callback_vtbl *vt = t->callback_vts[i];
        if (!HAS_HOOK(vt, save_state)) continue;
        char path[4200];
        fg_state *state = NULL;
        fg_status st = state_path(path, sizeof path, dir, i, err);
        if (st == FG_OK) st = fg_api->state_new(&state, err);
        if (st == FG_OK) st = named(vt->save_state(t->callbacks[i], state, err), i, "save_state", err);
        if (st == FG_OK) st = fg_api->state_write(state, path, err);
        fg_api->state_free(state);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

fg_status callbacks_load_state(simple_trainer *t, const char *dir, fg_error *err) {
    for (uint64_t i = 0; i < t->n_callbacks; i++) {
        const fg_callback_vtbl *vt = t->callback_vts[i];
        if (!HAS_HOOK(vt, load_state)) continue;
        char path[4200];
        fg_state *state = NULL;
        fg_status st = state_path(path, sizeof path, dir, i, err);
        if (st != FG_OK) return st;
        if (access(path, F_OK) != 0) {
            /* a callback added (or moved) since the checkpoint was written starts afresh */
            fg_api->log(FG_LOG_WARN, "simple: %s has no state for callbacks[%llu]; it starts fresh", dir,
                        (unsigned long long)i);
            continue;
        }
        st = fg_api->state_open(path, &state, err);
        if (st == FG_OK) st = named(vt->load_state(t->callbacks[i], state, err), i, "load_state", err);
        fg_api->state_free(state);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}
