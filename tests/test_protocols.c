/* The Open Inference Protocol and TensorFlow Serving documents, byte for byte, every bad
 * tensor the issue names with its message and status, and the "model" member of /predict. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcore.h"
#include "check_main.h"
#include "repo_helpers.h"

static appcore_model *iris(void)
{
	appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_error err;

	options.name = "iris";
	options.model_version = "3";
	ck_assert_int_eq(appcore_model_load_file(&model, IRIS, &options, &err), APPCORE_OK);
	return model;
}

/* The answer to body, or "<status> <message>" of the error. */
static const char *oip(const appcore_model *model, const char *body,
		       const appcore_predict_options *options)
{
	static char out[8192];
	appcore_response response;
	appcore_error err;
	int rc = appcore_oip_infer(&response, model, body, strlen(body), options, &err);

	if (rc != APPCORE_OK) {
		ck_assert_int_eq(err.code, rc);
		ck_assert_ptr_null(response.body);
		snprintf(out, sizeof(out), "%d %s",
			 appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, rc), err.message);
		return out;
	}
	snprintf(out, sizeof(out), "%s", response.body);
	ck_assert_uint_eq(response.body_len, strlen(response.body));
	appcore_response_dispose(&response);
	return out;
}

static const char *tfs(const appcore_model *model, const char *body,
		       const appcore_predict_options *options)
{
	static char out[8192];
	appcore_response response;
	appcore_error err;
	int rc = appcore_tfserving_predict(&response, model, body, strlen(body), options, &err);

	if (rc != APPCORE_OK) {
		snprintf(out, sizeof(out), "%d %s",
			 appcore_protocol_http_status(APPCORE_PROTOCOL_TFSERVING, rc), err.message);
		return out;
	}
	snprintf(out, sizeof(out), "%s", response.body);
	appcore_response_dispose(&response);
	return out;
}

/* a string literal and its length, as arguments */
#define S(text) text, strlen(text)

#define ROW1 "5.1,3.5,1.4,0.2"
#define ROW2 "6.2,2.9,4.3,1.3"
#define P1 "0.991851151,0.00543696666,0.00271187117"
#define P2 "0.00501264678,0.989450634,0.0055367914"
#define M1 "3.61817026,-1.5881815,-2.28376389"
#define M2 "-2.23476982,3.05041575,-2.13531923"

#define TENSOR(type, shape, data)                                                                  \
	"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" type "\",\"shape\":" shape ",\"data\":" data \
	"}]}"

START_TEST(oip_infer_answers)
{
	appcore_model *model = iris();

	/* nested or flat data, the same answer; no id, no id in the answer */
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[2,4]", "[[" ROW1 "],[" ROW2 "]]"), NULL),
			 "{\"model_name\":\"iris\",\"model_version\":\"3\",\"outputs\":[{\"name\":"
			 "\"predict\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[" P1 "," P2
			 "]}]}");
	ck_assert_str_eq(oip(model, TENSOR("FP64", "[2,4]", "[" ROW1 "," ROW2 "]"), NULL),
			 "{\"model_name\":\"iris\",\"model_version\":\"3\",\"outputs\":[{\"name\":"
			 "\"predict\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[" P1 "," P2
			 "]}]}");
	/* id echoed (escaped), outputs in the order asked, parameters ignored unless known */
	ck_assert_str_eq(oip(model,
			     "{\"id\":\"a\\\"b\",\"parameters\":{\"x\":1},\"outputs\":[{\"name\":"
			     "\"margin\"},{\"name\":\"predict\",\"parameters\":{}}],\"inputs\":[{"
			     "\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],\"parameters\":{"
			     "\"content_type\":\"np\"},\"data\":[" ROW1 "]}]}",
			     NULL),
			 "{\"model_name\":\"iris\",\"model_version\":\"3\",\"id\":\"a\\\"b\","
			 "\"outputs\":[{\"name\":\"margin\",\"datatype\":\"FP32\",\"shape\":[1,3],"
			 "\"data\":[" M1 "]},{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":"
			 "[1,3],\"data\":[" P1 "]}]}");
	/* integers and booleans are numbers too; null is a missing value */
	ck_assert_str_eq(oip(model, TENSOR("INT32", "[1,4]", "[5,3,1,0]"), NULL),
			 oip(model, TENSOR("FP32", "[1,4]", "[5.0,3.0,1.0,0.0]"), NULL));
	ck_assert_str_eq(oip(model, TENSOR("BOOL", "[1,4]", "[true,false,true,false]"), NULL),
			 oip(model, TENSOR("UINT8", "[1,4]", "[1,0,1,0]"), NULL));
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[1,4]", "[null,3.5,NaN,0.2]"), NULL),
			 oip(model, TENSOR("FP64", "[1,4]", "[[null,3.5,null,0.2]]"), NULL));
	appcore_model_unref(model);
}
END_TEST

