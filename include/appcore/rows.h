/**
 * @file appcore/rows.h
 * @brief Score text row streams (CSV, NDJSON): one prediction line per input row.
 *
 * `appcore-cli predict --input-format csv|ndjson`, the batch-job workers and any program that
 * scores files use this one implementation, so a file scored by any of them gives the same
 * bytes.
 *
 * Input, one row per line (the newline and any trailing `\r` are not part of it):
 * - CSV: comma-separated numbers; an empty field, `NA`, `nan` (any case) means missing. Line 1
 *   may be a header naming the model's features in any order: it is taken for a header when
 *   none of its fields reads as a number.
 * - NDJSON: each line a JSON array of numbers or null, or an object keyed by feature name, as
 *   a row of a JSON request (appcore_predict_parse_row()).
 * - Empty lines are skipped (they still count for line numbers). Text after a NUL byte is not
 *   allowed.
 *
 * Output, one line per row, ending in `\n`: the prediction written as appcore_format_value()
 * does (`%.9g`, `null` when not finite); a row with several outputs has its numbers separated
 * by commas (CSV) or as a JSON array (NDJSON).
 */
#ifndef APPCORE_ROWS_H
#define APPCORE_ROWS_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "predict.h"

APPCORE_BEGIN_DECLS

/** A text row format. */
typedef enum appcore_rows_format {
	APPCORE_ROWS_CSV = 0,   /**< comma-separated values, optional header */
	APPCORE_ROWS_NDJSON = 1 /**< one JSON row per line */
} appcore_rows_format;

/**
 * The media type of a format, for HTTP: `text/csv` or `application/x-ndjson`.
 * @return a static string; NULL for an unknown format. Thread-safe.
 */
APPCORE_API const char *appcore_rows_media_type(appcore_rows_format format);

/**
 * Where a scorer writes its output: called with one or more whole output lines.
 *
 * @return 0 when written; anything else stops the scorer, which then fails with APPCORE_EIO.
 */
typedef int (*appcore_rows_write_fn)(void *ctx, const char *data, size_t len);

/** A row stream being scored. Opaque; one per stream, used by one thread at a time. */
typedef struct appcore_rows_scorer appcore_rows_scorer;

/**
 * Start scoring a stream.
 *
 * Rows are predicted in batches of 1024; the output of a batch is written in one call to
 * @p write. Memory is bounded by a batch (and by the longest line).
 *
 * @param out     receives the scorer; release it with appcore_rows_scorer_free().
 * @param model   the model; the scorer takes a reference.
 * @param format  ::appcore_rows_format.
 * @param options NULL for the defaults; `output` and the iteration range apply
 *                (`max_batch_rows` does not).
 * @param write   receives the output; must not be NULL.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL argument, unknown format or options version);
 *         APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_rows_scorer_new(appcore_rows_scorer **out, appcore_model *model,
					appcore_rows_format format,
					const appcore_predict_options *options,
					appcore_rows_write_fn write, void *write_ctx, appcore_error *err);

/** Release a scorer without writing what it still holds. @p scorer may be NULL. */
APPCORE_API void appcore_rows_scorer_free(appcore_rows_scorer *scorer);

/**
 * Score one line of input.
 *
 * @param line        the line, without its newline (trailing `\r` and `\n` are ignored);
 *                    need not be NUL-terminated.
 * @param line_number its 1-based number in the input, for messages and for the CSV header
 *                    (only line 1 can be one). A program scoring part of a file passes the
 *                    file's header as line 1 first.
 * @return APPCORE_OK; for a bad line APPCORE_EREQUEST or APPCORE_EPARSE with err->line set
 *         and a message starting `line N: ` (e.g. `line 3: column 2: expected a finite number
 *         or an empty field, got 'x'`); APPCORE_EIO when @p write failed; APPCORE_ENOMEM; the
 *         errors of appcore_predict() (an iteration range the model does not have). After an
 *         error, rows before the bad line are still held: appcore_rows_scorer_flush() writes
 *         them, so output lines still match the input's first rows.
 */
APPCORE_API int appcore_rows_scorer_line(appcore_rows_scorer *scorer, const char *line,
					 size_t len, size_t line_number, appcore_error *err);

/**
 * Score every line of @p text (lines end at `\n`; the last one need not), numbering them
 * from @p first_line_number. Stops at the first bad line, as appcore_rows_scorer_line().
 */
APPCORE_API int appcore_rows_scorer_text(appcore_rows_scorer *scorer, const char *text,
					 size_t len, size_t first_line_number, appcore_error *err);

/**
 * Predict and write the rows still held (the last, partial batch).
 *
 * @return APPCORE_OK, APPCORE_EIO, APPCORE_ENOMEM, the errors of appcore_predict().
 */
APPCORE_API int appcore_rows_scorer_flush(appcore_rows_scorer *scorer, appcore_error *err);

/**
 * Called with each batch once it is predicted and before its output is written: the batch's
 * rows and their predictions, e.g. for a prediction log (appcore_predlog_record()).
 *
 * @param first_row 0-based number of the batch's first row among the rows of the stream
 *                  (lines that are rows: not the header, not empty lines).
 * @param inputs    @p num_rows x appcore_model_num_features() floats, NaN = missing.
 * @param outputs   @p num_rows x appcore_model_output_size() floats for the scorer's output
 *                  kind.
 * @param err       for the callback's own failure (appcore_error_set()).
 * @return APPCORE_OK to go on; an error code stops the scorer, which returns it (with @p err)
 *         and does not write the batch, so nothing is output that the callback refused.
 */
typedef int (*appcore_rows_batch_fn)(void *ctx, size_t first_row, const float *inputs,
				     size_t num_rows, const float *outputs, appcore_error *err);

/**
 * Set (or with NULL @p fn, clear) the callback that sees every batch; none by default.
 *
 * @return APPCORE_OK; APPCORE_EINVAL for a NULL @p scorer. Not thread-safe with the scorer's
 *         other calls: set it before the first line.
 */
APPCORE_API int appcore_rows_scorer_on_batch(appcore_rows_scorer *scorer, appcore_rows_batch_fn fn,
					     void *ctx);

/** Rows predicted and written so far. */
APPCORE_API size_t appcore_rows_scorer_rows(const appcore_rows_scorer *scorer);

APPCORE_END_DECLS

#endif /* APPCORE_ROWS_H */
