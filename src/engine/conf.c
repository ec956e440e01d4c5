/* brig.conf: the engine's settings (docs/brig.conf.md).
 *
 * Order: built-in defaults, then the file (/etc/brig/brig.conf, or
 * $BRIG_CONFIG), then BRIG_* environment variables.  The file is a small
 * TOML subset, the shape of containers.conf:
 *
 *     # comment
 *     [brig]                          optional; no other section exists
 *     storage_root = "/var/lib/brig"  basic string ("..." with \" and \\)
 *     label_file_type = 'x_t'         literal string
 *     log_max_files = 3               integer (underscores allowed: 10_000)
 *     label = true                    boolean
 *     default_ulimits = ["nofile=1024:4096",
 *                        "nproc=512"]  array of strings, may span lines
 *
 * Every mistake is an error naming the file, the line and the key: an
 * unknown key, a key given twice, a value of the wrong type or out of range.
 * A typo in a security setting must never pass silently as the default. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine.h"
#include "spec/spec.h"

#define CONF_DEFAULT_PATH "/etc/brig/brig.conf"
#define CONF_MAX_SIZE (1u << 20)

enum value_type { V_STRING, V_INT, V_BOOL, V_ARRAY };

struct value {
    enum value_type type;
    char *s;
    int64_t i;
    bool b;
    char **v;
};

static void value_clear(struct value *v)
{
    free(v->s);
    brig_strv_free(v->v);
    *v = (struct value){0};
}

/* ---- checks shared by the file and the environment ---------------------- */

static const char *const ulimit_names[] = {
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    "as",
};

static int ulimit_value(const char *s, uint64_t *ret)
{
    if (strcmp(s, "-1") == 0 || strcmp(s, "unlimited") == 0) {
        *ret = UINT64_MAX;
        return 0;
    }
    if (*s == '-' || *s == '+')
        return -1;
    /* What `run --ulimit` takes (specgen.c): a default it refuses would
     * fail every run instead of the configuration. */
    if (brig_parse_u64(s, ret) < 0 || *ret > (uint64_t)INT64_MAX)
        return -1;
    return 0;
}

/* docker's --ulimit spelling: NAME=SOFT[:HARD], -1 or "unlimited" for no
 * limit, SOFT <= HARD. */
static int check_ulimit(const char *u, char *const *earlier, brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(u);
    char *eq = strchr(copy, '='), *colon;
    uint64_t soft, hard;
    size_t i;

    if (eq == NULL)
        return brig_error_set(reterr, 0, "`%s`: expected NAME=SOFT[:HARD]", u);
    *eq = '\0';
    for (i = 0; i < BRIG_ARRAY_SIZE(ulimit_names); i++)
        if (strcmp(copy, ulimit_names[i]) == 0)
            break;
    if (i == BRIG_ARRAY_SIZE(ulimit_names))
        return brig_error_set(reterr, 0, "`%s`: unknown limit `%s`", u, copy);
    for (; earlier != NULL && *earlier != NULL; earlier++)
        if (strncmp(*earlier, copy, strlen(copy)) == 0 && (*earlier)[strlen(copy)] == '=')
            return brig_error_set(reterr, 0, "`%s`: `%s` is set twice", u, copy);
    colon = strchr(eq + 1, ':');
    if (colon != NULL)
        *colon = '\0';
    if (ulimit_value(eq + 1, &soft) < 0 || (colon != NULL && ulimit_value(colon + 1, &hard) < 0))
        return brig_error_set(reterr, 0, "`%s`: limits must be numbers, -1 or `unlimited`", u);
    if (colon == NULL)
        hard = soft;
    if (soft > hard)
        return brig_error_set(reterr, 0, "`%s`: soft limit is above the hard limit", u);
    return 0;
}

