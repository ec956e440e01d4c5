/* Typed json-c accessors for the config parser: each mismatch becomes one
 * error line that names the JSON path, so a user can find the offending
 * field without reading the parser. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "spec/spec_internal.h"

char *spec_path_key(const char *parent, const char *key)
{
    if (parent == NULL || parent[0] == '\0')
        return brig_xstrdup(key);
    return brig_xasprintf("%s.%s", parent, key);
}

char *spec_path_index(const char *parent, size_t i)
{
    return brig_xasprintf("%s[%zu]", parent, i);
}

/* Control characters become "\xNN": values and keys in messages come from
 * the document, and an error must stay one line that cannot forge log
 * entries or move a terminal's cursor. */
static char *escape_controls(const char *s)
{
    size_t n = 0;
    char *out, *o;

    for (const char *c = s; *c; c++)
        n += ((unsigned char)*c < 0x20 || *c == 0x7f) ? 4 : 1;
    out = o = brig_xmalloc0(n + 1);
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            o += sprintf(o, "\\x%02x", (unsigned char)*c);
        else
            *o++ = *c;
    }
    *o = '\0';
    return out;
}

int spec_error(brig_error *reterr, const char *path, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL, *line = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    line = brig_xasprintf("%s: %s", path, msg);
    free(msg);
    msg = escape_controls(line);
    return brig_error_set(reterr, 0, "%s", msg);
}

bool spec_get(json_object *obj, const char *key, json_object **ret)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return false;
    *ret = v;
    return true;
}

static const char *type_phrase(enum json_type type)
{
    switch (type) {
    case json_type_string:
        return "a string";
    case json_type_boolean:
        return "a boolean";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_int:
        return "an integer";
    default:
        return "a value of another type";
    }
}

int spec_expect(json_object *v, enum json_type type, const char *path, brig_error *reterr)
{
    if (json_object_is_type(v, type))
        return 0;
    return spec_error(reterr, path, "must be %s", type_phrase(type));
}

int spec_as_string(json_object *v, const char *path, char **ret, brig_error *reterr)
{
    const char *s;

    if (spec_expect(v, json_type_string, path, reterr) < 0)
        return -1;
    s = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) != strlen(s))
        return spec_error(reterr, path, "must not contain NUL bytes");
    *ret = brig_xstrdup(s);
    return 0;
}

int spec_as_bool(json_object *v, const char *path, bool *ret, brig_error *reterr)
{
    if (spec_expect(v, json_type_boolean, path, reterr) < 0)
        return -1;
    *ret = json_object_get_boolean(v);
    return 0;
}

/* json-c keeps integers as int64 or, above INT64_MAX, uint64; it clamps what
 * fits neither to the nearest bound.  Negative values are read as int64 first
 * so "-1" is never mistaken for a huge unsigned number. */
int spec_as_u64(json_object *v, const char *path, uint64_t max, uint64_t *ret, brig_error *reterr)
{
    uint64_t u;

    if (spec_expect(v, json_type_int, path, reterr) < 0)
        return -1;
    if (json_object_get_int64(v) < 0 || (u = json_object_get_uint64(v)) > max)
        return spec_error(reterr, path, "%s is out of range (0..%" PRIu64 ")",
                          json_object_to_json_string(v), max);
    *ret = u;
    return 0;
}

int spec_as_i64(json_object *v, const char *path, int64_t min, int64_t max, int64_t *ret,
                brig_error *reterr)
{
    int64_t i;

    if (spec_expect(v, json_type_int, path, reterr) < 0)
        return -1;
    i = json_object_get_int64(v);
    /* Above INT64_MAX json-c stores a uint64 and get_int64 clamps: catch it. */
    if ((i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) || i < min || i > max)
        return spec_error(reterr, path, "%s is out of range (%" PRId64 "..%" PRId64 ")",
                          json_object_to_json_string(v), min, max);
    *ret = i;
    return 0;
}

