/* seccomp profiles: docker's format (and OCI's) converted to linux.seccomp,
 * the output checked by the real consumers (the spec parser, libseccomp via
 * brig_seccomp_compile) and brig's default profile loaded in a child to
 * prove what it allows, refuses with EPERM and answers with ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <dirent.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "sandbox/seccomp.h"
#include "spec/seccomp_profile.h"
#include "spec/spec.h"

#define CAP(c) (UINT64_C(1) << (c))
/* DESIGN.md's default set. */
#define DEFAULT_CAPS                                                                               \
    (CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) | CAP(CAP_KILL) |  \
     CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SETFCAP) | CAP(CAP_SETGID) | CAP(CAP_SETPCAP) |           \
     CAP(CAP_SETUID) | CAP(CAP_SYS_CHROOT))
#define ALL_CAPS (~UINT64_C(0) >> (63 - CAP_LAST_CAP))

static bool native_x86_64(void)
{
    return seccomp_arch_native() == SCMP_ARCH_X86_64;
}

static json_object *convert_ok(const char *profile, uint64_t caps)
{
    _cleanup_free_ char *out = NULL;
    brig_error err = NULL;
    json_object *o;

    if (brig_seccomp_profile_to_oci(profile, strlen(profile), caps, &out, &err) < 0)
        fail_msg("convert: %s", err->msg);
    o = json_tokener_parse(out);
    assert_non_null(o);
    return o;
}

static char *convert_err(const char *profile)
{
    char *out = NULL, *msg;
    brig_error err = NULL;

    assert_int_equal(brig_seccomp_profile_to_oci(profile, strlen(profile), 0, &out, &err), -1);
    assert_null(out);
    assert_non_null(err);
    msg = brig_xstrdup(err->msg);
    brig_error_free(&err);
    return msg;
}

static void assert_err(const char *profile, const char *expected)
{
    _cleanup_free_ char *msg = convert_err(profile);
    assert_string_equal(msg, expected);
}

/* The converted object placed in a config.json and loaded by the spec
 * parser, as brig-runtime would. */
static struct brig_spec *spec_with(const char *profile, uint64_t caps)
{
    _cleanup_free_ char *base = brig_spec_default_json(false), *sc = NULL;
    brig_error err = NULL;
    json_object *cfg, *linux_ = NULL;
    struct brig_spec *spec;

    if (brig_seccomp_profile_to_oci(profile, strlen(profile), caps, &sc, &err) < 0)
        fail_msg("convert: %s", err->msg);
    cfg = json_tokener_parse(base);
    assert_non_null(cfg);
    assert_true(json_object_object_get_ex(cfg, "linux", &linux_));
    json_object_object_add(linux_, "seccomp", json_tokener_parse(sc));
    spec = brig_spec_load_data(json_object_to_json_string(cfg),
                               strlen(json_object_to_json_string(cfg)), &err);
    if (spec == NULL)
        fail_msg("spec: %s", err->msg);
    json_object_put(cfg);
    assert_non_null(spec->linux_.seccomp);
    return spec;
}

static struct brig_seccomp_filter *compile_default(uint64_t caps)
{
    struct brig_spec *spec = spec_with(brig_seccomp_default_profile(), caps);
    struct brig_seccomp_filter *f = NULL;
    brig_error err = NULL;

    if (brig_seccomp_compile(spec->linux_.seccomp, &f, &err) < 0)
        fail_msg("compile: %s", err->msg);
    brig_spec_free(spec);
    return f;
}

/* Every rule naming `name` in the converted output, as "ACTION/errno/nargs". */
static int count_rules(json_object *o, const char *name, const char *action)
{
    json_object *rules = NULL;
    int n = 0;

    assert_true(json_object_object_get_ex(o, "syscalls", &rules));
    for (size_t i = 0; i < json_object_array_length(rules); i++) {
        json_object *r = json_object_array_get_idx(rules, i), *names = NULL, *a = NULL;

        assert_true(json_object_object_get_ex(r, "names", &names));
        assert_true(json_object_object_get_ex(r, "action", &a));
        if (strcmp(json_object_get_string(a), action) != 0)
            continue;
        for (size_t j = 0; j < json_object_array_length(names); j++)
            if (strcmp(json_object_get_string(json_object_array_get_idx(names, j)), name) == 0)
                n++;
    }
    return n;
}

