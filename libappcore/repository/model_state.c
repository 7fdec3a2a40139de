/* One model of the repository, brought in line with its directory (or its file): read
 * config.yaml, list the version directories, pick versions by policy, load what is new or
 * changed, and publish the result once every version it serves is loaded and checked.
 *
 * The rule that keeps traffic safe: a failure never takes anything away. A version that
 * fails to load is reported and not retried until its file (or config.yaml) changes; the
 * versions served before keep serving, even those the policy would now retire. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "model/model_internal.h"
#include "repository/repository_internal.h"

/* A version found on disk. */
struct candidate {
	unsigned long long number;
	char *label;
	char *path; /* the model file */
};

struct candidates {
	struct candidate *items;
	size_t count, capacity;
};

static void candidates_free(struct candidates *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->items[i].label);
		free(c->items[i].path);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

/* Takes ownership of path. */
static int candidates_add(struct candidates *c, unsigned long long number, const char *label,
			  char *path)
{
	struct candidate *item;

	if (c->count == c->capacity) {
		size_t capacity = c->capacity ? c->capacity * 2 : 8;
		struct candidate *grown = realloc(c->items, capacity * sizeof(*grown));
		if (grown == NULL) {
			free(path);
			return APPCORE_ENOMEM;
		}
		c->items = grown;
		c->capacity = capacity;
	}
	item = &c->items[c->count];
	item->number = number;
	item->path = path;
	item->label = strdup(label);
	if (item->label == NULL) {
		free(path);
		return APPCORE_ENOMEM;
	}
	c->count++;
	return APPCORE_OK;
}

static int version_order(const void *a, const void *b)
{
	const struct ac_version_state *x = a, *y = b;

	if (x->number != y->number)
		return x->number > y->number ? -1 : 1;
	return strcmp(x->label, y->label);
}

struct ac_model_state *ac_model_state_new(const char *name)
{
	struct ac_model_state *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->name = strdup(name);
	if (m->name == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

static void version_clear(struct ac_version_state *v)
{
	free(v->label);
	free(v->path);
	free(v->fail_reason);
	appcore_model_unref(v->model);
	memset(v, 0, sizeof(*v));
}

void ac_model_state_free(struct ac_model_state *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->num_versions; i++)
		version_clear(&m->versions[i]);
	free(m->versions);
	ac_model_config_free(&m->config);
	free(m->config_fail_reason);
	free(m->file_path);
	free(m->file_version);
	ac_repo_entry_unref(m->entry);
	free(m->name);
	free(m);
}

/* Report something in the directory that is not part of the layout, once. */
static void ignored(appcore_repository *repo, const char *model, const char *path,
		    const char *format, ...) AC_PRINTF(4, 5);

static void ignored(appcore_repository *repo, const char *model, const char *path,
		    const char *format, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(reason, sizeof(reason), format, ap);
	va_end(ap);
	ac_repo_ignored(repo, model, path, reason);
}

static size_t served_count(const struct ac_model_state *m)
{
	return m->entry != NULL ? m->entry->num_versions : 0;
}

/* The model file of a version directory: model.json, else model.ubj; *out NULL when there is
 * neither. APPCORE_ENOMEM when a path cannot be built. */
static int model_file(char **out, appcore_repository *repo, const char *model, const char *dir)
{
	char *json = ac_path_join(dir, "model.json"), *ubj = ac_path_join(dir, "model.ubj");
	struct stat st;
	bool has_json, has_ubj;

	*out = NULL;
	if (json == NULL || ubj == NULL) {
		free(json);
		free(ubj);
		return APPCORE_ENOMEM;
	}
	/* lstat: a dangling link is a model file that cannot be read, reported as a failure */
	has_json = lstat(json, &st) == 0;
	has_ubj = lstat(ubj, &st) == 0;
	if (has_json && has_ubj)
		ignored(repo, model, ubj, "ignored: model.json is used");
	if (has_json) {
		free(ubj);
		*out = json;
		return APPCORE_OK;
	}
	free(json);
	if (has_ubj) {
		*out = ubj;
		return APPCORE_OK;
	}
	free(ubj);
	ignored(repo, model, dir, "no model.json or model.ubj in this version directory (yet)");
	return APPCORE_OK;
}

/* The version directories of a model directory. */
static int list_versions(struct candidates *out, appcore_repository *repo,
			 struct ac_model_state *m, const char *dir, appcore_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = APPCORE_OK;

	memset(out, 0, sizeof(*out));
	if (d == NULL) {
		int code = errno == ENOENT ? APPCORE_ENOTFOUND : APPCORE_EIO;
		return ac_error_set(err, code, "%s: cannot list: %s", dir, strerror(errno));
	}
	while (rc == APPCORE_OK && (e = readdir(d)) != NULL) {
		unsigned long long number;
		struct stat st;
		char *path, *file;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "config.yaml") == 0)
			continue;
		path = ac_path_join(dir, e->d_name);
		if (path == NULL) {
			rc = APPCORE_ENOMEM;
			break;
		}
		if (stat(path, &st) != 0)
			ignored(repo, m->name, path, "cannot read: %s", strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			ignored(repo, m->name, path,
				"not a version directory (versions are directories named 1, 2, ...)");
		else if (!ac_repo_parse_version(&number, e->d_name))
			ignored(repo, m->name, path,
				"not a version: version directories are named by positive integers "
				"without leading zeros");
		else if ((rc = model_file(&file, repo, m->name, path)) == APPCORE_OK && file != NULL)
			rc = candidates_add(out, number, e->d_name, file);
		free(path);
	}
	closedir(d);
	if (rc != APPCORE_OK) {
		candidates_free(out);
		return ac_error_set(err, rc, "out of memory");
	}
	return APPCORE_OK;
}

