/**
 * @file appcore/repository.h
 * @brief A repository of named, versioned models that change under traffic.
 *
 * Layout on disk, as TensorFlow Serving and Triton use it:
 *
 *     REPO/<model-name>/<version>/model.json   (or model.ubj)
 *     REPO/<model-name>/config.yaml            (optional: version policy, limits, ...)
 *
 * Versions are positive integers without leading zeros. Entries whose name starts with a dot
 * are ignored (a place to stage a version before renaming it into place); anything else that
 * does not fit the layout is reported (see ::appcore_repository_event) and skipped.
 * docs/model-repository.md describes the layout, `config.yaml` and how to publish a version
 * safely.
 *
 * Lookups (appcore_repository_get()) never wait for a load: the library publishes an
 * immutable view of the repository (names, versions, model references) and replaces it only
 * once a new version has been loaded and checked completely. A model that is retired stays
 * valid for whoever already holds a reference to it, so a swap neither fails nor delays a
 * request in flight. Changes (reload, load, unload, add) are serialised inside the library.
 */
#ifndef APPCORE_REPOSITORY_H
#define APPCORE_REPOSITORY_H

#include <stddef.h>

#include "common.h"
#include "config.h"
#include "error.h"
#include "model.h"
#include "predict.h"

APPCORE_BEGIN_DECLS

/** A set of named, versioned models. Opaque; see the file comment for thread-safety. */
typedef struct appcore_repository appcore_repository;

/** Which versions of a model are served. */
typedef enum appcore_repository_policy {
	/** The N highest-numbered versions (N = `latest`, at least 1). */
	APPCORE_REPOSITORY_POLICY_LATEST = 0,
	/** Every version present. */
	APPCORE_REPOSITORY_POLICY_ALL = 1,
	/** The versions listed (only in a model's config.yaml). */
	APPCORE_REPOSITORY_POLICY_SPECIFIC = 2
} appcore_repository_policy;

/** What happened, as reported to appcore_repository_options::on_event. */
typedef enum appcore_repository_event_kind {
	/** A version was loaded, checked and is now served. */
	APPCORE_REPOSITORY_EVENT_LOADED = 0,
	/** A version is no longer served (a newer one replaced it, it left the directory, or
	 * its model was unloaded). Requests that hold it finish with it. */
	APPCORE_REPOSITORY_EVENT_UNLOADED = 1,
	/** A version (or a model's config.yaml) failed to load. Whatever was served before
	 * keeps being served; the same files are not retried until they change. */
	APPCORE_REPOSITORY_EVENT_LOAD_FAILED = 2,
	/** Something in the directory that is not part of the layout (a version directory
	 * that is not a positive integer, a file where a directory belongs, an unreadable
	 * entry, a symbolic-link loop, a version without a model file). Reported once, until
	 * it changes. */
	APPCORE_REPOSITORY_EVENT_IGNORED = 3
} appcore_repository_event_kind;

/**
 * One event, filled by the library (fixed size with reserved space, like appcore_error).
 * Strings are valid only during the callback.
 */
typedef struct appcore_repository_event {
	appcore_repository_event_kind kind; /**< what happened */
	const char *model;   /**< model name; NULL when the entry is not a model */
	const char *version; /**< version label; NULL when the event is about a whole model */
	const char *path;    /**< file or directory concerned; NULL if none */
	/** Seconds spent loading (LOADED, LOAD_FAILED), else 0. */
	double seconds;
	/** Why (LOAD_FAILED, IGNORED); NULL otherwise. */
	const appcore_error *error;
	/** Versions of @p model served after this event. */
	size_t versions_served;
	void *reserved[8]; /**< Reserved; written as NULL. */
} appcore_repository_event;

/**
 * Called for each event, on the thread that made the change (the caller of
 * appcore_repository_reload() and friends, or the polling thread), while the repository
 * serialises changes: it may call appcore_repository_get(), appcore_repository_list() and
 * the other lookups, but must not reload, load, unload, add or free (that would deadlock).
 */
typedef void (*appcore_repository_event_fn)(const appcore_repository_event *event,
					    void *user_data);

/** Version of appcore_repository_options this header describes. */
#define APPCORE_REPOSITORY_OPTIONS_VERSION 1

/**
 * How to open a repository. Initialise with #APPCORE_REPOSITORY_OPTIONS_INIT or
 * appcore_repository_options_init(); later releases append fields.
 */
