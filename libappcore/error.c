#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_internal.h"

const char *appcore_strerror(int code)
{
	switch (code) {
#define AC_X_TEXT(name, value, machine, text) \
	case (value):                          \
		return text;
		APPCORE_ERROR_LIST(AC_X_TEXT)
#undef AC_X_TEXT
	default:
		return "unknown error";
	}
}

const char *appcore_error_name(int code)
{
	switch (code) {
#define AC_X_NAME(name, value, machine, text) \
	case (value):                          \
		return machine;
		APPCORE_ERROR_LIST(AC_X_NAME)
#undef AC_X_NAME
	default:
		return "unknown";
	}
}

void appcore_error_clear(appcore_error *err)
{
	if (err == NULL)
		return;
	err->code = APPCORE_OK;
	err->line = 0;
	err->column = 0;
	err->message[0] = '\0';
}

static int error_vset(appcore_error *err, int code, int line, int column, const char *fmt,
		      va_list ap) AC_PRINTF(5, 0);

static int error_vset(appcore_error *err, int code, int line, int column, const char *fmt,
		      va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int ac_error_set(appcore_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int ac_error_set_at(appcore_error *err, int code, int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, code, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void ac_error_prefix(appcore_error *err, const char *prefix)
{
	char combined[2 * APPCORE_ERROR_MESSAGE_SIZE];

	if (err == NULL || prefix == NULL)
		return;
	snprintf(combined, sizeof(combined), "%s: %s", prefix, err->message);
	/* Truncate like every other message rather than fail. */
	snprintf(err->message, sizeof(err->message), "%.*s", (int)sizeof(err->message) - 1, combined);
}