/* The fast path (oip_fast.c) answers exactly as the general one: "parameters": {} sends the
 * same request down the general path. */
START_TEST(oip_fast_path_equals_general_path)
{
	static const char *const outputs[] = { "", ",\"outputs\":[{\"name\":\"margin\"}]",
					       (",\"outputs\":[{\"name\":\"margin\"},{\"name\":"
						"\"predict\"}]") };
	appcore_model *model = iris();
	unsigned seed = 12345;

	for (int round = 0; round < 200; round++) {
		char data[4096], body[6144], general[8192], fast_answer[8192];
		size_t rows = 1 + (size_t)(round % 7), used = 0;
		int nested = round % 2, with_id = round % 3 == 0;

		for (size_t r = 0; r < rows; r++) {
			used += (size_t)snprintf(data + used, sizeof(data) - used, "%s%s",
						 r ? "," : "", nested ? "[" : "");
			for (int c = 0; c < 4; c++) {
				seed = seed * 1103515245u + 12345u;
				switch (seed % 5) {
				case 0:
					used += (size_t)snprintf(data + used, sizeof(data) - used,
								 "%snull", c ? "," : "");
					break;
				case 1:
					used += (size_t)snprintf(data + used, sizeof(data) - used,
								 "%s%u", c ? "," : "", seed % 9);
					break;
				case 2:
					used += (size_t)snprintf(data + used, sizeof(data) - used,
								 "%s%ue-1", c ? "," : "", seed % 80);
					break;
				default:
					used += (size_t)snprintf(data + used, sizeof(data) - used,
								 "%s%.6f", c ? "," : "",
								 (double)(seed % 100000) / 9973.0);
				}
			}
			if (nested)
				used += (size_t)snprintf(data + used, sizeof(data) - used, "]");
		}
		snprintf(body, sizeof(body),
			 "{%s\"inputs\":[{\"name\":\"x\",\"datatype\":\"%s\",\"shape\":[%zu,4],"
			 "\"data\":[%s]}]%s}",
			 with_id ? "\"id\":\"req-7\"," : "", round % 4 == 1 ? "FP64" : "FP32", rows,
			 data, outputs[round % 3]);
		snprintf(fast_answer, sizeof(fast_answer), "%s", oip(model, body, NULL));
		snprintf(general, sizeof(general), "{\"parameters\":{},%s", body + 1);
		ck_assert_msg(strncmp(fast_answer, "{\"model_name\"", 13) == 0, "%s -> %s", body,
			      fast_answer);
		ck_assert_msg(strcmp(fast_answer, oip(model, general, NULL)) == 0, "%s", body);
	}
	/* shapes the fast path leaves to the general one, with the general one's errors */
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[2,4]", "[" ROW1 "]"), NULL),
			 "400 inputs[0].data: shape [2, 4] does not match the 4 values of data");
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[01,4]", "[" ROW1 "]"),
			     NULL),
			 "400 invalid JSON at line 1, column 51: invalid token near '0'");
	appcore_model_unref(model);
}
END_TEST