/* libseccomp takes two actions for one syscall without complaint and keeps
 * one of them, so the profile must never produce that: for every name, the
 * rules without arguments agree on one action, and no rule with arguments
 * sits beside an unconditional one with another action. */
static void assert_one_action_per_syscall(json_object *o)
{
    json_object *rules = NULL;

    assert_true(json_object_object_get_ex(o, "syscalls", &rules));
    for (size_t i = 0; i < json_object_array_length(rules); i++) {
        json_object *ri = json_object_array_get_idx(rules, i), *ni = NULL, *args = NULL;
        _cleanup_free_ char *ai = NULL;

        if (json_object_object_get_ex(ri, "args", &args))
            continue; /* only unconditional rules are compared against all */
        json_object_object_get_ex(ri, "names", &ni);
        ai = brig_xasprintf("%s/%d", json_object_get_string(json_object_object_get(ri, "action")),
                            json_object_get_int(json_object_object_get(ri, "errnoRet")));
        for (size_t j = 0; j < json_object_array_length(rules); j++) {
            json_object *rj = json_object_array_get_idx(rules, j), *nj = NULL;
            _cleanup_free_ char *aj = NULL;

            json_object_object_get_ex(rj, "names", &nj);
            aj = brig_xasprintf("%s/%d",
                                json_object_get_string(json_object_object_get(rj, "action")),
                                json_object_get_int(json_object_object_get(rj, "errnoRet")));
            if (strcmp(ai, aj) == 0)
                continue;
            for (size_t a = 0; a < json_object_array_length(ni); a++)
                for (size_t b = 0; b < json_object_array_length(nj); b++)
                    if (strcmp(json_object_get_string(json_object_array_get_idx(ni, a)),
                               json_object_get_string(json_object_array_get_idx(nj, b))) == 0)
                        fail_msg("`%s`: rules %zu (%s) and %zu (%s) disagree",
                                 json_object_get_string(json_object_array_get_idx(ni, a)), i, ai, j,
                                 aj);
        }
    }
}

/* ---- the default profile ------------------------------------------------- */

static void test_default_loads_for_every_cap_set(void **state)
{
    const uint64_t sets[] = {0, DEFAULT_CAPS, DEFAULT_CAPS | CAP(CAP_SYS_ADMIN),
                             DEFAULT_CAPS | CAP(CAP_SYS_PTRACE) | CAP(CAP_SYS_TIME), ALL_CAPS};

    /* Every capability alone too: each gated group must leave exactly one
     * action per syscall (libseccomp would otherwise pick one silently). */
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(sets); i++) {
        json_object *o = convert_ok(brig_seccomp_default_profile(), sets[i]);
        assert_one_action_per_syscall(o);
        json_object_put(o);
        brig_seccomp_free(compile_default(sets[i]));
    }
    for (int c = 0; c <= CAP_LAST_CAP; c++) {
        json_object *o = convert_ok(brig_seccomp_default_profile(), CAP(c));
        assert_one_action_per_syscall(o);
        json_object_put(o);
        brig_seccomp_free(compile_default(CAP(c)));
    }
}

static void test_default_header(void **state)
{
    json_object *o = convert_ok(brig_seccomp_default_profile(), DEFAULT_CAPS), *v = NULL;

    assert_true(json_object_object_get_ex(o, "defaultAction", &v));
    assert_string_equal(json_object_get_string(v), "SCMP_ACT_ERRNO");
    assert_true(json_object_object_get_ex(o, "defaultErrnoRet", &v));
    assert_int_equal(json_object_get_int(v), ENOSYS);
    assert_true(json_object_object_get_ex(o, "architectures", &v));
    if (native_x86_64()) {
        /* x86_64 filters the i386 ABI as well (not x32: docs/seccomp.md). */
        assert_int_equal(json_object_array_length(v), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)),
                            "SCMP_ARCH_X86_64");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)),
                            "SCMP_ARCH_X86");
    }
    json_object_put(o);
}