/* "chown", "CAP_CHOWN", "cap_chown" -> "CAP_CHOWN"; NULL when unknown. */
static char *cap_normalize(const char *name)
{
    _cleanup_free_ char *up = NULL;

    if (name[0] == '\0')
        return NULL;
    up = brig_xasprintf("%s%s", strncasecmp(name, "CAP_", 4) == 0 ? "" : "CAP_", name);
    for (char *c = up; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (brig_cap_from_name(up) < 0)
        return NULL;
    return TAKE_PTR(up);
}

/* SELinux type names: letters, digits, underscore (the policy language's
 * identifier), so a stray ":" cannot smuggle a level into a label. */
static bool valid_selinux_type(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return false;
    return true;
}

/* ---- keys ---------------------------------------------------------------- */

static const char *type_name(enum value_type t)
{
    switch (t) {
    case V_STRING:
        return "a string";
    case V_INT:
        return "an integer";
    case V_BOOL:
        return "true or false";
    case V_ARRAY:
        return "an array of strings";
    }
    return "?";
}

static int want(const struct value *v, enum value_type t, brig_error *reterr)
{
    if (v->type == t)
        return 0;
    return brig_error_set(reterr, 0, "must be %s", type_name(t));
}

static int set_abspath(char **field, struct value *v, brig_error *reterr)
{
    if (want(v, V_STRING, reterr) < 0)
        return -1;
    if (v->s[0] != '/')
        return brig_error_set(reterr, 0, "`%s` is not an absolute path", v->s);
    free(*field);
    *field = TAKE_PTR(v->s);
    return 0;
}

static int set_storage_root(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    return set_abspath(&c->storage_root, v, reterr);
}

static int set_run_root(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    return set_abspath(&c->run_root, v, reterr);
}

static int set_ulimits(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    if (want(v, V_ARRAY, reterr) < 0)
        return -1;
    for (size_t i = 0; v->v[i] != NULL; i++) {
        char *saved = v->v[i];

        v->v[i] = NULL; /* only the earlier entries count as duplicates */
        int r = check_ulimit(saved, v->v, reterr);
        v->v[i] = saved;
        if (r < 0)
            return -1;
    }
    brig_strv_free(c->default_ulimits);
    c->default_ulimits = TAKE_PTR(v->v);
    return 0;
}

static int set_caps(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    _cleanup_strv_ char **caps = NULL;

    if (want(v, V_ARRAY, reterr) < 0)
        return -1;
    caps = brig_xmalloc0(sizeof(char *));
    for (size_t i = 0; v->v[i] != NULL; i++) {
        _cleanup_free_ char *name = cap_normalize(v->v[i]);

        if (name == NULL)
            return brig_error_set(reterr, 0, "unknown capability `%s`", v->v[i]);
        brig_strv_append(&caps, name);
    }
    brig_strv_free(c->default_caps);
    c->default_caps = TAKE_PTR(caps);
    return 0;
}

static int set_seccomp(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    if (want(v, V_STRING, reterr) < 0)
        return -1;
    free(c->seccomp_profile);
    c->seccomp_profile = NULL;
    /* "default" and "builtin" name brig's own profile, which NULL means. */
    if (strcmp(v->s, "default") == 0 || strcmp(v->s, "builtin") == 0)
        return 0;
    if (strcmp(v->s, "unconfined") != 0 && v->s[0] != '/')
        return brig_error_set(
            reterr, 0, "`%s`: expected \"default\", \"unconfined\" or an absolute path", v->s);
    c->seccomp_profile = TAKE_PTR(v->s);
    return 0;
}

static int set_label(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    if (want(v, V_BOOL, reterr) < 0)
        return -1;
    c->label = v->b;
    return 0;
}

static int set_type(char **field, struct value *v, brig_error *reterr)
{
    if (want(v, V_STRING, reterr) < 0)
        return -1;
    if (!valid_selinux_type(v->s))
        return brig_error_set(reterr, 0, "`%s` is not an SELinux type (like container_t)", v->s);
    free(*field);
    *field = TAKE_PTR(v->s);
    return 0;
}

static int set_process_type(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    return set_type(&c->label_process_type, v, reterr);
}

static int set_file_type(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    return set_type(&c->label_file_type, v, reterr);
}

static int set_log_max_size(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    int64_t n;

    if (v->type == V_INT) {
        n = v->i;
    } else if (v->type == V_STRING) {
        if (engine_parse_bytes(v->s, &n) < 0)
            return brig_error_set(reterr, 0, "`%s` is not a size (like \"10m\")", v->s);
    } else {
        return brig_error_set(reterr, 0, "must be a size (\"10m\") or a number of bytes");
    }
    if (n < 1024)
        return brig_error_set(reterr, 0, "%" PRId64 " bytes is too small (at least 1k)", n);
    c->log_max_size = (uint64_t)n;
    return 0;
}

static int set_log_max_files(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    if (want(v, V_INT, reterr) < 0)
        return -1;
    if (v->i < 1 || v->i > 1000)
        return brig_error_set(reterr, 0, "%" PRId64 " is out of range (1..1000)", v->i);
    c->log_max_files = (unsigned)v->i;
    return 0;
}

static int set_storage_driver(struct engine_conf *c, struct value *v, brig_error *reterr)
{
    if (want(v, V_STRING, reterr) < 0)
        return -1;
    if (strcmp(v->s, "overlay") != 0 && strcmp(v->s, "vfs") != 0)
        return brig_error_set(reterr, 0, "`%s`: expected \"overlay\" or \"vfs\"", v->s);
    free(c->storage_driver);
    c->storage_driver = TAKE_PTR(v->s);
    return 0;
}

/* How an environment variable's text becomes a value. */
enum env_form { E_STRING, E_BOOL, E_INT, E_LIST, E_SIZE };

static const struct key {
    const char *name;
    const char *env;
    enum env_form form;
    int (*set)(struct engine_conf *c, struct value *v, brig_error *reterr);
} keys[] = {
    {"storage_root", "BRIG_STORAGE_ROOT", E_STRING, set_storage_root},
    {"run_root", "BRIG_RUN_ROOT", E_STRING, set_run_root},
    {"default_ulimits", "BRIG_DEFAULT_ULIMITS", E_LIST, set_ulimits},
    {"default_capabilities", "BRIG_DEFAULT_CAPABILITIES", E_LIST, set_caps},
    {"seccomp_profile", "BRIG_SECCOMP_PROFILE", E_STRING, set_seccomp},
    {"label", "BRIG_LABEL", E_BOOL, set_label},
    {"label_process_type", "BRIG_LABEL_PROCESS_TYPE", E_STRING, set_process_type},
    {"label_file_type", "BRIG_LABEL_FILE_TYPE", E_STRING, set_file_type},
    {"log_max_size", "BRIG_LOG_MAX_SIZE", E_SIZE, set_log_max_size},
    {"log_max_files", "BRIG_LOG_MAX_FILES", E_INT, set_log_max_files},
    {"storage_driver", "BRIG_STORAGE_DRIVER", E_STRING, set_storage_driver},
};

static const struct key *key_find(const char *name, size_t len)
{
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(keys); i++)
        if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0)
            return &keys[i];
    return NULL;
}

