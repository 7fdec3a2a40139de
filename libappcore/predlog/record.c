/* Frames of recorded requests (see record.h). Payload layout, version 1:
 *
 *   0  u8  format version (1)      1  u8  output kind     2  u8  flags (1: inputs)   3  u8  0
 *   4  u32 rows                    8  u32 features        12 u32 outputs per row
 *   16 16 bytes record id          32 i64 received, Unix microseconds
 *   40 f64 latency, seconds        48 u16 x 4 lengths: request id, model name, model version,
 *                                            client
 *   56 the four strings, then rows x features floats (if flagged), then rows x outputs floats
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "appcore/model.h"
#include "predlog/record.h"

#define PAYLOAD_FIXED 56u
#define FORMAT_VERSION 1u
#define FLAG_INPUTS 1u

static void put_u16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint16_t get_u16(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static long long now_unix_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000;
}

struct pl_record *pl_record_build(const appcore_predlog_entry *entry, const uint8_t *record_id,
				  bool include_inputs, bool *too_large)
{
	const char *strings[4];
	size_t lens[4], total_strings = 0;
	const size_t nf = appcore_model_num_features(entry->model);
	const size_t no = appcore_model_output_size(entry->model, entry->output_kind);
	const bool inputs = include_inputs && entry->inputs != NULL;
	size_t in_floats, out_floats, payload;
	struct pl_record *record;
	unsigned char *p;
	int64_t received;
	double latency = entry->latency_seconds;

	*too_large = false;
	strings[0] = entry->request_id ? entry->request_id : "";
	strings[1] = appcore_model_name(entry->model);
	strings[2] = appcore_model_version(entry->model);
	strings[3] = entry->client ? entry->client : "";
	for (size_t i = 0; i < 4; i++) {
		lens[i] = strlen(strings[i]);
		if (lens[i] > UINT16_MAX) {
			*too_large = true;
			return NULL;
		}
		total_strings += lens[i];
	}
	if (entry->num_rows > UINT32_MAX || nf > UINT32_MAX || no > UINT32_MAX ||
	    (nf > 0 && entry->num_rows > PL_FRAME_MAX / 4 / nf) ||
	    (no > 0 && entry->num_rows > PL_FRAME_MAX / 4 / no)) {
		*too_large = true;
		return NULL;
	}
	in_floats = inputs ? entry->num_rows * nf : 0;
	out_floats = entry->num_rows * no;
	payload = PAYLOAD_FIXED + total_strings + (in_floats + out_floats) * sizeof(float);
	if (payload > PL_FRAME_MAX) {
		*too_large = true;
		return NULL;
	}
	record = malloc(sizeof(*record) + PL_FRAME_HEADER + payload);
	if (record == NULL)
		return NULL;
	record->next = NULL;
	record->seq = 0;
	record->rows = entry->num_rows;
	record->size = PL_FRAME_HEADER + payload;

	p = record->frame;
	put_u32(p, PL_FRAME_MAGIC);
	put_u32(p + 4, (uint32_t)payload);
	put_u32(p + 8, 0); /* sealed by the flusher, off the request's thread */
	p += PL_FRAME_HEADER;
	p[0] = FORMAT_VERSION;
	p[1] = (unsigned char)entry->output_kind;
	p[2] = inputs ? FLAG_INPUTS : 0;
	p[3] = 0;
	put_u32(p + 4, (uint32_t)entry->num_rows);
	put_u32(p + 8, (uint32_t)nf);
	put_u32(p + 12, (uint32_t)no);
	memcpy(p + 16, record_id, 16);
	received = entry->received_unix_us != 0 ? entry->received_unix_us : now_unix_us();
	memcpy(p + 32, &received, sizeof(received));
	memcpy(p + 40, &latency, sizeof(latency));
	for (size_t i = 0; i < 4; i++)
		put_u16(p + 48 + 2 * i, (uint16_t)lens[i]);
	p += PAYLOAD_FIXED;
	for (size_t i = 0; i < 4; i++) {
		memcpy(p, strings[i], lens[i]);
		p += lens[i];
	}
	if (in_floats > 0) {
		memcpy(p, entry->inputs, in_floats * sizeof(float));
		p += in_floats * sizeof(float);
	}
	if (out_floats > 0)
		memcpy(p, entry->outputs, out_floats * sizeof(float));
	return record;
}

static uint32_t payload_crc(const unsigned char *payload, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths: feed large payloads in pieces */
	while (len > 0) {
		uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, payload, piece);
		payload += piece;
		len -= piece;
	}
	return (uint32_t)crc;
}

void pl_record_seal(struct pl_record *record)
{
	put_u32(record->frame + 8,
		payload_crc(record->frame + PL_FRAME_HEADER, record->size - PL_FRAME_HEADER));
}

long long pl_frame_check(const unsigned char *data, size_t avail)
{
	uint32_t len;

	if (avail < PL_FRAME_HEADER)
		return avail >= 4 && get_u32(data) != PL_FRAME_MAGIC ? -1 : 0;
	if (get_u32(data) != PL_FRAME_MAGIC)
		return -1;
	len = get_u32(data + 4);
	if (len < PAYLOAD_FIXED || len > PL_FRAME_MAX)
		return -1;
	if (avail < PL_FRAME_HEADER + (size_t)len)
		return 0;
	if (payload_crc(data + PL_FRAME_HEADER, len) != get_u32(data + 8))
		return -1;
	return (long long)(PL_FRAME_HEADER + len);
}

bool pl_frame_view(struct pl_view *v, const unsigned char *frame, size_t size)
{
	const unsigned char *p = frame + PL_FRAME_HEADER;
	const unsigned char *end = frame + size;
	uint16_t lens[4];
	size_t strings = 0, floats;

	if (size < PL_FRAME_HEADER + PAYLOAD_FIXED || p[0] != FORMAT_VERSION || p[1] > 1)
		return false;
	v->output_kind = p[1];
	v->has_inputs = (p[2] & FLAG_INPUTS) != 0;
	v->num_rows = get_u32(p + 4);
	v->num_features = get_u32(p + 8);
	v->num_outputs = get_u32(p + 12);
	memcpy(v->record_id, p + 16, 16);
	memcpy(&v->received_us, p + 32, sizeof(v->received_us));
	memcpy(&v->latency_seconds, p + 40, sizeof(v->latency_seconds));
	for (size_t i = 0; i < 4; i++) {
		lens[i] = get_u16(p + 48 + 2 * i);
		strings += lens[i];
	}
	p += PAYLOAD_FIXED;
	floats = (size_t)v->num_rows * ((v->has_inputs ? v->num_features : 0) + v->num_outputs);
	if (v->num_rows == 0 || (size_t)(end - p) != strings + floats * sizeof(float))
		return false;
	v->request_id = (const char *)p;
	v->request_id_len = lens[0];
	p += lens[0];
	v->model_name = (const char *)p;
	v->model_name_len = lens[1];
	p += lens[1];
	v->model_version = (const char *)p;
	v->model_version_len = lens[2];
	p += lens[2];
	v->client = (const char *)p;
	v->client_len = lens[3];
	p += lens[3];
	v->inputs = v->has_inputs ? p : NULL;
	if (v->has_inputs)
		p += (size_t)v->num_rows * v->num_features * sizeof(float);
	v->outputs = p;
	return true;
}