START_TEST(oip_iteration_parameters)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model *model = iris();
	char expected[8192];

	options.iteration_end = 5;
	/* the options' range when the request has none, the request's otherwise */
	snprintf(expected, sizeof(expected), "%s",
		 oip(model, TENSOR("FP32", "[1,4]", "[" ROW1 "]"), &options));
	ck_assert_str_ne(expected, oip(model, TENSOR("FP32", "[1,4]", "[" ROW1 "]"), NULL));
	ck_assert_str_eq(expected,
			 oip(model,
			     "{\"parameters\":{\"iteration_end\":5},\"inputs\":[{\"name\":\"x\","
			     "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1 "]}]}",
			     NULL));
	ck_assert_str_eq(oip(model,
			     "{\"parameters\":{\"iteration_begin\":-1},\"inputs\":[{\"name\":\"x\","
			     "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1 "]}]}",
			     NULL),
			 "400 parameters.iteration_begin: expected an integer >= 0, got a negative "
			 "number");
	ck_assert_str_eq(oip(model,
			     "{\"parameters\":{\"iteration_end\":99},\"inputs\":[{\"name\":\"x\","
			     "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1 "]}]}",
			     NULL),
			 "400 iteration_range [0, 99) is not within the model's 20 iterations");
	appcore_model_unref(model);
}
END_TEST

struct bad {
	const char *body;
	const char *answer;
};

START_TEST(oip_bad_requests)
{
	static const struct bad cases[] = {
		/* shape and data that disagree */
		{ TENSOR("FP32", "[2,4]", "[" ROW1 "]"),
		  "400 inputs[0].data: shape [2, 4] does not match the 4 values of data" },
		{ TENSOR("FP32", "[2,4]", "[[" ROW1 "]]"),
		  "400 inputs[0].data: shape [2, 4] needs 2 rows, data has 1" },
		{ TENSOR("FP32", "[2,4]", "[[" ROW1 "],[1,2,3]]"),
		  "400 inputs[0].data[1]: expected 4 values (shape [2, 4]), got 3" },
		{ TENSOR("FP32", "[1,5]", "[1,2,3,4,5]"),
		  "400 inputs[0].shape[1]: the model takes 4 features, got 5" },
		/* negative and huge dimensions */
		{ TENSOR("FP32", "[-1,4]", "[" ROW1 "]"), "400 inputs[0].shape[0]: -1 is negative" },
		{ TENSOR("FP32", "[1000000000000,4]", "[" ROW1 "]"),
		  "400 inputs[0].shape[0]: 1000000000000 rows, more than the limit of 10000" },
		{ TENSOR("FP32", "[99999999999999999999,4]", "[" ROW1 "]"),
		  "400 invalid JSON at line 1, column 70: too big integer near "
		  "'99999999999999999999'" },
		{ TENSOR("FP32", "[0,4]", "[]"), "400 inputs[0].shape[0]: no rows" },
		{ TENSOR("FP32", "[4]", "[" ROW1 "]"),
		  "400 inputs[0].shape: expected 2 dimensions [rows, features], got 1" },
		{ TENSOR("FP32", "[1.5,4]", "[" ROW1 "]"),
		  "400 inputs[0].shape[0]: expected an integer, got number" },
		{ TENSOR("FP32", "\"1,4\"", "[" ROW1 "]"),
		  "400 inputs[0].shape: expected [rows, features], got string" },
		/* datatypes */
		{ TENSOR("BYTES", "[1,4]", "[\"a\",\"b\",\"c\",\"d\"]"),
		  "400 inputs[0].datatype: BYTES inputs are not supported: the model takes numbers "
		  "(FP32, FP64, INT8..INT64, UINT8..UINT64, BOOL)" },
		{ TENSOR("FP16", "[1,4]", "[" ROW1 "]"),
		  "400 inputs[0].datatype: FP16 cannot be sent as JSON numbers; send FP32" },
		{ TENSOR("FLOAT", "[1,4]", "[" ROW1 "]"),
		  "400 inputs[0].datatype: unknown datatype \"FLOAT\" (expected FP32, FP64, "
		  "INT8..INT64, UINT8..UINT64 or BOOL)" },
		{ TENSOR("FP32", "[1,4]", "[1,\"2\",3,4]"),
		  "400 inputs[0].data[1]: expected a number or null (FP32), got string" },
		{ TENSOR("INT32", "[1,4]", "[1,2.5,3,4]"),
		  "400 inputs[0].data[1]: expected an integer (INT32), got 2.5" },
		{ TENSOR("INT8", "[1,4]", "[[1,2,300,4]]"),
		  "400 inputs[0].data[0][2]: 300 is out of range for INT8" },
		{ TENSOR("UINT16", "[1,4]", "[1,2,3,-4]"),
		  "400 inputs[0].data[3]: -4 is out of range for UINT16" },
		{ TENSOR("BOOL", "[1,4]", "[true,1,true,false]"),
		  "400 inputs[0].data[1]: expected true or false (BOOL), got number" },
		{ TENSOR("FP32", "[1,4]", "[1e39,2,3,4]"),
		  "400 inputs[0].data[0]: 1e+39 is not a finite float32" },
		/* the request itself */
		{ "{\"inputs\":[", "400 invalid JSON at line 1, column 11: ']' expected near end of file" },
		{ "[]", "400 expected a JSON object with \"inputs\", got array" },
		{ "{}", "400 missing \"inputs\"" },
		{ "{\"inputs\":[]}", "400 \"inputs\" is empty" },
		{ "{\"inputs\":{}}", "400 \"inputs\": expected an array of tensors, got object" },
		{ "{\"input\":[]}",
		  "400 unknown member \"input\"; expected \"inputs\" and optionally \"id\", "
		  "\"parameters\" and \"outputs\"" },
		{ "{\"id\":42,\"inputs\":[]}", "400 \"id\": expected a string, got number" },
		{ "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1
		  "]},{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1 "]}]}",
		  "400 \"inputs\": expected one tensor of shape [rows, 4], got 2 tensors" },
		{ "{\"inputs\":[{\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[" ROW1 "]}]}",
		  "400 inputs[0].name: expected a string, got nothing" },
		{ "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4]}]}",
		  "400 inputs[0]: missing \"data\"" },
		{ "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":["
		  ROW1 "],\"contents\":{}}]}",
		  "400 inputs[0]: unknown member \"contents\"; expected \"name\", \"shape\", "
		  "\"datatype\", \"data\" and optionally \"parameters\"" },
		{ "{\"outputs\":[{\"name\":\"proba\"}],\"inputs\":[]}",
		  "400 outputs[0].name: no output \"proba\"; the model has \"predict\" and "
		  "\"margin\"" },
		{ "{\"outputs\":[{\"name\":\"predict\"},{\"name\":\"predict\"}],\"inputs\":[]}",
		  "400 outputs[1].name: \"predict\" is requested twice" },
	};
	appcore_model *model = iris();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(strcmp(oip(model, cases[i].body, NULL), cases[i].answer) == 0,
			      "case %zu: %s\n  got: %s", i, cases[i].body,
			      oip(model, cases[i].body, NULL));
	appcore_model_unref(model);
}
END_TEST