/* ---- the file ------------------------------------------------------------ */

struct parser {
    const char *path;
    const char *p, *end;
    unsigned line;
    brig_error *reterr;
};

/* "FILE:LINE: fmt..." (the key, when known, is part of fmt). */
static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    return brig_error_set(ps->reterr, 0, "%s:%u: %s", ps->path, ps->line, msg);
}

/* A character from the file as an error shows it: control bytes escaped. */
static const char *show_char(char c, char buf[8])
{
    if ((unsigned char)c < 0x20 || c == 0x7f || (unsigned char)c >= 0x80)
        snprintf(buf, 8, "\\x%02x", (unsigned char)c);
    else
        snprintf(buf, 8, "%c", c);
    return buf;
}

static void skip_blank(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

static void skip_comment(struct parser *ps)
{
    if (ps->p < ps->end && *ps->p == '#')
        while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
}

/* Blank space, comments and newlines (inside arrays). */
static void skip_space(struct parser *ps)
{
    for (;;) {
        skip_blank(ps);
        skip_comment(ps);
        if (ps->p < ps->end && *ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')
            ps->p++;
        if (ps->p < ps->end && *ps->p == '\n') {
            ps->p++;
            ps->line++;
            continue;
        }
        return;
    }
}

/* After a value or header: only blanks and a comment before the line ends. */
static int expect_eol(struct parser *ps, const char *key)
{
    skip_blank(ps);
    skip_comment(ps);
    if (ps->p < ps->end && *ps->p == '\r')
        ps->p++;
    if (ps->p >= ps->end)
        return 0;
    if (*ps->p != '\n') {
        char b[8];
        return key ? perr(ps, "%s: unexpected `%s` after the value", key, show_char(*ps->p, b))
                   : perr(ps, "unexpected `%s`", show_char(*ps->p, b));
    }
    ps->p++;
    ps->line++;
    return 0;
}

static int parse_string(struct parser *ps, const char *key, char **ret)
{
    char quote = *ps->p++;
    size_t cap = 32, n = 0;
    _cleanup_free_ char *out = brig_xmalloc0(cap);

    for (;;) {
        char c;

        if (ps->p >= ps->end || *ps->p == '\n')
            return perr(ps, "%s: unterminated string", key);
        c = *ps->p++;
        if (c == quote)
            break;
        /* No value brig takes has a control character, and keeping them
         * out keeps every error message one printable line. */
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return perr(ps, "%s: control character in a string", key);
        if (c == '\\' && quote == '"') {
            if (ps->p >= ps->end)
                return perr(ps, "%s: unterminated string", key);
            switch (*ps->p++) {
            case '"':
                c = '"';
                break;
            case '\\':
                c = '\\';
                break;
            default: {
                char b[8];
                return perr(ps, "%s: unsupported escape `\\%s` in a string", key,
                            show_char(ps->p[-1], b));
            }
            }
        }
        if (n + 2 > cap) {
            cap *= 2;
            out = brig_xrealloc(out, cap);
        }
        out[n++] = c;
    }
    out[n] = '\0';
    *ret = TAKE_PTR(out);
    return 0;
}

static int parse_array(struct parser *ps, const char *key, char ***ret)
{
    _cleanup_strv_ char **v = brig_xmalloc0(sizeof(char *));
    unsigned start = ps->line;

    ps->p++; /* '[' */
    for (;;) {
        _cleanup_free_ char *s = NULL;

        skip_space(ps);
        if (ps->p >= ps->end) {
            ps->line = start;
            return perr(ps, "%s: unterminated array", key);
        }
        if (*ps->p == ']') {
            ps->p++;
            break;
        }
        if (*ps->p != '"' && *ps->p != '\'')
            return perr(ps, "%s: array elements must be strings", key);
        if (parse_string(ps, key, &s) < 0)
            return -1;
        brig_strv_append(&v, s);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            break;
        }
        if (ps->p >= ps->end) {
            ps->line = start;
            return perr(ps, "%s: unterminated array", key);
        }
        return perr(ps, "%s: expected `,` or `]` in the array", key);
    }
    *ret = TAKE_PTR(v);
    return 0;
}

static bool word_is(struct parser *ps, const char *w)
{
    size_t n = strlen(w);

    return (size_t)(ps->end - ps->p) >= n && strncmp(ps->p, w, n) == 0 &&
           (ps->p + n == ps->end || !isalnum((unsigned char)ps->p[n]));
}

static int parse_value(struct parser *ps, const char *key, struct value *v)
{
    if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '#' || *ps->p == '\r')
        return perr(ps, "%s: missing value", key);
    if (*ps->p == '"' || *ps->p == '\'') {
        v->type = V_STRING;
        return parse_string(ps, key, &v->s);
    }
    if (*ps->p == '[') {
        v->type = V_ARRAY;
        return parse_array(ps, key, &v->v);
    }
    if (word_is(ps, "true") || word_is(ps, "false")) {
        v->type = V_BOOL;
        v->b = *ps->p == 't';
        ps->p += v->b ? 4 : 5;
        return 0;
    }
    if (*ps->p == '-' || *ps->p == '+' || isdigit((unsigned char)*ps->p)) {
        char digits[32];
        size_t n = 0;
        bool neg = *ps->p == '-';
        uint64_t u;

        if (*ps->p == '-' || *ps->p == '+')
            ps->p++;
        while (ps->p < ps->end && (isdigit((unsigned char)*ps->p) || *ps->p == '_')) {
            if (*ps->p != '_') {
                if (n + 1 >= sizeof(digits))
                    return perr(ps, "%s: number too large", key);
                digits[n++] = *ps->p;
            }
            ps->p++;
        }
        digits[n] = '\0';
        if (n == 0 || brig_parse_u64(digits, &u) < 0 || u > (uint64_t)INT64_MAX)
            return perr(ps, "%s: not a number", key);
        if (ps->p < ps->end && isalpha((unsigned char)*ps->p))
            return perr(ps, "%s: a size with a unit must be quoted (\"10m\")", key);
        v->type = V_INT;
        v->i = neg ? -(int64_t)u : (int64_t)u;
        return 0;
    }
    return perr(ps, "%s: values are \"strings\", numbers, true/false or [arrays]", key);
}

