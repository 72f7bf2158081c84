/* Pins the layout of every public ABI struct (LP64, x86-64 and aarch64 Linux). A failing
 * assertion means a change moved a field that compiled plugins rely on: append new
 * fields at the end instead, or bump FG_ABI_MAJOR and regenerate these numbers. */
#include <forgather/plugin.h>
#include <stddef.h>

#include "fg_test.h"

#if defined(__LP64__)
_Static_assert(sizeof(fg_error) == 1028, "fg_error size");
_Static_assert(offsetof(fg_error, code) == 0, "fg_error.code");
_Static_assert(offsetof(fg_error, msg) == 4, "fg_error.msg");
_Static_assert(sizeof(fg_vtbl_header) == 16, "fg_vtbl_header size");
_Static_assert(offsetof(fg_vtbl_header, struct_size) == 0, "fg_vtbl_header.struct_size");
_Static_assert(offsetof(fg_vtbl_header, kind) == 4, "fg_vtbl_header.kind");
_Static_assert(offsetof(fg_vtbl_header, destroy) == 8, "fg_vtbl_header.destroy");
_Static_assert(sizeof(fg_param_spec) == 72, "fg_param_spec size");
_Static_assert(offsetof(fg_param_spec, name) == 0, "fg_param_spec.name");
_Static_assert(offsetof(fg_param_spec, type) == 8, "fg_param_spec.type");
_Static_assert(offsetof(fg_param_spec, kind) == 12, "fg_param_spec.kind");
_Static_assert(offsetof(fg_param_spec, flags) == 16, "fg_param_spec.flags");
_Static_assert(offsetof(fg_param_spec, n_fields) == 20, "fg_param_spec.n_fields");
_Static_assert(offsetof(fg_param_spec, default_yaml) == 24, "fg_param_spec.default_yaml");
_Static_assert(offsetof(fg_param_spec, min) == 32, "fg_param_spec.min");
_Static_assert(offsetof(fg_param_spec, max) == 40, "fg_param_spec.max");
_Static_assert(offsetof(fg_param_spec, doc) == 48, "fg_param_spec.doc");
_Static_assert(offsetof(fg_param_spec, choices) == 56, "fg_param_spec.choices");
_Static_assert(offsetof(fg_param_spec, fields) == 64, "fg_param_spec.fields");
_Static_assert(sizeof(fg_create_args) == 64, "fg_create_args size");
_Static_assert(offsetof(fg_create_args, struct_size) == 0, "fg_create_args.struct_size");
_Static_assert(offsetof(fg_create_args, layer_index) == 4, "fg_create_args.layer_index");
_Static_assert(offsetof(fg_create_args, scope) == 8, "fg_create_args.scope");
_Static_assert(offsetof(fg_create_args, d_model) == 16, "fg_create_args.d_model");
_Static_assert(offsetof(fg_create_args, max_seq_len) == 24, "fg_create_args.max_seq_len");
_Static_assert(offsetof(fg_create_args, num_layers) == 32, "fg_create_args.num_layers");
_Static_assert(offsetof(fg_create_args, params) == 40, "fg_create_args.params");
_Static_assert(offsetof(fg_create_args, n_params) == 48, "fg_create_args.n_params");
_Static_assert(offsetof(fg_create_args, total_steps) == 56, "fg_create_args.total_steps");
_Static_assert(sizeof(fg_layer_vtbl) == 24, "fg_layer_vtbl size");
_Static_assert(offsetof(fg_layer_vtbl, forward) == 16, "fg_layer_vtbl.forward");
_Static_assert(sizeof(fg_model_vtbl) == 40, "fg_model_vtbl size");
_Static_assert(offsetof(fg_model_vtbl, forward) == 16, "fg_model_vtbl.forward");
_Static_assert(offsetof(fg_model_vtbl, vocab_size) == 24, "fg_model_vtbl.vocab_size");
_Static_assert(offsetof(fg_model_vtbl, max_seq_len) == 32, "fg_model_vtbl.max_seq_len");
_Static_assert(sizeof(fg_optimizer_vtbl) == 56, "fg_optimizer_vtbl size");
_Static_assert(offsetof(fg_optimizer_vtbl, step) == 16, "fg_optimizer_vtbl.step");
_Static_assert(offsetof(fg_optimizer_vtbl, base_lr) == 24, "fg_optimizer_vtbl.base_lr");
_Static_assert(offsetof(fg_optimizer_vtbl, state_bytes) == 32, "fg_optimizer_vtbl.state_bytes");
_Static_assert(offsetof(fg_optimizer_vtbl, save_state) == 40, "fg_optimizer_vtbl.save_state");
_Static_assert(offsetof(fg_optimizer_vtbl, load_state) == 48, "fg_optimizer_vtbl.load_state");
_Static_assert(sizeof(fg_lr_schedule_vtbl) == 24, "fg_lr_schedule_vtbl size");
_Static_assert(offsetof(fg_lr_schedule_vtbl, factor) == 16, "fg_lr_schedule_vtbl.factor");
_Static_assert(sizeof(fg_tokenizer_vtbl) == 40, "fg_tokenizer_vtbl size");
_Static_assert(offsetof(fg_tokenizer_vtbl, vocab_size) == 16, "fg_tokenizer_vtbl.vocab_size");
_Static_assert(offsetof(fg_tokenizer_vtbl, encode) == 24, "fg_tokenizer_vtbl.encode");
_Static_assert(offsetof(fg_tokenizer_vtbl, decode) == 32, "fg_tokenizer_vtbl.decode");
_Static_assert(sizeof(fg_dataset_vtbl) == 32, "fg_dataset_vtbl size");
_Static_assert(offsetof(fg_dataset_vtbl, num_tokens) == 16, "fg_dataset_vtbl.num_tokens");
_Static_assert(offsetof(fg_dataset_vtbl, read) == 24, "fg_dataset_vtbl.read");
_Static_assert(sizeof(fg_trainer_vtbl) == 24, "fg_trainer_vtbl size");
_Static_assert(offsetof(fg_trainer_vtbl, train) == 16, "fg_trainer_vtbl.train");
_Static_assert(sizeof(fg_train_state) == 56, "fg_train_state size");
_Static_assert(offsetof(fg_train_state, step) == 8, "fg_train_state.step");
_Static_assert(offsetof(fg_train_state, max_steps) == 16, "fg_train_state.max_steps");
_Static_assert(offsetof(fg_train_state, epoch) == 24, "fg_train_state.epoch");
_Static_assert(offsetof(fg_train_state, lr) == 32, "fg_train_state.lr");
_Static_assert(offsetof(fg_train_state, elapsed_s) == 40, "fg_train_state.elapsed_s");
_Static_assert(offsetof(fg_train_state, tokens_seen) == 48, "fg_train_state.tokens_seen");
_Static_assert(sizeof(fg_train_control) == 8, "fg_train_control size");
_Static_assert(offsetof(fg_train_control, should_stop) == 4, "fg_train_control.should_stop");
_Static_assert(sizeof(fg_metrics) == 24, "fg_metrics size");
_Static_assert(offsetof(fg_metrics, keys) == 8, "fg_metrics.keys");
_Static_assert(offsetof(fg_metrics, values) == 16, "fg_metrics.values");
_Static_assert(sizeof(fg_callback_vtbl) == 80, "fg_callback_vtbl size");
_Static_assert(offsetof(fg_callback_vtbl, on_train_begin) == 16, "fg_callback_vtbl.on_train_begin");
_Static_assert(offsetof(fg_callback_vtbl, on_step_end) == 24, "fg_callback_vtbl.on_step_end");
_Static_assert(offsetof(fg_callback_vtbl, on_log) == 32, "fg_callback_vtbl.on_log");
_Static_assert(offsetof(fg_callback_vtbl, on_evaluate) == 40, "fg_callback_vtbl.on_evaluate");
_Static_assert(offsetof(fg_callback_vtbl, on_save) == 48, "fg_callback_vtbl.on_save");
_Static_assert(offsetof(fg_callback_vtbl, on_train_end) == 56, "fg_callback_vtbl.on_train_end");
_Static_assert(offsetof(fg_callback_vtbl, save_state) == 64, "fg_callback_vtbl.save_state");
_Static_assert(offsetof(fg_callback_vtbl, load_state) == 72, "fg_callback_vtbl.load_state");
_Static_assert(sizeof(fg_host_info) == 24, "fg_host_info size");
_Static_assert(offsetof(fg_host_info, struct_size) == 0, "fg_host_info.struct_size");
_Static_assert(offsetof(fg_host_info, abi_major) == 4, "fg_host_info.abi_major");
_Static_assert(offsetof(fg_host_info, abi_minor) == 6, "fg_host_info.abi_minor");
_Static_assert(offsetof(fg_host_info, api) == 8, "fg_host_info.api");
_Static_assert(offsetof(fg_host_info, host_version) == 16, "fg_host_info.host_version");
_Static_assert(sizeof(fg_factory_desc) == 64, "fg_factory_desc size");
_Static_assert(offsetof(fg_factory_desc, struct_size) == 0, "fg_factory_desc.struct_size");
_Static_assert(offsetof(fg_factory_desc, kind) == 4, "fg_factory_desc.kind");
_Static_assert(offsetof(fg_factory_desc, name) == 8, "fg_factory_desc.name");
_Static_assert(offsetof(fg_factory_desc, doc) == 16, "fg_factory_desc.doc");
_Static_assert(offsetof(fg_factory_desc, params) == 24, "fg_factory_desc.params");
_Static_assert(offsetof(fg_factory_desc, n_params) == 32, "fg_factory_desc.n_params");
_Static_assert(offsetof(fg_factory_desc, create) == 40, "fg_factory_desc.create");
_Static_assert(offsetof(fg_factory_desc, aliases) == 48, "fg_factory_desc.aliases");
_Static_assert(offsetof(fg_factory_desc, self_test) == 56, "fg_factory_desc.self_test");
_Static_assert(sizeof(fg_plugin_desc) == 56, "fg_plugin_desc size");
_Static_assert(offsetof(fg_plugin_desc, struct_size) == 0, "fg_plugin_desc.struct_size");
_Static_assert(offsetof(fg_plugin_desc, abi_major) == 4, "fg_plugin_desc.abi_major");
_Static_assert(offsetof(fg_plugin_desc, abi_minor) == 6, "fg_plugin_desc.abi_minor");
_Static_assert(offsetof(fg_plugin_desc, name) == 8, "fg_plugin_desc.name");
_Static_assert(offsetof(fg_plugin_desc, version) == 16, "fg_plugin_desc.version");
_Static_assert(offsetof(fg_plugin_desc, description) == 24, "fg_plugin_desc.description");
_Static_assert(offsetof(fg_plugin_desc, license) == 32, "fg_plugin_desc.license");
_Static_assert(offsetof(fg_plugin_desc, n_factories) == 40, "fg_plugin_desc.n_factories");
_Static_assert(offsetof(fg_plugin_desc, factories) == 48, "fg_plugin_desc.factories");
_Static_assert(sizeof(fg_host_api) == 600, "fg_host_api size");
_Static_assert(offsetof(fg_host_api, param_object_list) == 592, "fg_host_api.param_object_list");
_Static_assert(offsetof(fg_host_api, struct_size) == 0, "fg_host_api.struct_size");
_Static_assert(offsetof(fg_host_api, error_set) == 8, "fg_host_api.error_set");
_Static_assert(offsetof(fg_host_api, alloc) == 32, "fg_host_api.alloc");
_Static_assert(offsetof(fg_host_api, param_bool) == 48, "fg_host_api.param_bool");
_Static_assert(offsetof(fg_host_api, partial_create) == 128, "fg_host_api.partial_create");
_Static_assert(offsetof(fg_host_api, param_new) == 160, "fg_host_api.param_new");
_Static_assert(offsetof(fg_host_api, tensor_dtype) == 184, "fg_host_api.tensor_dtype");
_Static_assert(offsetof(fg_host_api, graph_new) == 240, "fg_host_api.graph_new");
_Static_assert(offsetof(fg_host_api, graph_backward) == 288, "fg_host_api.graph_backward");
_Static_assert(offsetof(fg_host_api, op_embedding) == 304, "fg_host_api.op_embedding");
_Static_assert(offsetof(fg_host_api, op_dropout) == 416, "fg_host_api.op_dropout");
_Static_assert(offsetof(fg_host_api, params_zero_grad) == 424, "fg_host_api.params_zero_grad");
_Static_assert(offsetof(fg_host_api, run_dir) == 440, "fg_host_api.run_dir");
_Static_assert(offsetof(fg_host_api, save_safetensors) == 472, "fg_host_api.save_safetensors");
_Static_assert(offsetof(fg_host_api, rng_next) == 488, "fg_host_api.rng_next");
_Static_assert(offsetof(fg_host_api, resolve_path) == 496, "fg_host_api.resolve_path");
_Static_assert(offsetof(fg_host_api, num_threads) == 504, "fg_host_api.num_threads");
_Static_assert(offsetof(fg_host_api, param_map_list) == 512, "fg_host_api.param_map_list");
_Static_assert(offsetof(fg_host_api, state_array) == 520, "fg_host_api.state_array");
_Static_assert(offsetof(fg_host_api, state_new) == 528, "fg_host_api.state_new");
_Static_assert(offsetof(fg_host_api, load_safetensors) == 560, "fg_host_api.load_safetensors");
_Static_assert(offsetof(fg_host_api, checkpoint_begin) == 568, "fg_host_api.checkpoint_begin");
_Static_assert(offsetof(fg_host_api, checkpoint_commit) == 576, "fg_host_api.checkpoint_commit");
_Static_assert(offsetof(fg_host_api, run_resume_dir) == 584, "fg_host_api.run_resume_dir");
#endif

int main(void) {
    /* The handshake fields sit at the same offsets in both descriptors, forever. */
    CHECK(offsetof(fg_host_info, abi_major) == offsetof(fg_plugin_desc, abi_major));
    CHECK(offsetof(fg_host_info, abi_minor) == offsetof(fg_plugin_desc, abi_minor));
    CHECK(FG_ABI_MAJOR == 1 && FG_ABI_MINOR == 2);
    return fg_test_finish("test_abi_layout");
}
