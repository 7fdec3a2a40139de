/* COPY text rows (see copy.h). Hot on the sender thread: numbers are formatted with one
 * snprintf each into reserved space, strings escaped byte by byte. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "predlog/copy.h"

/* "%.9g" of a float32 is at most 15 characters; "-Infinity" 9; plus a comma. */
#define FLOAT_CHARS 16

/* Text for COPY: backslash, tab, newline and carriage return escaped. */
static void put_text(ac_strbuf *buf, const char *text, size_t len)
{
	if (ac_strbuf_reserve(buf, len * 3 + 1) != 0)
		return;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		size_t n;

		if (c < 0x80) {
			switch (c) {
			case '\\': ac_strbuf_append(buf, "\\\\", 2); break;
			case '\t': ac_strbuf_append(buf, "\\t", 2); break;
			case '\n': ac_strbuf_append(buf, "\\n", 2); break;
			case '\r': ac_strbuf_append(buf, "\\r", 2); break;
			default: buf->data[buf->len++] = (char)c; break;
			}
			i++;
			continue;
		}
		n = ac_utf8_sequence_length((const unsigned char *)text + i, len - i);
		if (n == 0) {
			ac_strbuf_append(buf, "\xef\xbf\xbd", 3);
			i++;
		} else {
			ac_strbuf_append(buf, text + i, n);
			i += n;
		}
	}
}

static void put_float(ac_strbuf *buf, float value, int missing_is_null)
{
	if (isnan(value))
		ac_strbuf_append(buf, missing_is_null ? "NULL" : "NaN", missing_is_null ? 4 : 3);
	else if (isinf(value))
		ac_strbuf_puts(buf, value > 0 ? "Infinity" : "-Infinity");
	else
		buf->len += (size_t)snprintf(buf->data + buf->len, FLOAT_CHARS, "%.9g", (double)value);
}

/* "{1.5,NULL,2}" */
static void put_array(ac_strbuf *buf, const unsigned char *floats, size_t n, int missing_is_null)
{
	if (ac_strbuf_reserve(buf, n * FLOAT_CHARS + 3) != 0)
		return;
	ac_strbuf_putc(buf, '{');
	for (size_t i = 0; i < n; i++) {
		float value;

		memcpy(&value, floats + i * sizeof(float), sizeof(float));
		if (i > 0)
			ac_strbuf_putc(buf, ',');
		put_float(buf, value, missing_is_null);
	}
	ac_strbuf_putc(buf, '}');
}

void pl_copy_rows(ac_strbuf *buf, const struct pl_view *v)
{
	static const char hex[] = "0123456789abcdef";
	char uuid[37], received[96], latency[40];
	struct tm tm;
	time_t seconds = (time_t)(v->received_us / 1000000);
	long micros = (long)(v->received_us % 1000000);
	const size_t in_stride = (size_t)v->num_features * sizeof(float);
	const size_t out_stride = (size_t)v->num_outputs * sizeof(float);
	size_t p = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			uuid[p++] = '-';
		uuid[p++] = hex[v->record_id[i] >> 4];
		uuid[p++] = hex[v->record_id[i] & 15];
	}
	uuid[p] = '\0';
	if (micros < 0) {
		micros += 1000000;
		seconds--;
	}
	gmtime_r(&seconds, &tm);
	snprintf(received, sizeof(received), "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 micros);
	snprintf(latency, sizeof(latency), "%.17g", v->latency_seconds * 1000.0);

	for (uint32_t row = 0; row < v->num_rows && !buf->failed; row++) {
		ac_strbuf_printf(buf, "%s\t%u\t", uuid, row);
		put_text(buf, v->request_id, v->request_id_len);
		ac_strbuf_putc(buf, '\t');
		put_text(buf, v->model_name, v->model_name_len);
		ac_strbuf_putc(buf, '\t');
		put_text(buf, v->model_version, v->model_version_len);
		ac_strbuf_putc(buf, '\t');
		ac_strbuf_puts(buf, received);
		ac_strbuf_putc(buf, '\t');
		if (v->inputs != NULL)
			put_array(buf, v->inputs + row * in_stride, v->num_features, 1);
		else
			ac_strbuf_append(buf, "\\N", 2);
		ac_strbuf_putc(buf, '\t');
		put_array(buf, v->outputs + row * out_stride, v->num_outputs, 0);
		ac_strbuf_puts(buf, v->output_kind == 1 ? "\tmargin\t" : "\tvalue\t");
		ac_strbuf_puts(buf, latency);
		ac_strbuf_putc(buf, '\t');
		if (v->client_len > 0)
			put_text(buf, v->client, v->client_len);
		else
			ac_strbuf_append(buf, "\\N", 2);
		ac_strbuf_putc(buf, '\n');
	}
}
