/* Whether the process that made a run is still there: run.json records its hostname, pid
 * and start time; a run directory without status.json is "running" while that process
 * lives and "killed" once it is gone. */
#ifndef FG_CORE_RUN_PROCESS_H
#define FG_CORE_RUN_PROCESS_H

#include <stddef.h>

/* A process's start time in clock ticks after boot (/proc/PID/stat, field 22), or -1 when
 * unknown. With the pid it names one process even after the pid is reused. */
long long fg_process_start_ticks(long long pid);

/* This machine's name as uname(2) gives it (run.json's "hostname"). */
void fg_process_hostname(char *out, size_t cap);

typedef enum fg_process_state {
    FG_PROCESS_ALIVE,
    FG_PROCESS_GONE,
    FG_PROCESS_UNKNOWN /* another machine, or no pid recorded */
} fg_process_state;

/* start_ticks < 0: not recorded (the pid alone decides). */
fg_process_state fg_process_state_of(const char *hostname, long long pid, long long start_ticks);

#endif
