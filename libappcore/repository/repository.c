/* The repository API: options, the whole-directory pass, load/unload/add, and the
 * lock-free lookups over the published snapshot. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appcore/config.h"
#include "core/error_internal.h"
#include "engine/engine.h"
#include "repository/repository_internal.h"

double ac_repo_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void ac_repo_emit(appcore_repository *repo, appcore_repository_event_kind kind,
		  const char *model, const char *version, const char *path, double seconds,
		  const appcore_error *error, size_t served)
{
	appcore_repository_event event;

	if (repo->on_event == NULL)
		return;
	memset(&event, 0, sizeof(event));
	event.kind = kind;
	event.model = model;
	event.version = version;
	event.path = path;
	event.seconds = seconds;
	event.error = error;
	event.versions_served = served;
	repo->on_event(&event, repo->event_data);
}

int appcore_repository_options_init(appcore_repository_options *options, unsigned int version)
{
	static const appcore_repository_options defaults = APPCORE_REPOSITORY_OPTIONS_INIT;

	if (options == NULL || version == 0 || version > APPCORE_REPOSITORY_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	*options = defaults;
	options->version = version;
	return APPCORE_OK;
}

static int check_options(const appcore_repository_options *o, appcore_error *err)
{
	if (o->version == 0 || o->version > APPCORE_REPOSITORY_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_repository_options: unknown version %u", o->version);
	if (!isfinite(o->poll_seconds) || o->poll_seconds < 0)
		return ac_error_set(err, APPCORE_EINVAL,
				    "poll_seconds must be 0 or more, got %g", o->poll_seconds);
	if (o->default_policy != APPCORE_REPOSITORY_POLICY_LATEST &&
	    o->default_policy != APPCORE_REPOSITORY_POLICY_ALL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "default_policy must be LATEST or ALL");
	if (o->default_policy == APPCORE_REPOSITORY_POLICY_LATEST && o->default_latest == 0)
		return ac_error_set(err, APPCORE_EINVAL, "default_latest must be at least 1");
	if (o->default_model != NULL && !ac_repo_valid_name(o->default_model))
		return ac_error_set(err, APPCORE_EINVAL,
				    "default_model '%s' is not a valid model name", o->default_model);
	if (o->predict_defaults != NULL)
		return ac_predict_options_check(o->predict_defaults, err);
	return APPCORE_OK;
}

static int check_directory(const char *path, appcore_error *err)
{
	DIR *d = opendir(path);

	if (d == NULL)
		return ac_error_set(err, errno == ENOENT ? APPCORE_ENOTFOUND : APPCORE_EIO,
				    "model repository %s: %s", path, strerror(errno));
	closedir(d);
	return APPCORE_OK;
}

int appcore_repository_new(appcore_repository **out, const appcore_repository_options *options,
			   appcore_error *err)
{
	static const appcore_predict_options predict_defaults = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_repository *repo;
	struct ac_repo_snapshot *empty = NULL;
	int rc;

	if (out == NULL || options == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_new: NULL argument");
	*out = NULL;
	if ((rc = check_options(options, err)) != APPCORE_OK)
		return rc;
	if (options->path != NULL && (rc = check_directory(options->path, err)) != APPCORE_OK)
		return rc;
	repo = calloc(1, sizeof(*repo));
	if (repo == NULL || ac_repo_snapshot_empty(&empty) != APPCORE_OK) {
		free(repo);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	atomic_init(&repo->current, empty);
	atomic_init(&repo->epoch, 0u);
	atomic_init(&repo->readers[0], 0);
	atomic_init(&repo->readers[1], 0);
	repo->path = options->path != NULL ? strdup(options->path) : NULL;
	repo->default_model = options->default_model ? strdup(options->default_model) : NULL;
	repo->poll_seconds = options->poll_seconds;
	repo->default_policy = options->default_policy;
	repo->default_latest = options->default_latest;
	repo->predict_defaults = predict_defaults;
	if (options->predict_defaults != NULL) {
		/* only the fields of the caller's version; the rest keep their defaults */
		repo->predict_defaults = *options->predict_defaults;
		repo->predict_defaults.version = APPCORE_PREDICT_OPTIONS_VERSION;
	}
	repo->use_best_iteration = options->use_best_iteration;
	repo->on_event = options->on_event;
	repo->event_data = options->event_data;
	pthread_mutex_init(&repo->lock, NULL);
	pthread_mutex_init(&repo->wake_lock, NULL);
	if ((options->path != NULL && repo->path == NULL) ||
	    (options->default_model != NULL && repo->default_model == NULL)) {
		appcore_repository_free(repo);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	if (repo->poll_seconds > 0 && (rc = ac_repo_thread_start(repo, err)) != APPCORE_OK) {
		appcore_repository_free(repo);
		return rc;
	}
	*out = repo;
	return APPCORE_OK;
}

