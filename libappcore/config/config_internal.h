/* The configuration schema and object, shared by config.c (object, env,
 * rendering), config_schema.c (keys, parsing, validation) and
 * config_file.c (YAML). */
#ifndef APPCORE_CONFIG_INTERNAL_H
#define APPCORE_CONFIG_INTERNAL_H

#include <stddef.h>

#include "appcore/config.h"

enum ac_config_type {
	AC_CFG_STRING, /* non-empty text */
	AC_CFG_PATH,   /* file path; relative ones in a file resolve against its directory */
	AC_CFG_ENUM,   /* one of choices */
	AC_CFG_INT,
	AC_CFG_BOOL,
	AC_CFG_LIST, /* ascending positive doubles */
	AC_CFG_NUMBER, /* a finite double within [min, max] */
};

struct ac_config_key {
	const char *section;
	const char *name;
	const char *key; /* "section.name" */
	const char *env; /* "APPCORE_SECTION_NAME" */
	enum ac_config_type type;
	long long min, max;
	int allow_empty;            /* strings and paths */
	const char *const *choices; /* enums, NULL-terminated */
	const char *default_text;
};

struct ac_config_value {
	char *text; /* strings, paths, enums */
	long long integer;
	int boolean;
	double *list;
	size_t list_len;
	double number;
	appcore_config_source source;
};

/* Most keys the schema may have: the configuration and its staging area are fixed arrays of
 * this size (a static assertion in config_schema.c keeps the schema within it). */
#define AC_CONFIG_MAX_KEYS 96

extern const struct ac_config_key ac_config_keys[];
extern const size_t ac_config_num_keys;
extern const char *const ac_config_sections[];
extern const size_t ac_config_num_sections;

struct appcore_config {
	struct ac_config_value values[AC_CONFIG_MAX_KEYS];
};

/* Index of "section.name", or -1. */
int ac_config_find(const char *key);
int ac_config_find_in(const char *section, size_t section_len, const char *name, size_t name_len);
int ac_config_is_section(const char *name, size_t len);

/* The closest candidate to word (edit distance), or NULL if none is close. */
const char *ac_config_suggest(const char *word, const char *const *candidates, size_t n);
/* Suggest among all dotted keys / all env names / section names. */
const char *ac_config_suggest_key(const char *word);
const char *ac_config_suggest_env(const char *word);
const char *ac_config_suggest_section(const char *word);

/* Parse text for key k into out (cleared first). On a bad value returns -1
 * and writes the problem ("must be between 1 and 65535, got 0") into problem.
 * Returns -2 on allocation failure. */
int ac_config_parse(const struct ac_config_key *k, const char *text, struct ac_config_value *out,
		    appcore_config_source source, char *problem, size_t problem_size);
/* Validate an already-built list (the YAML loader builds lists itself). */
int ac_config_check_list(const double *list, size_t n, char *problem, size_t problem_size);
int ac_config_check_int(const struct ac_config_key *k, long long v, appcore_config_source source,
			char *problem, size_t problem_size);

void ac_config_value_clear(struct ac_config_value *v);

/* Staged changes, applied only when a whole file or environment is valid. */
struct ac_config_stage {
	struct ac_config_value values[AC_CONFIG_MAX_KEYS];
	int set[AC_CONFIG_MAX_KEYS];
};
void ac_config_stage_init(struct ac_config_stage *stage);
void ac_config_stage_discard(struct ac_config_stage *stage);
void ac_config_stage_commit(appcore_config *config, struct ac_config_stage *stage);

#endif
