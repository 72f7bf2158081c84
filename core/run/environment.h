/* run.json: how a run was made (command line, versions, machine, BLAS, threads,
 * plugins, source revision), written into the run directory. */
#ifndef FG_CORE_ENVIRONMENT_H
#define FG_CORE_ENVIRONMENT_H

#include "plugin/registry.h"
#include "run/run.h"

/* config_dir: where the config's relative paths point (run.json's "config_dir"; fgrun
 * generate builds the run's tokenizer from there). */
fg_status fg_run_write_environment(const fg_run *run, const fg_registry *registry, int argc,
                                   char **argv, const char *config_path, const char *config_dir,
                                   fg_error *err);

#endif
