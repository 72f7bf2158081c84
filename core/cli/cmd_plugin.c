/* fgrun plugin check FILE.so [--json]: loads one plugin file on its own (not the search
 * path), shows its descriptor and factories, names factories that would collide with
 * plugins on the search path, and runs every factory's self-test. fgrun plugin new is in
 * cmd_plugin_new.c. */
#define _GNU_SOURCE /* strsignal */
#include "cli/cli.h"

#include "cli/plugin_info.h"
#include "plugin/registry.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct self_test_result {
    int ran;      /* 0: the factory has no self-test */
    int passed;
    char msg[FG_ERROR_MSG_SIZE];
} self_test_result;

/* Runs the self-test in a child process so a crashing test is reported, not fatal. */
static void run_self_test(const fg_factory_desc *f, self_test_result *out) {
    memset(out, 0, sizeof *out);
    if (!FG_HAS(f, self_test)) return;
    out->ran = 1;
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(out->msg, sizeof out->msg, "cannot run the self-test: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(out->msg, sizeof out->msg, "cannot run the self-test: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        fg_error err = {0};
        fg_status st = f->self_test(&err);
        if (st != FG_OK && err.msg[0] == '\0')
            snprintf(err.msg, sizeof err.msg, "failed with status %d", (int)st);
        char status = st == FG_OK ? 'P' : 'F';
        ssize_t ignored = write(fds[1], &status, 1);
        ignored = write(fds[1], err.msg, strnlen(err.msg, sizeof err.msg - 1));
        (void)ignored;
        _exit(0);
    }
    close(fds[1]);
    char buf[FG_ERROR_MSG_SIZE + 1];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    close(fds[0]);
    buf[got] = '\0';
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (WIFSIGNALED(wstatus)) {
        snprintf(out->msg, sizeof out->msg, "crashed (signal %d: %s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    } else if (got == 0) {
        snprintf(out->msg, sizeof out->msg, "exited without a result (status %d)",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    } else {
        out->passed = buf[0] == 'P';
        snprintf(out->msg, sizeof out->msg, "%s", buf + 1);
    }
}

/* Factories whose bare name another plugin on the search path already provides: adding
 * this plugin would make existing references to that name ambiguous. */
static size_t find_collisions(const fg_loaded_plugin *p, const fg_registry *path, char *out, size_t cap) {
    size_t n = 0, at = 0;
    out[0] = '\0';
    for (uint32_t k = 0; k < p->desc->n_factories; k++) {
        const char *name = p->desc->factories[k].name;
        for (size_t i = 0; i < path->n_factories; i++) {
            const fg_factory_ref *f = &path->factories[i];
            /* The same plugin elsewhere on the path is a shadowed copy, not a collision. */
            if (strcmp(f->plugin->stem, p->stem) == 0 || strcmp(f->factory->name, name) != 0) continue;
            if (at < cap)
                at += (size_t)snprintf(out + at, cap - at,
                                       "%sfactory '%s' is also provided by plugin '%s' (%s): a bare "
                                       "'%s' would become ambiguous",
                                       n ? "; " : "", name, f->plugin->stem, f->plugin->path, name);
            n++;
        }
    }
    return n;
}

static int report_text(const char *file, const fg_loaded_plugin *p, const char *error,
                       const char *collisions, const self_test_result *tests, int ok) {
    printf("file:    %s\n", file);
    printf("host:    ABI %d.%d\n", FG_ABI_MAJOR, FG_ABI_MINOR);
    if (p == NULL) {
        printf("result:  FAILED: %s\n", error);
        return 1;
    }
    const fg_plugin_desc *d = p->desc;
    printf("plugin:  %s %s (ABI %u.%u)\n", p->stem, d->version ? d->version : "", d->abi_major,
           d->abi_minor);
    printf("license: %s\n", d->license ? d->license : "(none)");
    if (d->description) printf("about:   %s\n", d->description);
    printf("factories:\n");
    for (uint32_t k = 0; k < d->n_factories; k++) {
        fg_cli_print_factory(&d->factories[k]);
        const self_test_result *t = &tests[k];
        if (!t->ran)
            printf("      self-test: none\n");
        else
            printf("      self-test: %s%s%s\n", t->passed ? "pass" : "FAIL", t->msg[0] ? ": " : "", t->msg);
    }
    if (collisions[0]) printf("conflicts: %s\n", collisions);
    printf("result:  %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

static int report_json(const char *file, const fg_loaded_plugin *p, const char *error,
                       const char *collisions, const self_test_result *tests, int ok) {
    cJSON *root = cJSON_CreateObject();
    char abi[32];
    cJSON_AddStringToObject(root, "file", file);
    snprintf(abi, sizeof abi, "%d.%d", FG_ABI_MAJOR, FG_ABI_MINOR);
    cJSON_AddStringToObject(root, "host_abi", abi);
    cJSON_AddBoolToObject(root, "ok", ok);
    if (p == NULL) {
        cJSON_AddStringToObject(root, "error", error);
    } else {
        const fg_plugin_desc *d = p->desc;
        cJSON_AddStringToObject(root, "name", p->stem);
        cJSON_AddStringToObject(root, "version", d->version ? d->version : "");
        cJSON_AddStringToObject(root, "license", d->license ? d->license : "");
        cJSON_AddStringToObject(root, "description", d->description ? d->description : "");
        snprintf(abi, sizeof abi, "%u.%u", d->abi_major, d->abi_minor);
        cJSON_AddStringToObject(root, "abi", abi);
        cJSON *fs = cJSON_AddArrayToObject(root, "factories");
        for (uint32_t k = 0; k < d->n_factories; k++) {
            cJSON *jf = fg_cli_factory_json(&d->factories[k]);
            const self_test_result *t = &tests[k];
            cJSON_AddStringToObject(jf, "self_test", !t->ran ? "none" : t->passed ? "pass" : "fail");
            if (t->ran) cJSON_AddStringToObject(jf, "self_test_message", t->msg);
            cJSON_AddItemToArray(fs, jf);
        }
        if (collisions[0]) cJSON_AddStringToObject(root, "conflicts", collisions);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) return fg_cli_fail("out of memory");
    printf("%s\n", text);
    free(text);
    return ok ? 0 : 1;
}

static int plugin_check(int argc, char **argv) {
    const char *file = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("usage: fgrun plugin check FILE.so [--json]\n\n"
                  "Loads one plugin file on its own and shows its name, version, license, the ABI\n"
                  "it was built for and the host's, its factories and their parameters; names\n"
                  "factories another plugin on the search path already provides; runs every\n"
                  "factory's self-test. Exit 0 when it loads cleanly and every self-test passes.\n",
                  stdout);
            return 0;
        } else if (file == NULL && argv[i][0] != '-') {
            file = argv[i];
        } else {
            return fg_cli_bad_argument("plugin check", argv[i], 0);
        }
    }
    if (file == NULL) return fg_cli_fail("plugin check: which plugin file? (fgrun plugin check FILE.so)");

    fg_registry one = {0}; /* no search path: only this file */
    fg_error err = {0};
    const fg_loaded_plugin *p = NULL;
    if (access(file, R_OK) != 0)
        fg_error_set(&err, FG_E_IO, "%s: cannot read: %s", file, strerror(errno));
    else if (fg_registry_load_file(&one, file, &err) == FG_OK && one.n_plugins == 1)
        p = one.plugins[0];

    char collisions[2048] = "";
    self_test_result *tests = NULL;
    int ok = p != NULL;
    if (p != NULL) {
        fg_registry path;
        fg_error ignored = {0};
        if (fg_registry_init(&path, NULL, 0, &ignored) == FG_OK && fg_registry_load_all(&path, &ignored) == FG_OK &&
            find_collisions(p, &path, collisions, sizeof collisions) > 0)
            ok = 0;
        fg_registry_free(&path);
        tests = calloc(p->desc->n_factories + 1, sizeof *tests);
        if (tests == NULL) {
            fg_registry_free(&one);
            return fg_cli_fail("out of memory");
        }
        for (uint32_t k = 0; k < p->desc->n_factories; k++) {
            run_self_test(&p->desc->factories[k], &tests[k]);
            if (tests[k].ran && !tests[k].passed) ok = 0;
        }
    }
    int rc = json ? report_json(file, p, err.msg, collisions, tests, ok)
                  : report_text(file, p, err.msg, collisions, tests, ok);
    free(tests);
    fg_registry_free(&one);
    return rc;
}

int fg_cmd_plugin(const fg_cli_globals *g, int argc, char **argv) {
    (void)g;
    if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
        fputs("usage: fgrun plugin check FILE.so [--json]\n"
              "       fgrun plugin new NAME [--kind optimizer|feedforward] [--dir DIR] [--template DIR]\n",
              argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "check") == 0) return plugin_check(argc - 1, argv + 1);
    if (strcmp(argv[0], "new") == 0) return fg_cmd_plugin_new(argc - 1, argv + 1);
    char msg[300];
    snprintf(msg, sizeof msg, "plugin: unknown subcommand '%s' (check or new)", argv[0]);
    return fg_cli_fail(msg);
}