START_TEST(oip_row_limit)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model *model = iris();

	options.max_batch_rows = 1;
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[2,4]", "[" ROW1 "," ROW2 "]"), &options),
			 "400 inputs[0].shape[0]: 2 rows, more than the limit of 1");
	/* without a limit, a huge shape still allocates nothing data does not back */
	options.max_batch_rows = 0;
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[1000000000000,4]", "[" ROW1 "]"), &options),
			 "400 inputs[0].data: shape [1000000000000, 4] does not match the 4 values "
			 "of data");
	ck_assert_str_eq(oip(model, TENSOR("FP32", "[4611686018427387904,4]", "[[" ROW1 "]]"),
			     &options),
			 "400 inputs[0].data: shape [4611686018427387904, 4] needs "
			 "4611686018427387904 rows, data has 1");
	appcore_model_unref(model);
}
END_TEST

START_TEST(protocol_errors)
{
	appcore_error err;
	char *body = NULL;
	size_t len;

	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_EREQUEST), 400);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_ELIMIT), 400);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_EMODEL), 400);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_ENOTFOUND), 404);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_EUNAVAILABLE),
			 503);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_TFSERVING,
						      APPCORE_ETOOLARGE),
			 413);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_TFSERVING,
						      APPCORE_EMEDIATYPE),
			 415);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, APPCORE_ENOMEM), 500);
	ck_assert_int_eq(appcore_protocol_http_status(APPCORE_PROTOCOL_APPCORE, APPCORE_EREQUEST),
			 422);
	ck_assert_int_eq(appcore_protocol_http_status((appcore_protocol)9, APPCORE_EREQUEST), 500);

	appcore_error_set(&err, APPCORE_EREQUEST, "bad \"x\" \xff");
	ck_assert_int_eq(appcore_protocol_error_json(&body, &len, APPCORE_PROTOCOL_OIP, &err),
			 APPCORE_OK);
	ck_assert_str_eq(body, "{\"error\":\"bad \\\"x\\\" \\uFFFD\"}");
	ck_assert_uint_eq(len, strlen(body));
	appcore_free(body);
	ck_assert_int_eq(appcore_protocol_error_json(&body, NULL, APPCORE_PROTOCOL_APPCORE, &err),
			 APPCORE_OK);
	ck_assert_str_eq(body, "{\"error\":{\"code\":\"invalid_request\",\"message\":\"bad "
			       "\\\"x\\\" \\uFFFD\"}}");
	appcore_free(body);
	ck_assert_int_eq(appcore_protocol_error_json(&body, NULL, (appcore_protocol)7, &err),
			 APPCORE_EINVAL);
}
END_TEST

