/* The route table: path templates, and the OpenAPI document that must describe exactly the
 * routes the table has (so neither can change without the other). */
#include <check.h>
#include <string.h>

#include <jansson.h>

#include "check_main.h"
#include "openapi.h"
#include "route_match.h"
#include "routes.h"

START_TEST(templates_match_segments)
{
	struct route_params p;

	ck_assert_int_eq(route_match("/health", "/health", &p), 1);
	ck_assert_uint_eq(p.count, 0);
	ck_assert_int_eq(route_match("/health", "/health/", &p), 0);
	ck_assert_int_eq(route_match("/health", "/health/extra", &p), 0);
	ck_assert_int_eq(route_match("/health", "/healthz", &p), 0);
	ck_assert_int_eq(route_match("/v2", "/v2/", &p), 0);
	ck_assert_int_eq(route_match("/v2/models/{name}/infer", "/v2/models/iris/infer", &p), 1);
	ck_assert_str_eq(route_param(&p, "name"), "iris");
	ck_assert_ptr_null(route_param(&p, "version"));
	ck_assert_int_eq(route_match("/v2/models/{name}/versions/{version}/infer",
				     "/v2/models/a.b-c/versions/12/infer", &p),
			 1);
	ck_assert_str_eq(route_param(&p, "name"), "a.b-c");
	ck_assert_str_eq(route_param(&p, "version"), "12");
	/* an empty segment is no value */
	ck_assert_int_eq(route_match("/v2/models/{name}/infer", "/v2/models//infer", &p), 0);
	ck_assert_int_eq(route_match("/v2/models/{name}", "/v2/models/", &p), 0);
	ck_assert_int_eq(route_match("/v2/models/{name}", "/v2/models/a/b", &p), 0);
	/* a literal suffix after the template, TensorFlow Serving's ":predict" */
	ck_assert_int_eq(route_match("/v1/models/{name}:predict", "/v1/models/iris:predict", &p), 1);
	ck_assert_str_eq(route_param(&p, "name"), "iris");
	ck_assert_int_eq(route_match("/v1/models/{name}:predict", "/v1/models/:predict", &p), 0);
	ck_assert_int_eq(route_match("/v1/models/{name}:predict", "/v1/models/iris:classify", &p), 0);
	ck_assert_int_eq(route_match("/v1/models/{name}:predict", "/v1/models/iris", &p), 0);
	ck_assert_int_eq(route_match("/v1/models/{name}", "/v1/models/iris:predict", &p), 1);
	ck_assert_str_eq(route_param(&p, "name"), "iris:predict");
	/* a value longer than ROUTE_PARAM_MAX does not match */
	{
		char path[400] = "/v2/models/";
		memset(path + strlen(path), 'a', 300);
		ck_assert_int_eq(route_match("/v2/models/{name}", path, &p), 0);
	}
	ck_assert_int_eq(route_match("/v2", "v2", &p), 0);
}
END_TEST

START_TEST(route_labels_are_the_templates)
{
	ck_assert_uint_gt(routes_count(), 20);
	ck_assert_str_eq(route_label(ROUTE_UNMATCHED), "unmatched");
	ck_assert_str_eq(route_label((int)routes_count()), "unmatched");
	for (size_t i = 0; i < routes_count(); i++) {
		struct route_info info;
		route_describe(&info, i);
		ck_assert_str_eq(route_label((int)i), info.pattern);
		/* every path the table serves starts with a slash and is distinct per method */
		ck_assert_int_eq(info.pattern[0], '/');
		for (size_t j = 0; j < i; j++) {
			struct route_info other;
			route_describe(&other, j);
			ck_assert_msg(strcmp(info.pattern, other.pattern) != 0 ||
					  (info.methods & other.methods) == 0,
				      "%s is in the table twice", info.pattern);
		}
	}
}
END_TEST

static json_t *document(void)
{
	json_error_t jerr;
	json_t *doc = json_loadb(openapi_document, openapi_document_len, JSON_REJECT_DUPLICATES,
				 &jerr);

	ck_assert_msg(doc != NULL, "openapi.json, line %d: %s", jerr.line, jerr.text);
	return doc;
}

/* Every {parameter} of a template is declared by the path item. */
static void check_parameters(const char *pattern, json_t *item)
{
	json_t *parameters = json_object_get(item, "parameters");

	for (const char *p = strchr(pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
		size_t len = strcspn(p + 1, "}");
		char ref[128];
		int found = 0;
		size_t i;
		json_t *parameter;

		snprintf(ref, sizeof(ref), "#/components/parameters/%.*s", (int)len, p + 1);
		json_array_foreach(parameters, i, parameter)
		{
			found |= json_is_string(json_object_get(parameter, "$ref")) &&
				 strcmp(json_string_value(json_object_get(parameter, "$ref")), ref) ==
				     0;
		}
		ck_assert_msg(found, "%s: no parameter %s", pattern, ref);
	}
}

START_TEST(openapi_describes_every_route)
{
	json_t *doc = document(), *paths = json_object_get(doc, "paths");

	ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "info"), "version")),
			 appcore_version());
	for (size_t i = 0; i < routes_count(); i++) {
		struct route_info route;
		json_t *item, *get, *post;

		route_describe(&route, i);
		item = json_object_get(paths, route.pattern);
		ck_assert_msg(item != NULL, "openapi.json has no path %s", route.pattern);
		get = json_object_get(item, "get");
		post = json_object_get(item, "post");
		ck_assert_msg((get != NULL) == ((route.methods & ALLOW_GET) != 0), "%s: get",
			      route.pattern);
		ck_assert_msg((post != NULL) == ((route.methods & ALLOW_POST) != 0), "%s: post",
			      route.pattern);
		ck_assert_msg((json_object_get(item, "delete") != NULL) ==
				      ((route.methods & ALLOW_DELETE) != 0),
			      "%s: delete", route.pattern);
		/* routes behind API keys say so; open ones do not */
		ck_assert_msg((json_object_get(get ? get : post, "security") != NULL) ==
				  (route.needs_key != 0),
			      "%s: security", route.pattern);
		check_parameters(route.pattern, item);
	}
	/* and nothing the table does not serve */
	{
		const char *path;
		json_t *item;
		json_object_foreach(paths, path, item)
		{
			const char *key;
			json_t *value;
			size_t i;

			for (i = 0; i < routes_count(); i++) {
				struct route_info route;
				route_describe(&route, i);
				if (strcmp(route.pattern, path) == 0)
					break;
			}
			ck_assert_msg(i < routes_count(), "openapi.json documents %s, no route serves it",
				      path);
			json_object_foreach(item, key, value)
			{
				ck_assert_msg(strcmp(key, "get") == 0 || strcmp(key, "post") == 0 ||
						      strcmp(key, "delete") == 0 ||
						      strcmp(key, "parameters") == 0,
					      "%s: operation %s is not served", path, key);
			}
		}
	}
	json_decref(doc);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("routes");

	tcase_add_test(tc, templates_match_segments);
	tcase_add_test(tc, route_labels_are_the_templates);
	tcase_add_test(tc, openapi_describes_every_route);
	suite_add_tcase(s, tc);
	return s;
}