static void test_default_gates_follow_caps(void **state)
{
    json_object *plain = convert_ok(brig_seccomp_default_profile(), DEFAULT_CAPS);
    json_object *admin =
        convert_ok(brig_seccomp_default_profile(), DEFAULT_CAPS | CAP(CAP_SYS_ADMIN));
    json_object *perfmon = convert_ok(brig_seccomp_default_profile(), CAP(CAP_PERFMON));

    assert_int_equal(count_rules(plain, "mount", "SCMP_ACT_ERRNO"), 1);
    assert_int_equal(count_rules(plain, "mount", "SCMP_ACT_ALLOW"), 0);
    assert_int_equal(count_rules(admin, "mount", "SCMP_ACT_ERRNO"), 0);
    assert_int_equal(count_rules(admin, "mount", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(plain, "ptrace", "SCMP_ACT_ERRNO"), 1);
    assert_int_equal(count_rules(plain, "clock_settime", "SCMP_ACT_ERRNO"), 1);
    /* clone: argument rules without CAP_SYS_ADMIN, one plain ALLOW with it. */
    assert_int_equal(count_rules(plain, "clone", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(plain, "clone", "SCMP_ACT_ERRNO"), 7);
    assert_int_equal(count_rules(admin, "clone", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(admin, "clone", "SCMP_ACT_ERRNO"), 0);
    assert_int_equal(count_rules(plain, "clone3", "SCMP_ACT_ERRNO"), 1);
    assert_int_equal(count_rules(admin, "clone3", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(perfmon, "perf_event_open", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(perfmon, "perf_event_open", "SCMP_ACT_ERRNO"), 0);
    /* Not listed at all: the default (ENOSYS) answers. */
    assert_int_equal(count_rules(admin, "io_uring_setup", "SCMP_ACT_ALLOW"), 0);
    assert_int_equal(count_rules(admin, "io_uring_setup", "SCMP_ACT_ERRNO"), 0);
    json_object_put(plain);
    json_object_put(admin);
    json_object_put(perfmon);
}

/* Run in the filtered child: 0 when every expectation holds, else the
 * number of the first that failed. */
static int expect(long r, int err, long want_r, int want_err)
{
    if (want_r == 0)
        return r >= 0 ? 0 : 1;
    return (r == -1 && err == want_err) ? 0 : 1;
}

#define CHECK(n, call, want_r, want_err)                                                           \
    do {                                                                                           \
        long r_;                                                                                   \
        errno = 0;                                                                                 \
        r_ = (call);                                                                               \
        if (expect(r_, errno, want_r, want_err) != 0)                                              \
            return n;                                                                              \
    } while (0)

static int check_default_behaviour(void)
{
    char buf[64];
    pid_t pid;
    int st;

    /* Ordinary work. */
    CHECK(1, getpid(), 0, 0);
    CHECK(2, getcwd(buf, sizeof(buf)) != NULL ? 0 : -1, 0, 0);
    CHECK(3, syscall(SYS_personality, 0xffffffffUL), 0, 0);
    pid = fork(); /* glibc: clone (or clone3 first, ENOSYS, then clone) */
    if (pid == 0)
        syscall(SYS_exit_group, 0);
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return 4;
    /* Namespaces and mounts without CAP_SYS_ADMIN: EPERM. */
    CHECK(5, unshare(CLONE_NEWNS), -1, EPERM);
    CHECK(6, syscall(SYS_clone, (unsigned long)(CLONE_NEWUTS | SIGCHLD), 0, 0, 0, 0), -1, EPERM);
    CHECK(7, mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), -1, EPERM);
    CHECK(8, syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0), -1, EPERM);
    CHECK(9, syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0), -1, EPERM);
    CHECK(10, syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE), -1, EPERM);
    CHECK(11, syscall(SYS_bpf, 0, NULL, 0), -1, EPERM);
    /* clone3: ENOSYS so glibc falls back to clone. */
    CHECK(12, syscall(SYS_clone3, NULL, 0), -1, ENOSYS);
    /* A syscall the profile does not list: ENOSYS (the kernel itself would
     * say EINVAL or EFAULT for these arguments). */
    CHECK(13, syscall(SYS_io_uring_setup, 0, NULL), -1, ENOSYS);
    return 0;
}

#if defined(__x86_64__)
/* The i386 ABI through int 0x80 (the filter covers SCMP_ARCH_X86 too). */
static long int80(long nr, long a1)
{
    long r;

    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a1) : "memory");
    return r;
}