typedef struct appcore_repository_options {
	unsigned int version; /**< #APPCORE_REPOSITORY_OPTIONS_VERSION */
	/** The repository directory (copied). NULL: no directory; models are added with
	 * appcore_repository_add_file(). */
	const char *path;
	/** Rescan every this many seconds on a thread of the repository's own; 0 (the
	 * default): only when asked (appcore_repository_reload(),
	 * appcore_repository_reload_async()). */
	double poll_seconds;
	/** Policy of models whose config.yaml does not set one: #APPCORE_REPOSITORY_POLICY_LATEST
	 * (the default) or #APPCORE_REPOSITORY_POLICY_ALL. */
	appcore_repository_policy default_policy;
	/** N of the default `latest` policy; default 1. */
	size_t default_latest;
	/** Prediction options of models whose config.yaml sets none (copied); NULL:
	 * #APPCORE_PREDICT_OPTIONS_INIT. */
	const appcore_predict_options *predict_defaults;
	/** use_best_iteration of models whose config.yaml does not say (see
	 * appcore_model_load_options). Default 0. */
	int use_best_iteration;
	/** The model a lookup without a name means (copied). NULL: the repository's only
	 * model, when it serves exactly one. */
	const char *default_model;
	/** Receives events; NULL: none. */
	appcore_repository_event_fn on_event;
	/** Passed to @p on_event. */
	void *event_data;
} appcore_repository_options;

/** Static initialiser: the defaults described for each field. */
#define APPCORE_REPOSITORY_OPTIONS_INIT                                                            \
	{                                                                                          \
		APPCORE_REPOSITORY_OPTIONS_VERSION, NULL, 0.0, APPCORE_REPOSITORY_POLICY_LATEST,   \
		    1, NULL, 0, NULL, NULL, NULL                                                   \
	}

/**
 * Initialise @p options with the defaults of @p version.
 *
 * @return APPCORE_OK; APPCORE_EINVAL when @p options is NULL or @p version unknown.
 *         Thread-safe.
 */
APPCORE_API int appcore_repository_options_init(appcore_repository_options *options,
						unsigned int version);

/**
 * Open a repository. Nothing is loaded yet: call appcore_repository_reload() (a server can
 * listen first and answer "not ready" meanwhile). With poll_seconds > 0 the polling thread
 * starts now and first scans after poll_seconds.
 *
 * @param out receives the repository; release it with appcore_repository_free(). NULL on
 *            failure.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL argument, unknown options version, negative or
 *         non-finite poll_seconds, default_latest 0, a default policy other than LATEST or
 *         ALL); APPCORE_ENOTFOUND (path does not exist); APPCORE_EIO (path is not a
 *         readable directory); APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_repository_new(appcore_repository **out,
				       const appcore_repository_options *options,
				       appcore_error *err);

/**
 * Stop the polling thread and release the repository and its references to models (models
 * that others still hold stay valid). No other thread may use the repository meanwhile.
 * @param repo may be NULL.
 */
APPCORE_API void appcore_repository_free(appcore_repository *repo);

/**
 * Rescan the directory and re-check files added with appcore_repository_add_file(): load new
 * and changed versions, apply changed config.yaml files and version policies, retire what
 * left. Each model becomes visible as soon as its versions are loaded and checked. Failures
 * of single models are not errors of the reload: they are reported through events and
 * appcore_repository_list(), and the previous versions keep serving. Blocks while another
 * change runs.
 *
 * @return APPCORE_OK; APPCORE_EIO or APPCORE_ENOTFOUND when the directory itself cannot be
 *         read (nothing changes); APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_repository_reload(appcore_repository *repo, appcore_error *err);

/**
 * Ask for a reload on the repository's own thread and return at once (what a SIGHUP handler
 * wants). Requests that arrive while one is pending are merged. Starts the thread if
 * poll_seconds is 0.
 *
 * @return APPCORE_OK; APPCORE_EINVAL; APPCORE_ENOMEM (the thread could not start).
 *         Thread-safe.
 */
APPCORE_API int appcore_repository_reload_async(appcore_repository *repo, appcore_error *err);

/**
 * Serve one model file under a name (a repository without a directory: appcore-server's
 * `--model FILE`). The name and version come from @p options (or the file name and "", as
 * appcore_model_load_file() does); reloads re-read the file when it changes.
 *
 * @return APPCORE_OK; APPCORE_EEXISTS (a model of that name is served); the errors of
 *         appcore_model_load_file(). Blocks while another change runs. Thread-safe.
 */
APPCORE_API int appcore_repository_add_file(appcore_repository *repo, const char *path,
					    const appcore_model_load_options *options,
					    appcore_error *err);

/**
 * Serve the model a configuration names, as appcore_config_load_model() loads it (the file
 * `model.path`, named `model.name` and `model.version` when those are configured, else by the
 * file, with `model.use_best_iteration`): appcore-server's `--model FILE`. Reloads re-read
 * the file when it changes.
 *
 * @return as appcore_repository_add_file() and appcore_config_load_model(). Thread-safe.
 */
APPCORE_API int appcore_repository_add_configured(appcore_repository *repo,
						  const appcore_config *config, appcore_error *err);

