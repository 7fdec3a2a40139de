/* Which kind of file a model is, told by its content (never its name): JSON or UBJSON go to
 * the document reader; XGBoost's legacy binary formats are recognised and refused with the
 * way to convert them. */
#include <stdint.h>
#include <string.h>

#include "core/error_internal.h"
#include "model/document.h"
#include "model/input.h"
#include "model/model_internal.h"
#include "model/reader.h"

#define CONVERT_HINT                                                                            \
	"load it with xgboost.Booster(model_file=...) and save it with "                       \
	"booster.save_model(\"model.json\") or (\"model.ubj\")"

/* LearnerModelParam of the binary format: 136 bytes in every release that wrote it. */
#define LEGACY_PARAM_SIZE 136

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A dmlc string (uint64 little-endian length, bytes) at p: its length if it is plausible
 * as an objective or booster name, else 0. */
static size_t name_at(const unsigned char *p, size_t avail)
{
	uint64_t len;

	if (avail < 8)
		return 0;
	len = le64(p);
	if (len == 0 || len > 64 || len > avail - 8)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[8 + i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == ':' || c == '_' || c == '-'))
			return 0;
	}
	return (size_t)len;
}

/* The binary format of XGBoost before 1.0 (and of 1.x's save_model for names not ending in
 * .json or .ubj): "binf" (1.x), then LearnerModelParam, the objective's name and the
 * booster's ("gbtree", "gblinear" or "dart"). */
static bool legacy_binary(const unsigned char *p, size_t have)
{
	size_t off = 0, objective, booster;

	if (have >= 4 && memcmp(p, "binf", 4) == 0)
		return true;
	if (have < LEGACY_PARAM_SIZE)
		return false;
	off = LEGACY_PARAM_SIZE;
	if ((objective = name_at(p + off, have - off)) == 0)
		return false;
	off += 8 + objective;
	if ((booster = name_at(p + off, have - off)) == 0)
		return false;
	return (booster == 6 && memcmp(p + off + 8, "gbtree", 6) == 0) ||
	       (booster == 8 && memcmp(p + off + 8, "gblinear", 8) == 0) ||
	       (booster == 4 && memcmp(p + off + 8, "dart", 4) == 0);
}

int ac_model_parse(appcore_model *m, struct ac_input *in, appcore_error *err)
{
	appcore_error local;
	struct ac_reader r;
	size_t have;
	int rc;

	if (err == NULL)
		err = &local;
	appcore_error_clear(err);
	have = ac_input_fill(in, 512);
	if (legacy_binary((const unsigned char *)in->cur, have))
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "this is a legacy binary XGBoost model (written before XGBoost 1.0, "
				    "or by 1.x for a file name not ending in .json or .ubj); appcore "
				    "reads JSON and UBJSON models: " CONVERT_HINT);
	if (have >= 14 && memcmp(in->cur, "CONFIG-offset:", 14) == 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "this is an XGBoost 1.x memory snapshot (pickle or "
				    "Booster.save_raw()), not a model file: " CONVERT_HINT);
	ac_reader_init(&r, ac_detect_format(in), in, err);
	rc = ac_model_read_document(m, &r, err);
	ac_reader_free(&r);
	return rc;
}
