/* Recorded requests as rows of PostgreSQL's COPY text format, in the column order of
 * PL_COPY_COLUMNS (schema.h). */
#ifndef APPCORE_PREDLOG_COPY_H
#define APPCORE_PREDLOG_COPY_H

#include "core/log_strbuf.h"
#include "predlog/record.h"

/* Append one line per row of the request. Missing inputs (NaN) become NULL array elements;
 * outputs keep NaN and infinities (PostgreSQL's real has them). Strings are escaped for COPY
 * and bytes that are not UTF-8 become U+FFFD. On allocation failure buf->failed is set. */
void pl_copy_rows(ac_strbuf *buf, const struct pl_view *view);

#endif