/**
 * Load or reload one model now (Triton's repository "load"): clears an earlier
 * appcore_repository_unload() and brings the model in line with its directory.
 *
 * @return APPCORE_OK when the versions the policy selects are served;
 *         APPCORE_ENOTFOUND (no such model in the directory or added by file);
 *         a load error (APPCORE_EMODEL, APPCORE_EIO, APPCORE_ECONFIG for its config.yaml,
 *         ...) when a selected version failed: versions served before keep serving;
 *         APPCORE_EINVAL; APPCORE_ENOMEM. Blocks while another change runs. Thread-safe.
 */
APPCORE_API int appcore_repository_load(appcore_repository *repo, const char *name,
					appcore_error *err);

/**
 * Stop serving every version of a model (Triton's repository "unload"). It stays unloaded,
 * across reloads and polls, until appcore_repository_load(). Requests holding it finish.
 *
 * @return APPCORE_OK (also when it was not loaded); APPCORE_ENOTFOUND (the repository does
 *         not know the name); APPCORE_EINVAL. Blocks while another change runs. Thread-safe.
 */
APPCORE_API int appcore_repository_unload(appcore_repository *repo, const char *name,
					  appcore_error *err);

/**
 * Look up a served model. Takes no lock a change holds: it never waits for a load.
 *
 * @param out     receives a new reference; release it with appcore_model_unref(). NULL on
 *                failure.
 * @param name    the model; NULL for the default model (appcore_repository_options::
 *                default_model, or the only model served).
 * @param version a version label ("3"); NULL for the model's default version (the highest
 *                served).
 * @return APPCORE_OK;
 *         APPCORE_ENOTFOUND: no model of that name, or it does not serve that version;
 *         APPCORE_EUNAVAILABLE: the model is known but serves no version right now
 *         (unloaded, failed, not loaded yet), or @p name is NULL and nothing is served;
 *         APPCORE_EREQUEST: @p name is NULL and several models are served without a
 *         default;
 *         APPCORE_EINVAL. Thread-safe; lock-free.
 */
APPCORE_API int appcore_repository_get(appcore_model **out, appcore_repository *repo,
				       const char *name, const char *version, appcore_error *err);

/**
 * The prediction options of a model: the repository's predict_defaults overridden by its
 * config.yaml (max_batch_rows, iteration_range).
 *
 * @param out   initialised by the caller (appcore_predict_options_init()); its fields are
 *              overwritten.
 * @param name  NULL for the default model.
 * @return APPCORE_OK; the errors of appcore_repository_get(); APPCORE_EINVAL (also an
 *         unknown @p out version). Thread-safe; lock-free.
 */
APPCORE_API int appcore_repository_predict_options(appcore_predict_options *out,
						   appcore_repository *repo, const char *name,
						   appcore_error *err);

/** State of a model version in appcore_repository_list(). */
typedef enum appcore_repository_state {
	APPCORE_REPOSITORY_READY = 0,    /**< served */
	APPCORE_REPOSITORY_FAILED = 1,   /**< failed to load; reason says why */
	APPCORE_REPOSITORY_UNLOADED = 2, /**< unloaded by appcore_repository_unload() */
	APPCORE_REPOSITORY_EMPTY = 3     /**< a model with no version that can be served */
} appcore_repository_state;

/**
 * One line of appcore_repository_list(), filled by the library (fixed size with reserved
 * space). Strings live in the same allocation as the array.
 */
typedef struct appcore_repository_entry {
	const char *name; /**< model name */
	/** Version label; NULL for a line about the whole model (UNLOADED, EMPTY, or FAILED
	 * for its config.yaml). */
	const char *version;
	appcore_repository_state state; /**< served, failed, unloaded or empty */
	/** Error code of a FAILED line, else APPCORE_OK. */
	int code;
	/** Why the line is not READY; "" for READY. */
	const char *reason;
	/** Nonzero for the version a lookup without version gets. */
	int is_default;
	int reserved_int; /**< Reserved; written as 0. */
	void *reserved[6]; /**< Reserved; written as NULL. */
} appcore_repository_entry;

/**
 * What the repository serves and what failed: per model (sorted by name), its served
 * versions (highest first), then failed versions, or one line for the whole model.
 *
 * @param out   receives the array; release it (strings included) with appcore_free().
 *              NULL when @p count is 0.
 * @param count receives the number of lines.
 * @param name  only this model; NULL for all.
 * @return APPCORE_OK; APPCORE_ENOTFOUND (@p name unknown); APPCORE_EINVAL; APPCORE_ENOMEM.
 *         Thread-safe; lock-free.
 */
APPCORE_API int appcore_repository_list(appcore_repository_entry **out, size_t *count,
					appcore_repository *repo, const char *name,
					appcore_error *err);

/**
 * Number of models that serve at least one version. Thread-safe; lock-free.
 * @param repo must not be NULL.
 */
APPCORE_API size_t appcore_repository_num_ready(appcore_repository *repo);

APPCORE_END_DECLS

#endif /* APPCORE_REPOSITORY_H */