START_TEST(tfserving_predict)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model *model = iris();

	ck_assert_str_eq(tfs(model, "{\"instances\":[[" ROW1 "],[" ROW2 "]]}", NULL),
			 "{\"predictions\":[[" P1 "],[" P2 "]]}");
	ck_assert_str_eq(tfs(model,
			     "{\"signature_name\":\"serving_default\",\"instances\":[{"
			     "\"sepal_length\":5.1,\"sepal_width\":3.5,\"petal_length\":1.4,"
			     "\"petal_width\":0.2}]}",
			     NULL),
			 "{\"predictions\":[[" P1 "]]}");
	ck_assert_str_eq(tfs(model, "{\"inputs\":[[" ROW1 "]]}", NULL), "{\"outputs\":[[" P1 "]]}");
	ck_assert_str_eq(tfs(model, "{\"inputs\":{\"input-0\":[[" ROW1 "]]}}", NULL),
			 "{\"outputs\":[[" P1 "]]}");
	ck_assert_str_eq(tfs(model,
			     "{\"inputs\":{\"sepal_length\":[5.1,6.2],\"sepal_width\":[3.5,2.9],"
			     "\"petal_length\":[1.4,4.3],\"petal_width\":[0.2,1.3]}}",
			     NULL),
			 "{\"outputs\":[[" P1 "],[" P2 "]]}");
	options.output = APPCORE_OUTPUT_MARGIN;
	ck_assert_str_eq(tfs(model, "{\"instances\":[[" ROW1 "]]}", &options),
			 "{\"predictions\":[[" M1 "]]}");
	ck_assert_str_eq(tfs(model, "{\"signature_name\":\"predict\",\"instances\":[[" ROW1 "]]}",
			     &options),
			 "{\"predictions\":[[" M1 "]]}");
	options.output = APPCORE_OUTPUT_VALUE;
	options.max_batch_rows = 1;
	ck_assert_str_eq(tfs(model, "{\"instances\":[[" ROW1 "],[" ROW2 "]],\"signature_name\":"
				    "\"serving_default\"}",
			     &options),
			 "400 too many rows: 2 (limit 1)");

	ck_assert_str_eq(tfs(model, "{\"instances\":[[1,2,3]]}", NULL),
			 "400 instances[0]: expected 4 features, got 3");
	ck_assert_str_eq(tfs(model, "{\"instances\":[[1,2,\"3\",4]]}", NULL),
			 "400 instances[0][2]: expected a number or null, got string");
	ck_assert_str_eq(tfs(model, "{\"instances\":[[" ROW1 "]],\"inputs\":[]}", NULL),
			 "400 \"instances\" and \"inputs\" cannot be used together");
	ck_assert_str_eq(tfs(model, "{}", NULL), "400 missing \"instances\" (or \"inputs\")");
	ck_assert_str_eq(tfs(model, "{\"instances\":[]}", NULL), "400 \"instances\" has no rows");
	ck_assert_str_eq(tfs(model, "{\"signature_name\":\"x\",\"instances\":[[" ROW1 "]]}", NULL),
			 "400 \"signature_name\": no signature \"x\" (this model has "
			 "\"serving_default\")");
	ck_assert_str_eq(tfs(model, "{\"inputs\":{\"sepal_length\":[1,2],\"petal_width\":[1]}}",
			     NULL),
			 "400 inputs.petal_width: 1 values, other features have 2");
	ck_assert_str_eq(tfs(model, "{\"inputs\":{\"colour\":[1]}}", NULL),
			 "400 inputs: unknown feature \"colour\"");
	ck_assert_str_eq(tfs(model, "{\"inputs\":{\"sepal_length\":[\"a\"]}}", NULL),
			 "400 inputs.sepal_length[0]: expected a number or null, got string");
	ck_assert_str_eq(tfs(model, "{\"examples\":[]}", NULL),
			 "400 unknown member \"examples\"; expected \"instances\" or \"inputs\", and "
			 "optionally \"signature_name\"");
	ck_assert_str_eq(tfs(model, "nope", NULL),
			 "400 invalid JSON at line 1, column 4: invalid token near 'nope'");
	appcore_model_unref(model);
}
END_TEST

