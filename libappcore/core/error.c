#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/error_internal.h"
#include "core/utf8.h"

/* The error list as a table: code, machine name, HTTP status, description. */
static const struct error_entry {
	int code;
	const char *name;
	int status;
	const char *text;
} errors[] = {
#define AC_X_ENTRY(name, value, machine, status, text) { (value), machine, status, text },
	APPCORE_ERROR_LIST(AC_X_ENTRY)
#undef AC_X_ENTRY
};

/* Errors are the slow path: a scan of a couple of dozen entries is cheap. */
static const struct error_entry *find(int code)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return &errors[i];
	return NULL;
}

const char *appcore_strerror(int code)
{
	const struct error_entry *e = find(code);
	return e ? e->text : "unknown error";
}

const char *appcore_error_name(int code)
{
	const struct error_entry *e = find(code);
	return e ? e->name : "unknown";
}

int appcore_error_http_status(int code)
{
	const struct error_entry *e = find(code);
	return e ? e->status : 500;
}

void appcore_error_clear(appcore_error *err)
{
	if (err == NULL)
		return;
	/* every field, reserved ones included, has a defined value */
	memset(err, 0, sizeof(*err));
}

static int error_vset(appcore_error *err, int code, int line, int column, const char *fmt,
		      va_list ap) AC_PRINTF(5, 0);

static int error_vset(appcore_error *err, int code, int line, int column, const char *fmt,
		      va_list ap)
{
	if (err == NULL)
		return code;
	appcore_error_clear(err);
	err->code = code;
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int appcore_error_set(appcore_error *err, int code, const char *fmt, ...)
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

int appcore_error_json(char **out, size_t *out_len, const appcore_error *err)
{
	char message[APPCORE_ERROR_MESSAGE_SIZE * 3];
	json_t *detail;
	json_t *doc;
	char *text;

	if (out == NULL || err == NULL)
		return APPCORE_EINVAL;
	*out = NULL;
	/* messages quote caller input, which need not be UTF-8 */
	ac_utf8_sanitize(message, sizeof(message), err->message);
	detail = json_pack("{s:s,s:s}", "code", appcore_error_name(err->code), "message", message);
	if (detail != NULL && err->line > 0) {
		json_object_set_new(detail, "line", json_integer(err->line));
		json_object_set_new(detail, "column", json_integer(err->column));
	}
	doc = detail ? json_pack("{s:o}", "error", detail) : NULL;
	/* ensure_ascii keeps any byte a message quotes from input valid JSON */
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	if (text == NULL)
		return APPCORE_ENOMEM;
	*out = text;
	if (out_len != NULL)
		*out_len = strlen(text);
	return APPCORE_OK;
}

#if defined(__GNUC__)
/* Jansson seeds its hash function on first use, and the seeding is not safe to race: seed it
 * once when the library loads, before any program thread can use it. It lives here because
 * every program that links libappcore, statically too, links this file. */
__attribute__((constructor)) static void seed_jansson(void)
{
	json_object_seed(0);
}
#endif
