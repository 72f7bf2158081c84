/* TensorBoard's Event protobuf (tensorflow/core/util/event.proto), encoded by hand, and
 * the TFRecord framing event files store it in. Only what the tensorboard plugin writes:
 *   Event      { double wall_time = 1; int64 step = 2; string file_version = 3;
 *                Summary summary = 5; SessionLog session_log = 7; }
 *   Summary    { repeated Value value = 1; }
 *   Value      { string tag = 1; float simple_value = 2; }
 *   SessionLog { SessionStatus status = 1; }            START = 1 */
#ifndef FG_PLUGIN_TB_EVENT_H
#define FG_PLUGIN_TB_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define TB_FILE_VERSION "brain.Event:2"
#define TB_SESSION_START 1

/* Bytes of a record's framing: 8 length + 4 CRC before the data, 4 CRC after. */
#define TB_RECORD_HEADER 12
#define TB_RECORD_FOOTER 4

typedef struct tb_scalar {
    const char *tag;
    float value;
} tb_scalar;

/* One event; set one of file_version, scalars (n_scalars > 0) or session_status (> 0). */
typedef struct tb_event {
    double wall_time;         /* seconds since the Unix epoch */
    int64_t step;
    const char *file_version; /* the first record of a file: TB_FILE_VERSION */
    const tb_scalar *scalars;
    size_t n_scalars;
    int32_t session_status;   /* TB_SESSION_START: a restart (resumed run) */
} tb_event;

/* Encodes ev into out when cap allows; returns the bytes the encoding needs either way
 * (so a call with cap 0 sizes the buffer). */
size_t tb_event_encode(const tb_event *ev, uint8_t *out, size_t cap);

/* The framing around n bytes of record data (the data itself goes between them). */
void tb_record_frame(const uint8_t *data, size_t n, uint8_t header[TB_RECORD_HEADER],
                     uint8_t footer[TB_RECORD_FOOTER]);

#endif
