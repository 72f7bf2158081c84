#define _POSIX_C_SOURCE 200809L
#include "run/environment.h"

#include "threads/threads.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void cpu_model(char *buf, size_t cap) {
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *colon = strchr(line, ':');
        if (colon == NULL) break;
        snprintf(buf, cap, "%s", colon + 2);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

/* The git revision of the directory holding the config, if it is in a repository. */
static void git_revision(const char *config_path, char *buf, size_t cap) {
    snprintf(buf, cap, "unknown");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", config_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse HEAD 2>/dev/null", dir);
    if (strchr(dir, '\'')) return; /* not worth quoting games */
    FILE *p = popen(cmd, "r");
    if (p == NULL) return;
    if (fgets(buf, (int)cap, p) == NULL) snprintf(buf, cap, "unknown");
    buf[strcspn(buf, "\n")] = '\0';
    pclose(p);
}

fg_status fg_run_write_environment(const fg_run *run, const fg_registry *registry, int argc,
                                   char **argv, const char *config_path, fg_error *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON *cmd = cJSON_AddArrayToObject(root, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("fgrun"));
    cJSON_AddItemToArray(cmd, cJSON_CreateString("train"));
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(root, "config", config_path);
    char buf[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "started_utc", buf);
    cJSON_AddNumberToObject(root, "seed", (double)run->seed);
    cJSON_AddStringToObject(root, "forgather_version", FG_VERSION);
    snprintf(buf, sizeof buf, "%d.%d", FG_ABI_MAJOR, FG_ABI_MINOR);
    cJSON_AddStringToObject(root, "plugin_abi", buf);
    cJSON_AddStringToObject(root, "compiler", "gcc " __VERSION__);
    git_revision(config_path, buf, sizeof buf);
    cJSON_AddStringToObject(root, "git_revision", buf);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        cJSON_AddStringToObject(root, "os", buf);
        cJSON_AddStringToObject(root, "hostname", u.nodename);
    }
    cpu_model(buf, sizeof buf);
    cJSON_AddStringToObject(root, "cpu", buf);
    cJSON_AddNumberToObject(root, "cpu_cores_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddNumberToObject(root, "threads", fg_threads_count());
    cJSON_AddStringToObject(root, "blas", fg_blas_describe(buf, sizeof buf));
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    cJSON_AddStringToObject(root, "openblas_coretype_env", coretype ? coretype : "");
    cJSON *plugins = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < registry->n_plugins; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", registry->plugins[i]->stem);
        cJSON_AddStringToObject(p, "version", registry->plugins[i]->desc->version ? registry->plugins[i]->desc->version : "");
        cJSON_AddStringToObject(p, "path", registry->plugins[i]->path);
        cJSON_AddItemToArray(plugins, p);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) return fg_error_set(err, FG_E_NOMEM, "run.json: out of memory");
    fg_status st = fg_run_write_file(run, "run.json", text, strlen(text), err);
    free(text);
    return st;
}