static int parse_line(struct parser *ps, struct engine_conf *c, bool *seen)
{
    _cleanup_free_ char *key = NULL;
    struct value v = {0};
    const struct key *k;
    const char *start;
    int r;

    if (*ps->p == '[') {
        const char *close = memchr(ps->p, ']', (size_t)(ps->end - ps->p));
        const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));

        if (close == NULL || (nl != NULL && nl < close))
            return perr(ps, "unterminated section header");
        if (close - ps->p != 5 || strncmp(ps->p, "[brig]", 6) != 0) {
            for (const char *q = ps->p; q < close; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f)
                    return perr(ps, "unknown section (keys go at the top or under [brig])");
            return perr(ps, "unknown section `%.*s` (keys go at the top or under [brig])",
                        (int)(close - ps->p + 1), ps->p);
        }
        ps->p = close + 1;
        return expect_eol(ps, NULL);
    }
    start = ps->p;
    while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '-'))
        ps->p++;
    if (ps->p == start) {
        char b[8];
        return perr(ps, "expected `key = value`, found `%s`", show_char(*ps->p, b));
    }
    key = brig_xasprintf("%.*s", (int)(ps->p - start), start);
    k = key_find(start, (size_t)(ps->p - start));
    if (k == NULL)
        return perr(ps, "%s: unknown key", key);
    skip_blank(ps);
    if (ps->p >= ps->end || *ps->p != '=')
        return perr(ps, "%s: expected `=` after the key", key);
    ps->p++;
    skip_blank(ps);
    {
        unsigned line = ps->line;
        if (parse_value(ps, key, &v) < 0) {
            value_clear(&v);
            return -1;
        }
        if (expect_eol(ps, key) < 0) {
            value_clear(&v);
            return -1;
        }
        /* Errors about the value name the line where it started. */
        if (seen[k - keys]) {
            ps->line = line;
            value_clear(&v);
            return perr(ps, "%s: set twice", key);
        }
        seen[k - keys] = true;
        r = k->set(c, &v, ps->reterr);
        value_clear(&v);
        if (r < 0) {
            ps->line = line;
            return brig_error_wrap(ps->reterr, "%s:%u: %s", ps->path, line, key);
        }
    }
    return 0;
}