void appcore_repository_free(appcore_repository *repo)
{
	if (repo == NULL)
		return;
	ac_repo_thread_stop(repo);
	for (size_t i = 0; i < repo->num_models; i++)
		ac_model_state_free(repo->models[i]);
	free(repo->models);
	ac_repo_snapshot_free(atomic_load(&repo->current));
	ac_report_free(&repo->reported);
	pthread_mutex_destroy(&repo->lock);
	pthread_mutex_destroy(&repo->wake_lock);
	free(repo->path);
	free(repo->default_model);
	free(repo);
}

/* ---- the writer's model list, sorted by name ---- */

static size_t model_position(const appcore_repository *repo, const char *name, bool *found)
{
	size_t lo = 0, hi = repo->num_models;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, repo->models[mid]->name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct ac_model_state *find_model(const appcore_repository *repo, const char *name)
{
	bool found;
	size_t at = model_position(repo, name, &found);

	return found ? repo->models[at] : NULL;
}

static int insert_model(appcore_repository *repo, struct ac_model_state *m)
{
	bool found;
	size_t at = model_position(repo, m->name, &found);

	if (repo->num_models == repo->cap_models) {
		size_t capacity = repo->cap_models ? repo->cap_models * 2 : 16;
		struct ac_model_state **grown = realloc(repo->models, capacity * sizeof(*grown));
		if (grown == NULL)
			return APPCORE_ENOMEM;
		repo->models = grown;
		repo->cap_models = capacity;
	}
	memmove(&repo->models[at + 1], &repo->models[at],
		(repo->num_models - at) * sizeof(*repo->models));
	repo->models[at] = m;
	repo->num_models++;
	return APPCORE_OK;
}

/* ---- the whole-directory pass ---- */

void ac_repo_ignored(appcore_repository *repo, const char *model, const char *path,
		     const char *reason)
{
	char *key = malloc(strlen(path) + strlen(reason) + 2);
	appcore_error error;

	/* once per path and reason; without memory to remember it, report it again */
	if (key != NULL) {
		sprintf(key, "%s\n%s", path, reason);
		if (!ac_report_once(&repo->reported, key)) {
			free(key);
			return;
		}
		free(key);
	}
	ac_error_set(&error, APPCORE_ENOTFOUND, "%s: %s", path, reason);
	ac_repo_emit(repo, APPCORE_REPOSITORY_EVENT_IGNORED, model, NULL, path, 0, &error, 0);
}

static void ignored_top(appcore_repository *repo, const char *path, const char *reason)
{
	ac_repo_ignored(repo, NULL, path, reason);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **items;
	size_t count, capacity;
};

static void names_free(struct names *n)
{
	for (size_t i = 0; i < n->count; i++)
		free(n->items[i]);
	free(n->items);
	memset(n, 0, sizeof(*n));
}

static int names_add(struct names *n, const char *name)
{
	if (n->count == n->capacity) {
		size_t capacity = n->capacity ? n->capacity * 2 : 64;
		char **grown = realloc(n->items, capacity * sizeof(*grown));
		if (grown == NULL)
			return APPCORE_ENOMEM;
		n->items = grown;
		n->capacity = capacity;
	}
	n->items[n->count] = strdup(name);
	if (n->items[n->count] == NULL)
		return APPCORE_ENOMEM;
	n->count++;
	return APPCORE_OK;
}

/* The model directories of the repository, sorted. */
static int list_models(struct names *out, appcore_repository *repo, appcore_error *err)
{
	DIR *d = opendir(repo->path);
	struct dirent *e;
	int rc = APPCORE_OK;

	memset(out, 0, sizeof(*out));
	if (d == NULL) {
		int code = errno == ENOENT ? APPCORE_ENOTFOUND : APPCORE_EIO;
		return ac_error_set(err, code, "model repository %s: %s", repo->path,
				    strerror(errno));
	}
	while (rc == APPCORE_OK && (e = readdir(d)) != NULL) {
		struct ac_model_state *existing;
		struct stat st;
		char *path;

		if (e->d_name[0] == '.')
			continue; /* ".", "..", and where versions are staged */
		path = ac_path_join(repo->path, e->d_name);
		if (path == NULL) {
			rc = APPCORE_ENOMEM;
			break;
		}
		if (stat(path, &st) != 0) {
			char reason[256];
			snprintf(reason, sizeof(reason), "cannot read: %s", strerror(errno));
			ignored_top(repo, path, reason);
		} else if (!S_ISDIR(st.st_mode)) {
			ignored_top(repo, path, "not a model directory");
		} else if (!ac_repo_valid_name(e->d_name)) {
			ignored_top(repo, path,
				    "not a valid model name (letters, digits, '_', '-' and '.', "
				    "starting with a letter or digit, at most 128)");
		} else if ((existing = find_model(repo, e->d_name)) != NULL &&
			   existing->file_path != NULL) {
			ignored_top(repo, path, "a model added from a file has this name");
		} else {
			rc = names_add(out, e->d_name);
		}
		free(path);
	}
	closedir(d);
	if (rc != APPCORE_OK) {
		names_free(out);
		return ac_error_set(err, rc, "out of memory");
	}
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), compare_names);
	return APPCORE_OK;
}

