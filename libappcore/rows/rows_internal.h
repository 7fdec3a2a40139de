/* Reading one text row (CSV or NDJSON line) into a dense float row: the part of a row scorer
 * that the batch-job splitter also needs, to recognise a CSV header the way every scorer
 * will. */
#ifndef APPCORE_ROWS_INTERNAL_H
#define APPCORE_ROWS_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "appcore/rows.h"

struct ac_rows_reader {
	const appcore_model *model;
	appcore_rows_format format;
	size_t nf;
	long *column_feature; /* CSV with a header: column -> feature; NULL without header */
	size_t columns;
	char *copy; /* the line, NUL-terminated, split in place */
	size_t copy_cap;
	char **fields; /* nf + 2 slots: one more than a row may have detects too many */
};

int ac_rows_reader_init(struct ac_rows_reader *r, const appcore_model *model,
			appcore_rows_format format, appcore_error *err);
void ac_rows_reader_dispose(struct ac_rows_reader *r);

/* Read one line (trailing \r and \n ignored). *is_row is true when row (nf floats) was
 * filled; false for an empty line or a CSV header (line 1 only), which the reader keeps for
 * the lines after it. Errors as appcore_rows_scorer_line(). */
int ac_rows_reader_line(bool *is_row, float *row, struct ac_rows_reader *r, const char *line,
			size_t len, size_t number, appcore_error *err);

/* Whether line is a CSV header (what line 1 of a CSV input is taken for when none of its
 * fields reads as a number), checked against the model's feature names: a header naming an
 * unknown feature is an error. Never an error for a line that is not a header. */
int ac_rows_reader_header(bool *is_header, struct ac_rows_reader *r, const char *line,
			  size_t len, appcore_error *err);

/* A line number as appcore_error stores it (an int): saturated, never wrapped. */
static inline int ac_rows_line_int(size_t number)
{
	return number > (size_t)INT_MAX ? INT_MAX : (int)number;
}

/* The length of line without trailing \r and \n. */
size_t ac_rows_trimmed_length(const char *line, size_t len);

#endif
