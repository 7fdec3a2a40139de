/* Private helpers for filling an appcore_error; not installed. */
#ifndef APPCORE_ERROR_INTERNAL_H
#define APPCORE_ERROR_INTERNAL_H

#include "appcore/error.h"

#if defined(__GNUC__)
#  define AC_PRINTF(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))
#else
#  define AC_PRINTF(fmt_index, args_index)
#endif

/* Fill err (if not NULL) and return code, so callers can write
 * `return ac_error_set(err, APPCORE_EINVAL, "...")`: the public appcore_error_set(). */
#define ac_error_set appcore_error_set

/* Same, with the 1-based position in text input the message refers to. */
int ac_error_set_at(appcore_error *err, int code, int line, int column, const char *fmt, ...)
	AC_PRINTF(5, 6);

/* Prefix an already-filled message with "prefix: " (e.g. a file name). */
void ac_error_prefix(appcore_error *err, const char *prefix);

#endif /* APPCORE_ERROR_INTERNAL_H */
