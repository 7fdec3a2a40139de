/**
 * @file appcore/config.h
 * @brief Configuration: built-in defaults < YAML file < environment < flags.
 *
 * Every key is `section.name` (`server.port`). The environment overrides a key
 * as `APPCORE_<SECTION>_<NAME>` upper-cased (`APPCORE_SERVER_PORT=9000`); the
 * file is chosen with `--config PATH` or `APPCORE_CONFIG`. configs/config.yaml
 * documents every key. Values are validated when they are set, and every
 * problem is an error (APPCORE_ECONFIG) whose message names where it came
 * from: `file:line:column: key: problem` for the file, the variable name for
 * the environment, the key for appcore_config_set(). Unknown keys suggest the
 * closest valid one (`server.prot: unknown key (did you mean server.port?)`).
 *
 * A configuration object is not synchronised: set it up on one thread, then
 * any number of threads may read it concurrently.
 */
#ifndef APPCORE_CONFIG_H
#define APPCORE_CONFIG_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "predict.h"

APPCORE_BEGIN_DECLS

/** A configuration: every key with its value and where the value came from. */
typedef struct appcore_config appcore_config;

/** Where a value came from, lowest precedence first. */
typedef enum appcore_config_source {
	APPCORE_CONFIG_DEFAULT, /**< built into the library */
	APPCORE_CONFIG_FILE,    /**< the YAML configuration file */
	APPCORE_CONFIG_ENV,     /**< an APPCORE_<SECTION>_<NAME> environment variable */
	APPCORE_CONFIG_FLAG,    /**< a command-line flag (appcore_config_set) */
} appcore_config_source;

/** Output format of appcore_config_render(). */
typedef enum appcore_config_format {
	APPCORE_CONFIG_YAML, /**< YAML, the source of each value in a trailing comment */
	APPCORE_CONFIG_JSON, /**< JSON, each key as {"value": ..., "source": ...} */
} appcore_config_format;

/**
 * Create a configuration holding the built-in defaults (those documented in
 * configs/config.yaml, except that model.path is relative to the working
 * directory: examples/models/iris.json).
 *
 * @param out receives the configuration; release it with appcore_config_free().
 * @return APPCORE_OK, APPCORE_EINVAL (out is NULL), APPCORE_ENOMEM.
 */
APPCORE_API int appcore_config_new(appcore_config **out, appcore_error *err);

/** Release a configuration. @param config may be NULL. */
APPCORE_API void appcore_config_free(appcore_config *config);

/**
 * Apply a YAML configuration file (source APPCORE_CONFIG_FILE). Only the keys
 * present in the file change. Relative paths in the file (model.path,
 * server.api_keys_file) are resolved against the file's directory.
 *
 * The file is applied as a whole or not at all: on error @p config is unchanged.
 *
 * @return APPCORE_OK; APPCORE_EIO if the file cannot be read; APPCORE_ECONFIG
 *         for YAML syntax errors, wrong types, unknown keys and out-of-range
 *         values (err has the line and column, and the message starts with
 *         `path:line:column: `); APPCORE_EINVAL, APPCORE_ENOMEM.
 */
APPCORE_API int appcore_config_load_file(appcore_config *config, const char *path,
					 appcore_error *err);

/**
 * Apply the `APPCORE_<SECTION>_<NAME>` variables of an environment (source
 * APPCORE_CONFIG_ENV). A variable that starts with a section prefix
 * (`APPCORE_SERVER_`, `APPCORE_MODEL_`, `APPCORE_LOGGING_`, `APPCORE_METRICS_`, `APPCORE_JOBS_`)
 * but names no key is an error; other APPCORE_* variables (APPCORE_CONFIG) are
 * not configuration keys and are left alone. Lists are written
 * `0.001,0.01,0.1` (brackets allowed); booleans true/false, yes/no, on/off, 1/0.
 *
 * Applied as a whole or not at all.
 *
 * @param envp NULL-terminated `NAME=value` array; NULL means the process
 *             environment (`environ`).
 * @return APPCORE_OK, APPCORE_ECONFIG (the message starts with the variable
 *         name), APPCORE_EINVAL, APPCORE_ENOMEM.
 */
APPCORE_API int appcore_config_apply_env(appcore_config *config, char *const *envp,
					 appcore_error *err);

/**
 * Set one key from its text form, validating it as the file and environment
 * are validated. This is how programs apply command-line flags (source
 * APPCORE_CONFIG_FLAG): e.g. appcore_config_set(c, "server.port", optarg,
 * APPCORE_CONFIG_FLAG, &err). One exception to the file's ranges: a flag may
 * set server.port to 0, which asks the kernel for a free port (tests use it).
 *
 * @return APPCORE_OK; APPCORE_ECONFIG for an unknown key or bad value (the
 *         message starts with the key); APPCORE_EINVAL, APPCORE_ENOMEM.
 */
