/* avc: parsing kernel and audit records (prefixes, permissive=, several
 * permissions, hex-encoded values, malformed lines), grouping, and the
 * reasons brig_avc_explain() gives against a small policy compiled here
 * from CIL with libsepol (the build host has no SELinux; the guest suite,
 * tests/selinux/tools.bats, checks the same against Debian's policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sepol/cil/cil.h>
#include <sepol/policydb.h>

#include "core/util.h"
#include "selinux/avc.h"

#define KERNEL                                                                                     \
    "audit: type=1400 audit(1700000000.123:456): avc:  denied  { read } for  pid=1234 "            \
    "comm=\"cat\" name=\"shadow\" dev=\"vda\" ino=42 "                                             \
    "scontext=system_u:system_r:container_t:s0:c1,c2 "                                             \
    "tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0"

static void parse_kernel(void **state)
{
    struct brig_avc a;
    assert_int_equal(brig_avc_parse(KERNEL, &a), 0);
    assert_string_equal(a.scontext, "system_u:system_r:container_t:s0:c1,c2");
    assert_string_equal(a.tcontext, "system_u:object_r:shadow_t:s0");
    assert_string_equal(a.tclass, "file");
    assert_int_equal(brig_strv_len(a.perms), 1);
    assert_string_equal(a.perms[0], "read");
    assert_false(a.granted);
    assert_int_equal(a.permissive, 0);
    assert_string_equal(a.comm, "cat");
    assert_string_equal(a.name, "shadow");
    assert_null(a.path);
    assert_int_equal(a.pid, 1234);
    assert_int_equal(a.serial, 456);
    assert_true(a.time > 1700000000.1 && a.time < 1700000000.2);
    brig_avc_clear(&a);
}

static void parse_prefixes(void **state)
{
    static const char *const lines[] = {
        /* dmesg with a timestamp */
        "[   12.345678] audit: type=1400 audit(1700000000.5:7): avc:  denied  { write } for  "
        "pid=9 comm=\"sh\" scontext=u:r:t_t:s0:c1,c2 tcontext=u:object_r:f_t:s0 tclass=dir "
        "permissive=1\n",
        /* /dev/kmsg's header */
        "6,1234,5678,-;audit: type=1400 audit(1700000000.5:7): avc:  denied  { write } for  "
        "pid=9 comm=\"sh\" scontext=u:r:t_t:s0:c1,c2 tcontext=u:object_r:f_t:s0 tclass=dir "
        "permissive=1",
        /* audit.log */
        "type=AVC msg=audit(1700000000.5:7): avc:  denied  { write } for  pid=9 comm=\"sh\" "
        "scontext=u:r:t_t:s0:c1,c2 tcontext=u:object_r:f_t:s0 tclass=dir permissive=1",
        /* syslog */
        "Nov 23 09:00:00 host kernel: [  1.0] audit: type=1400 audit(1700000000.5:7): avc:  "
        "denied  { write } for  pid=9 comm=\"sh\" scontext=u:r:t_t:s0:c1,c2 "
        "tcontext=u:object_r:f_t:s0 tclass=dir permissive=1",
        /* no prefix at all, one space after avc:, no permissive= */
        "avc: denied { write } for pid=9 scontext=u:r:t_t:s0:c1,c2 tcontext=u:object_r:f_t:s0 "
        "tclass=dir",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct brig_avc a;
        assert_int_equal(brig_avc_parse(lines[i], &a), 0);
        assert_string_equal(a.scontext, "u:r:t_t:s0:c1,c2");
        assert_string_equal(a.tcontext, "u:object_r:f_t:s0");
        assert_string_equal(a.tclass, "dir");
        assert_string_equal(a.perms[0], "write");
        assert_int_equal(a.pid, 9);
        if (i < 4) {
            assert_int_equal(a.permissive, 1);
            assert_int_equal(a.serial, 7);
        } else {
            assert_int_equal(a.permissive, -1);
            assert_int_equal(a.serial, 0);
            assert_true(a.time == 0);
        }
        brig_avc_clear(&a);
    }
}

