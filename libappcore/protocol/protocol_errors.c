/* Errors as each REST protocol answers them: appcore's own {"error":{"code","message"}}, and
 * the {"error": "message"} of the Open Inference Protocol and TensorFlow Serving, whose
 * specifications answer every invalid request with 400. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "appcore/protocol.h"
#include "core/error_internal.h"
#include "core/utf8.h"

int appcore_protocol_http_status(appcore_protocol protocol, int code)
{
	if (protocol == APPCORE_PROTOCOL_APPCORE)
		return appcore_error_http_status(code);
	if (protocol != APPCORE_PROTOCOL_OIP && protocol != APPCORE_PROTOCOL_TFSERVING)
		return 500;
	switch (code) {
	case APPCORE_OK:
		return 200;
	case APPCORE_EINVAL:
	case APPCORE_EPARSE:
	case APPCORE_EREQUEST:
	case APPCORE_ECONFIG:
	case APPCORE_EMODEL:
	case APPCORE_EUNSUPPORTED:
	case APPCORE_ELIMIT:
	case APPCORE_EBADREQUEST:
	case APPCORE_EINCOMPLETE:
		return 400;
	case APPCORE_ENOMEM:
	case APPCORE_EIO:
	case APPCORE_EINTERNAL:
		return 500;
	default:
		/* the HTTP-level codes (401, 403, 404, 405, 408, 409, 413, 415, 503) */
		return appcore_error_http_status(code);
	}
}

int appcore_protocol_error_json(char **out, size_t *out_len, appcore_protocol protocol,
				const appcore_error *err)
{
	char message[APPCORE_ERROR_MESSAGE_SIZE * 3];
	json_t *doc;
	char *text;

	if (out == NULL || err == NULL)
		return APPCORE_EINVAL;
	*out = NULL;
	if (protocol == APPCORE_PROTOCOL_APPCORE)
		return appcore_error_json(out, out_len, err);
	if (protocol != APPCORE_PROTOCOL_OIP && protocol != APPCORE_PROTOCOL_TFSERVING)
		return APPCORE_EINVAL;
	/* messages quote request input, which need not be UTF-8 */
	ac_utf8_sanitize(message, sizeof(message), err->message);
	doc = json_pack("{s:s}", "error", message);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	if (text == NULL)
		return APPCORE_ENOMEM;
	*out = text;
	if (out_len != NULL)
		*out_len = strlen(text);
	return APPCORE_OK;
}
