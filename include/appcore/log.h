/**
 * @file appcore/log.h
 * @brief Structured logging: one JSON object (or one text line) per event.
 *
 * JSON lines look like
 * `{"ts":"2024-05-01T12:00:00.123456Z","level":"info","msg":"request","status":200}`:
 * `ts` is RFC 3339 UTC with microseconds, then `level`, `msg` and the typed
 * fields in the order given. Any bytes a caller passes are escaped so every
 * line is valid JSON (bytes that are not UTF-8 become U+FFFD). The text
 * format, for a terminal, is
 * `2024-05-01T12:00:00.123456Z INFO  request status=200 path=/predict`.
 *
 * Each event is formatted into one buffer and written with a single write(2),
 * so lines from concurrent threads never interleave. Events below the
 * logger's level are dropped before any formatting.
 */
#ifndef APPCORE_LOG_H
#define APPCORE_LOG_H

#include <stddef.h>

#include "common.h"
#include "error.h"

APPCORE_BEGIN_DECLS

/** A logger: a file descriptor, a minimum level and a format. */
typedef struct appcore_logger appcore_logger;

/** Severity, lowest first. */
typedef enum appcore_log_level {
	APPCORE_LOG_DEBUG,
	APPCORE_LOG_INFO,
	APPCORE_LOG_WARN,
	APPCORE_LOG_ERROR,
} appcore_log_level;

/** Output format. */
typedef enum appcore_log_format {
	APPCORE_LOG_JSON, /**< one JSON object per line */
	APPCORE_LOG_TEXT, /**< human-readable `key=value` lines */
} appcore_log_format;

/** Type tags of appcore_log_field::type. */
enum appcore_log_field_type {
	APPCORE_LOG_FIELD_STR,   /**< value.s, any bytes, NUL-terminated; NULL is written as null */
	APPCORE_LOG_FIELD_INT,   /**< value.i */
	APPCORE_LOG_FIELD_FLOAT, /**< value.f; NaN and infinities are written as null */
	APPCORE_LOG_FIELD_BOOL,  /**< value.b, 0 is false */
};

/**
 * One key/value pair of an event. Build fields with the APPCORE_LOG_* macros (or the
 * appcore_log_field_* functions they call), never field by field: the value union is padded
 * to a fixed size so later releases can add value types without changing the structure's
 * size (see docs/api-rules.md).
 */
typedef struct appcore_log_field {
	const char *key; /**< escaped like values; should be a plain identifier */
	int type;        /**< an appcore_log_field_type */
	/** The value, the member `type` names. */
	union {
		const char *s;     /**< APPCORE_LOG_FIELD_STR */
		long long i;       /**< APPCORE_LOG_FIELD_INT */
		double f;          /**< APPCORE_LOG_FIELD_FLOAT */
		int b;             /**< APPCORE_LOG_FIELD_BOOL */
		void *reserved[2]; /**< fixes the size for later value types */
	} value;
} appcore_log_field;

/** A string field. Inline so that it costs nothing; valid C11 and C++. */
static inline appcore_log_field appcore_log_field_str(const char *key, const char *value)
{
	appcore_log_field field;
	field.key = key;
	field.type = APPCORE_LOG_FIELD_STR;
	field.value.s = value;
	return field;
}

/** An integer field. */
static inline appcore_log_field appcore_log_field_int(const char *key, long long value)
{
	appcore_log_field field;
	field.key = key;
	field.type = APPCORE_LOG_FIELD_INT;
	field.value.i = value;
	return field;
}

/** A floating-point field, written in the shortest form that reads back exactly. */
static inline appcore_log_field appcore_log_field_float(const char *key, double value)
{
	appcore_log_field field;
	field.key = key;
	field.type = APPCORE_LOG_FIELD_FLOAT;
	field.value.f = value;
	return field;
}

/** A boolean field (0 is false). */
static inline appcore_log_field appcore_log_field_bool(const char *key, int value)
{
	appcore_log_field field;
	field.key = key;
	field.type = APPCORE_LOG_FIELD_BOOL;
	field.value.b = value;
	return field;
}

/** A string field: `APPCORE_LOG_STR("path", "/predict")`. */
#define APPCORE_LOG_STR(k, v) appcore_log_field_str((k), (v))
/** An integer field. */
#define APPCORE_LOG_INT(k, v) appcore_log_field_int((k), (long long)(v))
/** A floating-point field. */
#define APPCORE_LOG_FLOAT(k, v) appcore_log_field_float((k), (double)(v))
/** A boolean field. */
#define APPCORE_LOG_BOOL(k, v) appcore_log_field_bool((k), (v) ? 1 : 0)

/**
 * Create a logger.
 *
 * @param out receives the logger; release it with appcore_logger_free().
 * @param fd where lines go (STDERR_FILENO usually); not closed by the logger.
 * @return APPCORE_OK, APPCORE_EINVAL (bad level, format or fd < 0), APPCORE_ENOMEM.
 */
APPCORE_API int appcore_logger_new(appcore_logger **out, int fd, appcore_log_level min_level,
				   appcore_log_format format, appcore_error *err);

/** Release a logger. No thread may be logging with it. @param logger may be NULL. */
APPCORE_API void appcore_logger_free(appcore_logger *logger);

/**
 * Parse a level name: "debug", "info", "warn" or "error" (as in logging.level).
 * @return APPCORE_OK, or APPCORE_EINVAL for anything else (then *out is unchanged).
 */
APPCORE_API int appcore_log_level_parse(appcore_log_level *out, const char *name);

/** Whether events of @p level are written (0 or 1; 0 for a NULL logger). Thread-safe. */
APPCORE_API int appcore_log_enabled(const appcore_logger *logger, appcore_log_level level);

/**
 * Write one event. Thread-safe; one write(2) per event (retried on EINTR and
 * short writes); write errors are ignored, since logging must never fail a
 * request.
 *
 * @param logger may be NULL (nothing is written).
 * @param msg the message; NULL is written as "".
 * @param fields @p num_fields fields, may be NULL when num_fields is 0.
 */
APPCORE_API void appcore_log(appcore_logger *logger, appcore_log_level level, const char *msg,
			     const appcore_log_field *fields, size_t num_fields);

APPCORE_END_DECLS

#endif /* APPCORE_LOG_H */