static void parse_multi_perm_and_hex(void **state)
{
    struct brig_avc a;
    /* comm with a space is hex-encoded by audit; path= instead of name= */
    const char *l = "type=AVC msg=audit(1.0:2): avc:  denied  { read write open } for  pid=3 "
                    "comm=6D7920617070 path=\"/var/log/test.log\" dev=\"vda\" ino=5 "
                    "scontext=system_u:system_r:container_t:s0:c1,c2 "
                    "tcontext=system_u:object_r:var_log_t:s0 tclass=file permissive=0";
    assert_int_equal(brig_avc_parse(l, &a), 0);
    assert_int_equal(brig_strv_len(a.perms), 3);
    assert_string_equal(a.perms[0], "read");
    assert_string_equal(a.perms[1], "write");
    assert_string_equal(a.perms[2], "open");
    assert_string_equal(a.comm, "my app");
    assert_string_equal(a.path, "/var/log/test.log");
    brig_avc_clear(&a);

    /* granted (auditallow) */
    assert_int_equal(brig_avc_parse("avc:  granted  { setenforce } for pid=1 "
                                    "scontext=u:r:a_t:s0 tcontext=u:r:k_t:s0 tclass=security",
                                    &a),
                     0);
    assert_true(a.granted);
    brig_avc_clear(&a);

    /* USER_AVC: the record sits inside msg='...' */
    assert_int_equal(
        brig_avc_parse("type=USER_AVC msg=audit(1.0:3): pid=1 uid=0 auid=4294967295 ses=4294967295 "
                       "subj=system_u:system_r:init_t:s0 msg='avc:  denied  { status } for auid=0 "
                       "uid=0 gid=0 scontext=u:r:a_t:s0 tcontext=u:r:init_t:s0 tclass=system "
                       "permissive=0'",
                       &a),
        0);
    assert_string_equal(a.tclass, "system");
    assert_int_equal(a.permissive, 0);
    brig_avc_clear(&a);
}

static void parse_not_avc_and_malformed(void **state)
{
    struct brig_avc a;
    /* not records: 1 */
    assert_int_equal(brig_avc_parse("", &a), 1);
    assert_int_equal(brig_avc_parse("hello world", &a), 1);
    assert_int_equal(brig_avc_parse("SELinux:  Permission perfmon in class capability2 not "
                                    "defined in policy.",
                                    &a),
                     1);
    assert_int_equal(brig_avc_parse("avc:  received policyload notice (seqno=2)", &a), 1);
    assert_int_equal(brig_avc_parse("type=SYSCALL msg=audit(1.0:2): arch=c000003e syscall=257", &a),
                     1);
    assert_int_equal(brig_avc_parse("xavc: denied { read }", &a), 1);

    /* claims to be one, is not whole: -1 */
    static const char *const bad[] = {
        "avc:  denied",
        "avc:  denied  read for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { } for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { re-ad } for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for scontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for scontext=u:r:t:s0 tcontext=u:r:t:s0",
        "avc:  denied  { read } for scontext=u:r tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for scontext=u::t:s0 tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=fi/le",
        "avc:  denied  { read } for scontext=u:r:t:s0 tcontext=u:r:t:s0 tclass=file permissive=2",
        "avc:  denied  { read } for scontext= tcontext=u:r:t:s0 tclass=file",
        "avc:  denied  { read } for scontext=\"u:r:t:s0\" tcontext=u:r:t:s0 tclass=file",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(brig_avc_parse(bad[i], &a), -1);
        assert_null(a.scontext); /* nothing left behind */
    }
}