static struct ac_version_state *find_version(struct ac_model_state *m, const char *label)
{
	for (size_t i = 0; i < m->num_versions; i++)
		if (strcmp(m->versions[i].label, label) == 0)
			return &m->versions[i];
	return NULL;
}

/* Merge what the directory holds into the model's versions (kept highest first): new ones
 * are added, present ones get their file's current identity, the others are marked absent. */
static int merge_versions(struct ac_model_state *m, const struct candidates *c)
{
	size_t needed = m->num_versions + c->count;

	if (needed > m->cap_versions) {
		struct ac_version_state *grown = realloc(m->versions, needed * sizeof(*grown));
		if (grown == NULL)
			return APPCORE_ENOMEM;
		m->versions = grown;
		m->cap_versions = needed;
	}
	for (size_t i = 0; i < m->num_versions; i++)
		m->versions[i].present = false;
	for (size_t i = 0; i < c->count; i++) {
		struct ac_version_state *v = find_version(m, c->items[i].label);
		char *path = strdup(c->items[i].path);

		if (path == NULL)
			return APPCORE_ENOMEM;
		if (v == NULL) {
			v = &m->versions[m->num_versions];
			memset(v, 0, sizeof(*v));
			v->label = strdup(c->items[i].label);
			if (v->label == NULL) {
				free(path);
				return APPCORE_ENOMEM;
			}
			v->number = c->items[i].number;
			m->num_versions++;
		}
		free(v->path);
		v->path = path;
		v->present = true;
		ac_file_sig_read(&v->disk_sig, path);
	}
	if (m->num_versions > 1)
		qsort(m->versions, m->num_versions, sizeof(*m->versions), version_order);
	return APPCORE_OK;
}

/* Drop versions that left the directory and hold nothing worth keeping. */
static void prune_versions(struct ac_model_state *m)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->num_versions; i++) {
		if (m->versions[i].present || m->versions[i].served) {
			if (kept != i)
				m->versions[kept] = m->versions[i];
			kept++;
		} else {
			version_clear(&m->versions[i]);
		}
	}
	m->num_versions = kept;
}

static void model_failed(appcore_repository *repo, struct ac_model_state *m, const char *version,
			 const char *path, double seconds, const appcore_error *error,
			 const struct ac_sync_options *options)
{
	if (options != NULL && options->first_error != NULL &&
	    options->first_error->code == APPCORE_OK)
		*options->first_error = *error;
	if (error->code == APPCORE_ENOMEM)
		repo->out_of_memory = true;
	ac_repo_emit(repo, APPCORE_REPOSITORY_EVENT_LOAD_FAILED, m->name, version, path, seconds,
		     error, served_count(m));
}

/* config.yaml: reread when it changed. false when no version may load (a new model whose
 * config.yaml is broken). */