static int check_i386_behaviour(void)
{
    if (int80(20 /* i386 getpid */, 0) != getpid())
        return 1;
    if (int80(310 /* i386 unshare */, CLONE_NEWUTS) != -EPERM)
        return 2;
    if (int80(425 /* i386 io_uring_setup */, 0) != -ENOSYS)
        return 3;
    return 0;
}

/* Whether the kernel serves the i386 ABI at all.  Asked in a child: where
 * IA32 emulation is compiled out or disabled (ia32_emulation=0), int 0x80
 * is a general protection fault and the asking process dies of SIGSEGV,
 * which must not be the test program. */
static bool kernel_has_i386_abi(void)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        /* cmocka's own SIGSEGV handler would report a failed test from here. */
        signal(SIGSEGV, SIG_DFL);
        _exit(int80(20 /* i386 getpid */, 0) == getpid() ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

static int check_admin_behaviour(void)
{
    /* With CAP_SYS_ADMIN kept, the same calls reach the kernel. */
    CHECK(1, unshare(CLONE_NEWUTS), 0, 0);
    CHECK(2, syscall(SYS_clone3, NULL, 0), -1, EINVAL); /* size 0: the kernel's answer */
    return 0;
}

static int run_filtered(const struct brig_seccomp_filter *f, int (*check)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        brig_error err = NULL;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(101);
        if (brig_seccomp_load(f, &err) < 0)
            _exit(100);
        syscall(SYS_exit_group, check());
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_default_behaviour(void **state)
{
    struct brig_seccomp_filter *f;

    if (geteuid() != 0)
        skip(); /* unshare/mount only show the filter's EPERM as root */
    f = compile_default(DEFAULT_CAPS);
    assert_int_equal(run_filtered(f, check_default_behaviour), 0);
    brig_seccomp_free(f);
    f = compile_default(DEFAULT_CAPS | CAP(CAP_SYS_ADMIN));
    assert_int_equal(run_filtered(f, check_admin_behaviour), 0);
    brig_seccomp_free(f);
}

/* The filter covers the i386 ABI too: a 64-bit process that switches to
 * int 0x80 must meet the same rules.  Provable only where the kernel has
 * that ABI; elsewhere the test is a counted skip that says why. */
static void test_default_behaviour_i386(void **state)
{
#if defined(__x86_64__)
    struct brig_seccomp_filter *f;

    if (geteuid() != 0)
        skip();
    if (!kernel_has_i386_abi()) {
        print_message("# SKIP: this kernel has no i386 ABI (no IA32 emulation): int 0x80 faults\n");
        skip();
    }
    f = compile_default(DEFAULT_CAPS);
    assert_int_equal(run_filtered(f, check_i386_behaviour), 0);
    brig_seccomp_free(f);
#else
    skip();
#endif
}

/* ---- conversion rules ---------------------------------------------------- */

static void test_includes_excludes(void **state)
{
    static const char p[] =
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
        "{\"names\": [\"a1\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
        "[\"CAP_SYS_ADMIN\", \"CAP_NET_ADMIN\"]}},"
        "{\"names\": [\"a2\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": "
        "[\"CAP_SYS_TIME\", \"CAP_NET_ADMIN\"]}},"
        "{\"names\": [\"a3\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": "
        "\"1.0\"}},"
        "{\"names\": [\"a4\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": "
        "\"999.0\"}},"
        "{\"names\": [\"a5\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"minKernel\": "
        "\"2.6\"}},"
        "{\"names\": [\"a6\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": "
        "[\"SCMP_ARCH_PPC64LE\"]}},"
        "{\"name\": \"a7\", \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"old docker\"}"
        "]}";
    json_object *none = convert_ok(p, 0);
    json_object *both = convert_ok(p, CAP(CAP_SYS_ADMIN) | CAP(CAP_NET_ADMIN));
    json_object *admin = convert_ok(p, CAP(CAP_SYS_ADMIN));

    assert_int_equal(count_rules(none, "a1", "SCMP_ACT_ALLOW"), 0);
    assert_int_equal(count_rules(admin, "a1", "SCMP_ACT_ALLOW"), 0); /* every cap is needed */
    assert_int_equal(count_rules(both, "a1", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(none, "a2", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(admin, "a2", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(both, "a2", "SCMP_ACT_ALLOW"), 0); /* any cap excludes */
    assert_int_equal(count_rules(none, "a3", "SCMP_ACT_ALLOW"), 1);
    assert_int_equal(count_rules(none, "a4", "SCMP_ACT_ALLOW"), 0);
    assert_int_equal(count_rules(none, "a5", "SCMP_ACT_ALLOW"), 0);
    if (seccomp_arch_native() != SCMP_ARCH_PPC64LE)
        assert_int_equal(count_rules(none, "a6", "SCMP_ACT_ALLOW"), 0);
    assert_int_equal(count_rules(none, "a7", "SCMP_ACT_ALLOW"), 1);
    json_object_put(none);
    json_object_put(both);
    json_object_put(admin);
}

static void test_oci_object_passes_through(void **state)
{
    static const char p[] =
        "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"architectures\": [\"SCMP_ARCH_X86\"],"
        " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"syscalls\": [{\"names\": [\"read\"], "
        "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5, \"args\": [{\"index\": 1, \"value\": "
        "18446744073709551615, \"op\": \"SCMP_CMP_NE\"}]}]}";
    json_object *o = convert_ok(p, 0);

    assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                        "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"architectures\":["
                        "\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":"
                        "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5,"
                        "\"args\":[{\"index\":1,\"value\":18446744073709551615,\"valueTwo\":0,"
                        "\"op\":\"SCMP_CMP_NE\"}]}]}");
    json_object_put(o);
    brig_spec_free(spec_with(p, 0)); /* and the spec parser takes it */
}

static void test_unknown_syscall_names_load(void **state)
{
    static const char p[] =
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"syscalls\": ["
        "{\"names\": [\"getpid\", \"syscall_from_the_future\"], \"action\": "
        "\"SCMP_ACT_ALLOW\"}]}";
    struct brig_spec *spec = spec_with(p, 0);
    struct brig_seccomp_filter *f = NULL;
    brig_error err = NULL;

    /* As runc: a name this libseccomp does not know is skipped. */
    assert_int_equal(brig_seccomp_compile(spec->linux_.seccomp, &f, &err), 0);
    brig_seccomp_free(f);
    brig_spec_free(spec);
}

/* The cache gives what the conversion gives, per caps, and a file whose
 * key does not match (another profile that hashed alike, or damage) is
 * never used. */
static void test_cached_conversion(void **state)
{
    char dir[] = "/tmp/brig-oci-cache-XXXXXX";
    const char *text = brig_seccomp_default_profile();
    uint64_t caps[] = {0, 1ULL << CAP_SYS_ADMIN};
    brig_error err = NULL;
    int dirfd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dirfd >= 0);
    for (size_t i = 0; i < 2; i++) {
        char *want = NULL, *miss = NULL, *hit = NULL;
        assert_int_equal(brig_seccomp_profile_to_oci(text, strlen(text), caps[i], &want, &err), 0);
        assert_int_equal(
            brig_seccomp_profile_to_oci_cached(dirfd, text, strlen(text), caps[i], &miss, &err), 0);
        assert_int_equal(
            brig_seccomp_profile_to_oci_cached(dirfd, text, strlen(text), caps[i], &hit, &err), 0);
        assert_string_equal(miss, want);
        assert_string_equal(hit, want);
        free(want);
        free(miss);
        free(hit);
    }
    /* One file per caps set; damage every key: a miss, recomputed. */
    {
        DIR *d = opendir(dir);
        struct dirent *de;
        char *p, *want = NULL, *got = NULL;
        int n = 0;
        assert_non_null(d);
        closedir(d);
        p = brig_xasprintf("%s/@seccomp", dir);
        d = opendir(p);
        assert_non_null(d);
        while ((de = readdir(d)) != NULL) {
            if (strncmp(de->d_name, "oci-", 4) != 0)
                continue;
            char *f = brig_xasprintf("%s/%s", p, de->d_name);
            FILE *fp = fopen(f, "r+");
            assert_non_null(fp);
            fseek(fp, 30, SEEK_SET); /* inside the key */
            fputc('#', fp);
            fclose(fp);
            free(f);
            n++;
        }
        closedir(d);
        free(p);
        assert_int_equal(n, 2);
        assert_int_equal(brig_seccomp_profile_to_oci(text, strlen(text), 0, &want, &err), 0);
        assert_int_equal(
            brig_seccomp_profile_to_oci_cached(dirfd, text, strlen(text), 0, &got, &err), 0);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    close(dirfd);
    {
        char *cmd = brig_xasprintf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
}

static void test_errors(void **state)
{
    assert_err("{", "seccomp profile: invalid JSON at byte 1: unexpected end of input");
    assert_err("[]", "seccomp profile: must be a JSON object");
    assert_err("{}", "seccomp profile: defaultAction: is required");
    assert_err("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
               "seccomp profile: defaultAction: unknown action `SCMP_ACT_FOO`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
               "seccomp profile: defaultErrnoRet: not supported by action `SCMP_ACT_ALLOW`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"listenerPath\": \"/x\"}",
               "seccomp profile: listenerPath: seccomp notify is not supported");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\"],"
               " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
               "seccomp profile: archMap: cannot be used with `architectures`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
               "seccomp profile: architectures[0]: unknown architecture `SCMP_ARCH_VAX`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
               " \"action\": \"SCMP_ACT_NOTIFY\"}]}",
               "seccomp profile: syscalls[0].action: SCMP_ACT_NOTIFY is not supported (no "
               "seccomp agent)");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
               " \"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"x\"], \"action\": "
               "\"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
               "seccomp profile: syscalls[1].errnoRet: not supported by action `SCMP_ACT_ALLOW`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [],"
               " \"action\": \"SCMP_ACT_ALLOW\"}]}",
               "seccomp profile: syscalls[0].names: must be a non-empty array of syscall names");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"name\": \"a\", "
               "\"names\": [\"b\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
               "seccomp profile: syscalls[0]: has both `name` and `names`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"a\"], "
               "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, "
               "\"op\": \"SCMP_CMP_EQ\"}]}]}",
               "seccomp profile: syscalls[0].args[0].index: 6 is out of range (0..5)");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"a\"], "
               "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, "
               "\"op\": \"SCMP_CMP_ABOUT\"}]}]}",
               "seccomp profile: syscalls[0].args[0].op: unknown operator `SCMP_CMP_ABOUT`");
    /* A rule dropped for this container is still checked. */
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"a\"], "
               "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMNI\"]}}]}",
               "seccomp profile: syscalls[0].includes.caps[0]: unknown capability "
               "`CAP_SYS_ADMNI`");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"a\"], "
               "\"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"minKernel\": \"four\"}}]}",
               "seccomp profile: syscalls[0].excludes.minKernel: `four` is not a kernel version "
               "(like \"4.8\")");
    assert_err("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [7]}",
               "seccomp profile: syscalls[0]: must be an object");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_loads_for_every_cap_set),
        cmocka_unit_test(test_default_header),
        cmocka_unit_test(test_default_gates_follow_caps),
        cmocka_unit_test(test_default_behaviour),
        cmocka_unit_test(test_default_behaviour_i386),
        cmocka_unit_test(test_includes_excludes),
        cmocka_unit_test(test_oci_object_passes_through),
        cmocka_unit_test(test_unknown_syscall_names_load),
        cmocka_unit_test(test_cached_conversion),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
