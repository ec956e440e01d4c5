/* Computing a container's process and mount labels: the defaults (from the
 * policy's lxc_contexts or brig's own module), podman's label=... options,
 * level syntax, and context string surgery.
 *
 * Security invariants kept here:
 *  - No option value can change a part of the context other than its own:
 *    user, role and type values are plain identifiers (no ':'), and a level
 *    must parse as a level, so "type:x_t:s0-s0:c0.c1023" cannot smuggle in
 *    an all-categories level.
 *  - Error messages quote user input with control characters escaped: the
 *    CLIs print them as one line, and an option must not forge log lines. */
#include "selinux/context.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "selinux/label.h"

#define BRIG_PROCESS "system_u:system_r:brig_container_t:s0"
#define BRIG_FILE "system_u:object_r:brig_container_file_t:s0"
#define BRIG_RO_FILE "system_u:object_r:brig_container_ro_file_t:s0"
#define SPC_TYPE "spc_t"
#define BRIG_SPC_TYPE "brig_spc_t"
#define BRIG_STORE_TYPE "brig_store_t"
/* Sensitivities s0..s15 and categories c0..c1023: refpolicy's and
 * container-selinux's MLS/MCS build limits. */
#define MAX_SENSITIVITY 15
#define MAX_CATEGORY 1023
/* Longest input quoted in an error, so a megabyte option makes a readable
 * message. */
#define QUOTE_MAX 256

/* A copy of s fit for a one-line message: control bytes as \xNN, long
 * strings cut with "...". */
static char *quote(const char *s)
{
    size_t len = s ? strlen(s) : 0, cut = len > QUOTE_MAX ? QUOTE_MAX : len;
    char *out = brig_xmalloc0(cut * 4 + 4), *o = out;

    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            o += sprintf(o, "\\x%02x", c);
        else
            *o++ = (char)c;
    }
    if (cut < len)
        strcpy(o, "...");
    return out;
}

/* --- context strings --------------------------------------------------- */

/* Split "user:role:type[:level]" at its first three ':'.  Each of the three
 * names must be non-empty; the level (which may hold ':' itself) may be
 * absent (non-MLS policy), in which case *level is NULL. */
struct ctx_parts {
    char *buf;
    const char *user, *role, *type, *level;
};

static int ctx_split(const char *context, struct ctx_parts *p)
{
    char *c1, *c2, *c3;

    memset(p, 0, sizeof(*p));
    if (context == NULL)
        return -1;
    p->buf = brig_xstrdup(context);
    c1 = strchr(p->buf, ':');
    c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL) {
        free(p->buf);
        p->buf = NULL;
        return -1;
    }
    c3 = strchr(c2 + 1, ':');
    *c1 = *c2 = '\0';
    p->user = p->buf;
    p->role = c1 + 1;
    p->type = c2 + 1;
    if (c3 != NULL) {
        *c3 = '\0';
        p->level = c3 + 1;
    }
    if (!*p->user || !*p->role || !*p->type || (p->level != NULL && !*p->level)) {
        free(p->buf);
        p->buf = NULL;
        return -1;
    }
    return 0;
}

static char *ctx_join(const char *user, const char *role, const char *type, const char *level)
{
    if (level == NULL)
        return brig_xasprintf("%s:%s:%s", user, role, type);
    return brig_xasprintf("%s:%s:%s:%s", user, role, type, level);
}

char *brig_context_with_level(const char *context, const char *level)
{
    struct ctx_parts p;
    char *out;

    if (ctx_split(context, &p) < 0)
        return NULL;
    out = ctx_join(p.user, p.role, p.type, level && *level ? level : NULL);
    free(p.buf);
    return out;
}

const char *brig_context_level(const char *context)
{
    const char *p = context;

    if (context == NULL)
        return NULL;
    for (int i = 0; i < 3; i++) {
        const char *c = strchr(p, ':');
        if (c == NULL || c == p)
            return NULL;
        p = c + 1;
    }
    return *p ? p : NULL;
}

/* --- levels ------------------------------------------------------------ */

/* Canonical decimal (no sign, no leading zero) of at most max; advances *p. */
static int parse_number(const char **p, unsigned max, unsigned *ret)
{
    const char *s = *p;
    unsigned v = 0;

    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return -1;
    }
    *p = s;
    *ret = v;
    return 0;
}

