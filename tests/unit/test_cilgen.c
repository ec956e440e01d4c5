/* cilgen: the text of generated container-type modules (no SELinux needed):
 * identifiers, capability classes, rules per mount mode, de-duplication of
 * denial rules against mount rules, refusals of sensitive types and
 * classes, comments that nothing a container controls can break out of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "selinux/cilgen.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_identifiers(void **state)
{
    (void)state;
    assert_true(brig_cil_identifier_ok("brig_logger_t"));
    assert_true(brig_cil_identifier_ok("a"));
    assert_false(brig_cil_identifier_ok(""));
    assert_false(brig_cil_identifier_ok(NULL));
    assert_false(brig_cil_identifier_ok("_x"));
    assert_false(brig_cil_identifier_ok("9x"));
    assert_false(brig_cil_identifier_ok("a b"));
    assert_false(brig_cil_identifier_ok("a)(allow"));
    char long_id[120];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_false(brig_cil_identifier_ok(long_id));

    char *m = brig_cil_module_name("Web.1-a");
    assert_string_equal(m, "brig_web_1_a");
    assert_true(brig_cil_identifier_ok(m));
    free(m);
}

static void test_caps(void **state)
{
    bool two = true;
    (void)state;
    assert_string_equal(brig_cil_cap_perm("CAP_SYS_ADMIN", &two), "sys_admin");
    assert_false(two);
    assert_string_equal(brig_cil_cap_perm("net_raw", &two), "net_raw");
    assert_false(two);
    assert_string_equal(brig_cil_cap_perm("CAP_SYSLOG", &two), "syslog");
    assert_true(two);
    assert_string_equal(brig_cil_cap_perm("cap_bpf", &two), "bpf");
    assert_true(two);
    assert_null(brig_cil_cap_perm("CAP_BOGUS", &two));
    assert_null(brig_cil_cap_perm("", &two));
}

static void test_sensitive(void **state)
{
    (void)state;
    assert_true(brig_cil_type_sensitive("shadow_t"));
    assert_true(brig_cil_type_sensitive("security_t"));
    assert_true(brig_cil_type_sensitive("semanage_store_t"));
    assert_false(brig_cil_type_sensitive("var_log_t"));
    assert_false(brig_cil_type_sensitive("etc_t"));
}

/* The logger of seed 002: /var/log read-write, plus what check mode saw. */
static void test_logger_module(void **state)
{
    (void)state;
    char *others[] = {"wtmp_t", "lastlog_t", NULL};
    struct brig_cil_mount mounts[] = {
        {.source = "/var/log",
         .dest = "/var/log",
         .type = "var_log_t",
         .rw = true,
         .other_types = others},
        {.source = "/srv/conf", .dest = "/conf", .type = "etc_t", .rw = false},
        {.source = "/etc/shadow", .dest = "/shadow", .type = "shadow_t", .rw = false},
    };
    char *caps[] = {"CAP_NET_RAW", "CAP_SYSLOG", NULL};
    struct brig_cil_device devs[] = {{.path = "/dev/fuse", .type = "fuse_device_t"}};
    char *p_rw[] = {"read", "write", NULL};       /* covered by the mount */
    char *p_create[] = {"create", "write", NULL}; /* new */
    char *p_admin[] = {"sys_admin", NULL};        /* on self */
    char *p_sig[] = {"signal", NULL};             /* another domain: refused */
    char *p_read[] = {"read", NULL};
    char *p_bad[] = {"read", NULL};
    struct brig_cil_denial dens[] = {
        {.ttype = "var_log_t",
         .tclass = "file",
         .perms = p_rw,
         .why = "var_log_t file: comm=\"sh\""},
        {.ttype = "tmp_t",
         .tclass = "sock_file",
         .perms = p_create,
         .why = "comm=\"evil\n(allow x y (file (read)))\""},
        {.ttype = "self", .tclass = "capability", .perms = p_admin},
        {.ttype = "unconfined_t", .tclass = "process", .perms = p_sig},
        {.ttype = "shadow_t", .tclass = "file", .perms = p_read},
        {.ttype = "x)(allow", .tclass = "file", .perms = p_bad},
    };
    char *notes[] = {"MCS, not allowed: file s0:c3,c4", NULL};
    struct brig_cil_module m = {
        .module = "brig_logger",
        .type = "brig_logger_t",
        .container = "logger",
        .use = "brig run --security-opt label=type:brig_logger_t -v /var/log:/var/log logger",
        .mounts = mounts,
        .n_mounts = 3,
        .caps = caps,
        .devices = devs,
        .n_devices = 1,
        .denials = dens,
        .n_denials = 6,
        .notes = notes,
        .mls = true,
    };
    brig_error err = NULL;
    size_t rules = 0;
    char *t = brig_cil_module_text(&m, &rules, &err);

    assert_non_null(t);
    /* The type inherits the base: attributes, roles, MCS constraint. */
    assert_non_null(strstr(t, "(type brig_logger_t)\n"));
    assert_non_null(strstr(t, "(typeattributeset mcs_constrained_type (brig_logger_t))"));
    assert_non_null(strstr(t, "(typeattributeset brig_container_base (brig_logger_t))"));
    assert_non_null(strstr(t, "(typeattributeset brig_container_domain (brig_logger_t))"));
    assert_non_null(strstr(t, "(typeattributeset domain (brig_logger_t))"));
    assert_non_null(strstr(t, "(roletype system_r brig_logger_t)"));
    assert_null(strstr(t, "typepermissive"));
    /* rw mount: manage; ro mount: read only. */
    assert_non_null(strstr(t, "(allow brig_logger_t var_log_t (dir (create getattr setattr open "
                              "read write search add_name remove_name reparent rename rmdir lock "
                              "ioctl)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t var_log_t (file (create getattr setattr open "
                              "read write append rename link unlink lock ioctl map)))"));
    assert_non_null(
        strstr(t, "(allow brig_logger_t etc_t (file (getattr open read lock ioctl map)))"));
    assert_null(strstr(t, "etc_t (file (create"));
    /* files made on the rw mount stay at s0; nothing for the ro one */
    assert_non_null(strstr(t, "\n(rangetransition brig_logger_t var_log_t file ((s0) (s0)))\n"));
    assert_non_null(strstr(t, "\n(rangetransition brig_logger_t var_log_t dir ((s0) (s0)))\n"));
    assert_null(strstr(t, "rangetransition brig_logger_t etc_t"));
    assert_non_null(strstr(t, "; Also under /var/log, not granted (check mode shows whether they "
                              "are used): wtmp_t lastlog_t"));
    /* shadow_t is never granted, by mount or by denial. */
    assert_null(strstr(t, "brig_logger_t shadow_t"));
    assert_non_null(strstr(t, "NOT granted: shadow_t is security-sensitive"));
    /* capabilities in their classes, also in user namespaces */
    assert_non_null(strstr(t, "(allow brig_logger_t self (capability (net_raw)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t self (cap_userns (net_raw)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t self (capability2 (syslog)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t self (cap2_userns (syslog)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t fuse_device_t (chr_file (getattr open read "
                              "write append ioctl lock)))"));
    /* denials: the mount already grants read/write on var_log_t files */
    assert_non_null(strstr(t, "; (already granted above)"));
    assert_non_null(strstr(t, "(allow brig_logger_t tmp_t (sock_file (create write)))"));
    assert_non_null(strstr(t, "(allow brig_logger_t self (capability (sys_admin)))"));
    assert_null(strstr(t, "unconfined_t (process"));
    assert_null(strstr(t, "x)(allow"));
    assert_non_null(strstr(t, "NOT granted: malformed type"));
    /* a newline in a comm cannot start a rule */
    assert_null(strstr(t, "\n(allow x y"));
    assert_non_null(strstr(t, "; MCS, not allowed: file s0:c3,c4\n"));
    /* 3 var_log_t + 3 etc_t + 4 caps + 1 device + tmp_t + self sys_admin */
    assert_int_equal(rules, 13);
    assert_int_equal(count(t, "\n(allow "), 13); /* rule lines, not comments */
    /* balanced parentheses outside comments */
    int depth = 0;
    bool in_comment = false;
    for (const char *p = t; *p; p++) {
        if (*p == ';')
            in_comment = true;
        else if (*p == '\n')
            in_comment = false;
        else if (!in_comment && *p == '(')
            depth++;
        else if (!in_comment && *p == ')')
            depth--;
        assert_true(depth >= 0);
    }
    assert_int_equal(depth, 0);
    free(t);
}