static void read_stream_by_level(void **state)
{
    const char text[] =
        "[ 1.0] audit: type=1400 audit(1.0:1): avc:  denied  { read } for pid=1 "
        "scontext=system_u:system_r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0 tclass=file\n"
        "[ 1.1] audit: type=1400 audit(1.0:2): avc:  denied  { read } for pid=2 "
        "scontext=system_u:system_r:c_t:s0:c1,c20 tcontext=u:object_r:a_t:s0 tclass=file\n"
        "[ 1.2] random kernel chatter\n"
        "[ 1.3] audit: avc:  denied  { read \n"
        "type=AVC msg=audit(1.0:3): avc:  denied  { write } for pid=3 "
        "scontext=system_u:system_r:c_t:s0:c1,c2 tcontext=u:object_r:b_t:s0 tclass=dir\n"
        "avc: denied { read } for scontext=system_u:system_r:c_t:s0 tcontext=u:object_r:a_t:s0 "
        "tclass=file\n"
        "avc: denied { read } for scontext=system_u:system_r:c_t tcontext=u:object_r:a_t:s0 "
        "tclass=file";
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
    struct brig_avc *v = NULL;
    size_t n = 0, bad = 0;
    brig_error err = NULL;

    assert_non_null(f);
    /* exactly the level: not s0:c1,c20, not s0, not a context without one */
    assert_int_equal(brig_avc_read(f, "s0:c1,c2", &v, &n, &bad, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(bad, 1);
    assert_int_equal(v[0].pid, 1);
    assert_int_equal(v[1].pid, 3);
    assert_string_equal(v[1].tclass, "dir");
    /* appends; NULL keeps everything */
    rewind(f);
    assert_int_equal(brig_avc_read(f, NULL, &v, &n, &bad, &err), 0);
    assert_int_equal(n, 2 + 5);
    assert_int_equal(bad, 2);
    brig_avc_list_free(v, n);
    fclose(f);
}

static void context_type(void **state)
{
    char *t = brig_avc_context_type("system_u:system_r:container_t:s0:c1,c2");
    assert_string_equal(t, "container_t");
    free(t);
    t = brig_avc_context_type("u:r:t_t");
    assert_string_equal(t, "t_t");
    free(t);
    assert_null(brig_avc_context_type("u:r"));
    assert_null(brig_avc_context_type("u:r::s0"));
}

static void group(void **state)
{
    static const char *const lines[] = {
        "avc: denied { read } for scontext=u:r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0 "
        "tclass=file",
        "avc: denied { write read } for scontext=u:r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0 "
        "tclass=file",
        "avc: denied { read } for scontext=u:r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0:c5 "
        "tclass=file",
        "avc: denied { read write } for scontext=u:r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0 "
        "tclass=file",
        "avc: denied { read } for scontext=u:r:c_t:s0:c1,c2 tcontext=u:object_r:a_t:s0 "
        "tclass=dir",
    };
    struct brig_avc v[5];
    struct brig_avc_group *g;
    size_t n;
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(brig_avc_parse(lines[i], &v[i]), 0);
    brig_avc_group(v, 5, &g, &n);
    assert_int_equal(n, 3);
    assert_int_equal(g[0].count, 2); /* {read} on a_t file, both levels */
    assert_ptr_equal(g[0].first, &v[0]);
    assert_string_equal(g[0].stype, "c_t");
    assert_string_equal(g[0].ttype, "a_t");
    assert_int_equal(g[1].count, 2); /* {read write} in either order */
    assert_int_equal(g[2].count, 1);
    assert_string_equal(g[2].first->tclass, "dir");
    brig_avc_groups_free(g, n);
    for (size_t i = 0; i < 5; i++)
        brig_avc_clear(&v[i]);
}

/* A small MLS policy with what the reasons need: a type allowed to read
 * its files, an MCS constraint on mcs_constrained_type, a boolean-guarded
 * rule, and a user constraint. */
static const char test_policy[] =
    "(mls true)\n"
    "(handleunknown deny)\n"
    "(class file (getattr open read write))\n"
    "(class dir (getattr search))\n"
    "(classorder (file dir))\n"
    "(sid kernel)\n"
    "(sidorder (kernel))\n"
    "(user system_u)\n"
    "(user other_u)\n"
    "(role system_r)\n"
    "(type kernel_t)\n"
    "(type container_t)\n"
    "(type container_file_t)\n"
    "(type var_log_t)\n"
    "(type nfs_t)\n"
    "(typeattribute mcs_constrained_type)\n"
    "(typeattributeset mcs_constrained_type (container_t))\n"
    "(roletype system_r kernel_t)\n"
    "(roletype system_r container_t)\n"
    "(userrole system_u system_r)\n"
    "(sensitivity s0)\n"
    "(sensitivityorder (s0))\n"
    "(category c0) (category c1) (category c2) (category c3) (category c4)\n"
    "(categoryorder (c0 c1 c2 c3 c4))\n"
    "(sensitivitycategory s0 (range c0 c4))\n"
    "(userlevel system_u (s0))\n"
    "(userrange system_u ((s0) (s0 (range c0 c4))))\n"
    "(userlevel other_u (s0))\n"
    "(userrange other_u ((s0) (s0 (range c0 c4))))\n"
    "(sidcontext kernel (system_u system_r kernel_t ((s0) (s0 (range c0 c4)))))\n"
    "(allow container_t container_file_t (file (getattr open read write)))\n"
    "(allow container_t container_file_t (dir (getattr search)))\n"
    "(allow container_t var_log_t (file (getattr)))\n"
    "(boolean virt_use_nfs false)\n"
    "(booleanif virt_use_nfs (true (allow container_t nfs_t (file (getattr open read)))))\n"
    "(mlsconstrain (file (getattr open read write)) (or (dom h1 h2) (neq t1 "
    "mcs_constrained_type)))\n"
    "(constrain (dir (search)) (eq u1 u2))\n";

static char policy_path[64];

static int policy_setup(void **state)
{
    cil_db_t *db = NULL;
    sepol_policydb_t *pdb = NULL;
    sepol_policy_file_t *pf = NULL;

    cil_set_log_level(CIL_ERR);
    cil_db_init(&db);
    cil_set_mls(db, 1);
    if (cil_add_file(db, "test.cil", test_policy, sizeof(test_policy) - 1) != 0 ||
        cil_compile(db) != 0 || cil_build_policydb(db, &pdb) != 0)
        return -1;
    cil_db_destroy(&db);
    strcpy(policy_path, "/tmp/brig-avc-policy-XXXXXX");
    int fd = mkstemp(policy_path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (sepol_policy_file_create(&pf) < 0)
        return -1;
    sepol_policy_file_set_fp(pf, f);
    int r = sepol_policydb_write(pdb, pf);
    sepol_policy_file_free(pf);
    sepol_policydb_free(pdb);
    fclose(f);
    if (r != 0)
        return -1;
    brig_error err = NULL;
    if (brig_avc_policy_load(policy_path, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        return -1;
    }
    return 0;
}

static int policy_teardown(void **state)
{
    brig_avc_policy_unload();
    unlink(policy_path);
    return 0;
}

static void explain_line(const char *line, struct brig_avc *a, struct brig_avc_why *w)
{
    brig_error err = NULL;
    assert_int_equal(brig_avc_parse(line, a), 0);
    assert_int_equal(brig_avc_explain(a, w, &err), 0);
    assert_null(err);
    assert_non_null(w->detail);
}

#define SCON "scontext=system_u:system_r:container_t:s0:c1,c2 "

static void explain_reasons(void **state)
{
    struct brig_avc a;
    struct brig_avc_why w;
    char *fix;

    /* type enforcement: no rule for container_t -> var_log_t read/write */
    explain_line("avc: denied { read write open } for " SCON
                 "tcontext=system_u:object_r:var_log_t:s0 tclass=file permissive=0",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_TE);
    assert_null(w.booleans);
    assert_non_null(strstr(w.detail, "var_log_t"));
    fix = brig_avc_fix(&a, &w);
    assert_string_equal(fix, "(allow container_t var_log_t (file (read write open)))");
    free(fix);
    assert_string_equal(brig_avc_reason_name(w.reason), "te");
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* MCS: another container's file, the type rules allow it */
    explain_line("avc: denied { read } for " SCON
                 "tcontext=system_u:object_r:container_file_t:s0:c3,c4 tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_MCS);
    fix = brig_avc_fix(&a, &w);
    assert_non_null(strstr(fix, "relabel it with :Z or use :z"));
    free(fix);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* the same file at the shared level s0 is allowed now */
    explain_line("avc: denied { read } for " SCON
                 "tcontext=system_u:object_r:container_file_t:s0 tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_ALLOWED_NOW);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* a boolean: virt_use_nfs would allow it */
    explain_line("avc: denied { open read } for " SCON "tcontext=system_u:object_r:nfs_t:s0 "
                 "tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_BOOLEAN);
    assert_int_equal(brig_strv_len(w.booleans), 1);
    assert_string_equal(w.booleans[0], "virt_use_nfs=1");
    fix = brig_avc_fix(&a, &w);
    assert_string_equal(fix, "setsebool -P virt_use_nfs 1");
    free(fix);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* but not write: no boolean allows the whole set, so it is TE */
    explain_line("avc: denied { read write } for " SCON "tcontext=system_u:object_r:nfs_t:s0 "
                 "tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_TE);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* a user constraint */
    explain_line("avc: denied { search } for " SCON
                 "tcontext=other_u:object_r:container_file_t:s0 tclass=dir",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_CONSTRAINT);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);

    /* the policy does not know these */
    explain_line("avc: denied { read } for " SCON "tcontext=system_u:object_r:var_log_t:s0 "
                 "tclass=bpf",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_UNKNOWN);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);
    explain_line("avc: denied { fly } for " SCON "tcontext=system_u:object_r:var_log_t:s0 "
                 "tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_UNKNOWN);
    assert_non_null(strstr(w.detail, "`fly`"));
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);
    explain_line("avc: denied { read } for scontext=system_u:system_r:nosuch_t:s0 "
                 "tcontext=system_u:object_r:var_log_t:s0 tclass=file",
                 &a, &w);
    assert_int_equal(w.reason, BRIG_AVC_UNKNOWN);
    brig_avc_why_clear(&w);
    brig_avc_clear(&a);
}

static void explain_self_rule(void **state)
{
    struct brig_avc a;
    struct brig_avc_why w = {.reason = BRIG_AVC_TE};
    assert_int_equal(brig_avc_parse("avc: denied { ptrace } for scontext=u:r:c_t:s0:c1,c2 "
                                    "tcontext=u:r:c_t:s0:c1,c2 tclass=process",
                                    &a),
                     0);
    char *fix = brig_avc_fix(&a, &w);
    assert_string_equal(fix, "(allow c_t self (process (ptrace)))");
    free(fix);
    brig_avc_clear(&a);
}

static void policy_load_errors(void **state)
{
    brig_error err = NULL;
    assert_int_equal(brig_avc_policy_load("/nonexistent/policy", &err), -1);
    assert_non_null(strstr(err->msg, "`/nonexistent/policy`"));
    brig_error_free(&err);
    assert_int_equal(brig_avc_policy_load("/etc/hostname", &err), -1);
    assert_non_null(strstr(err->msg, "not a binary policy"));
    brig_error_free(&err);
}

int main(void)
{
    const struct CMUnitTest parse[] = {
        cmocka_unit_test(parse_kernel),
        cmocka_unit_test(parse_prefixes),
        cmocka_unit_test(parse_multi_perm_and_hex),
        cmocka_unit_test(parse_not_avc_and_malformed),
        cmocka_unit_test(read_stream_by_level),
        cmocka_unit_test(context_type),
        cmocka_unit_test(group),
        cmocka_unit_test(explain_self_rule),
        cmocka_unit_test(policy_load_errors),
    };
    const struct CMUnitTest explain[] = {
        cmocka_unit_test(explain_reasons),
    };
    int r = cmocka_run_group_tests_name("avc parse", parse, NULL, NULL);
    r += cmocka_run_group_tests_name("avc explain", explain, policy_setup, policy_teardown);
    return r;
}
