/* CRC-32C for the tensorboard plugin's TFRecord framing. */
#ifndef FG_PLUGIN_TB_CRC32C_H
#define FG_PLUGIN_TB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli) of n bytes. */
uint32_t tb_crc32c(const void *data, size_t n);
/* The masked form TFRecord files store: ((crc >> 15) | (crc << 17)) + 0xa282ead8. */
uint32_t tb_crc32c_masked(const void *data, size_t n);

#endif
