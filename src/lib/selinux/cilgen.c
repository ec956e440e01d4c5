/* Custom container types as CIL modules: the text (pure string work, unit
 * tested on any host) and loading it into the policy store. */
#include "selinux/cilgen.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/util.h"

bool brig_cil_identifier_ok(const char *s)
{
    size_t n = 0;
    if (s == NULL || !isalpha((unsigned char)s[0]))
        return false;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '_')
            return false;
    return n <= 100;
}

char *brig_cil_module_name(const char *container_name)
{
    char *s = brig_xasprintf("brig_%s", container_name);
    for (char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = '_';
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

/* The kernel's capability names, in the class that holds each. */
static const char *const caps1[] = {"chown",
                                    "dac_override",
                                    "dac_read_search",
                                    "fowner",
                                    "fsetid",
                                    "kill",
                                    "setgid",
                                    "setuid",
                                    "setpcap",
                                    "linux_immutable",
                                    "net_bind_service",
                                    "net_broadcast",
                                    "net_admin",
                                    "net_raw",
                                    "ipc_lock",
                                    "ipc_owner",
                                    "sys_module",
                                    "sys_rawio",
                                    "sys_chroot",
                                    "sys_ptrace",
                                    "sys_pacct",
                                    "sys_admin",
                                    "sys_boot",
                                    "sys_nice",
                                    "sys_resource",
                                    "sys_time",
                                    "sys_tty_config",
                                    "mknod",
                                    "lease",
                                    "audit_write",
                                    "audit_control",
                                    "setfcap",
                                    NULL};
static const char *const caps2[] = {"mac_override",       "mac_admin",  "syslog",  "wake_alarm",
                                    "block_suspend",      "audit_read", "perfmon", "bpf",
                                    "checkpoint_restore", NULL};

const char *brig_cil_cap_perm(const char *cap, bool *ret_cap2)
{
    char low[64];
    size_t i;

    if (strncasecmp(cap, "CAP_", 4) == 0)
        cap += 4;
    for (i = 0; cap[i] && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)cap[i]);
    low[i] = '\0';
    for (const char *const *c = caps1; *c; c++)
        if (strcmp(low, *c) == 0) {
            *ret_cap2 = false;
            return *c;
        }
    for (const char *const *c = caps2; *c; c++)
        if (strcmp(low, *c) == 0) {
            *ret_cap2 = true;
            return *c;
        }
    return NULL;
}

/* The host's secrets and its security policy: a container type that may
 * read shadow_t, or write the policy store, is no longer confined in any
 * useful sense, whatever a mount or a denial suggests. */
bool brig_cil_type_sensitive(const char *type)
{
    static const char *const sensitive[] = {"shadow_t",
                                            "security_t",
                                            "selinux_config_t",
                                            "policy_config_t",
                                            "policy_src_t",
                                            "file_context_t",
                                            "default_context_t",
                                            "semanage_store_t",
                                            "semanage_read_lock_t",
                                            "semanage_trans_lock_t",
                                            "semanage_tmp_t",
                                            "auditd_log_t",
                                            "auditd_etc_t",
                                            "audit_spool_t",
                                            "kmem_device_t",
                                            "memory_device_t",
                                            "kernel_t",
                                            "load_policy_exec_t",
                                            "setfiles_exec_t",
                                            "sysadm_home_t",
                                            "admin_home_t",
                                            "ssh_home_t",
                                            "sshd_key_t",
                                            "krb5_keytab_t",
                                            "boot_t",
                                            "bootloader_etc_t",
                                            "fixed_disk_device_t",
                                            "removable_device_t",
                                            "cgroup_t",
                                            "unlabeled_t",
                                            NULL};
    for (const char *const *s = sensitive; *s; s++)
        if (strcmp(type, *s) == 0)
            return true;
    return false;
}

/* Classes a container never gets on something other than itself. */
static bool class_refused(const char *ttype, const char *tclass)
{
    if (strcmp(tclass, "security") == 0 || strcmp(tclass, "kernel_service") == 0)
        return true;
    return (strcmp(tclass, "process") == 0 || strcmp(tclass, "process2") == 0) &&
           strcmp(ttype, "self") != 0;
}

/* What a read-only and a read-write mount give, per class. */
static const char *const ro_dir[] = {"getattr", "open", "read", "search", "lock", "ioctl", NULL};
static const char *const ro_file[] = {"getattr", "open", "read", "lock", "ioctl", "map", NULL};
static const char *const ro_lnk[] = {"getattr", "read", NULL};
static const char *const rw_dir[] = {"create", "getattr", "setattr",  "open",        "read",
                                     "write",  "search",  "add_name", "remove_name", "reparent",
                                     "rename", "rmdir",   "lock",     "ioctl",       NULL};
static const char *const rw_file[] = {"create", "getattr", "setattr", "open", "read",
                                      "write",  "append",  "rename",  "link", "unlink",
                                      "lock",   "ioctl",   "map",     NULL};
static const char *const rw_lnk[] = {"create", "getattr", "setattr", "read",
                                     "rename", "link",    "unlink",  NULL};
static const char *const dev_perms[] = {"getattr", "open",  "read", "write",
                                        "append",  "ioctl", "lock", NULL};

struct rule {
    char *ttype, *tclass;
    char **perms;
};

static const char *const range_classes[] = {"file", "dir", "lnk_file", NULL};

struct gen {
    FILE *f;
    char **ranged; /* target types with rangetransition rules already */
    const char *type;
    struct rule *rules;
    size_t n_rules;
};

static bool mcs_done(struct gen *g, const char *type)
{
    for (char **t = g->ranged; t && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    brig_strv_append(&g->ranged, type);
    return false;
}

static bool rule_has(const struct gen *g, const char *ttype, const char *tclass, const char *perm)
{
    for (size_t i = 0; i < g->n_rules; i++) {
        const struct rule *r = &g->rules[i];
        if (strcmp(r->ttype, ttype) != 0 || strcmp(r->tclass, tclass) != 0)
            continue;
        for (char **p = r->perms; *p; p++)
            if (strcmp(*p, perm) == 0)
                return true;
    }
    return false;
}

/* Write one allow rule with the permissions not granted yet; returns
 * whether anything was written. */
static bool emit_allow(struct gen *g, const char *ttype, const char *tclass,
                       const char *const *perms)
{
    _cleanup_strv_ char **left = NULL;
    struct rule *r;

    for (const char *const *p = perms; *p; p++)
        if (!rule_has(g, ttype, tclass, *p))
            brig_strv_append(&left, *p);
    if (left == NULL)
        return false;
    fprintf(g->f, "(allow %s %s (%s (", g->type, ttype, tclass);
    for (char **p = left; *p; p++)
        fprintf(g->f, "%s%s", p == left ? "" : " ", *p);
    fprintf(g->f, ")))\n");
    g->rules = brig_xrealloc(g->rules, (g->n_rules + 1) * sizeof(*g->rules));
    r = &g->rules[g->n_rules++];
    r->ttype = brig_xstrdup(ttype);
    r->tclass = brig_xstrdup(tclass);
    r->perms = TAKE_PTR(left);
    return true;
}

/* A comment line: printable ASCII only, so nothing a container controls
 * (a comm, a file name) can end the comment and inject a rule. */
static void comment(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void comment(FILE *f, const char *fmt, ...)
{
    _cleanup_free_ char *s = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    fprintf(f, "; %s\n", s);
}

static int check_ids(const struct brig_cil_module *m, brig_error *reterr)
{
    if (!brig_cil_identifier_ok(m->module))
        return brig_error_set(reterr, 0,
                              "module name `%s`: not a policy identifier "
                              "(letters, digits and `_`, starting with a letter)",
                              m->module);
    if (!brig_cil_identifier_ok(m->type))
        return brig_error_set(reterr, 0, "type name `%s`: not a policy identifier", m->type);
    for (size_t i = 0; i < m->n_mounts; i++)
        if (!brig_cil_identifier_ok(m->mounts[i].type))
            return brig_error_set(reterr, 0,
                                  "mount `%s`: file type `%s` is not a policy identifier",
                                  m->mounts[i].source, m->mounts[i].type ? m->mounts[i].type : "");
    for (size_t i = 0; i < m->n_devices; i++)
        if (!brig_cil_identifier_ok(m->devices[i].type))
            return brig_error_set(reterr, 0, "device `%s`: type `%s` is not a policy identifier",
                                  m->devices[i].path, m->devices[i].type ? m->devices[i].type : "");
    for (char **c = m->caps; c && *c; c++) {
        bool two;
        if (brig_cil_cap_perm(*c, &two) == NULL)
            return brig_error_set(reterr, 0, "capability `%s`: unknown", *c);
    }
    return 0;
}

static void gen_caps(struct gen *g, char **caps)
{
    const char *c1[64], *c2[16];
    size_t n1 = 0, n2 = 0;

    for (char **c = caps; c && *c; c++) {
        bool two;
        const char *p = brig_cil_cap_perm(*c, &two);
        if (two && n2 < 15)
            c2[n2++] = p;
        else if (!two && n1 < 63)
            c1[n1++] = p;
    }
    c1[n1] = c2[n2] = NULL;
    if (n1 + n2 == 0)
        return;
    fprintf(g->f, "\n");
    comment(g->f, "Capabilities beyond brig's default set (--cap-add), also in user namespaces.");
    if (n1) {
        emit_allow(g, "self", "capability", c1);
        emit_allow(g, "self", "cap_userns", c1);
    }
    if (n2) {
        emit_allow(g, "self", "capability2", c2);
        emit_allow(g, "self", "cap2_userns", c2);
    }
}

static void gen_mounts(struct gen *g, const struct brig_cil_module *m)
{
    for (size_t i = 0; i < m->n_mounts; i++) {
        const struct brig_cil_mount *mt = &m->mounts[i];
        fprintf(g->f, "\n");
        comment(g->f, "Mount %s -> %s (%s): host files of type %s.", mt->source, mt->dest,
                mt->rw ? "read-write: manage" : "read-only: read", mt->type);
        if (brig_cil_type_sensitive(mt->type)) {
            comment(g->f, "NOT granted: %s is security-sensitive (secrets or policy).", mt->type);
            continue;
        }
        emit_allow(g, mt->type, "dir", mt->rw ? rw_dir : ro_dir);
        emit_allow(g, mt->type, "file", mt->rw ? rw_file : ro_file);
        emit_allow(g, mt->type, "lnk_file", mt->rw ? rw_lnk : ro_lnk);
        /* A file the container creates would get its private pair, which
         * changes at every start: its next start (and any other holder of
         * the type) could no longer append to its own log.  Host files on
         * the mount are s0; new ones stay s0 too, like the rest. */
        if (mt->rw && m->mls && !mcs_done(g, mt->type)) {
            comment(g->f, "Files and directories it creates there stay at s0, as the host's are.");
            for (const char *const *cl = range_classes; *cl; cl++)
                fprintf(g->f, "(rangetransition %s %s %s ((s0) (s0)))\n", g->type, mt->type, *cl);
        }
        if (mt->other_types && mt->other_types[0]) {
            _cleanup_free_ char *list = NULL;
            size_t len = 0;
            FILE *lf = open_memstream(&list, &len);
            for (char **t = mt->other_types; *t; t++)
                fprintf(lf, "%s%s", t == mt->other_types ? "" : " ", *t);
            fclose(lf);
            comment(g->f, "Also under %s, not granted (check mode shows whether they are used): %s",
                    mt->source, list);
        }
    }
}

static void gen_devices(struct gen *g, const struct brig_cil_module *m)
{
    for (size_t i = 0; i < m->n_devices; i++) {
        const struct brig_cil_device *d = &m->devices[i];
        fprintf(g->f, "\n");
        comment(g->f, "Device %s (%s).", d->path, d->type);
        if (brig_cil_type_sensitive(d->type)) {
            comment(g->f, "NOT granted: %s is security-sensitive.", d->type);
            continue;
        }
        emit_allow(g, d->type, d->block ? "blk_file" : "chr_file", dev_perms);
    }
}

static void gen_denials(struct gen *g, const struct brig_cil_module *m)
{
    if (m->n_denials == 0)
        return;
    fprintf(g->f, "\n");
    comment(g->f, "Denials recorded in check mode (type enforcement):");
    for (size_t i = 0; i < m->n_denials; i++) {
        const struct brig_cil_denial *d = &m->denials[i];
        bool ok = brig_cil_identifier_ok(d->ttype) || strcmp(d->ttype, "self") == 0;
        ok = ok && brig_cil_identifier_ok(d->tclass);
        for (char **p = d->perms; ok && p && *p; p++)
            ok = brig_cil_identifier_ok(*p);
        if (d->why)
            comment(g->f, "%s", d->why);
        if (!ok || d->perms == NULL || d->perms[0] == NULL) {
            comment(g->f, "NOT granted: malformed type, class or permission.");
            continue;
        }
        if (brig_cil_type_sensitive(d->ttype) || class_refused(d->ttype, d->tclass)) {
            comment(g->f, "NOT granted: %s %s is outside what a container may be given.", d->ttype,
                    d->tclass);
            continue;
        }
        if (!emit_allow(g, d->ttype, d->tclass, (const char *const *)d->perms))
            comment(g->f, "(already granted above)");
    }
}

char *brig_cil_module_text(const struct brig_cil_module *m, size_t *ret_rules, brig_error *reterr)
{
    struct gen g = {.type = m->type};
    char *text = NULL;
    size_t len = 0;

    if (check_ids(m, reterr) < 0)
        return NULL;
    g.f = open_memstream(&text, &len);
    if (g.f == NULL)
        abort();
    comment(g.f, "%s: SELinux policy module (CIL) written by `brig policy generate`%s%s.",
            m->module, m->container ? " for container " : "", m->container ? m->container : "");
    if (m->use)
        comment(g.f, "Use: %s", m->use);
    fprintf(g.f, "\n");
    comment(g.f, "%s has everything brig_container_t has (attributes below) and stays", m->type);
    comment(g.f, "MCS-constrained: it can only use files at its own category pair.");
    fprintf(g.f, "(type %s)\n", m->type);
    fprintf(g.f, "(roletype system_r %s)\n(roletype unconfined_r %s)\n", m->type, m->type);
    fprintf(g.f, "(typeattributeset domain (%s))\n", m->type);
    fprintf(g.f, "(typeattributeset mcs_constrained_type (%s))\n", m->type);
    fprintf(g.f, "(typeattributeset " BRIG_CIL_DOMAIN_ATTR " (%s))\n", m->type);
    fprintf(g.f, "(typeattributeset " BRIG_CIL_BASE_ATTR " (%s))\n", m->type);
    if (m->permissive) {
        comment(g.f, "Permissive: denials are logged (permissive=1), not enforced.");
        fprintf(g.f, "(typepermissive %s)\n", m->type);
    }
    gen_mounts(&g, m);
    gen_caps(&g, m->caps);
    gen_devices(&g, m);
    gen_denials(&g, m);
    if (m->extra)
        fprintf(g.f, "\n%s", m->extra);
    if (m->notes && m->notes[0]) {
        fprintf(g.f, "\n");
        for (char **n = m->notes; *n; n++)
            comment(g.f, "%s", *n);
    }
    fclose(g.f);
    if (ret_rules)
        *ret_rules = g.n_rules;
    for (size_t i = 0; i < g.n_rules; i++) {
        free(g.rules[i].ttype);
        free(g.rules[i].tclass);
        brig_strv_free(g.rules[i].perms);
    }
    free(g.rules);
    brig_strv_free(g.ranged);
    return text;
}

/* --- the policy store ---------------------------------------------------- */

#if __has_include(<semanage/semanage.h>)
#include <semanage/semanage.h>

/* libsemanage reports through a callback: keep its messages for the error. */
static void store_msg(void *arg, semanage_handle_t *sh, const char *fmt, ...)
{
    char **acc = arg, *msg = NULL, *joined;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    if (semanage_msg_get_level(sh) > SEMANAGE_MSG_ERR) {
        free(msg);
        return;
    }
    joined = *acc ? brig_xasprintf("%s; %s", *acc, msg) : brig_xstrdup(msg);
    free(*acc);
    free(msg);
    *acc = joined;
}

struct store {
    semanage_handle_t *sh;
    char *msgs;
};

static void store_close(struct store *s)
{
    if (s->sh) {
        if (semanage_is_connected(s->sh) == 1)
            semanage_disconnect(s->sh);
        semanage_handle_destroy(s->sh);
    }
    free(s->msgs);
}

static int store_fail(struct store *s, brig_error *reterr, const char *what)
{
    return brig_error_set(reterr, 0, "%s: %s", what,
                          s->msgs ? s->msgs : "libsemanage gave no reason");
}

static int store_open(struct store *s, brig_error *reterr)
{
    s->sh = semanage_handle_create();
    if (s->sh == NULL)
        return brig_error_set(reterr, 0, "open SELinux policy store: out of memory");
    semanage_msg_set_callback(s->sh, store_msg, &s->msgs);
    if (semanage_is_managed(s->sh) != 1)
        return store_fail(s, reterr,
                          "open SELinux policy store: the policy is not managed "
                          "by libsemanage");
    if (semanage_connect(s->sh) < 0)
        return store_fail(s, reterr, "open SELinux policy store");
    return 0;
}

static int store_has(struct store *s, const char *name, bool *ret, brig_error *reterr)
{
    semanage_module_info_t *list = NULL;
    int n = 0;

    *ret = false;
    if (semanage_module_list(s->sh, &list, &n) < 0)
        return store_fail(s, reterr, "list SELinux policy modules");
    for (int i = 0; i < n; i++) {
        semanage_module_info_t *m = semanage_module_list_nth(list, i);
        const char *mn = semanage_module_get_name(m);
        if (mn && strcmp(mn, name) == 0)
            *ret = true;
        semanage_module_info_datum_destroy(m);
    }
    free(list);
    return 0;
}

int brig_semodule_exists(const char *name, bool *ret, brig_error *reterr)
{
    struct store s = {0};
    int r = store_open(&s, reterr);
    if (r == 0)
        r = store_has(&s, name, ret, reterr);
    store_close(&s);
    return r;
}

/* One transaction: until semanage_commit succeeds nothing in the store has
 * changed, and a failed commit leaves the store as it was (libsemanage
 * builds the new policy in a sandbox and swaps it in only when it loads). */
int brig_semodule_install(const char *name, const char *cil, size_t len, brig_error *reterr)
{
    struct store s = {0};
    _cleanup_free_ char *copy = brig_xstrndup(cil, len);
    bool exists;
    int r = -1;

    if (store_open(&s, reterr) < 0)
        goto out;
    if (store_has(&s, name, &exists, reterr) < 0)
        goto out;
    if (exists) {
        brig_error_set(reterr, 0,
                       "install policy module `%s`: a module of that name is already installed "
                       "(remove it with `semodule -r %s` or choose another name)",
                       name, name);
        goto out;
    }
    if (semanage_begin_transaction(s.sh) < 0) {
        _cleanup_free_ char *what =
            brig_xasprintf("install policy module `%s`: begin a store transaction", name);
        store_fail(&s, reterr, what);
        goto out;
    }
    if (semanage_module_install(s.sh, copy, len, name, "cil") < 0 || semanage_commit(s.sh) < 0) {
        _cleanup_free_ char *what = brig_xasprintf("install policy module `%s`", name);
        store_fail(&s, reterr, what);
        goto out;
    }
    r = 0;
out:
    store_close(&s);
    return r;
}

int brig_semodule_remove(const char *name, brig_error *reterr)
{
    struct store s = {0};
    _cleanup_free_ char *copy = brig_xstrdup(name);
    int r = -1;

    if (store_open(&s, reterr) < 0)
        goto out;
    if (semanage_begin_transaction(s.sh) < 0 || semanage_module_remove(s.sh, copy) < 0 ||
        semanage_commit(s.sh) < 0) {
        _cleanup_free_ char *what = brig_xasprintf("remove policy module `%s`", name);
        store_fail(&s, reterr, what);
        goto out;
    }
    r = 0;
out:
    store_close(&s);
    return r;
}

#else /* built without libsemanage: semodule(8) does the same work */

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Run semodule with args; its stdout (when ret_out) is captured. */
static int semodule_run(char *const *argv, char **ret_out, brig_error *reterr)
{
    posix_spawn_file_actions_t fa;
    _cleanup_close_ int rfd = -1;
    int pipefd[2], status;
    pid_t pid;
    size_t len = 0, cap = 0;
    char *out = NULL;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return brig_error_errno(reterr, "run `semodule`: pipe");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    int r = posix_spawnp(&pid, "semodule", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    rfd = pipefd[0];
    if (r != 0) {
        close(rfd);
        rfd = -1;
        return brig_error_set(reterr, r, "run `semodule`");
    }
    for (;;) {
        if (len + 4096 + 1 > cap)
            out = brig_xrealloc(out, cap = cap * 2 + 8192);
        ssize_t n = read(rfd, out + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    out[len] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (len > 0 && out[len - 1] == '\n')
            out[--len] = '\0';
        brig_error_set(reterr, 0, "`semodule %s` failed: %s", argv[1], len ? out : "no message");
        free(out);
        return -1;
    }
    if (ret_out)
        *ret_out = out;
    else
        free(out);
    return 0;
}

int brig_semodule_exists(const char *name, bool *ret, brig_error *reterr)
{
    char *argv[] = {"semodule", "-l", NULL};
    _cleanup_free_ char *out = NULL;

    *ret = false;
    if (semodule_run(argv, &out, reterr) < 0)
        return -1;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (strcmp(l, name) == 0)
            *ret = true;
    return 0;
}

int brig_semodule_install(const char *name, const char *cil, size_t len, brig_error *reterr)
{
    char dir[] = "/tmp/brig-module.XXXXXX";
    _cleanup_free_ char *path = NULL;
    bool exists;
    int r;

    if (brig_semodule_exists(name, &exists, reterr) < 0)
        return -1;
    if (exists)
        return brig_error_set(reterr, 0,
                              "install policy module `%s`: a module of that name is already "
                              "installed (remove it with `semodule -r %s` or choose another name)",
                              name, name);
    if (mkdtemp(dir) == NULL)
        return brig_error_errno(reterr, "install policy module `%s`: temporary directory", name);
    /* semodule names the module after the file */
    path = brig_xasprintf("%s/%s.cil", dir, name);
    r = brig_write_file_at(AT_FDCWD, path, cil, len, 0600, reterr);
    if (r == 0) {
        char *argv[] = {"semodule", "-i", path, NULL};
        r = semodule_run(argv, NULL, reterr);
    }
    unlink(path);
    rmdir(dir);
    return r;
}

int brig_semodule_remove(const char *name, brig_error *reterr)
{
    _cleanup_free_ char *copy = brig_xstrdup(name);
    char *argv[] = {"semodule", "-r", copy, NULL};
    return semodule_run(argv, NULL, reterr);
}

#endif
