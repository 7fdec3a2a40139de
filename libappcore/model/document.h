/* The XGBoost model document over the token events of reader.h (document.c). Private. */
#ifndef APPCORE_MODEL_DOCUMENT_H
#define APPCORE_MODEL_DOCUMENT_H

#include "model/model_internal.h"
#include "model/reader.h"

/* Read the whole document into a zeroed model. err must not be NULL and must be clear. */
int ac_model_read_document(appcore_model *m, struct ac_reader *r, appcore_error *err);

#endif
