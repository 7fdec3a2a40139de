/**
 * @file appcore/error.h
 * @brief Error codes and the detailed-error structure every call fills on failure.
 *
 * Every fallible function returns an `int`: `APPCORE_OK` (0) on success or one of the
 * negative codes below. Functions that can say more take a trailing `appcore_error *err`
 * (may be NULL); on failure it receives the code, a human-readable message and, for text
 * input (JSON, YAML, CSV), the 1-based line and column of the problem. The structure is
 * caller-owned, so reporting an error needs no allocation and no thread-local state.
 */
#ifndef APPCORE_ERROR_H
#define APPCORE_ERROR_H

#include <stddef.h>

#include "common.h"

APPCORE_BEGIN_DECLS

/**
 * The single list of error codes:
 * X(NAME, value, machine_name, http_status, description).
 *
 * machine_name is the stable string of JSON error bodies and logs; http_status is the
 * status every appcore shell answers with (see appcore_error_http_status()), so a program
 * embedding the library answers exactly as appcore-server does. Codes are never renumbered
 * or reused; new ones are appended.
 */
#define APPCORE_ERROR_LIST(X)                                                                      \
	X(OK, 0, "ok", 200, "success")                                                             \
	X(EINVAL, -1, "invalid_argument", 422, "invalid argument")                                 \
	X(ENOMEM, -2, "out_of_memory", 500, "out of memory")                                       \
	X(EIO, -3, "io_error", 500, "input/output error")                                          \
	X(EPARSE, -4, "parse_error", 400, "input could not be parsed")                             \
	X(EREQUEST, -5, "invalid_request", 422, "request is well-formed but not valid")            \
	X(ECONFIG, -6, "invalid_config", 500, "invalid configuration")                             \
	X(EMODEL, -7, "invalid_model", 500, "invalid or unsupported model")                        \
	X(EUNSUPPORTED, -8, "unsupported", 400, "operation or format not supported")               \
	X(ELIMIT, -9, "limit_exceeded", 422, "a configured limit was exceeded")                    \
	X(EEXISTS, -10, "already_exists", 409, "already exists")                                   \
	X(ENOTFOUND, -11, "not_found", 404, "not found")                                           \
	X(EINTERNAL, -12, "internal_error", 500, "internal error")                                 \
	X(EBADREQUEST, -13, "bad_request", 400, "malformed HTTP request")                          \
	X(EINCOMPLETE, -14, "incomplete_body", 400, "request body shorter than declared")          \
	X(EUNAUTHORIZED, -15, "unauthorized", 401, "authentication required")                      \
	X(EFORBIDDEN, -16, "forbidden", 403, "not allowed")                                        \
	X(EMETHOD, -17, "method_not_allowed", 405, "method not allowed")                           \
	X(ETIMEOUT, -18, "request_timeout", 408, "request not received in time")                   \
	X(ECONFLICT, -19, "conflict", 409, "not possible in the current state")                    \
	X(ETOOLARGE, -20, "payload_too_large", 413, "request body too large")                      \
	X(EMEDIATYPE, -21, "unsupported_media_type", 415, "unsupported media type")                \
	X(EUNAVAILABLE, -22, "not_ready", 503, "not ready to serve")

/** Error codes returned by libappcore functions. */
typedef enum appcore_error_code {
/** @cond internal: expands the list into enumerators */
#define APPCORE_X_ENUM(name, value, machine, status, text) APPCORE_##name = (value),
	APPCORE_ERROR_LIST(APPCORE_X_ENUM)
#undef APPCORE_X_ENUM
	/** @endcond */
} appcore_error_code;

/** Size of appcore_error::message, including the terminating NUL. */
#define APPCORE_ERROR_MESSAGE_SIZE 1024

/**
 * Detailed description of a failure, filled by the library.
 *
 * Like every structure the library fills for the caller, it has a fixed size with reserved
 * space at the end, so later releases can add fields without changing its size (see
 * docs/api-rules.md). The library writes every field on failure; the caller need not
 * initialise it, and on success its content is unspecified.
 */
typedef struct appcore_error {
	int code;         /**< One of ::appcore_error_code (APPCORE_OK when cleared). */
	int line;         /**< 1-based line in the offending text input, 0 if not applicable. */
	int column;       /**< 1-based column in the offending text input, 0 if not applicable. */
	int reserved_int; /**< Reserved; written as 0. */
	char message[APPCORE_ERROR_MESSAGE_SIZE]; /**< NUL-terminated, truncated if longer. */
	void *reserved[8]; /**< Reserved for later fields; written as NULL. */
} appcore_error;

/**
 * Describe an error code in words ("out of memory").
 *
 * @param code any integer; unknown codes give "unknown error".
 * @return a static string, never NULL. Thread-safe.
 */
APPCORE_API const char *appcore_strerror(int code);

/**
 * The stable machine-readable name of an error code ("invalid_request"), as used in JSON
 * error bodies.
 *
 * @param code any integer; unknown codes give "unknown".
 * @return a static string, never NULL. Thread-safe.
 */
APPCORE_API const char *appcore_error_name(int code);

/**
 * The HTTP status every appcore shell answers an error with (422 for
 * APPCORE_EREQUEST, 503 for APPCORE_EUNAVAILABLE, ...): the table of
 * #APPCORE_ERROR_LIST.
 *
 * @param code any integer; unknown codes give 500.
 * @return an HTTP status code. Thread-safe.
 */
APPCORE_API int appcore_error_http_status(int code);

/**
 * Reset @p err to "no error": code APPCORE_OK, empty message, line and column 0.
 *
 * @param err may be NULL (then nothing happens). Thread-safe for distinct structures.
 */
APPCORE_API void appcore_error_clear(appcore_error *err);

/**
 * Fill @p err with @p code and a printf-style message (truncated to fit), line and column 0.
 * Programs use it to report their own failures (an HTTP shell's 405, say) in the same form
 * as the library's, then render them with appcore_error_json().
 *
 * @param err  may be NULL (then only the code is returned).
 * @param code one of ::appcore_error_code.
 * @return @p code, so that `return appcore_error_set(err, APPCORE_EINVAL, "...")` works.
 *         Thread-safe for distinct structures.
 */
APPCORE_API int appcore_error_set(appcore_error *err, int code, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/**
 * Render @p err as the JSON error body shared by every appcore shell:
 * `{"error":{"code":"<appcore_error_name>","message":"..."}}` (plus `"line"` and `"column"`
 * when they are set). Bytes of the message that are not UTF-8 become U+FFFD; the output is
 * ASCII.
 *
 * @param out      receives a NUL-terminated string owned by the caller; release it with
 *                 appcore_free().
 * @param out_len  receives strlen(*out); may be NULL.
 * @param err      the error to render; must not be NULL.
 * @return APPCORE_OK, APPCORE_EINVAL for NULL arguments, APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_error_json(char **out, size_t *out_len, const appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_ERROR_H */