/* Models whose directory left: out of the list, published without them, announced. */
static int drop_missing(appcore_repository *repo, const struct names *found, appcore_error *err)
{
	struct ac_model_state **gone = NULL;
	size_t num_gone = 0, kept = 0;
	int rc = APPCORE_OK;

	for (size_t i = 0; i < repo->num_models; i++) {
		struct ac_model_state *m = repo->models[i];
		bool present = m->file_path != NULL ||
			       (found->count > 0 &&
				bsearch(&m->name, found->items, found->count, sizeof(char *),
					compare_names) != NULL);
		if (present) {
			repo->models[kept++] = m;
			continue;
		}
		if (gone == NULL && (gone = calloc(repo->num_models, sizeof(*gone))) == NULL) {
			/* keep it for now; the next pass tries again */
			repo->models[kept++] = m;
			continue;
		}
		gone[num_gone++] = m;
	}
	repo->num_models = kept;
	if (num_gone > 0)
		rc = ac_repo_publish(repo, err);
	for (size_t i = 0; i < num_gone; i++) {
		ac_model_state_removed(repo, gone[i]);
		ac_model_state_free(gone[i]);
	}
	free(gone);
	return rc;
}

int ac_repo_reload_locked(appcore_repository *repo, appcore_error *err)
{
	struct names found = { 0 };
	int rc = APPCORE_OK;

	repo->out_of_memory = false;
	ac_report_begin_scan(&repo->reported);
	if (repo->path != NULL) {
		rc = list_models(&found, repo, err);
		if (rc != APPCORE_OK) {
			/* the whole directory is unreadable: keep serving, report once */
			ignored_top(repo, repo->path, err != NULL ? err->message : "cannot list");
			ac_report_end_scan(&repo->reported);
			return rc;
		}
		rc = drop_missing(repo, &found, err);
		for (size_t i = 0; rc == APPCORE_OK && i < found.count; i++) {
			if (find_model(repo, found.items[i]) != NULL)
				continue;
			struct ac_model_state *m = ac_model_state_new(found.items[i]);
			if (m == NULL || insert_model(repo, m) != APPCORE_OK) {
				ac_model_state_free(m);
				rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			}
		}
		names_free(&found);
	}
	/* by index: a sync may publish, never add or remove models */
	for (size_t i = 0; rc == APPCORE_OK && i < repo->num_models; i++)
		rc = ac_model_state_sync(repo, repo->models[i], NULL, err);
	ac_report_end_scan(&repo->reported);
	if (rc == APPCORE_OK && repo->dirty)
		rc = ac_repo_publish(repo, err);
	/* one model's broken file is not the reload's failure; memory running out is */
	if (rc == APPCORE_OK && repo->out_of_memory)
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory while loading models");
	return rc;
}

