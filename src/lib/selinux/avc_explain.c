/* Why a record was denied, asked of the policy itself (as audit2why does):
 * libsepol computes the access vector for the record's contexts and says
 * which part of the policy refused it (type enforcement, a constraint,
 * role rules, bounds).  Then:
 *   - a TE refusal is checked against every boolean flipped in turn: when
 *     one flip makes the whole permission set allowed, a boolean stops it;
 *   - a constraint refusal is computed again with the target at the
 *     source's level: when that is allowed, the MCS categories stop it.
 *
 * libsepol keeps the policy in process-wide state (sepol_set_policydb), so
 * the policy is loaded once and kept until brig_avc_policy_unload(). */
#include <selinux/selinux.h>
#include <sepol/boolean_record.h>
#include <sepol/booleans.h>
#include <sepol/debug.h>
#include <sepol/handle.h>
#include <sepol/policydb.h>
#include <sepol/policydb/conditional.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/sidtab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "selinux/avc.h"
#include "selinux/context.h"

#define LOADED_POLICY "/sys/fs/selinux/policy"

static struct {
    bool loaded;
    sepol_handle_t *handle;
    sepol_policydb_t *db;
    sidtab_t sidtab;
} pol;

void brig_avc_policy_unload(void)
{
    if (!pol.loaded)
        return;
    sepol_set_policydb(NULL);
    sepol_set_sidtab(NULL);
    sepol_sidtab_destroy(&pol.sidtab);
    sepol_policydb_free(pol.db);
    sepol_handle_destroy(pol.handle);
    memset(&pol, 0, sizeof(pol));
}

/* The loaded policy's booleans as they are now (a policy file read back
 * from the kernel carries them, but a boolean set since without -P is only
 * in selinuxfs; reading both costs nothing). */
static void sync_booleans(void)
{
    policydb_t *p = &pol.db->p;
    for (uint32_t i = 0; i < p->p_bools.nprim; i++) {
        const char *name = p->p_bool_val_to_name[i];
        int v = security_get_boolean_active(name);
        if (v >= 0 && p->bool_val_to_struct[i])
            p->bool_val_to_struct[i]->state = v;
    }
    (void)evaluate_conds(p);
}

int brig_avc_policy_load(const char *path, brig_error *reterr)
{
    const char *file = path ? path : LOADED_POLICY;
    sepol_policy_file_t *pf = NULL;
    _cleanup_fclose_ FILE *f = NULL;

    brig_avc_policy_unload();
    f = fopen(file, "re");
    if (!f)
        return brig_error_errno(reterr, "read policy `%s`", file);
    /* libsepol prints its complaints on stderr by default: libbrig never
     * prints, and a failed read is reported below anyway. */
    sepol_debug(0);
    pol.handle = sepol_handle_create();
    if (!pol.handle || sepol_policy_file_create(&pf) < 0 || sepol_policydb_create(&pol.db) < 0) {
        sepol_policy_file_free(pf);
        brig_avc_policy_unload();
        return brig_error_set(reterr, 0, "read policy `%s`: out of memory", file);
    }
    sepol_msg_set_callback(pol.handle, NULL, NULL);
    sepol_policy_file_set_handle(pf, pol.handle);
    sepol_policy_file_set_fp(pf, f);
    int r = sepol_policydb_read(pol.db, pf);
    sepol_policy_file_free(pf);
    if (r < 0) {
        sepol_policydb_free(pol.db);
        sepol_handle_destroy(pol.handle);
        memset(&pol, 0, sizeof(pol));
        return brig_error_set(reterr, 0, "read policy `%s`: not a binary policy libsepol can read",
                              file);
    }
    if (sepol_sidtab_init(&pol.sidtab) < 0) {
        sepol_policydb_free(pol.db);
        sepol_handle_destroy(pol.handle);
        memset(&pol, 0, sizeof(pol));
        return brig_error_set(reterr, 0, "read policy `%s`: out of memory", file);
    }
    sepol_set_sidtab(&pol.sidtab);
    sepol_set_policydb(&pol.db->p);
    pol.loaded = true;
    if (!path && is_selinux_enabled() > 0)
        sync_booleans();
    return 0;
}

