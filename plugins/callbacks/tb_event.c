/* Protobuf wire format, the small part of it Event needs: a field key is the varint
 * (field << 3 | wire type); wire types 0 varint, 1 little-endian 64 bits, 2 a varint
 * length then bytes, 5 little-endian 32 bits. Sizes are computed before writing since a
 * nested message is preceded by its length. */
#include "tb_event.h"

#include "tb_crc32c.h"

#include <string.h>

#define WIRE_VARINT 0u
#define WIRE_FIXED64 1u
#define WIRE_BYTES 2u
#define WIRE_FIXED32 5u

/* A bounded output: writes past cap are dropped, len still counts them. */
typedef struct pb_out {
    uint8_t *p;
    size_t len, cap;
} pb_out;

static void put_byte(pb_out *o, uint8_t b) {
    if (o->len < o->cap) o->p[o->len] = b;
    o->len++;
}

static void put_bytes(pb_out *o, const void *data, size_t n) {
    if (n > 0 && o->len <= o->cap && n <= o->cap - o->len) memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void put_varint(pb_out *o, uint64_t v) {
    while (v >= 0x80u) {
        put_byte(o, (uint8_t)(v | 0x80u));
        v >>= 7;
    }
    put_byte(o, (uint8_t)v);
}

static void put_le(pb_out *o, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) put_byte(o, (uint8_t)(v >> (8 * i)));
}

static void put_key(pb_out *o, unsigned field, unsigned wire) { put_varint(o, (uint64_t)(field << 3 | wire)); }

static size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A length-delimited field's bytes: key (one byte for fields < 16), length, payload. */
static size_t delimited_size(size_t payload) { return 1 + varint_size(payload) + payload; }

static size_t value_size(const tb_scalar *s) {
    const size_t tag = s->tag != NULL ? strlen(s->tag) : 0;
    return delimited_size(tag) + 1 + 4; /* tag, simple_value */
}

static size_t summary_size(const tb_event *ev) {
    size_t n = 0;
    for (size_t i = 0; i < ev->n_scalars; i++) n += delimited_size(value_size(&ev->scalars[i]));
    return n;
}

static void put_string(pb_out *o, unsigned field, const char *s) {
    const size_t n = s != NULL ? strlen(s) : 0;
    put_key(o, field, WIRE_BYTES);
    put_varint(o, n);
    put_bytes(o, s, n);
}

static void put_scalar(pb_out *o, const tb_scalar *s) {
    uint32_t bits;
    memcpy(&bits, &s->value, sizeof bits);
    put_key(o, 1, WIRE_BYTES); /* Summary.value */
    put_varint(o, value_size(s));
    put_string(o, 1, s->tag);  /* Value.tag */
    put_key(o, 2, WIRE_FIXED32); /* Value.simple_value */
    put_le(o, bits, 4);
}

size_t tb_event_encode(const tb_event *ev, uint8_t *out, size_t cap) {
    pb_out o = {out, 0, out != NULL ? cap : 0};
    uint64_t wall;
    memcpy(&wall, &ev->wall_time, sizeof wall);
    put_key(&o, 1, WIRE_FIXED64);
    put_le(&o, wall, 8);
    if (ev->step != 0) { /* proto3 leaves a default out */
        put_key(&o, 2, WIRE_VARINT);
        put_varint(&o, (uint64_t)ev->step); /* int64: a negative step takes 10 bytes */
    }
    if (ev->file_version != NULL) put_string(&o, 3, ev->file_version);
    if (ev->n_scalars > 0) {
        put_key(&o, 5, WIRE_BYTES);
        put_varint(&o, summary_size(ev));
        for (size_t i = 0; i < ev->n_scalars; i++) put_scalar(&o, &ev->scalars[i]);
    }
    if (ev->session_status > 0) {
        const size_t status = 1 + varint_size((uint64_t)ev->session_status);
        put_key(&o, 7, WIRE_BYTES);
        put_varint(&o, status);
        put_key(&o, 1, WIRE_VARINT); /* SessionLog.status */
        put_varint(&o, (uint64_t)ev->session_status);
    }
    return o.len;
}

void tb_record_frame(const uint8_t *data, size_t n, uint8_t header[TB_RECORD_HEADER],
                     uint8_t footer[TB_RECORD_FOOTER]) {
    const uint64_t len = n;
    for (int i = 0; i < 8; i++) header[i] = (uint8_t)(len >> (8 * i));
    const uint32_t len_crc = tb_crc32c_masked(header, 8);
    const uint32_t data_crc = tb_crc32c_masked(data, n);
    for (int i = 0; i < 4; i++) {
        header[8 + i] = (uint8_t)(len_crc >> (8 * i));
        footer[i] = (uint8_t)(data_crc >> (8 * i));
    }
}