static int conf_parse(struct engine_conf *c, const char *path, const char *buf, size_t len,
                      brig_error *reterr)
{
    struct parser ps = {.path = path, .p = buf, .end = buf + len, .line = 1, .reterr = reterr};
    bool seen[BRIG_ARRAY_SIZE(keys)] = {false};

    if (memchr(buf, '\0', len) != NULL)
        return brig_error_set(reterr, 0, "%s: contains a NUL byte (not a text file)", path);
    for (;;) {
        skip_space(&ps);
        if (ps.p >= ps.end)
            return 0;
        if (parse_line(&ps, c, seen) < 0)
            return -1;
    }
}

/* ---- the environment ----------------------------------------------------- */

static int env_value(const struct key *k, const char *s, struct value *v, brig_error *reterr)
{
    switch (k->form) {
    case E_STRING:
    case E_SIZE:
        v->type = V_STRING;
        v->s = brig_xstrdup(s);
        return 0;
    case E_BOOL:
        v->type = V_BOOL;
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
            v->b = true;
        else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "no") == 0)
            v->b = false;
        else
            return brig_error_set(reterr, 0, "`%s`: expected true or false", s);
        return 0;
    case E_INT: {
        uint64_t u;
        if (brig_parse_u64(s, &u) < 0 || u > (uint64_t)INT64_MAX)
            return brig_error_set(reterr, 0, "`%s` is not a number", s);
        v->type = V_INT;
        v->i = (int64_t)u;
        return 0;
    }
    case E_LIST: {
        /* Comma-separated; empty means an empty list (no ulimits set, or
         * no capabilities at all), which differs from leaving it unset. */
        const char *p = s;
        v->type = V_ARRAY;
        v->v = brig_xmalloc0(sizeof(char *));
        if (*s == '\0')
            return 0;
        for (;;) {
            const char *comma = strchrnul(p, ',');
            const char *b = p, *e = comma;
            _cleanup_free_ char *t = NULL;

            while (b < e && *b == ' ')
                b++;
            while (e > b && e[-1] == ' ')
                e--;
            if (b == e)
                return brig_error_set(reterr, 0, "`%s`: empty element", s);
            t = brig_xasprintf("%.*s", (int)(e - b), b);
            brig_strv_append(&v->v, t);
            if (*comma == '\0')
                break;
            p = comma + 1;
        }
        return 0;
    }
    }
    return -1;
}

