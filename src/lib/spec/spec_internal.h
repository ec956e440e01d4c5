/* Shared by the spec/ sources only: typed accessors over json-c that turn
 * every mismatch into a one-line error naming the JSON path.
 *
 * Conventions: `path` is the full JSON path of the value being read
 * ("process.user.uid"); the field helpers take the parent's path and the key
 * and build the child path only when needed.  A JSON null counts as absent,
 * as Go's encoding/json (and so runc) treats it. */
#ifndef BRIG_SPEC_INTERNAL_H
#define BRIG_SPEC_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "spec/spec.h"

/* "parent.key" (or "key" at the top level) and "parent[i]"; never NULL. */
char *spec_path_key(const char *parent, const char *key);
char *spec_path_index(const char *parent, size_t i);

/* Set "path: message" and return -1. */
int spec_error(brig_error *reterr, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Look up `key` in object `obj`; false when absent or null. */
bool spec_get(json_object *obj, const char *key, json_object **ret);

int spec_expect(json_object *v, enum json_type type, const char *path, brig_error *reterr);

/* Typed conversions of one value.  Strings must not contain NUL bytes: a
 * path cut short at an embedded NUL would name a different file. */
int spec_as_string(json_object *v, const char *path, char **ret, brig_error *reterr);
int spec_as_bool(json_object *v, const char *path, bool *ret, brig_error *reterr);
int spec_as_u64(json_object *v, const char *path, uint64_t max, uint64_t *ret, brig_error *reterr);
int spec_as_i64(json_object *v, const char *path, int64_t min, int64_t max, int64_t *ret,
                brig_error *reterr);
/* Array of strings -> NULL-terminated vector (an empty array gives {NULL}). */
int spec_as_strv(json_object *v, const char *path, char ***ret, brig_error *reterr);
/* Object of string -> string, in document order. */
int spec_as_kv(json_object *v, const char *path, struct brig_spec_kv **ret, size_t *ret_n,
               brig_error *reterr);
void spec_kv_free(struct brig_spec_kv *kv, size_t n);

/* Field variants: read obj[key].  When the field is absent they return 0 and
 * leave *ret untouched (or fail with "is required" when `required`); when it
 * is present they return 1. */
int spec_field(json_object *obj, const char *parent, const char *key, enum json_type type,
               bool required, json_object **ret, brig_error *reterr);
int spec_field_string(json_object *obj, const char *parent, const char *key, bool required,
                      char **ret, brig_error *reterr);
int spec_field_bool(json_object *obj, const char *parent, const char *key, bool *ret,
                    brig_error *reterr);
int spec_field_u64(json_object *obj, const char *parent, const char *key, bool required,
                   uint64_t max, uint64_t *ret, brig_error *reterr);
int spec_field_u32(json_object *obj, const char *parent, const char *key, bool required,
                   uint32_t *ret, brig_error *reterr);
int spec_field_i64(json_object *obj, const char *parent, const char *key, bool required,
                   int64_t min, int64_t max, int64_t *ret, brig_error *reterr);
int spec_field_strv(json_object *obj, const char *parent, const char *key, char ***ret,
                    brig_error *reterr);
/* A string that must be an absolute path. */
int spec_field_abspath(json_object *obj, const char *parent, const char *key, bool required,
                       char **ret, brig_error *reterr);

/* Parse a whole document: the top-level value must be an object.  `what`
 * names the document in syntax errors ("config.json", "process.json"). */
json_object *spec_parse_json(const char *data, size_t len, const char *what, brig_error *reterr);

/* Section parsers shared between spec.c and spec_linux.c. */
int spec_parse_linux(json_object *v, struct brig_spec_linux *ret, brig_error *reterr);
void spec_linux_clear(struct brig_spec_linux *l);
int spec_parse_process(json_object *v, const char *path, struct brig_spec_process *ret,
                       brig_error *reterr);

#endif
