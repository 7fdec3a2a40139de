/* Structured logging: format an event into one buffer, write it once. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appcore/log.h"
#include "core/error_internal.h"
#include "core/log_strbuf.h"

struct appcore_logger {
	int fd;
	appcore_log_level min_level;
	appcore_log_format format;
};

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const char *const level_labels[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };

int appcore_logger_new(appcore_logger **out, int fd, appcore_log_level min_level,
		       appcore_log_format format, appcore_error *err)
{
	appcore_logger *logger;

	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_logger_new: out is NULL");
	*out = NULL;
	if (fd < 0)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_logger_new: bad fd %d", fd);
	if ((int)min_level < APPCORE_LOG_DEBUG || min_level > APPCORE_LOG_ERROR)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_logger_new: bad level %d",
				    (int)min_level);
	if (format != APPCORE_LOG_JSON && format != APPCORE_LOG_TEXT)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_logger_new: bad format %d",
				    (int)format);
	logger = malloc(sizeof(*logger));
	if (logger == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	logger->fd = fd;
	logger->min_level = min_level;
	logger->format = format;
	*out = logger;
	return APPCORE_OK;
}

void appcore_logger_free(appcore_logger *logger)
{
	free(logger);
}

int appcore_log_level_parse(appcore_log_level *out, const char *name)
{
	if (out == NULL || name == NULL)
		return APPCORE_EINVAL;
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (appcore_log_level)i;
			return APPCORE_OK;
		}
	return APPCORE_EINVAL;
}

int appcore_log_enabled(const appcore_logger *logger, appcore_log_level level)
{
	return logger != NULL && level >= logger->min_level && level <= APPCORE_LOG_ERROR;
}

/* "2024-05-01T12:00:00.123456Z" (27 bytes). gmtime_r and strftime cost more
 * than the rest of an access record, so each thread keeps the
 * date-and-seconds part of the last second it logged in. */
static void put_timestamp(ac_strbuf *buf)
{
	static _Thread_local time_t cached_second = (time_t)-1;
	static _Thread_local char cached[24];
	struct timespec now;
	char micros[8];

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_second) {
		struct tm tm;
		gmtime_r(&now.tv_sec, &tm);
		strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_second = now.tv_sec;
	}
	ac_strbuf_append(buf, cached, 19);
	long us = now.tv_nsec / 1000;
	micros[0] = '.';
	for (int i = 6; i >= 1; i--) {
		micros[i] = (char)('0' + us % 10);
		us /= 10;
	}
	micros[7] = 'Z';
	ac_strbuf_append(buf, micros, 8);
}

static void put_int(ac_strbuf *buf, long long value)
{
	char digits[24];
	size_t n = sizeof(digits);
	unsigned long long u =
	    value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;

	do {
		digits[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (value < 0)
		digits[--n] = '-';
	ac_strbuf_append(buf, digits + n, sizeof(digits) - n);
}

static void put_json_value(ac_strbuf *buf, const appcore_log_field *field)
{
	switch (field->type) {
	case APPCORE_LOG_FIELD_STR:
		if (field->value.s == NULL)
			ac_strbuf_puts(buf, "null");
		else
			ac_strbuf_json_string(buf, field->value.s, strlen(field->value.s));
		break;
	case APPCORE_LOG_FIELD_INT:
		put_int(buf, field->value.i);
		break;
	case APPCORE_LOG_FIELD_FLOAT:
		/* JSON has no NaN or Infinity */
		if (isfinite(field->value.f))
			ac_strbuf_double(buf, field->value.f);
		else
			ac_strbuf_puts(buf, "null");
		break;
	case APPCORE_LOG_FIELD_BOOL:
		ac_strbuf_puts(buf, field->value.b ? "true" : "false");
		break;
	default:
		ac_strbuf_puts(buf, "null");
		break;
	}
}

static void format_json(ac_strbuf *buf, appcore_log_level level, const char *msg,
			const appcore_log_field *fields, size_t num_fields)
{
	ac_strbuf_puts(buf, "{\"ts\":\"");
	put_timestamp(buf);
	ac_strbuf_puts(buf, "\",\"level\":\"");
	ac_strbuf_puts(buf, level_names[level]);
	ac_strbuf_puts(buf, "\",\"msg\":");
	ac_strbuf_json_string(buf, msg, strlen(msg));
	for (size_t i = 0; i < num_fields; i++) {
		const char *key = fields[i].key != NULL ? fields[i].key : "";
		ac_strbuf_putc(buf, ',');
		ac_strbuf_json_string(buf, key, strlen(key));
		ac_strbuf_putc(buf, ':');
		put_json_value(buf, &fields[i]);
	}
	ac_strbuf_puts(buf, "}\n");
}

/* Text values stay bare when they are simple words; anything with blanks,
 * quotes, '=' or control bytes is quoted with JSON escaping. */
static void put_text_string(ac_strbuf *buf, const char *s)
{
	int bare = s[0] != '\0';

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && bare; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
			bare = 0;
	if (bare)
		ac_strbuf_puts(buf, s);
	else
		ac_strbuf_json_string(buf, s, strlen(s));
}

static void format_text(ac_strbuf *buf, appcore_log_level level, const char *msg,
			const appcore_log_field *fields, size_t num_fields)
{
	put_timestamp(buf);
	ac_strbuf_putc(buf, ' ');
	ac_strbuf_puts(buf, level_labels[level]);
	ac_strbuf_putc(buf, ' ');
	/* the message is free text: only control bytes need care */
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p < ' ' || *p == 0x7f)
			ac_strbuf_printf(buf, "\\x%02x", *p);
		else
			ac_strbuf_putc(buf, (char)*p);
	}
	for (size_t i = 0; i < num_fields; i++) {
		const appcore_log_field *f = &fields[i];
		ac_strbuf_putc(buf, ' ');
		put_text_string(buf, f->key != NULL ? f->key : "");
		ac_strbuf_putc(buf, '=');
		if (f->type == APPCORE_LOG_FIELD_STR && f->value.s != NULL)
			put_text_string(buf, f->value.s);
		else if (f->type == APPCORE_LOG_FIELD_FLOAT)
			ac_strbuf_double(buf, f->value.f);
		else
			put_json_value(buf, f);
	}
	ac_strbuf_putc(buf, '\n');
}

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		data += n;
		len -= (size_t)n;
	}
}

void appcore_log(appcore_logger *logger, appcore_log_level level, const char *msg,
		 const appcore_log_field *fields, size_t num_fields)
{
	char storage[1024];
	ac_strbuf buf;

	if (!appcore_log_enabled(logger, level))
		return;
	if (fields == NULL)
		num_fields = 0;
	ac_strbuf_init(&buf, storage, sizeof(storage));
	if (logger->format == APPCORE_LOG_JSON)
		format_json(&buf, level, msg != NULL ? msg : "", fields, num_fields);
	else
		format_text(&buf, level, msg != NULL ? msg : "", fields, num_fields);
	if (!buf.failed)
		write_all(logger->fd, buf.data, buf.len);
	ac_strbuf_release(&buf);
}