static int conf_env(struct engine_conf *c, brig_error *reterr)
{
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(keys); i++) {
        const char *s = getenv(keys[i].env);
        struct value v = {0};
        int r;

        if (s == NULL)
            continue;
        r = env_value(&keys[i], s, &v, reterr);
        if (r == 0)
            r = keys[i].set(c, &v, reterr);
        value_clear(&v);
        if (r < 0)
            return brig_error_wrap(reterr, "environment %s", keys[i].env);
    }
    return 0;
}

/* ---- load ---------------------------------------------------------------- */

static void conf_defaults(struct engine_conf *c)
{
    *c = (struct engine_conf){
        .storage_root = brig_xstrdup("/var/lib/brig"),
        .run_root = brig_xstrdup("/run/brig"),
        .label = true,
        .log_max_size = UINT64_C(10) << 20,
        .log_max_files = 3,
        .storage_driver = brig_xstrdup("overlay"),
    };
}

int engine_conf_load(struct engine_conf *c, brig_error *reterr)
{
    const char *env = getenv("BRIG_CONFIG");
    const char *path = env != NULL ? env : CONF_DEFAULT_PATH;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    conf_defaults(c);
    /* BRIG_CONFIG="" reads no file at all (tests, or a host whose
     * /etc/brig/brig.conf must be ignored). */
    if (path[0] != '\0') {
        brig_error err = NULL;

        if (brig_read_file_at(AT_FDCWD, path, CONF_MAX_SIZE, &buf, &len, &err) < 0) {
            /* Only the default location may be absent; a file named in
             * BRIG_CONFIG that is not there is a mistake worth stopping for. */
            if (env == NULL && err->errnum == ENOENT) {
                brig_error_free(&err);
            } else {
                *reterr = err;
                engine_conf_clear(c);
                return brig_error_wrap(reterr, "read configuration");
            }
        } else {
            c->conf_path = brig_xstrdup(path);
            if (conf_parse(c, path, buf, len, reterr) < 0) {
                engine_conf_clear(c);
                return -1;
            }
        }
    }
    if (conf_env(c, reterr) < 0) {
        engine_conf_clear(c);
        return -1;
    }
    return 0;
}

void engine_conf_clear(struct engine_conf *c)
{
    free(c->conf_path);
    free(c->storage_root);
    free(c->run_root);
    brig_strv_free(c->default_ulimits);
    brig_strv_free(c->default_caps);
    free(c->seccomp_profile);
    free(c->label_process_type);
    free(c->label_file_type);
    free(c->storage_driver);
    *c = (struct engine_conf){0};
}