START_TEST(predict_json_names_its_model)
{
	appcore_model *model = iris();
	appcore_response response;
	appcore_error err;
	char *name = NULL, *version = NULL;
	const char *body = "{\"model\":\"iris\",\"version\":\"3\",\"instances\":[[" ROW1 "]]}";
	const char *other = "{\"model\":\"other\",\"instances\":[[" ROW1 "]]}";

	ck_assert_int_eq(appcore_predict_json_target(&name, &version, body, strlen(body), &err),
			 APPCORE_OK);
	ck_assert_str_eq(name, "iris");
	ck_assert_str_eq(version, "3");
	appcore_free(name);
	appcore_free(version);
	ck_assert_int_eq(appcore_predict_json(&response, model, body, strlen(body), NULL, &err),
			 APPCORE_OK);
	ck_assert_str_eq(response.body, "{\"predictions\":[[" P1 "]],\"model\":{\"name\":\"iris\","
					"\"version\":\"3\"}}");
	appcore_response_dispose(&response);
	ck_assert_int_eq(appcore_predict_json(&response, model, other, strlen(other), NULL, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message,
			 "\"model\": the request names \"other\" but is answered by \"iris\"");
	/* no model named: nothing parsed, nothing returned */
	ck_assert_int_eq(appcore_predict_json_target(&name, &version, "{\"instances\":[]}", 16,
						     &err),
			 APPCORE_OK);
	ck_assert_ptr_null(name);
	ck_assert_ptr_null(version);
	ck_assert_int_eq(appcore_predict_json_target(&name, &version, "{\"model\":3}", 11, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "\"model\": expected a string, got number");
	/* not JSON: the prediction reports it */
	ck_assert_int_eq(appcore_predict_json_target(&name, &version, "{\"model\":", 9, &err),
			 APPCORE_OK);
	ck_assert_ptr_null(name);
	appcore_model_unref(model);
}
END_TEST

/* ---- documents over a repository ---- */

static appcore_repository *two_models(void)
{
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	appcore_repository *repo = NULL;
	appcore_error err;

	repo_make();
	repo_copy("iris/1/model.json", IRIS, (size_t)-1);
	repo_copy("iris/2/model.json", IRIS, (size_t)-1);
	repo_write("iris/config.yaml", "version_policy: all\n");
	repo_copy("reg/4/model.json", FIXTURE("reg_squarederror"), (size_t)-1);
	repo_write("reg/5/model.json", "{");
	repo_mkdir("empty");
	options.path = repo_path("");
	ck_assert_int_eq(appcore_repository_new(&repo, &options, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_repository_reload(repo, &err), APPCORE_OK);
	return repo;
}

static const char *document(int rc, char *text, const appcore_error *err)
{
	static char out[8192];

	if (rc != APPCORE_OK)
		snprintf(out, sizeof(out), "%d %s", appcore_protocol_http_status(APPCORE_PROTOCOL_OIP, rc),
			 err->message);
	else
		snprintf(out, sizeof(out), "%s", text);
	appcore_free(text);
	return out;
}

START_TEST(oip_documents)
{
	appcore_repository *repo = two_models();
	appcore_error err;
	char *text = NULL;
	size_t len;
	char expected[8192];
	int rc;

	rc = appcore_oip_server_metadata(&text, &len, &err);
	snprintf(expected, sizeof(expected),
		 "{\"name\":\"appcore\",\"version\":\"%s\",\"extensions\":[\"model_repository\"]}",
		 appcore_version());
	ck_assert_str_eq(document(rc, text, &err), expected);

	rc = appcore_oip_model_metadata(&text, &len, repo, "iris", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "{\"name\":\"iris\",\"versions\":[\"2\",\"1\"],\"platform\":\"xgboost\","
			 "\"inputs\":[{\"name\":\"input-0\",\"datatype\":\"FP32\",\"shape\":[-1,4]}],"
			 "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":[-1,3]},"
			 "{\"name\":\"margin\",\"datatype\":\"FP32\",\"shape\":[-1,3]}]}");
	rc = appcore_oip_model_metadata(&text, &len, repo, "reg", "4", &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "{\"name\":\"reg\",\"versions\":[\"4\"],\"platform\":\"xgboost\","
			 "\"inputs\":[{\"name\":\"input-0\",\"datatype\":\"FP32\",\"shape\":[-1,10]}],"
			 "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":[-1]},"
			 "{\"name\":\"margin\",\"datatype\":\"FP32\",\"shape\":[-1]}]}");
	rc = appcore_oip_model_metadata(&text, &len, repo, "reg", "5", &err);
	ck_assert_str_eq(document(rc, text, &err), "404 model 'reg' has no version '5' (served: 4)");
	rc = appcore_oip_model_metadata(&text, &len, repo, "nope", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err), "404 no model named 'nope'");
	rc = appcore_oip_model_metadata(&text, &len, repo, "empty", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "503 model 'empty' is not available: no version directory with a model "
			 "file");

	rc = appcore_oip_repository_index(&text, &len, repo, NULL, 0, &err);
	snprintf(expected, sizeof(expected), "%s", document(rc, text, &err));
	ck_assert_msg(strncmp(expected,
			      "[{\"name\":\"empty\",\"state\":\"UNAVAILABLE\",\"reason\":\"no version "
			      "directory with a model file\"},{\"name\":\"iris\",\"state\":\"READY\","
			      "\"reason\":\"\",\"version\":\"2\"},{\"name\":\"iris\",\"state\":\"READY\","
			      "\"reason\":\"\",\"version\":\"1\"},{\"name\":\"reg\",\"state\":\"READY\","
			      "\"reason\":\"\",\"version\":\"4\"},{\"name\":\"reg\",\"state\":"
			      "\"UNAVAILABLE\",\"reason\":\"",
			      strlen("[{\"name\":\"empty\",\"state\":\"UNAVAILABLE\",\"reason\":\"no "
				     "version directory with a model file\"},{\"name\":\"iris\","
				     "\"state\":\"READY\",\"reason\":\"\",\"version\":\"2\"},{\"name\":"
				     "\"iris\",\"state\":\"READY\",\"reason\":\"\",\"version\":\"1\"},{"
				     "\"name\":\"reg\",\"state\":\"READY\",\"reason\":\"\",\"version\":"
				     "\"4\"},{\"name\":\"reg\",\"state\":\"UNAVAILABLE\",\"reason\":\"")) ==
			  0,
		      "%s", expected);
	rc = appcore_oip_repository_index(&text, &len, repo, S("{\"ready\":true}"), &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "[{\"name\":\"iris\",\"state\":\"READY\",\"reason\":\"\",\"version\":\"2\"},"
			 "{\"name\":\"iris\",\"state\":\"READY\",\"reason\":\"\",\"version\":\"1\"},"
			 "{\"name\":\"reg\",\"state\":\"READY\",\"reason\":\"\",\"version\":\"4\"}]");
	rc = appcore_oip_repository_index(&text, &len, repo, S("{\"ready\":1}"), &err);
	ck_assert_str_eq(document(rc, text, &err), "400 \"ready\": expected true or false, got number");
	rc = appcore_oip_repository_index(&text, &len, repo, S("{\"all\":1}"), &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "400 unknown member \"all\"; the index request has only \"ready\"");
	rc = appcore_oip_repository_index(&text, &len, repo, " \n", 2, &err);
	ck_assert_int_eq(rc, APPCORE_OK);
	appcore_free(text);

	/* load and unload */
	ck_assert_int_eq(appcore_oip_repository_unload(repo, "iris", "", 0, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_repository_num_ready(repo), 1);
	ck_assert_int_eq(appcore_oip_repository_load(repo, "iris",
						     S("{\"parameters\":{\"config\":\"{}\"}}"), &err),
			 APPCORE_EUNSUPPORTED);
	ck_assert_str_eq(err.message, "parameters.config: models are loaded from the repository "
				      "directory, not from the request");
	ck_assert_int_eq(appcore_oip_repository_load(repo, "iris", S("{}"), &err), APPCORE_OK);
	ck_assert_int_eq(appcore_repository_num_ready(repo), 2);
	ck_assert_int_eq(appcore_oip_repository_unload(
			     repo, "iris", S("{\"parameters\":{\"unload_dependents\":true}}"), &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_oip_repository_unload(
			     repo, "iris", S("{\"parameters\":{\"unload_dependents\":1}}"), &err),
			 APPCORE_EREQUEST);
	ck_assert_int_eq(appcore_oip_repository_load(repo, "nope", NULL, 0, &err),
			 APPCORE_ENOTFOUND);
	ck_assert_int_eq(appcore_oip_repository_load(repo, "reg", NULL, 0, &err), APPCORE_EMODEL);
	appcore_repository_free(repo);
	repo_remove();
}
END_TEST

START_TEST(tfserving_status)
{
	appcore_repository *repo = two_models();
	appcore_error err;
	char *text = NULL;
	int rc;

	rc = appcore_tfserving_model_status(&text, NULL, repo, "iris", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "{\"model_version_status\":[{\"version\":\"2\",\"state\":\"AVAILABLE\","
			 "\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}},{\"version\":"
			 "\"1\",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\","
			 "\"error_message\":\"\"}}]}");
	rc = appcore_tfserving_model_status(&text, NULL, repo, "iris", "1", &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "{\"model_version_status\":[{\"version\":\"1\",\"state\":\"AVAILABLE\","
			 "\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}]}");
	rc = appcore_tfserving_model_status(&text, NULL, repo, "reg", "5", &err);
	ck_assert_msg(strstr(document(rc, text, &err),
			     "{\"model_version_status\":[{\"version\":\"5\",\"state\":\"END\","
			     "\"status\":{\"error_code\":\"INVALID_ARGUMENT\",\"error_message\":\"") !=
			  NULL,
		      "%s", document(rc, text, &err));
	rc = appcore_tfserving_model_status(&text, NULL, repo, "iris", "7", &err);
	ck_assert_str_eq(document(rc, text, &err), "404 model 'iris' has no version '7'");
	rc = appcore_tfserving_model_status(&text, NULL, repo, "nope", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err), "404 no model named 'nope'");
	rc = appcore_tfserving_model_status(&text, NULL, repo, "empty", NULL, &err);
	ck_assert_str_eq(document(rc, text, &err),
			 "404 model 'empty' has no version: no version directory with a model file");
	appcore_repository_free(repo);
	repo_remove();
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("protocols");
	TCase *tc = tcase_create("protocols");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, oip_infer_answers);
	tcase_add_test(tc, oip_fast_path_equals_general_path);
	tcase_add_test(tc, oip_iteration_parameters);
	tcase_add_test(tc, oip_bad_requests);
	tcase_add_test(tc, oip_row_limit);
	tcase_add_test(tc, protocol_errors);
	tcase_add_test(tc, tfserving_predict);
	tcase_add_test(tc, predict_json_names_its_model);
	tcase_add_test(tc, oip_documents);
	tcase_add_test(tc, tfserving_status);
	suite_add_tcase(s, tc);
	return s;
}