void brig_avc_why_clear(struct brig_avc_why *w)
{
    brig_strv_free(w->booleans);
    free(w->detail);
    memset(w, 0, sizeof(*w));
}

const char *brig_avc_reason_name(enum brig_avc_reason r)
{
    switch (r) {
    case BRIG_AVC_TE:
        return "te";
    case BRIG_AVC_MCS:
        return "mcs";
    case BRIG_AVC_BOOLEAN:
        return "boolean";
    case BRIG_AVC_CONSTRAINT:
        return "constraint";
    case BRIG_AVC_ALLOWED_NOW:
        return "allowed";
    case BRIG_AVC_UNKNOWN:
        break;
    }
    return "unknown";
}

static int compute(const char *scon, const char *tcon, sepol_security_class_t cls,
                   sepol_access_vector_t av, unsigned *ret_reason, char **ret_buf)
{
    sepol_security_id_t ssid, tsid;
    struct sepol_av_decision avd;

    if (sepol_context_to_sid(scon, strlen(scon) + 1, &ssid) < 0 ||
        sepol_context_to_sid(tcon, strlen(tcon) + 1, &tsid) < 0)
        return -1;
    *ret_reason = 0;
    if (ret_buf) {
        *ret_buf = NULL;
        return sepol_compute_av_reason_buffer(ssid, tsid, cls, av, &avd, ret_reason, ret_buf, 0);
    }
    return sepol_compute_av_reason(ssid, tsid, cls, av, &avd, ret_reason);
}

static int set_boolean(const char *name, int value)
{
    sepol_bool_key_t *key = NULL;
    sepol_bool_t *b = NULL;
    int r = -1;

    if (sepol_bool_key_create(pol.handle, name, &key) < 0 || sepol_bool_create(pol.handle, &b) < 0)
        goto out;
    if (sepol_bool_set_name(pol.handle, b, name) < 0)
        goto out;
    sepol_bool_set_value(b, value);
    r = sepol_bool_set(pol.handle, pol.db, key, b);
out:
    sepol_bool_free(b);
    sepol_bool_key_free(key);
    return r;
}

/* Each boolean whose flip alone removes the TE refusal for the whole set. */
static char **booleans_that_allow(const char *scon, const char *tcon, sepol_security_class_t cls,
                                  sepol_access_vector_t av)
{
    policydb_t *p = &pol.db->p;
    char **found = NULL;

    for (uint32_t i = 0; i < p->p_bools.nprim; i++) {
        const char *name = p->p_bool_val_to_name[i];
        if (!name || !p->bool_val_to_struct[i])
            continue;
        int cur = p->bool_val_to_struct[i]->state ? 1 : 0;
        unsigned reason = 0;
        if (set_boolean(name, !cur) < 0)
            continue;
        int r = compute(scon, tcon, cls, av, &reason, NULL);
        (void)set_boolean(name, cur);
        if (r == 0 && !(reason & SEPOL_COMPUTEAV_TE)) {
            _cleanup_free_ char *s = brig_xasprintf("%s=%d", name, !cur);
            brig_strv_append(&found, s);
        }
    }
    return found;
}

