#define _POSIX_C_SOURCE 200809L
#include "run/process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/utsname.h>

/* Fields of /proc/PID/stat after "pid (comm)": comm may hold spaces and parentheses, so
 * the fields start after the last ')'. Field 3 is the state, field 22 the start time. */
static int read_stat(long long pid, char *state, long long *start_ticks) {
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')');
    if (p == NULL) return -1;
    p++;
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ') p++;
        if (*p == '\0') return -1;
        if (field == 3) *state = *p;
        if (field == 22) {
            char *end;
            *start_ticks = strtoll(p, &end, 10);
            return end == p ? -1 : 0;
        }
        while (*p != ' ' && *p != '\0') p++;
    }
    return -1;
}

long long fg_process_start_ticks(long long pid) {
    char state = 0;
    long long ticks = -1;
    return read_stat(pid, &state, &ticks) == 0 ? ticks : -1;
}

void fg_process_hostname(char *out, size_t cap) {
    struct utsname u;
    snprintf(out, cap, "%s", uname(&u) == 0 ? u.nodename : "");
}

fg_process_state fg_process_state_of(const char *hostname, long long pid, long long start_ticks) {
    char here[256];
    fg_process_hostname(here, sizeof here);
    /* kill(0 or -N, 0) would address process groups: only a plain pid is a process. */
    if (hostname == NULL || here[0] == '\0' || strcmp(hostname, here) != 0 || pid <= 0 || (pid_t)pid != pid)
        return FG_PROCESS_UNKNOWN;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return FG_PROCESS_GONE;
    char state = 0;
    long long ticks = -1;
    if (read_stat(pid, &state, &ticks) != 0) return FG_PROCESS_ALIVE; /* no /proc: trust kill() */
    if (state == 'Z' || state == 'X') return FG_PROCESS_GONE;          /* exited, not yet reaped */
    if (start_ticks >= 0 && ticks != start_ticks) return FG_PROCESS_GONE; /* the pid was reused */
    return FG_PROCESS_ALIVE;
}
