/* Checkpoints of the simple trainer: checkpoint-<step>/ holds model.safetensors (the
 * parameters), optimizer.safetensors (the optimizer's saved state), trainer_state.safetensors
 * (step, random-number states, the loss window), trainer_state.json (the same, for
 * people) and callback-<i>.safetensors for each callback with state. The host writes them into a temporary directory and publishes it whole. */
#include "trainer.h"

#include <stddef.h>
#include <stdio.h>

int checkpoint_supported(const fg_optimizer_vtbl *vt) {
    return vt->base.struct_size >= offsetof(fg_optimizer_vtbl, load_state) + sizeof vt->load_state &&
           vt->save_state != NULL && vt->load_state != NULL;
}

static fg_status join(char *out, size_t cap, const char *dir, const char *file, fg_error *err) {
    int n = snprintf(out, cap, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= cap) {
        fg_api->error_set(err, FG_E_RANGE, "simple: checkpoint path too long: %s", dir);
        return FG_E_RANGE;
    }
    return FG_OK;
}

/* The trainer's own state, as I64/F64 arrays (bit patterns of the RNG states). */
static fg_status put_trainer_state(fg_state *st, const trainer_position *pos, fg_error *err) {
    const int64_t one[1] = {1};
    int64_t ints[4] = {pos->step, (int64_t)pos->rng, (int64_t)pos->drop_rng, pos->window_steps};
    double loss_sum = pos->loss_sum;
    const int64_t shape[1] = {4};
    fg_status s = fg_api->state_array(st, NULL, "trainer.counters", FG_DTYPE_I64, 1, shape, ints, err);
    if (s == FG_OK) s = fg_api->state_array(st, NULL, "trainer.loss_sum", FG_DTYPE_F64, 1, one, &loss_sum, err);
    return s;
}

static fg_status write_json(const char *path, const trainer_position *pos, fg_error *err) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fg_api->error_set(err, FG_E_IO, "simple: cannot write %s", path);
        return FG_E_IO;
    }
    fprintf(f, "{\"step\": %lld, \"rng\": %llu, \"dropout_rng\": %llu, \"loss_window_steps\": %lld}\n",
            (long long)pos->step, (unsigned long long)pos->rng, (unsigned long long)pos->drop_rng,
            (long long)pos->window_steps);
    int bad = fflush(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        fg_api->error_set(err, FG_E_IO, "simple: cannot write %s", path);
        return FG_E_IO;
    }
    return FG_OK;
}

fg_status checkpoint_save(const simple_trainer *t, fg_run *run, const trainer_position *pos,
                          uint64_t n_params, fg_tensor *const *params, void *opt,
                          const fg_optimizer_vtbl *opt_vt, char *dir_out, size_t cap, fg_error *err) {
    char dir[4096], path[4200];
    fg_status st = fg_api->checkpoint_begin(run, pos->step, dir, sizeof dir, err);
    if (st == FG_OK) st = join(path, sizeof path, dir, "model.safetensors", err);
    if (st == FG_OK) st = fg_api->save_safetensors(path, n_params, params, err);
    fg_state *opt_state = NULL, *own = NULL;
    if (st == FG_OK) st = fg_api->state_new(&opt_state, err);
    if (st == FG_OK) st = opt_vt->save_state(opt, opt_state, err);
    if (st == FG_OK) st = join(path, sizeof path, dir, "optimizer.safetensors", err);
    if (st == FG_OK) st = fg_api->state_write(opt_state, path, err);
    if (st == FG_OK) st = fg_api->state_new(&own, err);
    if (st == FG_OK) st = put_trainer_state(own, pos, err);
    if (st == FG_OK) st = join(path, sizeof path, dir, "trainer_state.safetensors", err);
    if (st == FG_OK) st = fg_api->state_write(own, path, err);
    if (st == FG_OK) st = join(path, sizeof path, dir, "trainer_state.json", err);
    if (st == FG_OK) st = write_json(path, pos, err);
    if (st == FG_OK) st = callbacks_save_state(t, dir, err);
    if (st == FG_OK) st = fg_api->checkpoint_commit(run, pos->step, err);
    if (st == FG_OK && dir_out != NULL) {
        const char *run_dir = fg_api->run_dir(run);
        int n = snprintf(dir_out, cap, "%s/checkpoint-%lld", run_dir ? run_dir : ".", (long long)pos->step);
        if (n < 0 || (size_t)n >= cap) dir_out[0] = '\0';
    }
    fg_api->state_free(opt_state);
    fg_api->state_free(own);
    if (st == FG_OK) fg_api->log(FG_LOG_INFO, "simple: saved checkpoint-%lld", (long long)pos->step);
    return st;
}

fg_status checkpoint_load(simple_trainer *t, const char *dir, trainer_position *pos, uint64_t n_params,
                          fg_tensor *const *params, void *opt, const fg_optimizer_vtbl *opt_vt,
                          fg_error *err) {
    char path[4200];
    fg_status st = join(path, sizeof path, dir, "model.safetensors", err);
    if (st == FG_OK) st = fg_api->load_safetensors(path, n_params, params, err);
    fg_state *opt_state = NULL, *own = NULL;
    if (st == FG_OK) st = join(path, sizeof path, dir, "optimizer.safetensors", err);
    if (st == FG_OK) st = fg_api->state_open(path, &opt_state, err);
    if (st == FG_OK) st = opt_vt->load_state(opt, opt_state, err);
    if (st == FG_OK) st = join(path, sizeof path, dir, "trainer_state.safetensors", err);
    if (st == FG_OK) st = fg_api->state_open(path, &own, err);
    int64_t ints[4] = {0};
    const int64_t shape[1] = {4}, one[1] = {1};
    if (st == FG_OK) st = fg_api->state_array(own, NULL, "trainer.counters", FG_DTYPE_I64, 1, shape, ints, err);
    if (st == FG_OK) st = fg_api->state_array(own, NULL, "trainer.loss_sum", FG_DTYPE_F64, 1, one, &pos->loss_sum, err);
    if (st == FG_OK) st = callbacks_load_state(t, dir, err);
    fg_api->state_free(opt_state);
    fg_api->state_free(own);
    if (st != FG_OK) return st;
    pos->step = ints[0];
    pos->rng = (uint64_t)ints[1];
    pos->drop_rng = (uint64_t)ints[2];
    pos->window_steps = ints[3];
    return FG_OK;
}