int brig_avc_explain(const struct brig_avc *a, struct brig_avc_why *ret, brig_error *reterr)
{
    sepol_security_class_t cls;
    sepol_access_vector_t av = 0;
    unsigned reason = 0;
    _cleanup_free_ char *buf = NULL, *stype = NULL, *ttype = NULL;

    memset(ret, 0, sizeof(*ret));
    if (!pol.loaded && brig_avc_policy_load(NULL, reterr) < 0)
        return -1;
    stype = brig_avc_context_type(a->scontext);
    ttype = brig_avc_context_type(a->tcontext);

    if (sepol_string_to_security_class(a->tclass, &cls) < 0) {
        ret->reason = BRIG_AVC_UNKNOWN;
        ret->detail = brig_xasprintf("the loaded policy has no class `%s`", a->tclass);
        return 0;
    }
    for (char **pp = a->perms; pp && *pp; pp++) {
        sepol_access_vector_t bit;
        if (sepol_string_to_av_perm(cls, *pp, &bit) < 0) {
            ret->reason = BRIG_AVC_UNKNOWN;
            ret->detail = brig_xasprintf("the loaded policy has no permission `%s` in class `%s`",
                                         *pp, a->tclass);
            return 0;
        }
        av |= bit;
    }
    if (compute(a->scontext, a->tcontext, cls, av, &reason, &buf) < 0) {
        ret->reason = BRIG_AVC_UNKNOWN;
        ret->detail = brig_xasprintf("`%s` or `%s` is not a valid context in the loaded policy",
                                     a->scontext, a->tcontext);
        return 0;
    }
    if (reason == 0) {
        ret->reason = BRIG_AVC_ALLOWED_NOW;
        ret->detail = brig_xstrdup("the loaded policy allows this now (it changed since, or a "
                                   "boolean was turned on)");
        return 0;
    }
    if (reason & SEPOL_COMPUTEAV_TE) {
        ret->booleans = booleans_that_allow(a->scontext, a->tcontext, cls, av);
        if (ret->booleans) {
            _cleanup_free_ char *list = NULL;
            for (char **b = ret->booleans; *b; b++) {
                char *n = brig_xasprintf("%s%s`%s`", list ? list : "", list ? ", " : "", *b);
                free(list);
                list = n;
            }
            ret->reason = BRIG_AVC_BOOLEAN;
            ret->detail = brig_xasprintf("a boolean is off: %s would allow %s -> %s (%s)", list,
                                         stype, ttype, a->tclass);
            return 0;
        }
        ret->reason = BRIG_AVC_TE;
        ret->detail = brig_xasprintf("type enforcement: no allow rule for %s -> %s (%s)", stype,
                                     ttype, a->tclass);
        return 0;
    }
    if (reason & SEPOL_COMPUTEAV_CONS) {
        const char *slevel = brig_context_level(a->scontext);
        const char *tlevel = brig_context_level(a->tcontext);
        if (slevel && tlevel) {
            /* Same target, at the source's own level: allowed means the
             * categories (MCS/MLS) were the only thing in the way. */
            _cleanup_free_ char *same = brig_context_with_level(a->tcontext, slevel);
            unsigned r2 = 0;
            if (same && compute(a->scontext, same, cls, av, &r2, NULL) == 0 && r2 == 0) {
                ret->reason = BRIG_AVC_MCS;
                ret->detail = brig_xasprintf("MCS: the target's level %s is not one %s at %s may "
                                             "use (types allow it, categories do not)",
                                             tlevel, stype, slevel);
                return 0;
            }
        }
        ret->reason = BRIG_AVC_CONSTRAINT;
        ret->detail = brig_xasprintf("a constraint (user, role or level) denies it%s%s",
                                     buf && *buf ? ": " : "", buf && *buf ? buf : "");
        /* the buffer is multi-line infix text: keep it on one line */
        for (char *c = ret->detail; *c; c++)
            if (*c == '\n' || *c == '\t')
                *c = ' ';
        return 0;
    }
    ret->reason = BRIG_AVC_CONSTRAINT;
    ret->detail = brig_xstrdup((reason & SEPOL_COMPUTEAV_RBAC)
                                   ? "role-based access control: the role may not have this type"
                                   : "type bounds: the type is bounded by a parent that lacks it");
    return 0;
}