/* Why a level is malformed, or NULL when it is well formed. */
static const char *level_syntax_error(const char *level)
{
    const char *p = level;
    unsigned v, prev;

    if (level == NULL || *level == '\0')
        return "empty";
    if (*p++ != 's' || parse_number(&p, MAX_SENSITIVITY, &v) < 0)
        return "expected a sensitivity s0..s15 first";
    if (*p == '\0')
        return NULL;
    if (*p++ != ':')
        return "expected `:` after the sensitivity";
    for (;;) {
        if (*p++ != 'c' || parse_number(&p, MAX_CATEGORY, &prev) < 0)
            return "expected a category c0..c1023";
        if (*p == '.') {
            p++;
            if (*p++ != 'c' || parse_number(&p, MAX_CATEGORY, &v) < 0)
                return "expected a category c0..c1023 after `.`";
            if (v <= prev)
                return "a category range must go up (cA.cB with A < B)";
        }
        if (*p == '\0')
            return NULL;
        if (*p++ != ',')
            return "expected `,` or `.` between categories";
    }
}

/* A context to try a level (or a type) against the policy: object_r is
 * authorized for every type, so only the level and the type are tested.
 * The user comes from brig's defaults; system_u exists in every policy and
 * may use every category. */
static char *probe_context(const char *type, const char *level)
{
    return ctx_join("system_u", "object_r", type, level);
}

/* A type the loaded policy certainly defines, for probing levels. */
static const char *probe_type(void)
{
    static const char *const candidates[] = {"unlabeled_t", "file_t", "brig_container_file_t",
                                             "container_file_t"};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(candidates); i++) {
        _cleanup_free_ char *c = probe_context(candidates[i], "s0");
        if (security_check_context(c) == 0)
            return candidates[i];
    }
    return NULL;
}

int brig_label_level_validate(const char *level, brig_error *reterr)
{
    _cleanup_free_ char *q = quote(level);
    const char *why = level_syntax_error(level);

    if (why != NULL)
        return brig_error_set(reterr, 0, "label level `%s`: malformed (%s)", q, why);
    if (brig_selinux_enabled()) {
        const char *t = probe_type();
        _cleanup_free_ char *c = NULL;

        /* No type to probe with means a policy brig cannot reason about;
         * the contexts built later are checked whole anyway. */
        if (t != NULL) {
            c = probe_context(t, level);
            if (security_check_context(c) < 0)
                return brig_error_set(reterr, 0, "label level `%s`: outside the policy's range", q);
        }
    }
    return 0;
}

/* --- options ----------------------------------------------------------- */

/* SELinux identifiers as policies spell them (CIL namespaces add '.'). */
static bool identifier_valid(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return false;
    return true;
}

void brig_label_opts_clear(struct brig_label_opts *opts)
{
    if (opts == NULL)
        return;
    free(opts->type);
    free(opts->level);
    free(opts->user);
    free(opts->role);
    free(opts->filetype);
    memset(opts, 0, sizeof(*opts));
}

int brig_label_opts_add(struct brig_label_opts *opts, const char *option, brig_error *reterr)
{
    static const char *const keys[] = {"type", "level", "user", "role", "filetype"};
    char **slots[] = {&opts->type, &opts->level, &opts->user, &opts->role, &opts->filetype};
    _cleanup_free_ char *q = quote(option);
    _cleanup_free_ char *key = NULL, *qkey = NULL;
    const char *sep, *value;
    size_t i;

    if (option == NULL || *option == '\0')
        return brig_error_set(reterr, 0, "label option ``: empty");
    if (strcmp(option, "disable") == 0) {
        opts->disable = true;
        return 0;
    }
    /* Only the first separator counts: levels hold ':' and ','. */
    sep = option + strcspn(option, ":=");
    key = strndup(option, (size_t)(sep - option));
    if (key == NULL)
        abort();
    qkey = quote(key);
    for (i = 0; i < BRIG_ARRAY_SIZE(keys); i++)
        if (strcmp(key, keys[i]) == 0)
            break;
    if (i == BRIG_ARRAY_SIZE(keys))
        return brig_error_set(reterr, 0, "label option `%s`: unknown key `%s`", q, qkey);
    if (*sep == '\0')
        return brig_error_set(reterr, 0, "label option `%s`: missing value (`%s:VALUE`)", q, qkey);
    value = sep + 1;
    if (*value == '\0')
        return brig_error_set(reterr, 0, "label option `%s`: empty value", q);
    if (strcmp(key, "level") == 0) {
        if (brig_label_level_validate(value, reterr) < 0)
            return brig_error_wrap(reterr, "label option `%s`", q);
    } else if (!identifier_valid(value)) {
        _cleanup_free_ char *qv = quote(value);
        return brig_error_set(reterr, 0,
                              "label option `%s`: invalid %s `%s` (allowed: letters, digits, "
                              "`_`, `-`, `.`)",
                              q, key, qv);
    }
    /* A later option wins, as with podman's repeated --security-opt. */
    free(*slots[i]);
    *slots[i] = brig_xstrdup(value);
    return 0;
}

