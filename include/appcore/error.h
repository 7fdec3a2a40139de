/**
 * @file appcore/error.h
 * @brief Error codes and the detailed-error out structure used by every call.
 *
 * Every fallible function returns an `int`: #APPCORE_OK (0) on success or one
 * of the negative codes below. Functions that can say more take a trailing
 * `appcore_error *err` argument (may be NULL); on failure it is filled with
 * the code, a human-readable message and, for text input (JSON, YAML), the
 * 1-based line and column of the problem. The structure is caller-owned, so
 * error reporting needs no allocation and no thread-local state.
 */
#ifndef APPCORE_ERROR_H
#define APPCORE_ERROR_H

#include <stddef.h>

#include "common.h"

APPCORE_BEGIN_DECLS

/**
 * The single list of error codes: X(NAME, value, machine_name, description).
 * machine_name is the stable string used in JSON error bodies and logs.
 */
#define APPCORE_ERROR_LIST(X)                                                        \
	X(OK, 0, "ok", "success")                                                        \
	X(EINVAL, -1, "invalid_argument", "invalid argument")                            \
	X(ENOMEM, -2, "out_of_memory", "out of memory")                                  \
	X(EIO, -3, "io_error", "input/output error")                                     \
	X(EPARSE, -4, "parse_error", "input could not be parsed")                        \
	X(EREQUEST, -5, "invalid_request", "request is well-formed but not valid")       \
	X(ECONFIG, -6, "invalid_config", "invalid configuration")                        \
	X(EMODEL, -7, "invalid_model", "invalid or unsupported model")                   \
	X(EUNSUPPORTED, -8, "unsupported", "operation or format not supported")          \
	X(ELIMIT, -9, "limit_exceeded", "a configured limit was exceeded")               \
	X(EEXISTS, -10, "already_exists", "already exists")                              \
	X(ENOTFOUND, -11, "not_found", "not found")                                      \
	X(EINTERNAL, -12, "internal_error", "internal error")

/** Error codes returned by libappcore functions. */
typedef enum appcore_error_code {
#define APPCORE_X_ENUM(name, value, machine, text) APPCORE_##name = (value),
	APPCORE_ERROR_LIST(APPCORE_X_ENUM)
#undef APPCORE_X_ENUM
} appcore_error_code;

/** Size of appcore_error::message, including the terminating NUL. */
#define APPCORE_ERROR_MESSAGE_SIZE 512

/**
 * Detailed description of a failure. Caller-allocated; zero-initialise it or
 * call appcore_error_clear() before use.
 */
typedef struct appcore_error {
	int code;     /**< One of ::appcore_error_code (APPCORE_OK when no error). */
	int line;     /**< 1-based line in the offending text input, 0 if not applicable. */
	int column;   /**< 1-based column in the offending text input, 0 if not applicable. */
	char message[APPCORE_ERROR_MESSAGE_SIZE]; /**< NUL-terminated, truncated if longer. */
} appcore_error;

/**
 * Describe an error code in words ("out of memory").
 *
 * @param code any integer; unknown codes give "unknown error".
 * @return a static string, never NULL. Thread-safe.
 */
APPCORE_API const char *appcore_strerror(int code);

/**
 * The stable machine-readable name of an error code ("invalid_request"),
 * as used in JSON error bodies.
 *
 * @param code any integer; unknown codes give "unknown".
 * @return a static string, never NULL. Thread-safe.
 */
APPCORE_API const char *appcore_error_name(int code);

/**
 * Reset @p err to "no error" (code APPCORE_OK, empty message, line/column 0).
 *
 * @param err may be NULL (then nothing happens). Thread-safe for distinct
 *            structures.
 */
APPCORE_API void appcore_error_clear(appcore_error *err);

/**
 * Render @p err as the JSON error body shared by appcore-server and
 * appcore-cli: `{"error":{"code":"<appcore_error_name>","message":"..."}}`
 * (plus `"line"` and `"column"` when they are set).
 *
 * @param out      receives a NUL-terminated string owned by the caller; release
 *                 it with appcore_free().
 * @param out_len  receives strlen(*out); may be NULL.
 * @param err      the error to render; must not be NULL.
 * @return APPCORE_OK, APPCORE_EINVAL for NULL arguments, APPCORE_ENOMEM.
 *         Thread-safe.
 */
APPCORE_API int appcore_error_json(char **out, size_t *out_len, const appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_ERROR_H */