static char *perms_joined(char *const *perms)
{
    char *out = brig_xstrdup("");
    for (size_t i = 0; perms && perms[i]; i++) {
        char *n = brig_xasprintf("%s%s%s", out, i ? " " : "", perms[i]);
        free(out);
        out = n;
    }
    return out;
}

char *brig_avc_fix(const struct brig_avc *a, const struct brig_avc_why *w)
{
    _cleanup_free_ char *stype = brig_avc_context_type(a->scontext);
    _cleanup_free_ char *ttype = brig_avc_context_type(a->tcontext);
    _cleanup_free_ char *perms = perms_joined(a->perms);

    switch (w->reason) {
    case BRIG_AVC_TE:
        /* An allow rule on the same type is written with `self`, as
         * policy writers do; the meaning is the same. */
        return brig_xasprintf("(allow %s %s (%s (%s)))", stype ? stype : "?",
                              stype && ttype && strcmp(stype, ttype) == 0 ? "self"
                                                                          : (ttype ? ttype : "?"),
                              a->tclass, perms);
    case BRIG_AVC_BOOLEAN: {
        /* the first boolean that would do; the explanation lists all */
        const char *b = w->booleans && w->booleans[0] ? w->booleans[0] : "?=1";
        const char *eq = strrchr(b, '=');
        size_t len = eq ? (size_t)(eq - b) : strlen(b);
        return brig_xasprintf("setsebool -P %.*s %s", (int)len, b, eq ? eq + 1 : "1");
    }
    case BRIG_AVC_MCS:
        return brig_xstrdup("MCS: the file's categories are not the container's: relabel it "
                            "with :Z or use :z for shared content");
    case BRIG_AVC_CONSTRAINT:
        return brig_xstrdup("none generated: a user/role constraint is not fixed by an allow "
                            "rule; run the process with another user or role");
    case BRIG_AVC_ALLOWED_NOW:
        return brig_xstrdup("none needed: the loaded policy allows it now");
    case BRIG_AVC_UNKNOWN:
        break;
    }
    return brig_xstrdup("none generated: the loaded policy does not know this type, class or "
                        "permission");
}

static char *group_key(const struct brig_avc *a, const char *stype, const char *ttype)
{
    size_t n = brig_strv_len(a->perms);
    _cleanup_strv_ char **sorted = brig_strv_dup(a->perms);
    /* insertion sort: a class has at most a few dozen permissions */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            char *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    _cleanup_free_ char *perms = perms_joined(sorted);
    return brig_xasprintf("%s %s %s {%s}", stype, ttype, a->tclass, perms);
}

void brig_avc_group(const struct brig_avc *v, size_t n, struct brig_avc_group **ret, size_t *ret_n)
{
    struct brig_avc_group *g = NULL;
    char **keys = NULL;
    size_t ng = 0;

    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *stype = brig_avc_context_type(v[i].scontext);
        _cleanup_free_ char *ttype = brig_avc_context_type(v[i].tcontext);
        if (!stype || !ttype)
            continue;
        _cleanup_free_ char *key = group_key(&v[i], stype, ttype);
        size_t j;
        for (j = 0; j < ng; j++)
            if (strcmp(keys[j], key) == 0)
                break;
        if (j < ng) {
            g[j].count++;
            continue;
        }
        g = brig_xrealloc(g, (ng + 1) * sizeof(*g));
        keys = brig_xrealloc(keys, (ng + 1) * sizeof(*keys));
        keys[ng] = TAKE_PTR(key);
        g[ng] = (struct brig_avc_group){
            .first = &v[i], .stype = TAKE_PTR(stype), .ttype = TAKE_PTR(ttype), .count = 1};
        ng++;
    }
    for (size_t j = 0; j < ng; j++)
        free(keys[j]);
    free(keys);
    *ret = g;
    *ret_n = ng;
}

void brig_avc_groups_free(struct brig_avc_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(g[i].stype);
        free(g[i].ttype);
    }
    free(g);
}