/* --- defaults ---------------------------------------------------------- */

void brig_label_defaults_clear(struct brig_label_defaults *d)
{
    if (d == NULL)
        return;
    free(d->process);
    free(d->file);
    free(d->ro_file);
    free(d->source);
    memset(d, 0, sizeof(*d));
}

/* Parse lxc_contexts: `key = "context"` lines (quotes optional), '#'
 * comments; keys other than process, file and ro_file are ignored. */
static int lxc_contexts_parse(const char *text, struct brig_label_defaults *d)
{
    _cleanup_free_ char *buf = brig_xstrdup(text);
    char *save = NULL;

    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq, *k, *v, *end;
        char **slot = NULL;

        while (isspace((unsigned char)*line))
            line++;
        if (*line == '#' || *line == '\0')
            continue;
        eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        k = line;
        end = eq;
        while (end > k && isspace((unsigned char)end[-1]))
            end--;
        *end = '\0';
        v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        end = v + strlen(v);
        while (end > v && isspace((unsigned char)end[-1]))
            end--;
        *end = '\0';
        if (end - v >= 2 && (v[0] == '"' || v[0] == '\'') && end[-1] == v[0]) {
            v++;
            end[-1] = '\0';
        }
        if (strcmp(k, "process") == 0)
            slot = &d->process;
        else if (strcmp(k, "file") == 0)
            slot = &d->file;
        else if (strcmp(k, "ro_file") == 0)
            slot = &d->ro_file;
        if (slot == NULL || *v == '\0')
            continue;
        free(*slot);
        *slot = brig_xstrdup(v);
    }
    return d->process && d->file && d->ro_file ? 0 : -1;
}

/* Every context set, well formed, and accepted by the loaded policy.  The
 * level is normalized to "s0" (some lxc_contexts name a range). */
static int defaults_check(struct brig_label_defaults *d)
{
    char **slots[] = {&d->process, &d->file, &d->ro_file};

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(slots); i++) {
        char *c;
        if (*slots[i] == NULL)
            return -1;
        c = brig_context_with_level(*slots[i], brig_context_level(*slots[i]) ? "s0" : NULL);
        if (c == NULL || security_check_context(c) < 0) {
            free(c);
            return -1;
        }
        free(*slots[i]);
        *slots[i] = c;
    }
    return 0;
}

int brig_label_defaults_load(struct brig_label_defaults *ret, brig_error *reterr)
{
    struct brig_label_defaults d = {0};
    const char *path;

    memset(ret, 0, sizeof(*ret));
    if (!brig_selinux_enabled())
        return brig_error_set(reterr, 0, "SELinux defaults: SELinux is not enabled on this host");
    path = selinux_lxc_contexts_path();
    if (path != NULL) {
        _cleanup_free_ char *text = NULL;
        brig_error err = NULL;

        /* A missing or unreadable file is no error: brig's module is the
         * fallback, as it is for a file that names undefined types. */
        if (brig_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err) == 0 &&
            lxc_contexts_parse(text, &d) == 0 && defaults_check(&d) == 0) {
            d.source = brig_xstrdup("lxc_contexts");
            *ret = d;
            return 0;
        }
        brig_error_free(&err);
        brig_label_defaults_clear(&d);
    }
    d.process = brig_xstrdup(BRIG_PROCESS);
    d.file = brig_xstrdup(BRIG_FILE);
    d.ro_file = brig_xstrdup(BRIG_RO_FILE);
    if (defaults_check(&d) < 0) {
        brig_label_defaults_clear(&d);
        return brig_error_set(reterr, 0,
                              "SELinux defaults: neither lxc_contexts' types nor brig's (install "
                              "policy/brig.cil) are defined by the loaded policy");
    }
    d.source = brig_xstrdup("brig");
    *ret = d;
    return 0;
}

