/* seccomp: compile the spec's profile with libseccomp into a plain BPF
 * program, then load that program with one seccomp(2) call.
 *
 * Compiling happens in the runtime, before any container process exists:
 * a bad profile fails early, and the container process never runs
 * libseccomp (no allocation, no library state between clone and execve).
 * libseccomp 2.5 has no seccomp_export_bpf_mem(), so the program goes
 * through a memfd and is read back. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/cache.h"
#include "core/util.h"

struct brig_seccomp_filter {
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    unsigned short len; /* number of instructions; the kernel caps it at BPF_MAXINSNS */
    struct sock_filter insns[];
};

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx != NULL)
        seccomp_release(*ctx);
}
#define _cleanup_scmp_ctx_ __attribute__((cleanup(seccomp_ctx_releasep)))

/* The flags seccomp(2) accepts that make sense for a container.  NEW_LISTENER
 * needs the notify machinery (listenerPath), which brig does not have yet;
 * TSYNC_ESRCH and WAIT_KILLABLE_RECV only matter with a listener too. */
static const struct {
    const char *name;
    unsigned int flag;
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

static int flags_from_names(char *const *names, unsigned int *ret, brig_error *reterr)
{
    unsigned int flags = 0;

    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        size_t j;

        for (j = 0; j < BRIG_ARRAY_SIZE(filter_flags); j++)
            if (strcmp(names[i], filter_flags[j].name) == 0)
                break;
        if (j == BRIG_ARRAY_SIZE(filter_flags))
            return brig_error_set(reterr, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                                  names[i]);
        flags |= filter_flags[j].flag;
    }
    *ret = flags;
    return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64"; 0 when unknown. */
static uint32_t arch_from_name(const char *name)
{
    static const char prefix[] = "SCMP_ARCH_";
    char lower[32];
    size_t n;

    if (!brig_str_has_prefix(name, prefix))
        return 0;
    name += sizeof(prefix) - 1;
    n = strlen(name);
    if (n == 0 || n >= sizeof(lower))
        return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    return seccomp_arch_resolve_name(lower);
}

static int add_architectures(scmp_filter_ctx ctx, char *const *arches, brig_error *reterr)
{
    /* The native architecture stays in the filter even when the list does
     * not name it, as runc does: dropping it would send every native syscall
     * to the bad-architecture action (kill), which no profile means. */
    for (size_t i = 0; arches != NULL && arches[i] != NULL; i++) {
        uint32_t arch = arch_from_name(arches[i]);
        int r;

        if (arch == 0)
            return brig_error_set(reterr, 0,
                                  "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i,
                                  arches[i]);
        r = seccomp_arch_add(ctx, arch);
        if (r < 0 && r != -EEXIST)
            return brig_error_set(reterr, -r, "linux.seccomp.architectures[%zu]: add `%s`", i,
                                  arches[i]);
    }
    return 0;
}

static int conditions_from_args(const struct brig_seccomp_rule *rule, size_t rule_idx,
                                struct scmp_arg_cmp *conds, bool *ret_same_index,
                                brig_error *reterr)
{
    unsigned seen = 0;

    *ret_same_index = false;
    for (size_t j = 0; j < rule->n_args; j++) {
        const struct brig_seccomp_arg *a = &rule->args[j];

        if (a->index >= 6)
            return brig_error_set(reterr, 0,
                                  "linux.seccomp.syscalls[%zu].args[%zu].index: %u is not a "
                                  "syscall argument (0-5)",
                                  rule_idx, j, a->index);
        if (a->op < BRIG_SCMP_CMP_NE || a->op > BRIG_SCMP_CMP_MASKED_EQ)
            return brig_error_set(reterr, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown",
                                  rule_idx, j);
        if (seen & (1u << a->index))
            *ret_same_index = true;
        seen |= 1u << a->index;
        /* Same numbering by construction (see spec.h); MASKED_EQ takes the
         * mask first and the expected value second, as the spec's value and
         * valueTwo. */
        conds[j] = (struct scmp_arg_cmp){
            .arg = a->index,
            .op = (enum scmp_compare)a->op,
            .datum_a = a->value,
            .datum_b = a->value_two,
        };
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct brig_seccomp_rule *rule, size_t rule_idx,
                    uint32_t default_action, brig_error *reterr)
{
    struct scmp_arg_cmp conds[64];
    bool same_index;

    /* libseccomp refuses a rule whose action is the filter's default; such a
     * rule changes nothing, so it is dropped (runc and crun do the same). */
    if (rule->action == default_action)
        return 0;
    if (rule->action == SCMP_ACT_NOTIFY)
        return brig_error_set(reterr, 0,
                              "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY is not "
                              "supported (no seccomp listener)",
                              rule_idx);
    if (rule->n_args > BRIG_ARRAY_SIZE(conds))
        return brig_error_set(reterr, 0, "linux.seccomp.syscalls[%zu].args: too many (%zu)",
                              rule_idx, rule->n_args);
    if (conditions_from_args(rule, rule_idx, conds, &same_index, reterr) < 0)
        return -1;

    for (size_t k = 0; rule->names != NULL && rule->names[k] != NULL; k++) {
        const char *name = rule->names[k];
        int nr = seccomp_syscall_resolve_name(name);
        int r = 0;

        /* Unknown to this libseccomp: the profile was written for a newer
         * kernel.  Skipping keeps such profiles loadable. */
        if (nr == __NR_SCMP_ERROR)
            continue;
        if (rule->n_args == 0) {
            r = seccomp_rule_add_array(ctx, rule->action, nr, 0, NULL);
        } else if (!same_index) {
            r = seccomp_rule_add_array(ctx, rule->action, nr, (unsigned)rule->n_args, conds);
        } else {
            /* libseccomp ANDs conditions, and two conditions on one argument
             * cannot both be expressed in one rule: each becomes its own rule
             * (so they OR), which is what profiles written for runc expect. */
            for (size_t j = 0; j < rule->n_args && r >= 0; j++)
                r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &conds[j]);
        }
        if (r < 0)
            return brig_error_set(reterr, -r, "linux.seccomp.syscalls[%zu]: add rule for `%s`",
                                  rule_idx, name);
    }
    return 0;
}

static int export_bpf(scmp_filter_ctx ctx, unsigned int flags, struct brig_seccomp_filter **ret,
                      brig_error *reterr)
{
    _cleanup_close_ int fd = -1;
    struct brig_seccomp_filter *f;
    struct stat st;
    size_t n;
    int r;

    fd = memfd_create("brig-seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return brig_error_errno(reterr, "export seccomp filter: memfd_create");
    r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return brig_error_set(reterr, -r, "export seccomp filter");
    if (fstat(fd, &st) < 0)
        return brig_error_errno(reterr, "export seccomp filter: fstat");
    if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
        return brig_error_set(reterr, 0, "export seccomp filter: bad program size %lld",
                              (long long)st.st_size);
    n = (size_t)st.st_size / sizeof(struct sock_filter);
    if (n > BPF_MAXINSNS)
        return brig_error_set(reterr, 0,
                              "compile seccomp filter: %zu instructions, the kernel takes at "
                              "most %d",
                              n, BPF_MAXINSNS);
    f = brig_xmalloc0(sizeof(*f) + (size_t)st.st_size);
    if (pread(fd, f->insns, (size_t)st.st_size, 0) != st.st_size) {
        free(f);
        return brig_error_errno(reterr, "export seccomp filter: read back");
    }
    f->flags = flags;
    f->len = (unsigned short)n;
    *ret = f;
    return 0;
}

int brig_seccomp_compile(const struct brig_spec_seccomp *sc, struct brig_seccomp_filter **ret,
                         brig_error *reterr)
{
    _cleanup_scmp_ctx_ scmp_filter_ctx ctx = NULL;
    unsigned int flags = 0;

    if (sc->listener_path != NULL)
        return brig_error_set(reterr, 0,
                              "linux.seccomp.listenerPath: seccomp notify is not supported");
    if (flags_from_names(sc->flags, &flags, reterr) < 0)
        return -1;

    ctx = seccomp_init(sc->default_action);
    if (ctx == NULL)
        return brig_error_set(reterr, 0,
                              "linux.seccomp.defaultAction: action 0x%x is not supported by "
                              "libseccomp or the kernel",
                              sc->default_action);
    if (add_architectures(ctx, sc->architectures, reterr) < 0)
        return -1;
    for (size_t i = 0; i < sc->n_rules; i++)
        if (add_rule(ctx, &sc->rules[i], i, sc->default_action, reterr) < 0)
            return -1;
    return export_bpf(ctx, flags, ret, reterr);
}

int brig_seccomp_load(const struct brig_seccomp_filter *f, brig_error *reterr)
{
    struct sock_fprog prog = {
        .len = f->len,
        .filter = (struct sock_filter *)f->insns,
    };
    long r;

    /* Raw syscall: glibc has no wrapper, and the flags (TSYNC, LOG,
     * SPEC_ALLOW) only exist here. */
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
    if (r < 0) {
        if (errno == EACCES)
            return brig_error_errno(reterr, "load seccomp filter (needs no_new_privs or "
                                            "CAP_SYS_ADMIN)");
        return brig_error_errno(reterr, "load seccomp filter");
    }
    if (r > 0) /* TSYNC: the id of a thread that could not be synchronized */
        return brig_error_set(reterr, 0,
                              "load seccomp filter: thread %ld could not be synchronized", r);
    return 0;
}

size_t brig_seccomp_instructions(const struct brig_seccomp_filter *f)
{
    return f != NULL ? f->len : 0;
}

void brig_seccomp_free(struct brig_seccomp_filter *f)
{
    free(f);
}

/* ---- the compiled-filter cache ----
 *
 * libseccomp needs tens of milliseconds to compile a 300-syscall allowlist
 * (brig's default profile: ~50 ms here), more than everything else on the
 * start path together.  The same profile compiles to the same program, so
 * the runtime keeps each program under ROOT/@seccomp/, keyed by a canonical
 * text of the profile.  The file holds that whole text and a hit requires
 * it to match byte for byte: a hash collision can cost a compile, never a
 * wrong filter.  ROOT is root's 0700 directory, as the state is. */

#define CACHE_DIR "@seccomp"

static void key_add(char **key, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void key_add(char **key, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(*key + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < *cap - *len)
            break;
        *cap = *cap * 2 + (size_t)n + 64;
        *key = brig_xrealloc(*key, *cap);
    }
    *len += (size_t)n;
}

static char *cache_key(const struct brig_spec_seccomp *sc, size_t *ret_len)
{
    const struct scmp_version *v = seccomp_version();
    size_t len = 0, cap = 4096;
    char *key = brig_xmalloc0(cap);

    key_add(&key, &len, &cap, "libseccomp %u.%u.%u native %u api %u\ndefault %u\n", v->major,
            v->minor, v->micro, seccomp_arch_native(), seccomp_api_get(), sc->default_action);
    for (char *const *a = sc->architectures; a && *a; a++)
        key_add(&key, &len, &cap, "arch %s\n", *a);
    for (char *const *f = sc->flags; f && *f; f++)
        key_add(&key, &len, &cap, "flag %s\n", *f);
    for (size_t i = 0; i < sc->n_rules; i++) {
        const struct brig_seccomp_rule *r = &sc->rules[i];
        key_add(&key, &len, &cap, "rule %u", r->action);
        for (char *const *n = r->names; n && *n; n++)
            key_add(&key, &len, &cap, " %s", *n);
        for (size_t k = 0; k < r->n_args; k++)
            key_add(&key, &len, &cap, " [%u %d %llu %llu]", r->args[k].index, (int)r->args[k].op,
                    (unsigned long long)r->args[k].value, (unsigned long long)r->args[k].value_two);
        key_add(&key, &len, &cap, "\n");
    }
    *ret_len = len;
    return key;
}

/* The cached data: flags and instruction count (uint32 each), then the
 * instructions. */
static struct brig_seccomp_filter *cache_read(int rootfd, const char *key, size_t klen)
{
    _cleanup_free_ char *buf = NULL;
    struct brig_seccomp_filter *f;
    uint32_t hdr[2];
    size_t len;

    if (brig_cache_get(rootfd, CACHE_DIR, "bpf", key, klen, &buf, &len) < 0 || len < sizeof(hdr))
        return NULL;
    memcpy(hdr, buf, sizeof(hdr));
    if (hdr[1] == 0 || hdr[1] > BPF_MAXINSNS ||
        len != sizeof(hdr) + (size_t)hdr[1] * sizeof(struct sock_filter))
        return NULL;
    f = brig_xmalloc0(sizeof(*f) + (size_t)hdr[1] * sizeof(struct sock_filter));
    f->flags = hdr[0];
    f->len = (unsigned short)hdr[1];
    memcpy(f->insns, buf + sizeof(hdr), (size_t)hdr[1] * sizeof(struct sock_filter));
    return f;
}

static void cache_write(int rootfd, const char *key, size_t klen,
                        const struct brig_seccomp_filter *f)
{
    uint32_t hdr[2] = {f->flags, f->len};
    size_t ilen = (size_t)f->len * sizeof(struct sock_filter);
    _cleanup_free_ char *buf = brig_xmalloc0(sizeof(hdr) + ilen);

    memcpy(buf, hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), f->insns, ilen);
    brig_cache_put(rootfd, CACHE_DIR, "bpf", key, klen, buf, sizeof(hdr) + ilen);
}

int brig_seccomp_compile_cached(int rootfd, const struct brig_spec_seccomp *sc,
                                struct brig_seccomp_filter **ret, brig_error *reterr)
{
    size_t klen;
    _cleanup_free_ char *key = cache_key(sc, &klen);

    if (sc->listener_path == NULL && (*ret = cache_read(rootfd, key, klen)))
        return 0;
    if (brig_seccomp_compile(sc, ret, reterr) < 0)
        return -1;
    cache_write(rootfd, key, klen, *ret);
    return 0;
}