static void test_permissive_and_errors(void **state)
{
    (void)state;
    struct brig_cil_module m = {.module = "brig_check", .type = "brig_check_t", .permissive = true};
    brig_error err = NULL;
    size_t rules = 99;
    char *t = brig_cil_module_text(&m, &rules, &err);
    assert_non_null(t);
    assert_non_null(strstr(t, "(typepermissive brig_check_t)"));
    assert_int_equal(rules, 0);
    free(t);

    m.module = "bad name";
    assert_null(brig_cil_module_text(&m, NULL, &err));
    assert_non_null(strstr(err->msg, "module name `bad name`"));
    brig_error_free(&err);

    m.module = "ok";
    char *caps[] = {"CAP_FLY", NULL};
    m.caps = caps;
    assert_null(brig_cil_module_text(&m, NULL, &err));
    assert_non_null(strstr(err->msg, "capability `CAP_FLY`: unknown"));
    brig_error_free(&err);

    m.caps = NULL;
    struct brig_cil_mount mt = {.source = "/x", .dest = "/x", .type = "a:b"};
    m.mounts = &mt;
    m.n_mounts = 1;
    assert_null(brig_cil_module_text(&m, NULL, &err));
    assert_non_null(strstr(err->msg, "mount `/x`"));
    brig_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_sensitive),
        cmocka_unit_test(test_logger_module),
        cmocka_unit_test(test_permissive_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
