#define _POSIX_C_SOURCE 200809L
#include "run/environment.h"

#include "run/process.h"
#include "threads/threads.h"
#include "threads/blas_core.h"
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

/* The first line `git -C DIR ARGS` prints, or "" (no git, not a repository, DIR with a
 * quote: not worth quoting games). DIR is the directory holding the config. */
static void git_output(const char *config_path, const char *args, char *buf, size_t cap) {
    buf[0] = '\0';
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", config_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
    if (strchr(dir, '\'')) return;
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "git -C '%s' %s 2>/dev/null", dir, args);
    FILE *p = popen(cmd, "r");
    if (p == NULL) return;
    if (fgets(buf, (int)cap, p) == NULL) buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    while (fgetc(p) != EOF) {} /* let git finish writing rather than die of SIGPIPE */
    pclose(p);
}

/* The source revision: commit, and whether the work tree differs from it (any line from
 * `git status --porcelain`: changed, staged or untracked files). */
static void add_git_revision(cJSON *root, const char *config_path) {
    char buf[1024];
    git_output(config_path, "rev-parse HEAD", buf, sizeof buf);
    cJSON_AddStringToObject(root, "git_revision", buf[0] ? buf : "unknown");
    if (buf[0] == '\0') return;
    git_output(config_path, "status --porcelain", buf, sizeof buf);
    cJSON_AddBoolToObject(root, "git_dirty", buf[0] != '\0');
}

/* The compiler that built the core (this file is part of it). clang defines __GNUC__
 * too, so it is asked first. */
static void add_compiler(cJSON *root) {
#if defined(__clang__)
    const char *id = "clang", *version = __clang_version__; /* "14.0.6 " (with a space) */
#elif defined(__GNUC__)
    const char *id = "gcc", *version = __VERSION__;
#else
    const char *id = "unknown", *version = "unknown";
#endif
    char v[256], both[300];
    snprintf(v, sizeof v, "%s", version);
    for (size_t n = strlen(v); n > 0 && v[n - 1] == ' '; n--) v[n - 1] = '\0';
    snprintf(both, sizeof both, "%s %s", id, v);
    cJSON_AddStringToObject(root, "compiler", both);
    cJSON_AddStringToObject(root, "compiler_id", id);
    cJSON_AddStringToObject(root, "compiler_version", v);
}

/* _OPENMP is the yyyymm date of the specification the compiler implements. */
static void add_parallel_runtimes(cJSON *root) {
#ifdef _OPENMP
    static const struct { long date; const char *version; } specs[] = {
        {202111, "5.2"}, {202011, "5.1"}, {201811, "5.0"}, {201511, "4.5"}, {201307, "4.0"},
        {201107, "3.1"}, {200805, "3.0"}, {200505, "2.5"},
    };
    const char *version = "older than 2.5";
    for (size_t i = sizeof specs / sizeof specs[0]; i-- > 0;)
        if ((long)_OPENMP >= specs[i].date) version = specs[i].version;
    char buf[64];
    snprintf(buf, sizeof buf, "%s (_OPENMP %ld)", version, (long)_OPENMP);
    cJSON_AddStringToObject(root, "openmp", buf);
#else
    cJSON_AddStringToObject(root, "openmp", "not built with OpenMP");
#endif
    /* The core links neither (core/CMakeLists.txt); plugins are listed below. */
    cJSON_AddStringToObject(root, "mpi", "not built with MPI");
    cJSON_AddStringToObject(root, "cuda", "not built with CUDA");
}

fg_status fg_run_write_environment(const fg_run *run, const fg_registry *registry, int argc,
                                   char **argv, const char *config_path, const char *config_dir,
                                   fg_error *err) {
    cJSON *root = cJSON_CreateObject();
    cJSON *cmd = cJSON_AddArrayToObject(root, "command");
    cJSON_AddItemToArray(cmd, cJSON_CreateString("fgrun"));
    cJSON_AddItemToArray(cmd, cJSON_CreateString("train"));
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(root, "config", config_path);
    cJSON_AddStringToObject(root, "config_dir", config_dir);
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
    add_compiler(root);
    add_parallel_runtimes(root);
    add_git_revision(root, config_path);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        cJSON_AddStringToObject(root, "os", buf);
        cJSON_AddStringToObject(root, "hostname", u.nodename);
    }
    /* with hostname: tells fgrun runs whether a run without status.json is still going */
    cJSON_AddNumberToObject(root, "pid", (double)getpid());
    cJSON_AddNumberToObject(root, "process_start_ticks", (double)fg_process_start_ticks((long long)getpid()));
    cpu_model(buf, sizeof buf);
    cJSON_AddStringToObject(root, "cpu", buf);
    cJSON_AddNumberToObject(root, "cpu_cores_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddNumberToObject(root, "threads", fg_threads_count());
    cJSON_AddStringToObject(root, "blas", fg_blas_describe(buf, sizeof buf));
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    cJSON_AddStringToObject(root, "openblas_coretype_env", coretype ? coretype : "");
    /* the kernel set fgrun replaced at start-up, if any (threads/blas_core.h) */
    cJSON_AddStringToObject(root, "blas_core_change", fg_blas_core_change());
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