char *brig_store_context(enum brig_store_role role)
{
    struct brig_label_defaults d = {0};
    _cleanup_error_ brig_error ignored = NULL;
    char *c;

    if (!brig_selinux_enabled())
        return NULL;
    if (role == BRIG_STORE_META) {
        c = probe_context(BRIG_STORE_TYPE, "s0");
        if (security_check_context(c) == 0)
            return c;
        free(c);
        return NULL;
    }
    if (brig_label_defaults_load(&d, &ignored) < 0)
        return NULL;
    c = brig_context_with_level(d.ro_file, "s0");
    brig_label_defaults_clear(&d);
    return c;
}

/* --- compute ----------------------------------------------------------- */

static bool type_defined(const char *type)
{
    _cleanup_free_ char *c = probe_context(type, "s0");

    return security_check_context(c) == 0;
}

/* The unconfined container type: container-selinux's spc_t where the
 * policy has it (so `ps -Z` reads as it does under podman), else brig's.
 * Without SELinux nothing can be asked: follow where the defaults came
 * from. */
static const char *spc_type(const struct brig_label_defaults *d)
{
    if (brig_selinux_enabled())
        return type_defined(SPC_TYPE) ? SPC_TYPE : BRIG_SPC_TYPE;
    return d->source != NULL && strcmp(d->source, "lxc_contexts") == 0 ? SPC_TYPE : BRIG_SPC_TYPE;
}

/* With SELinux on, refuse a context the policy would refuse at exec or
 * mount time, naming the part that is wrong where it can be told. */
static int context_check(const char *context, const char *what, brig_error *reterr)
{
    struct ctx_parts p;
    int r;

    if (!brig_selinux_enabled() || security_check_context(context) == 0)
        return 0;
    if (ctx_split(context, &p) < 0)
        return brig_error_set(reterr, 0, "label `%s`: malformed %s context", context, what);
    if (!type_defined(p.type))
        r = brig_error_set(reterr, 0, "label type `%s`: not defined by the loaded policy", p.type);
    else if (p.level != NULL && brig_label_level_validate(p.level, NULL) < 0)
        r = brig_error_set(reterr, 0, "label level `%s`: outside the policy's range", p.level);
    else
        r = brig_error_set(reterr, 0,
                           "label `%s`: invalid %s context (user `%s` with role `%s` and type "
                           "`%s` is not allowed by the loaded policy)",
                           context, what, p.user, p.role, p.type);
    free(p.buf);
    return r;
}

int brig_label_compute(const struct brig_label_defaults *d, const struct brig_label_opts *opts,
                       const char *level, char **ret_process, char **ret_mount, brig_error *reterr)
{
    static const struct brig_label_opts none = {0};
    struct ctx_parts pp = {0}, fp = {0};
    _cleanup_free_ char *process = NULL, *mount = NULL;
    const char *lvl;
    int r = -1;

    *ret_process = NULL;
    *ret_mount = NULL;
    if (opts == NULL)
        opts = &none;
    if (d == NULL || ctx_split(d->process, &pp) < 0 || ctx_split(d->file, &fp) < 0) {
        brig_error_set(reterr, 0, "compute SELinux labels: malformed default contexts");
        goto out;
    }
    /* An explicit label=level:L wins; the caller reserved it and passes it
     * as `level` too. */
    lvl = opts->level ? opts->level : level ? level : pp.level;
    if (lvl != NULL && brig_label_level_validate(lvl, reterr) < 0) {
        brig_error_wrap(reterr, "compute SELinux labels");
        goto out;
    }
    if (opts->disable) {
        /* Unconfined: no private level (s0 like podman's spc_t) and no
         * mount label, so the container's files keep what they have. */
        process = ctx_join(opts->user ? opts->user : pp.user, opts->role ? opts->role : pp.role,
                           spc_type(d), pp.level ? "s0" : NULL);
    } else {
        process = ctx_join(opts->user ? opts->user : pp.user, opts->role ? opts->role : pp.role,
                           opts->type ? opts->type : pp.type, pp.level ? lvl : NULL);
        /* The user applies to both labels, as in podman; the role of a
         * file is always object_r. */
        mount = ctx_join(opts->user ? opts->user : fp.user, fp.role,
                         opts->filetype ? opts->filetype : fp.type, fp.level ? lvl : NULL);
    }
    if (context_check(process, "process", reterr) < 0 ||
        (mount != NULL && context_check(mount, "mount", reterr) < 0))
        goto out;
    *ret_process = TAKE_PTR(process);
    *ret_mount = TAKE_PTR(mount);
    r = 0;
out:
    free(pp.buf);
    free(fp.buf);
    return r;
}