static bool read_config(appcore_repository *repo, struct ac_model_state *m, const char *dir,
			const struct ac_sync_options *options, int *fatal)
{
	char *path = ac_path_join(dir, "config.yaml");
	struct ac_file_sig sig;
	struct ac_model_config next;
	appcore_error error;
	int rc;

	*fatal = APPCORE_OK;
	if (path == NULL) {
		*fatal = APPCORE_ENOMEM;
		return false;
	}
	ac_file_sig_read(&sig, path);
	if (!sig.exists) {
		memset(&next, 0, sizeof(next));
		if (ac_model_config_shapes_differ(&next, &m->config))
			m->config_gen++;
		if (m->config_sig.exists || m->config_failed)
			repo->dirty = true;
		ac_model_config_free(&m->config);
		m->config_failed = false;
		m->config_usable = true;
		memset(&m->config_sig, 0, sizeof(m->config_sig));
		free(path);
		return true;
	}
	if (ac_file_sig_equal(&sig, &m->config_sig) && !(options->retry_failed && m->config_failed)) {
		free(path);
		return m->config_usable;
	}
	rc = ac_model_config_load(&next, path, &error);
	if (rc == APPCORE_ENOMEM) {
		*fatal = rc;
		free(path);
		return false;
	}
	m->config_sig = sig;
	repo->dirty = true;
	if (rc == APPCORE_OK) {
		if (ac_model_config_shapes_differ(&next, &m->config))
			m->config_gen++;
		ac_model_config_free(&m->config);
		m->config = next;
		m->config_failed = false;
		m->config_usable = true;
	} else {
		free(m->config_fail_reason);
		m->config_failed = true;
		m->config_fail_code = rc;
		m->config_fail_reason = strdup(error.message);
		model_failed(repo, m, NULL, path, 0, &error, options);
	}
	free(path);
	return m->config_usable;
}

