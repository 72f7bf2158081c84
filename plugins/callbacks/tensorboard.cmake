# TensorBoard event files: the callback, the Event encoding and the CRC-32C of its framing.
forgather_add_plugin(tensorboard SOURCES tensorboard.c tb_writer.c tb_event.c tb_crc32c.c)
