/* One recorded request in the form the queue holds it and the spool stores it: a frame of
 * a fixed header (magic, payload length, CRC-32 of the payload) and a payload that carries
 * everything the table needs. The request thread builds it with one allocation and two
 * memcpy of the matrices; the flusher fills in the checksum and writes it as it is; the
 * sender reads it back and turns it into COPY rows.
 *
 * Numbers are in host byte order: a spool is read back only by the machine that wrote it. */
#ifndef APPCORE_PREDLOG_RECORD_H
#define APPCORE_PREDLOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appcore/predlog.h"

#define PL_FRAME_MAGIC 0x4c504341u /* "ACPL" */
#define PL_FRAME_HEADER 12u        /* magic, payload length, CRC-32 */
/* A frame longer than this is corruption, not a request (server.max_body_bytes is far
 * smaller). */
#define PL_FRAME_MAX ((size_t)256 << 20)

/* A frame waiting in the queue. */
struct pl_record {
	struct pl_record *next;
	uint64_t seq; /* order of acceptance, set when queued */
	size_t rows;
	size_t size; /* of frame */
	unsigned char frame[];
};

/* A decoded payload; pointers into the frame (strings are not NUL-terminated). */
struct pl_view {
	uint8_t record_id[16];
	int output_kind;
	bool has_inputs;
	uint32_t num_rows, num_features, num_outputs;
	int64_t received_us;
	double latency_seconds;
	const char *request_id, *model_name, *model_version, *client;
	uint16_t request_id_len, model_name_len, model_version_len, client_len;
	const unsigned char *inputs;  /* num_rows * num_features floats, unaligned */
	const unsigned char *outputs; /* num_rows * num_outputs floats, unaligned */
};

/* Build the frame of one entry (checksum not yet set). record_id: 16 bytes. NULL when out of
 * memory or when a size does not fit the format (*too_large set then). */
struct pl_record *pl_record_build(const appcore_predlog_entry *entry, const uint8_t *record_id,
				  bool include_inputs, bool *too_large);

/* Write the CRC-32 of the payload into the header. */
void pl_record_seal(struct pl_record *record);

/* Check a frame at data (avail bytes available). Returns the frame's size when it is
 * complete and intact, 0 when more bytes are needed (a frame cut short), -1 when it is
 * corrupt. */
long long pl_frame_check(const unsigned char *data, size_t avail);

/* Decode the payload of a checked frame. Returns false when it is inconsistent. */
bool pl_frame_view(struct pl_view *view, const unsigned char *frame, size_t size);

#endif