static int compare_number(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

/* Load one version and check it against config.yaml; the model is not visible yet. */
static void load_version(appcore_repository *repo, struct ac_model_state *m,
			 struct ac_version_state *v, const struct ac_sync_options *options)
{
	appcore_model_load_options load = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	struct ac_file_sig after;
	appcore_model *model = NULL;
	appcore_error error;
	double started = ac_repo_now();
	bool changed;
	int rc;

	load.name = m->name;
	load.model_version = v->label;
	if (m->file_path != NULL)
		load.use_best_iteration = m->file_use_best_iteration;
	else
		load.use_best_iteration = m->config.has_use_best_iteration
					      ? m->config.use_best_iteration
					      : repo->use_best_iteration;
	rc = appcore_model_load_file(&model, v->path, &load, &error);
	if (rc == APPCORE_OK && m->config.feature_names != NULL) {
		rc = ac_model_override_feature_names(model, m->config.feature_names,
						     m->config.num_feature_names, &error);
		if (rc == APPCORE_ECONFIG)
			ac_error_prefix(&error, "config.yaml");
	}
	if (rc == APPCORE_OK && m->config.has_iteration_range) {
		size_t begin, end;
		rc = ac_model_tree_range(&begin, &end, model, m->config.iteration_begin,
					 m->config.iteration_end, &error);
		if (rc != APPCORE_OK) {
			rc = APPCORE_ECONFIG;
			error.code = rc;
			ac_error_prefix(&error, "config.yaml: iteration_range");
		}
	}
	/* a file that changed while it was read (a copy in progress) may have parsed by
	 * chance: never serve it; the next scan tries again */
	ac_file_sig_read(&after, v->path);
	changed = !ac_file_sig_equal(&after, &v->disk_sig);
	if (rc == APPCORE_OK && changed)
		rc = ac_error_set(&error, APPCORE_EIO,
				  "%s: changed while it was being read; retried at the next scan",
				  v->path);
	if (rc != APPCORE_OK) {
		appcore_model_unref(model);
		free(v->fail_reason);
		v->failed = true;
		v->fail_code = rc;
		v->fail_reason = strdup(error.message);
		v->fail_sig = v->disk_sig;
		/* a file that changed while read, or memory that ran out, deserves another try */
		v->fail_retry = changed || rc == APPCORE_ENOMEM;
		v->fail_config_gen = m->config_gen;
		repo->dirty = true;
		model_failed(repo, m, v->label, v->path, ac_repo_now() - started, &error, options);
		return;
	}
	appcore_model_unref(v->model);
	v->model = model;
	v->sig = v->disk_sig;
	v->config_gen = m->config_gen;
	v->failed = false;
	v->load_seconds = ac_repo_now() - started;
}

static bool loaded_and_current(const struct ac_model_state *m, const struct ac_version_state *v)
{
	/* a FIFO (or device) cannot be read twice: what it gave once is what it serves */
	if (v->model != NULL && v->disk_sig.exists && !v->disk_sig.regular)
		return true;
	return v->model != NULL && ac_file_sig_equal(&v->sig, &v->disk_sig) &&
	       v->config_gen == m->config_gen;
}

/* Pick versions by policy (marked `selected`) and load what they need. `latest: N` counts
 * only versions that load: when the newest is broken, the next one serves, so a repository
 * always serves what is valid in it. */
static void select_and_load(appcore_repository *repo, struct ac_model_state *m,
			    const struct ac_sync_options *options)
{
	appcore_repository_policy policy = m->config.has_policy ? m->config.policy
								: repo->default_policy;
	size_t latest = m->config.has_policy ? m->config.latest : repo->default_latest;
	size_t available = 0;

	for (size_t i = 0; i < m->num_versions; i++) {
		struct ac_version_state *v = &m->versions[i];

		v->selected = false;
		if (!v->present)
			continue;
		if (m->file_path != NULL || policy == APPCORE_REPOSITORY_POLICY_ALL)
			v->selected = true;
		else if (policy == APPCORE_REPOSITORY_POLICY_LATEST)
			v->selected = available < latest;
		else
			v->selected = bsearch(&v->number, m->config.specific,
					      m->config.num_specific, sizeof(unsigned long long),
					      compare_number) != NULL;
		if (!v->selected)
			continue;
		if (!loaded_and_current(m, v) &&
		    !(v->failed && !options->retry_failed && !v->fail_retry &&
		      v->fail_config_gen == m->config_gen &&
		      ac_file_sig_equal(&v->fail_sig, &v->disk_sig)))
			load_version(repo, m, v, options);
		available += v->model != NULL;
	}
}

/* What the model serves now: the selected versions that are loaded and, while a selected
 * version has nothing to serve, whatever was served before. */
static void choose_served(struct ac_model_state *m, bool *next)
{
	bool missing = false;

	for (size_t i = 0; i < m->num_versions; i++)
		missing |= m->versions[i].selected && m->versions[i].model == NULL;
	for (size_t i = 0; i < m->num_versions; i++) {
		const struct ac_version_state *v = &m->versions[i];
		next[i] = !m->unloaded && v->present && v->model != NULL &&
			  (v->selected || (missing && v->served));
	}
}

static int add_problem(struct ac_repo_entry *e, const char *version,
		       appcore_repository_state state, int code, const char *reason)
{
	struct ac_repo_problem *p = &e->problems[e->num_problems];

	p->version = version != NULL ? strdup(version) : NULL;
	p->reason = strdup(reason != NULL ? reason : "");
	p->state = state;
	p->code = code;
	e->num_problems++;
	return p->reason == NULL || (version != NULL && p->version == NULL) ? APPCORE_ENOMEM
									       : APPCORE_OK;
}

static void entry_options(appcore_repository *repo, const struct ac_model_state *m,
			  appcore_predict_options *options)
{
	*options = repo->predict_defaults;
	if (m->config.has_max_batch_rows)
		options->max_batch_rows = m->config.max_batch_rows;
	if (m->config.has_iteration_range) {
		options->iteration_begin = m->config.iteration_begin;
		options->iteration_end = m->config.iteration_end;
	}
}

static struct ac_repo_entry *build_entry(appcore_repository *repo, const struct ac_model_state *m,
					 const bool *serve)
{
	struct ac_repo_entry *e = calloc(1, sizeof(*e));
	size_t served = 0;
	int rc = APPCORE_OK;

	if (e == NULL)
		return NULL;
	e->refs = 1;
	e->name = strdup(m->name);
	entry_options(repo, m, &e->options);
	for (size_t i = 0; i < m->num_versions; i++)
		served += serve[i];
	e->versions = calloc(served + 1, sizeof(*e->versions));
	e->problems = calloc(m->num_versions + 2, sizeof(*e->problems));
	if (e->name == NULL || e->versions == NULL || e->problems == NULL) {
		ac_repo_entry_unref(e);
		return NULL;
	}
	for (size_t i = 0; i < m->num_versions; i++) {
		struct ac_repo_version *out = &e->versions[e->num_versions];
		if (!serve[i])
			continue;
		out->label = strdup(m->versions[i].label);
		out->number = m->versions[i].number;
		out->model = appcore_model_ref(m->versions[i].model);
		e->num_versions++;
		if (out->label == NULL)
			rc = APPCORE_ENOMEM;
	}
	if (m->unloaded) {
		rc |= add_problem(e, NULL, APPCORE_REPOSITORY_UNLOADED, APPCORE_OK,
				  "unloaded by request");
	} else {
		if (m->config_failed)
			rc |= add_problem(e, NULL, APPCORE_REPOSITORY_FAILED, m->config_fail_code,
					  m->config_fail_reason);
		for (size_t i = 0; i < m->num_versions; i++)
			if (m->versions[i].present && m->versions[i].failed)
				rc |= add_problem(e, m->versions[i].label, APPCORE_REPOSITORY_FAILED,
						  m->versions[i].fail_code,
						  m->versions[i].fail_reason);
		if (e->num_versions == 0 && e->num_problems == 0)
			rc |= add_problem(e, NULL, APPCORE_REPOSITORY_EMPTY, APPCORE_OK,
					  m->num_versions == 0
					      ? "no version directory with a model file"
					      : "no version selected by the version policy");
	}
	if (rc != APPCORE_OK) {
		ac_repo_entry_unref(e);
		return NULL;
	}
	return e;
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_versions(const struct ac_repo_entry *a, const struct ac_repo_entry *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL ? 0 : a->num_versions) == (b == NULL ? 0 : b->num_versions);
	if (a->num_versions != b->num_versions)
		return false;
	for (size_t i = 0; i < a->num_versions; i++)
		if (a->versions[i].model != b->versions[i].model ||
		    strcmp(a->versions[i].label, b->versions[i].label) != 0)
			return false;
	return true;
}

/* Member by member: the struct has padding, whose bytes memcmp would compare too. */
static bool same_options(const appcore_predict_options *a, const appcore_predict_options *b)
{
	return a->version == b->version && a->output == b->output &&
	       a->max_batch_rows == b->max_batch_rows && a->iteration_begin == b->iteration_begin &&
	       a->iteration_end == b->iteration_end && a->keep_rows == b->keep_rows &&
	       a->pool == b->pool;
}

static bool same_entry(const struct ac_repo_entry *a, const struct ac_repo_entry *b)
{
	if (a == NULL || b == NULL || !same_versions(a, b) || !same_options(&a->options, &b->options) ||
	    a->num_problems != b->num_problems)
		return false;
	for (size_t i = 0; i < a->num_problems; i++)
		if (a->problems[i].state != b->problems[i].state ||
		    a->problems[i].code != b->problems[i].code ||
		    !same_text(a->problems[i].version, b->problems[i].version) ||
		    !same_text(a->problems[i].reason, b->problems[i].reason))
			return false;
	return true;
}

static const struct ac_repo_version *entry_version(const struct ac_repo_entry *e,
						   const char *label)
{
	for (size_t i = 0; e != NULL && i < e->num_versions; i++)
		if (strcmp(e->versions[i].label, label) == 0)
			return &e->versions[i];
	return NULL;
}

/* Events for what changed between two entries, after the newer one is published. */
static void announce(appcore_repository *repo, struct ac_model_state *m,
		     const struct ac_repo_entry *before, const struct ac_repo_entry *after)
{
	size_t served = after != NULL ? after->num_versions : 0;

	for (size_t i = 0; before != NULL && i < before->num_versions; i++) {
		const struct ac_repo_version *now = entry_version(after, before->versions[i].label);
		if (now == NULL)
			ac_repo_emit(repo, APPCORE_REPOSITORY_EVENT_UNLOADED, m->name,
				     before->versions[i].label, NULL, 0, NULL, served);
	}
	for (size_t i = 0; after != NULL && i < after->num_versions; i++) {
		const struct ac_repo_version *was = entry_version(before, after->versions[i].label);
		struct ac_version_state *v = find_version(m, after->versions[i].label);
		if (was == NULL || was->model != after->versions[i].model)
			ac_repo_emit(repo, APPCORE_REPOSITORY_EVENT_LOADED, m->name,
				     after->versions[i].label, v != NULL ? v->path : NULL,
				     v != NULL ? v->load_seconds : 0, NULL, served);
	}
}

/* Make `serve` the model's published state: publish at once when what is served changes,
 * otherwise leave it for the end of the pass. */
static int install(appcore_repository *repo, struct ac_model_state *m, const bool *serve,
		   appcore_error *err)
{
	struct ac_repo_entry *next = build_entry(repo, m, serve), *before = m->entry;
	bool visible;
	int rc = APPCORE_OK;

	if (next == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (same_entry(before, next)) {
		ac_repo_entry_unref(next);
		return APPCORE_OK;
	}
	/* a change of what is served is published at once; a new problem or option waits for
	 * the end of the pass, so 10,000 empty directories cost one publication, not 10,000 */
	visible = !same_versions(before, next);
	for (size_t i = 0; i < m->num_versions; i++)
		m->versions[i].served = serve[i];
	m->entry = next;
	repo->dirty = true;
	if (visible && (rc = ac_repo_publish(repo, err)) == APPCORE_OK)
		announce(repo, m, before, next);
	ac_repo_entry_unref(before);
	return rc;
}

static int serve_now(appcore_repository *repo, struct ac_model_state *m, appcore_error *err)
{
	bool *serve = calloc(m->num_versions + 1, sizeof(bool));
	int rc;

	if (serve == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	choose_served(m, serve);
	rc = install(repo, m, serve, err);
	free(serve);
	return rc;
}

static int sync_versions(appcore_repository *repo, struct ac_model_state *m,
			 struct candidates *found, const struct ac_sync_options *options,
			 appcore_error *err)
{
	int rc = merge_versions(m, found);

	candidates_free(found);
	if (rc != APPCORE_OK)
		return ac_error_set(err, rc, "out of memory");
	select_and_load(repo, m, options);
	rc = serve_now(repo, m, err);
	/* a version neither served nor wanted need not stay in memory */
	for (size_t i = 0; i < m->num_versions; i++) {
		struct ac_version_state *v = &m->versions[i];
		if (!v->served && !v->selected && v->model != NULL) {
			appcore_model_unref(v->model);
			v->model = NULL;
			memset(&v->sig, 0, sizeof(v->sig));
		}
	}
	prune_versions(m);
	return rc;
}

static int sync_file(appcore_repository *repo, struct ac_model_state *m,
		     const struct ac_sync_options *options, appcore_error *err)
{
	struct candidates found = { 0 };
	unsigned long long number = 0;
	char *path = strdup(m->file_path);
	int rc;

	m->config_usable = true;
	if (path == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (!ac_repo_parse_version(&number, m->file_version))
		number = 0;
	rc = candidates_add(&found, number, m->file_version, path);
	if (rc != APPCORE_OK) {
		candidates_free(&found);
		return ac_error_set(err, rc, "out of memory");
	}
	return sync_versions(repo, m, &found, options, err);
}

static int sync_dir(appcore_repository *repo, struct ac_model_state *m,
		    const struct ac_sync_options *options, appcore_error *err)
{
	char *dir = ac_path_join(repo->path, m->name);
	struct candidates found;
	appcore_error list_error;
	int fatal, rc;

	if (dir == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (!read_config(repo, m, dir, options, &fatal)) {
		free(dir);
		if (fatal != APPCORE_OK)
			return ac_error_set(err, fatal, "out of memory");
		/* a new model with a broken config.yaml: report it, load nothing */
		return serve_now(repo, m, err);
	}
	rc = list_versions(&found, repo, m, dir, &list_error);
	if (rc == APPCORE_ENOMEM) {
		free(dir);
		return ac_error_set(err, rc, "out of memory");
	}
	if (rc != APPCORE_OK) {
		/* unreadable model directory: keep serving what it had */
		ignored(repo, m->name, dir, "%s", list_error.message);
		free(dir);
		return APPCORE_OK;
	}
	free(dir);
	return sync_versions(repo, m, &found, options, err);
}

int ac_model_state_sync(appcore_repository *repo, struct ac_model_state *m,
			const struct ac_sync_options *options, appcore_error *err)
{
	static const struct ac_sync_options defaults = { false, NULL };

	if (options == NULL)
		options = &defaults;
	if (m->unloaded)
		return serve_now(repo, m, err);
	return m->file_path != NULL ? sync_file(repo, m, options, err)
				    : sync_dir(repo, m, options, err);
}

void ac_model_state_removed(appcore_repository *repo, struct ac_model_state *m)
{
	announce(repo, m, m->entry, NULL);
}

int ac_model_state_retire(appcore_repository *repo, struct ac_model_state *m, appcore_error *err)
{
	int rc;

	/* serve nothing; the entry keeps the models alive for requests until it goes */
	for (size_t i = 0; i < m->num_versions; i++) {
		struct ac_version_state *v = &m->versions[i];
		appcore_model_unref(v->model);
		v->model = NULL;
		v->failed = false;
		memset(&v->sig, 0, sizeof(v->sig));
	}
	rc = serve_now(repo, m, err);
	prune_versions(m);
	return rc;
}