int appcore_repository_reload(appcore_repository *repo, appcore_error *err)
{
	int rc;

	if (repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_reload: NULL argument");
	pthread_mutex_lock(&repo->lock);
	rc = ac_repo_reload_locked(repo, err);
	pthread_mutex_unlock(&repo->lock);
	return rc;
}

int appcore_repository_reload_async(appcore_repository *repo, appcore_error *err)
{
	int rc;

	if (repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_repository_reload_async: NULL argument");
	if ((rc = ac_repo_thread_start(repo, err)) != APPCORE_OK)
		return rc;
	ac_repo_thread_wake(repo);
	return APPCORE_OK;
}

/* Whether the repository has a directory for the model: 1, 0, or APPCORE_ENOMEM. */
static int has_directory(const appcore_repository *repo, const char *name)
{
	struct stat st;
	char *path;
	int yes;

	if (repo->path == NULL || !ac_repo_valid_name(name))
		return 0;
	path = ac_path_join(repo->path, name);
	if (path == NULL)
		return APPCORE_ENOMEM;
	yes = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return yes;
}

int appcore_repository_load(appcore_repository *repo, const char *name, appcore_error *err)
{
	struct ac_sync_options sync = { true, NULL };
	appcore_error first;
	struct ac_model_state *m;
	int rc;

	if (repo == NULL || name == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_load: NULL argument");
	pthread_mutex_lock(&repo->lock);
	m = find_model(repo, name);
	if (m == NULL || m->file_path == NULL) {
		int found = has_directory(repo, name);
		if (found != 1) {
			rc = found == APPCORE_ENOMEM
				 ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
				 : ac_error_set(err, APPCORE_ENOTFOUND,
						"no model named '%s' in the repository", name);
			goto out;
		}
	}
	if (m == NULL) {
		m = ac_model_state_new(name);
		if (m == NULL || insert_model(repo, m) != APPCORE_OK) {
			ac_model_state_free(m);
			rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			goto out;
		}
	}
	m->unloaded = false;
	appcore_error_clear(&first);
	sync.first_error = &first;
	rc = ac_model_state_sync(repo, m, &sync, err);
	if (rc == APPCORE_OK && repo->dirty)
		rc = ac_repo_publish(repo, err);
	if (rc != APPCORE_OK)
		goto out;
	if (first.code != APPCORE_OK) {
		rc = first.code;
		if (err != NULL)
			*err = first;
	} else if (m->entry == NULL || m->entry->num_versions == 0) {
		rc = ac_error_set(err, APPCORE_ENOTFOUND,
				  "model '%s' has no version to load (%s)", name,
				  m->entry != NULL && m->entry->num_problems > 0
				      ? m->entry->problems[0].reason
				      : "no version directory with a model file");
	}
out:
	pthread_mutex_unlock(&repo->lock);
	return rc;
}

int appcore_repository_unload(appcore_repository *repo, const char *name, appcore_error *err)
{
	struct ac_model_state *m;
	int rc = 0;

	if (repo == NULL || name == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_unload: NULL argument");
	pthread_mutex_lock(&repo->lock);
	m = find_model(repo, name);
	if (m == NULL && (rc = has_directory(repo, name)) == APPCORE_ENOMEM) {
		ac_error_set(err, rc, "out of memory");
		goto out;
	}
	if (m == NULL && rc == 1) {
		/* known on disk but not scanned yet: remember, so no scan loads it */
		m = ac_model_state_new(name);
		if (m == NULL || insert_model(repo, m) != APPCORE_OK) {
			ac_model_state_free(m);
			m = NULL;
			rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (m == NULL) {
		rc = ac_error_set(err, APPCORE_ENOTFOUND, "no model named '%s' in the repository",
				  name);
		goto out;
	}
	m->unloaded = true;
	rc = ac_model_state_retire(repo, m, err);
	if (rc == APPCORE_OK && repo->dirty)
		rc = ac_repo_publish(repo, err);
out:
	pthread_mutex_unlock(&repo->lock);
	return rc;
}

/* Serve a model already loaded from path (whose identity sig is, after the load). */
static int add_loaded(appcore_repository *repo, const char *path, appcore_model *model,
		      int use_best_iteration, const struct ac_file_sig *sig, appcore_error *err)
{
	struct ac_model_state *m = NULL;
	struct ac_version_state *v;
	int rc = APPCORE_OK;

	pthread_mutex_lock(&repo->lock);
	if (find_model(repo, appcore_model_name(model)) != NULL) {
		rc = ac_error_set(err, APPCORE_EEXISTS, "a model named '%s' is already served",
				  appcore_model_name(model));
		goto out;
	}
	m = ac_model_state_new(appcore_model_name(model));
	if (m == NULL || (m->file_path = strdup(path)) == NULL ||
	    (m->file_version = strdup(appcore_model_version(model))) == NULL ||
	    (m->versions = calloc(1, sizeof(*m->versions))) == NULL ||
	    (m->versions[0].label = strdup(m->file_version)) == NULL ||
	    (m->versions[0].path = strdup(path)) == NULL || insert_model(repo, m) != APPCORE_OK) {
		if (m != NULL && m->versions != NULL)
			m->num_versions = 1; /* so that the state frees what it got */
		ac_model_state_free(m);
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	m->file_use_best_iteration = use_best_iteration;
	m->config_usable = true;
	m->num_versions = m->cap_versions = 1;
	v = &m->versions[0];
	if (!ac_repo_parse_version(&v->number, v->label))
		v->number = 0;
	v->model = appcore_model_ref(model);
	v->sig = *sig;
	v->disk_sig = *sig;
	v->present = true;
	/* publishes it: nothing to load, the model is current */
	rc = ac_model_state_sync(repo, m, NULL, err);
	if (rc == APPCORE_OK && repo->dirty)
		rc = ac_repo_publish(repo, err);
out:
	pthread_mutex_unlock(&repo->lock);
	return rc;
}

/* The identity of path after a load, or an error when it changed during the load. */
static int stable(struct ac_file_sig *after, const char *path, const struct ac_file_sig *before,
		  appcore_error *err)
{
	ac_file_sig_read(after, path);
	if (before->regular && !ac_file_sig_equal(before, after))
		return ac_error_set(err, APPCORE_EIO, "%s: changed while it was being read", path);
	return APPCORE_OK;
}

int appcore_repository_add_file(appcore_repository *repo, const char *path,
				const appcore_model_load_options *options, appcore_error *err)
{
	struct ac_file_sig before, after;
	appcore_model *model = NULL;
	int rc;

	if (repo == NULL || path == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_repository_add_file: NULL argument");
	ac_file_sig_read(&before, path);
	if ((rc = appcore_model_load_file(&model, path, options, err)) == APPCORE_OK &&
	    (rc = stable(&after, path, &before, err)) == APPCORE_OK)
		rc = add_loaded(repo, path, model, options != NULL && options->use_best_iteration,
				&after, err);
	appcore_model_unref(model);
	return rc;
}

int appcore_repository_add_configured(appcore_repository *repo, const appcore_config *config,
				      appcore_error *err)
{
	struct ac_file_sig before, after;
	appcore_model *model = NULL;
	const char *path = NULL;
	int use_best = 0, rc;

	if (repo == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_repository_add_configured: NULL argument");
	if ((rc = appcore_config_get_string(&path, config, "model.path", err)) != APPCORE_OK ||
	    (rc = appcore_config_get_bool(&use_best, config, "model.use_best_iteration", err)) !=
		APPCORE_OK)
		return rc;
	ac_file_sig_read(&before, path);
	/* the one rule for a configured model's name and version: appcore_config_load_model */
	if ((rc = appcore_config_load_model(&model, config, NULL, err)) == APPCORE_OK &&
	    (rc = stable(&after, path, &before, err)) == APPCORE_OK)
		rc = add_loaded(repo, path, model, use_best, &after, err);
	appcore_model_unref(model);
	return rc;
}

/* ---- lookups: lock-free, over the published snapshot ---- */

static int resolve(struct ac_repo_entry **out, const struct ac_repo_snapshot *snapshot,
		   const appcore_repository *repo, const char *name, appcore_error *err)
{
	*out = NULL;
	if (name == NULL && repo->default_model != NULL)
		name = repo->default_model;
	if (name != NULL) {
		*out = ac_repo_snapshot_find(snapshot, name);
		if (*out != NULL)
			return APPCORE_OK;
		ac_error_set(err, APPCORE_ENOTFOUND, "no model named '%s'", name);
		return APPCORE_ENOTFOUND;
	}
	if (snapshot->only_ready != NULL) {
		*out = snapshot->only_ready;
		return APPCORE_OK;
	}
	if (snapshot->num_ready == 0) {
		ac_error_set(err, APPCORE_EUNAVAILABLE, "no model is loaded");
		return APPCORE_EUNAVAILABLE;
	}
	ac_error_set(err, APPCORE_EREQUEST,
		     "%zu models are served and none is the default: name one", snapshot->num_ready);
	return APPCORE_EREQUEST;
}

static int unavailable(const struct ac_repo_entry *e, appcore_error *err)
{
	const char *why = e->num_problems > 0 ? e->problems[0].reason : "not loaded";

	return ac_error_set(err, APPCORE_EUNAVAILABLE, "model '%s' is not available: %s",
			    e->name, why);
}

int appcore_repository_get(appcore_model **out, appcore_repository *repo, const char *name,
			   const char *version, appcore_error *err)
{
	struct ac_repo_snapshot *snapshot;
	struct ac_repo_entry *entry;
	unsigned ticket;
	int rc;

	if (out == NULL || repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_get: NULL argument");
	*out = NULL;
	ticket = ac_repo_read_begin(repo, &snapshot);
	rc = resolve(&entry, snapshot, repo, name, err);
	if (rc == APPCORE_OK && entry->num_versions == 0) {
		rc = unavailable(entry, err);
	} else if (rc == APPCORE_OK && version == NULL) {
		*out = appcore_model_ref(entry->versions[0].model);
	} else if (rc == APPCORE_OK) {
		size_t i;
		for (i = 0; i < entry->num_versions; i++)
			if (strcmp(entry->versions[i].label, version) == 0)
				break;
		if (i < entry->num_versions)
			*out = appcore_model_ref(entry->versions[i].model);
		else
			rc = ac_error_set(err, APPCORE_ENOTFOUND,
					  "model '%s' has no version '%s' (served: %s%s)",
					  entry->name, version, entry->versions[0].label,
					  entry->num_versions > 1 ? ", ..." : "");
	}
	ac_repo_read_end(repo, ticket);
	return rc;
}

int appcore_repository_predict_options(appcore_predict_options *out, appcore_repository *repo,
				       const char *name, appcore_error *err)
{
	struct ac_repo_snapshot *snapshot;
	struct ac_repo_entry *entry;
	unsigned ticket;
	int rc;

	if (out == NULL || repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_repository_predict_options: NULL argument");
	if ((rc = ac_predict_options_check(out, err)) != APPCORE_OK)
		return rc;
	ticket = ac_repo_read_begin(repo, &snapshot);
	rc = resolve(&entry, snapshot, repo, name, err);
	if (rc == APPCORE_OK) {
		unsigned int version = out->version;
		*out = entry->options;
		out->version = version;
	}
	ac_repo_read_end(repo, ticket);
	return rc;
}

size_t appcore_repository_num_ready(appcore_repository *repo)
{
	struct ac_repo_snapshot *snapshot;
	unsigned ticket = ac_repo_read_begin(repo, &snapshot);
	size_t n = snapshot->num_ready;

	ac_repo_read_end(repo, ticket);
	return n;
}

/* Size of one entry's lines and their strings. */
static void measure(const struct ac_repo_entry *e, size_t *lines, size_t *bytes)
{
	size_t name = strlen(e->name) + 1;

	*lines += e->num_versions + e->num_problems;
	for (size_t i = 0; i < e->num_versions; i++)
		*bytes += name + strlen(e->versions[i].label) + 1 + 1;
	for (size_t i = 0; i < e->num_problems; i++)
		*bytes += name + (e->problems[i].version ? strlen(e->problems[i].version) + 1 : 0) +
			  strlen(e->problems[i].reason) + 1;
}

static const char *put(char **cursor, const char *text)
{
	char *at = *cursor;
	size_t len = strlen(text) + 1;

	memcpy(at, text, len);
	*cursor += len;
	return at;
}

static void fill(const struct ac_repo_entry *e, appcore_repository_entry *line, char **cursor)
{
	for (size_t i = 0; i < e->num_versions; i++, line++) {
		memset(line, 0, sizeof(*line));
		line->name = put(cursor, e->name);
		line->version = put(cursor, e->versions[i].label);
		line->state = APPCORE_REPOSITORY_READY;
		line->reason = put(cursor, "");
		line->is_default = i == 0;
	}
	for (size_t i = 0; i < e->num_problems; i++, line++) {
		memset(line, 0, sizeof(*line));
		line->name = put(cursor, e->name);
		line->version = e->problems[i].version ? put(cursor, e->problems[i].version) : NULL;
		line->state = e->problems[i].state;
		line->code = e->problems[i].code;
		line->reason = put(cursor, e->problems[i].reason);
	}
}

int appcore_repository_list(appcore_repository_entry **out, size_t *count,
			    appcore_repository *repo, const char *name, appcore_error *err)
{
	struct ac_repo_snapshot *snapshot;
	struct ac_repo_entry *only = NULL;
	size_t lines = 0, bytes = 0, first = 0, last;
	appcore_repository_entry *result = NULL;
	unsigned ticket;
	int rc = APPCORE_OK;

	if (out == NULL || count == NULL || repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_repository_list: NULL argument");
	*out = NULL;
	*count = 0;
	ticket = ac_repo_read_begin(repo, &snapshot);
	last = snapshot->count;
	if (name != NULL) {
		only = ac_repo_snapshot_find(snapshot, name);
		if (only == NULL) {
			rc = ac_error_set(err, APPCORE_ENOTFOUND, "no model named '%s'", name);
			goto out;
		}
	}
	for (size_t i = first; i < last; i++)
		if (only == NULL || snapshot->entries[i] == only)
			measure(snapshot->entries[i], &lines, &bytes);
	if (lines > 0) {
		char *cursor;
		size_t at = 0;

		result = malloc(lines * sizeof(*result) + bytes);
		if (result == NULL) {
			rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			goto out;
		}
		cursor = (char *)(result + lines);
		for (size_t i = first; i < last; i++) {
			const struct ac_repo_entry *e = snapshot->entries[i];
			if (only != NULL && e != only)
				continue;
			fill(e, result + at, &cursor);
			at += e->num_versions + e->num_problems;
		}
	}
	*out = result;
	*count = lines;
out:
	ac_repo_read_end(repo, ticket);
	return rc;
}