APPCORE_API int appcore_config_set(appcore_config *config, const char *key, const char *value,
				   appcore_config_source source, appcore_error *err);

/**
 * The usual sequence for a program: defaults, then the file @p path (or,
 * when @p path is NULL, the file named by APPCORE_CONFIG if that is set and
 * not empty, or no file), then the process environment.
 *
 * @param out receives the configuration (NULL on error); release it with
 *            appcore_config_free().
 * @return as appcore_config_load_file() and appcore_config_apply_env().
 */
APPCORE_API int appcore_config_load(appcore_config **out, const char *path, appcore_error *err);

/** Longest key name, "section.name", including the terminating NUL. */
#define APPCORE_CONFIG_KEY_MAX 64

/*
 * Typed access. Each getter takes the key as "section.name" and fails loudly: a misspelled
 * key is APPCORE_ENOTFOUND (the message suggests the closest key), asking for the wrong type
 * is APPCORE_EINVAL (the message names the key's type). On failure *out is left unchanged.
 * Thread-safe for concurrent readers of one configuration.
 */

/**
 * The value of a string, path or choice key (server.host, model.path, logging.level, ...).
 *
 * @param out receives a string owned by @p config, valid until the key changes or the
 *            configuration is freed.
 * @return APPCORE_OK, APPCORE_ENOTFOUND, APPCORE_EINVAL.
 */
APPCORE_API int appcore_config_get_string(const char **out, const appcore_config *config,
					  const char *key, appcore_error *err);

/** The value of an integer key. @return APPCORE_OK, APPCORE_ENOTFOUND, APPCORE_EINVAL. */
APPCORE_API int appcore_config_get_int(long long *out, const appcore_config *config,
				       const char *key, appcore_error *err);

/** The value of a numeric key (integers convert). @return as appcore_config_get_int(). */
APPCORE_API int appcore_config_get_double(double *out, const appcore_config *config,
					  const char *key, appcore_error *err);

/** The value of a boolean key: 1 or 0. @return as appcore_config_get_int(). */
APPCORE_API int appcore_config_get_bool(int *out, const appcore_config *config, const char *key,
					appcore_error *err);

/**
 * The value of a list key (metrics.latency_buckets_seconds).
 *
 * @param values receives the array, owned by @p config.
 * @param count  receives the number of values.
 * @return APPCORE_OK, APPCORE_ENOTFOUND, APPCORE_EINVAL.
 */
APPCORE_API int appcore_config_get_list(const double **values, size_t *count,
					const appcore_config *config, const char *key,
					appcore_error *err);

/**
 * Where the current value of @p key came from.
 *
 * @return APPCORE_OK, APPCORE_ENOTFOUND, APPCORE_EINVAL (NULL arguments).
 */
APPCORE_API int appcore_config_get_source(appcore_config_source *out, const appcore_config *config,
					  const char *key, appcore_error *err);

/**
 * The name of a source: "default", "file", "env" or "flag" ("unknown" otherwise).
 * @return a static string.
 */
APPCORE_API const char *appcore_config_source_name(appcore_config_source source);

/**
 * Print the effective configuration with the source of each value. YAML:
 * `  port: 8000  # file`, readable back by appcore_config_load_file(). JSON:
 * `{"server":{"port":{"value":8000,"source":"file"},...},...}`. Both end with
 * a newline.
 *
 * @param out receives NUL-terminated text; release it with appcore_free().
 * @param out_len receives strlen(*out); may be NULL.
 * @return APPCORE_OK, APPCORE_EINVAL, APPCORE_ENOMEM.
 */
APPCORE_API int appcore_config_render(char **out, size_t *out_len, const appcore_config *config,
				      appcore_config_format format, appcore_error *err);

/**
 * Load the model a configuration names, the way appcore-server and appcore-cli both do, so
 * the two (and any embedding program) serve it under the same identity: the file is @p path
 * when not NULL, else `model.path`; its name and version are `model.name` and
 * `model.version` when those were configured (file, environment or flag), otherwise the
 * model keeps its own (the file name without extension, an empty version);
 * `model.use_best_iteration` is applied.
 *
 * @param out receives a new model reference; release with appcore_model_unref(). NULL on
 *            failure.
 * @return APPCORE_OK; the appcore_model_load_file() errors; APPCORE_EINVAL for NULL
 *         arguments. Thread-safe for distinct @p out.
 */
APPCORE_API int appcore_config_load_model(appcore_model **out, const appcore_config *config,
					  const char *path, appcore_error *err);

/**
 * Set prediction options from a configuration: `model.max_batch_rows`. Other fields are left
 * as they are, so initialise @p options first (appcore_predict_options_init()).
 *
 * @return APPCORE_OK; APPCORE_EINVAL for NULL arguments or an unknown options version.
 *         Thread-safe.
 */
APPCORE_API int appcore_config_predict_options(appcore_predict_options *options,
					       const appcore_config *config, appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_CONFIG_H */