int spec_as_strv(json_object *v, const char *path, char ***ret, brig_error *reterr)
{
    _cleanup_strv_ char **strv = NULL;
    size_t n;

    if (spec_expect(v, json_type_array, path, reterr) < 0)
        return -1;
    n = json_object_array_length(v);
    strv = brig_xmalloc0((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *p = spec_path_index(path, i);
        json_object *e = json_object_array_get_idx(v, i);
        if (e == NULL)
            return spec_error(reterr, p, "must be a string");
        if (spec_as_string(e, p, &strv[i], reterr) < 0)
            return -1;
    }
    *ret = TAKE_PTR(strv);
    return 0;
}

void spec_kv_free(struct brig_spec_kv *kv, size_t n)
{
    if (kv == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

int spec_as_kv(json_object *v, const char *path, struct brig_spec_kv **ret, size_t *ret_n,
               brig_error *reterr)
{
    struct brig_spec_kv *kv = NULL;
    size_t n = 0;

    if (spec_expect(v, json_type_object, path, reterr) < 0)
        return -1;
    kv = brig_xmalloc0((size_t)json_object_object_length(v) * sizeof(*kv) + 1);
    json_object_object_foreach(v, key, val)
    {
        _cleanup_free_ char *p = spec_path_key(path, key);
        if (val == NULL) {
            spec_kv_free(kv, n);
            return spec_error(reterr, p, "must be a string");
        }
        kv[n].key = brig_xstrdup(key);
        if (spec_as_string(val, p, &kv[n].value, reterr) < 0) {
            spec_kv_free(kv, n + 1);
            return -1;
        }
        n++;
    }
    *ret = kv;
    *ret_n = n;
    return 0;
}

int spec_field(json_object *obj, const char *parent, const char *key, enum json_type type,
               bool required, json_object **ret, brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;

    if (!spec_get(obj, key, &v)) {
        if (!required)
            return 0;
        p = spec_path_key(parent, key);
        return spec_error(reterr, p, "is required");
    }
    if (!json_object_is_type(v, type)) {
        p = spec_path_key(parent, key);
        return spec_expect(v, type, p, reterr);
    }
    *ret = v;
    return 1;
}

int spec_field_string(json_object *obj, const char *parent, const char *key, bool required,
                      char **ret, brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;
    int r;

    r = spec_field(obj, parent, key, json_type_string, required, &v, reterr);
    if (r <= 0)
        return r;
    p = spec_path_key(parent, key);
    free(*ret); /* a field read once; tolerate callers that preset a value */
    *ret = NULL;
    return spec_as_string(v, p, ret, reterr) < 0 ? -1 : 1;
}

int spec_field_bool(json_object *obj, const char *parent, const char *key, bool *ret,
                    brig_error *reterr)
{
    json_object *v = NULL;
    int r;

    r = spec_field(obj, parent, key, json_type_boolean, false, &v, reterr);
    if (r <= 0)
        return r;
    *ret = json_object_get_boolean(v);
    return 1;
}

int spec_field_u64(json_object *obj, const char *parent, const char *key, bool required,
                   uint64_t max, uint64_t *ret, brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;
    int r;

    r = spec_field(obj, parent, key, json_type_int, required, &v, reterr);
    if (r <= 0)
        return r;
    p = spec_path_key(parent, key);
    return spec_as_u64(v, p, max, ret, reterr) < 0 ? -1 : 1;
}

int spec_field_u32(json_object *obj, const char *parent, const char *key, bool required,
                   uint32_t *ret, brig_error *reterr)
{
    uint64_t u = 0;
    int r;

    r = spec_field_u64(obj, parent, key, required, UINT32_MAX, &u, reterr);
    if (r > 0)
        *ret = (uint32_t)u;
    return r;
}

int spec_field_i64(json_object *obj, const char *parent, const char *key, bool required,
                   int64_t min, int64_t max, int64_t *ret, brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;
    int r;

    r = spec_field(obj, parent, key, json_type_int, required, &v, reterr);
    if (r <= 0)
        return r;
    p = spec_path_key(parent, key);
    return spec_as_i64(v, p, min, max, ret, reterr) < 0 ? -1 : 1;
}

int spec_field_strv(json_object *obj, const char *parent, const char *key, char ***ret,
                    brig_error *reterr)
{
    _cleanup_free_ char *p = NULL;
    json_object *v = NULL;
    int r;

    r = spec_field(obj, parent, key, json_type_array, false, &v, reterr);
    if (r <= 0)
        return r;
    p = spec_path_key(parent, key);
    return spec_as_strv(v, p, ret, reterr) < 0 ? -1 : 1;
}

int spec_field_abspath(json_object *obj, const char *parent, const char *key, bool required,
                       char **ret, brig_error *reterr)
{
    _cleanup_free_ char *s = NULL, *p = NULL;
    int r;

    r = spec_field_string(obj, parent, key, required, &s, reterr);
    if (r <= 0)
        return r;
    if (s[0] != '/') {
        p = spec_path_key(parent, key);
        return spec_error(reterr, p, "must be an absolute path, not \"%s\"", s);
    }
    *ret = TAKE_PTR(s);
    return 1;
}

json_object *spec_parse_json(const char *data, size_t len, const char *what, brig_error *reterr)
{
    struct json_tokener *tok;
    enum json_tokener_error jerr;
    json_object *root;
    size_t end;

    /* json-c counts lengths in int. */
    if (len > INT32_MAX) {
        brig_error_set(reterr, 0, "%s: document too large", what);
        return NULL;
    }
    tok = json_tokener_new();
    if (tok == NULL)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    root = json_tokener_parse_ex(tok, data, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (root == NULL && jerr == json_tokener_continue) {
        /* A bare number at the very end ("42") is incomplete to json-c until
         * it sees a delimiter: offer one.  Anything else still unfinished is
         * a truncated document. */
        root = json_tokener_parse_ex(tok, " ", 1);
        jerr = json_tokener_get_error(tok);
        end = len;
    }
    json_tokener_free(tok);

    if (root == NULL) {
        /* "continue" means the input ended inside a value. */
        brig_error_set(reterr, 0, "%s: invalid JSON at byte %zu: %s", what, end,
                       jerr == json_tokener_continue ? "unexpected end of input"
                                                     : json_tokener_error_desc(jerr));
        return NULL;
    }
    /* json-c stops at a NUL byte and reports success: anything but
     * whitespace after the value is trailing garbage. */
    for (size_t i = end; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r') {
            json_object_put(root);
            brig_error_set(reterr, 0, "%s: invalid JSON at byte %zu: trailing data", what, i);
            return NULL;
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        brig_error_set(reterr, 0, "%s: must be a JSON object", what);
        return NULL;
    }
    return root;
}
