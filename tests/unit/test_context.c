/* context: context string surgery, podman's label=... options, level
 * syntax, and label computation.  Policy checks need SELinux: here (no
 * SELinux) compute runs on hand-made defaults; the policy tests run in the
 * SELinux VM and skip here with the reason printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <selinux/selinux.h>

#include "selinux/context.h"
#include "selinux/label.h"

#define BRIG_N(a) (sizeof(a) / sizeof((a)[0]))

static void skip_if_enabled(void)
{
    if (brig_selinux_enabled()) {
        printf("# skipped: SELinux is enabled here; this checks compute without policy checks\n");
        skip();
    }
}

static void skip_if_disabled(void)
{
    if (!brig_selinux_enabled()) {
        printf("# skipped: SELinux is not enabled on this host (runs in the SELinux VM)\n");
        skip();
    }
}

static void test_context_with_level(void **state)
{
    static const struct {
        const char *ctx, *level, *want;
    } cases[] = {
        {"u:r:t:s0", "s0:c1,c2", "u:r:t:s0:c1,c2"},
        {"system_u:system_r:container_t:s0:c186,c641", "s0:c1,c2",
         "system_u:system_r:container_t:s0:c1,c2"},
        {"u:r:t:s0-s0:c0.c1023", "s0", "u:r:t:s0"},
        {"u:r:t", "s0:c1", "u:r:t:s0:c1"}, /* non-MLS context gains a level */
        {"u:r:t:s0", NULL, "u:r:t"},
        {"u:r:t:s0", "", "u:r:t"},
        {"u:r", "s0", NULL},
        {"u::t:s0", "s0", NULL},
        {":r:t:s0", "s0", NULL},
        {"u:r::s0", "s0", NULL},
        {"u:r:t:", "s0", NULL}, /* empty level part: malformed */
        {"", "s0", NULL},
        {NULL, "s0", NULL},
    };
    for (size_t i = 0; i < BRIG_N(cases); i++) {
        char *got = brig_context_with_level(cases[i].ctx, cases[i].level);
        if (cases[i].want == NULL) {
            if (got != NULL)
                fail_msg("with_level(%s, %s) = %s, want NULL", cases[i].ctx, cases[i].level, got);
            continue;
        }
        if (got == NULL || strcmp(got, cases[i].want) != 0)
            fail_msg("with_level(%s, %s) = %s, want %s", cases[i].ctx, cases[i].level,
                     got ? got : "NULL", cases[i].want);
        free(got);
    }
}

static void test_context_level(void **state)
{
    static const struct {
        const char *ctx, *want;
    } cases[] = {
        {"u:r:t:s0", "s0"},
        {"u:r:t:s0:c1,c2", "s0:c1,c2"},
        {"system_u:system_r:spc_t:s0-s0:c0.c1023", "s0-s0:c0.c1023"},
        {"u:r:t", NULL},
        {"u:r:t:", NULL},
        {"u::t:s0", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < BRIG_N(cases); i++) {
        const char *got = brig_context_level(cases[i].ctx);
        if (cases[i].want == NULL ? got != NULL : (got == NULL || strcmp(got, cases[i].want) != 0))
            fail_msg("context_level(%s) = %s, want %s", cases[i].ctx, got ? got : "NULL",
                     cases[i].want ? cases[i].want : "NULL");
    }
}

static void test_level_syntax(void **state)
{
    static const struct {
        const char *level;
        const char *err; /* NULL: valid */
    } cases[] = {
        {"s0", NULL},
        {"s15", NULL},
        {"s0:c0", NULL},
        {"s0:c1023", NULL},
        {"s0:c1,c2", NULL},
        {"s0:c2,c1", NULL},
        {"s0:c0.c1023", NULL},
        {"s0:c1,c3.c5,c9", NULL},
        {"", "label level ``: malformed (empty)"},
        {"s16", "label level `s16`: malformed (expected a sensitivity s0..s15 first)"},
        {"s01", "label level `s01`: malformed (expected a sensitivity s0..s15 first)"},
        {"S0", "label level `S0`: malformed (expected a sensitivity s0..s15 first)"},
        {"c1", "label level `c1`: malformed (expected a sensitivity s0..s15 first)"},
        {"s0:", "label level `s0:`: malformed (expected a category c0..c1023)"},
        {"s0:c2000", "label level `s0:c2000`: malformed (expected a category c0..c1023)"},
        {"s0:c1024", "label level `s0:c1024`: malformed (expected a category c0..c1023)"},
        {"s0:c01", "label level `s0:c01`: malformed (expected a category c0..c1023)"},
        {"s0:c-1", "label level `s0:c-1`: malformed (expected a category c0..c1023)"},
        {"s0:c1,", "label level `s0:c1,`: malformed (expected a category c0..c1023)"},
        {"s0:c1,,c2", "label level `s0:c1,,c2`: malformed (expected a category c0..c1023)"},
        {"s0:c5.c3",
         "label level `s0:c5.c3`: malformed (a category range must go up (cA.cB with A < B))"},
        {"s0:c5.c5",
         "label level `s0:c5.c5`: malformed (a category range must go up (cA.cB with A < B))"},
        {"s0:c1.", "label level `s0:c1.`: malformed (expected a category c0..c1023 after `.`)"},
        {"s0:c1.c2.c3",
         "label level `s0:c1.c2.c3`: malformed (expected `,` or `.` between categories)"},
        {"s0:c1;c2", "label level `s0:c1;c2`: malformed (expected `,` or `.` between categories)"},
        {"s0-s0:c0.c1023",
         "label level `s0-s0:c0.c1023`: malformed (expected `:` after the sensitivity)"},
        {"s0 ", "label level `s0 `: malformed (expected `:` after the sensitivity)"},
        {"s0:c1\n", "label level `s0:c1\\x0a`: malformed (expected `,` or `.` between categories)"},
    };
    for (size_t i = 0; i < BRIG_N(cases); i++) {
        brig_error err = NULL;
        int r = brig_label_level_validate(cases[i].level, &err);
        if (cases[i].err == NULL) {
            /* Well formed; on an SELinux host the loaded policy may still
             * refuse it as out of its range (Debian's MCS policy has only
             * s0), which is the other check, not a syntax error. */
            if (r != 0 && !(is_selinux_enabled() > 0 && strstr(err->msg, "outside the policy"))) {
                fail_msg("level `%s` refused: %s", cases[i].level, err->msg);
            }
            brig_error_free(&err);
            continue;
        }
        if (r != -1 || err == NULL)
            fail_msg("level `%s` accepted", cases[i].level);
        if (strcmp(err->msg, cases[i].err) != 0)
            fail_msg("level `%s`: got \"%s\", want \"%s\"", cases[i].level, err->msg, cases[i].err);
        brig_error_free(&err);
    }
    /* A NULL level is refused, not a crash. */
    {
        brig_error err = NULL;
        assert_int_equal(brig_label_level_validate(NULL, &err), -1);
        brig_error_free(&err);
    }
}

static void test_opts_accepted(void **state)
{
    struct brig_label_opts o = {0};
    brig_error err = NULL;
    const char *ok[] = {
        "type:container_logger_t",
        "level:s0:c1,c2", /* split at the first ':' only */
        "user:system_u",
        "role=system_r",
        "filetype=container_file_t",
        "disable",
        "type=my.ns_t", /* '=' form; CIL namespaced name */
    };
    for (size_t i = 0; i < BRIG_N(ok); i++)
        if (brig_label_opts_add(&o, ok[i], &err) < 0)
            fail_msg("option `%s` refused: %s", ok[i], err->msg);
    assert_true(o.disable);
    assert_string_equal(o.type, "my.ns_t"); /* the later option wins */
    assert_string_equal(o.level, "s0:c1,c2");
    assert_string_equal(o.user, "system_u");
    assert_string_equal(o.role, "system_r");
    assert_string_equal(o.filetype, "container_file_t");

    assert_int_equal(brig_label_opts_add(&o, "level=s0:c3.c9,c20", &err), 0);
    assert_string_equal(o.level, "s0:c3.c9,c20");
    assert_int_equal(brig_label_opts_add(&o, "level:s0", &err), 0);
    assert_string_equal(o.level, "s0");
    brig_label_opts_clear(&o);
    assert_null(o.type);
    assert_false(o.disable);
    brig_label_opts_clear(&o); /* twice is fine */
}

static void test_opts_refused(void **state)
{
    static const struct {
        const char *opt, *err;
    } cases[] = {
        {"", "label option ``: empty"},
        {"foo:x", "label option `foo:x`: unknown key `foo`"},
        {"foo", "label option `foo`: unknown key `foo`"},
        {"disabled", "label option `disabled`: unknown key `disabled`"},
        {"disable:true", "label option `disable:true`: unknown key `disable`"},
        {"Type:x_t", "label option `Type:x_t`: unknown key `Type`"},
        {":x_t", "label option `:x_t`: unknown key ``"},
        {"type", "label option `type`: missing value (`type:VALUE`)"},
        {"type:", "label option `type:`: empty value"},
        {"level=", "label option `level=`: empty value"},
        {"type:x_t:s0-s0:c0.c1023",
         "label option `type:x_t:s0-s0:c0.c1023`: invalid type `x_t:s0-s0:c0.c1023` (allowed: "
         "letters, digits, `_`, `-`, `.`)"},
        {"user:a b", "label option `user:a b`: invalid user `a b` (allowed: letters, digits, `_`, "
                     "`-`, `.`)"},
        {"role:r\x1b[2J", "label option `role:r\\x1b[2J`: invalid role `r\\x1b[2J` (allowed: "
                          "letters, digits, `_`, `-`, `.`)"},
        {"level:s0:c2000", "label option `level:s0:c2000`: label level `s0:c2000`: malformed "
                           "(expected a category c0..c1023)"},
        {"level:c1,c2", "label option `level:c1,c2`: label level `c1,c2`: malformed (expected a "
                        "sensitivity s0..s15 first)"},
        {"level:s0-s0:c0.c1023", "label option `level:s0-s0:c0.c1023`: label level "
                                 "`s0-s0:c0.c1023`: malformed (expected `:` after the "
                                 "sensitivity)"},
    };
    for (size_t i = 0; i < BRIG_N(cases); i++) {
        struct brig_label_opts o = {0};
        brig_error err = NULL;
        if (brig_label_opts_add(&o, cases[i].opt, &err) != -1 || err == NULL)
            fail_msg("option `%s` accepted", cases[i].opt);
        if (strcmp(err->msg, cases[i].err) != 0)
            fail_msg("option `%s`: got \"%s\", want \"%s\"", cases[i].opt, err->msg, cases[i].err);
        /* A refused option leaves the options as they were. */
        assert_null(o.type);
        assert_null(o.level);
        assert_null(o.user);
        assert_null(o.role);
        assert_false(o.disable);
        brig_error_free(&err);
    }
}

static struct brig_label_defaults brig_defaults(void)
{
    struct brig_label_defaults d = {
        .process = strdup("system_u:system_r:brig_container_t:s0"),
        .file = strdup("system_u:object_r:brig_container_file_t:s0"),
        .ro_file = strdup("system_u:object_r:brig_container_ro_file_t:s0"),
        .source = strdup("brig"),
    };
    return d;
}

static void check_compute(const struct brig_label_defaults *d, const char *const *options,
                          const char *level, const char *want_process, const char *want_mount)
{
    struct brig_label_opts o = {0};
    brig_error err = NULL;
    char *p = (char *)1, *m = (char *)1;

    for (; options && *options; options++)
        assert_int_equal(brig_label_opts_add(&o, *options, &err), 0);
    if (brig_label_compute(d, &o, level, &p, &m, &err) < 0)
        fail_msg("compute: %s", err->msg);
    assert_string_equal(p, want_process);
    if (want_mount == NULL)
        assert_null(m);
    else
        assert_string_equal(m, want_mount);
    free(p);
    free(m);
    brig_label_opts_clear(&o);
}

static void test_compute_without_policy(void **state)
{
    skip_if_enabled();
    struct brig_label_defaults d = brig_defaults();

    check_compute(&d, NULL, "s0:c1,c2", "system_u:system_r:brig_container_t:s0:c1,c2",
                  "system_u:object_r:brig_container_file_t:s0:c1,c2");
    check_compute(&d, (const char *[]){"type:logger_t", "filetype:logger_file_t", NULL},
                  "s0:c5,c600", "system_u:system_r:logger_t:s0:c5,c600",
                  "system_u:object_r:logger_file_t:s0:c5,c600");
    /* user applies to both labels; role only to the process. */
    check_compute(&d, (const char *[]){"user:u_u", "role:r_r", NULL}, "s0:c1,c2",
                  "u_u:r_r:brig_container_t:s0:c1,c2",
                  "u_u:object_r:brig_container_file_t:s0:c1,c2");
    /* An explicit level wins over the allocated one. */
    check_compute(&d, (const char *[]){"level:s0:c3,c4", NULL}, "s0:c1,c2",
                  "system_u:system_r:brig_container_t:s0:c3,c4",
                  "system_u:object_r:brig_container_file_t:s0:c3,c4");
    /* No level at all: the defaults' s0. */
    check_compute(&d, NULL, NULL, "system_u:system_r:brig_container_t:s0",
                  "system_u:object_r:brig_container_file_t:s0");
    /* disable: brig's unconfined type at s0, no mount label; type and
     * level options lose to it, user still applies. */
    check_compute(&d, (const char *[]){"disable", "type:x_t", "level:s0:c7,c8", "user:u_u", NULL},
                  "s0:c1,c2", "u_u:system_r:brig_spc_t:s0", NULL);
    check_compute(&d, NULL, NULL, "system_u:system_r:brig_container_t:s0",
                  "system_u:object_r:brig_container_file_t:s0");
    /* Defaults from lxc_contexts (container-selinux): spc_t. */
    free(d.source);
    d.source = strdup("lxc_contexts");
    check_compute(&d, (const char *[]){"disable", NULL}, "s0:c1,c2", "system_u:system_r:spc_t:s0",
                  NULL);
    /* A NULL opts is no options. */
    {
        brig_error err = NULL;
        char *p, *m;
        assert_int_equal(brig_label_compute(&d, NULL, "s0:c9,c10", &p, &m, &err), 0);
        assert_string_equal(p, "system_u:system_r:brig_container_t:s0:c9,c10");
        free(p);
        free(m);
    }
    brig_label_defaults_clear(&d);
    assert_null(d.process);
}

static void test_compute_refuses(void **state)
{
    struct brig_label_defaults d = brig_defaults();
    brig_error err = NULL;
    char *p = NULL, *m = NULL;

    /* A malformed level passed in by the caller is caught here too. */
    assert_int_equal(brig_label_compute(&d, NULL, "s0:c1,c2;x", &p, &m, &err), -1);
    assert_string_equal(err->msg, "compute SELinux labels: label level `s0:c1,c2;x`: malformed "
                                  "(expected `,` or `.` between categories)");
    assert_null(p);
    assert_null(m);
    brig_error_free(&err);
    /* Defaults that are no contexts. */
    free(d.file);
    d.file = strdup("garbage");
    assert_int_equal(brig_label_compute(&d, NULL, "s0:c1,c2", &p, &m, &err), -1);
    assert_string_equal(err->msg, "compute SELinux labels: malformed default contexts");
    brig_error_free(&err);
    assert_int_equal(brig_label_compute(NULL, NULL, "s0:c1,c2", &p, &m, &err), -1);
    brig_error_free(&err);
    brig_label_defaults_clear(&d);
}

static void test_defaults_need_selinux(void **state)
{
    skip_if_enabled();
    struct brig_label_defaults d;
    brig_error err = NULL;

    assert_int_equal(brig_label_defaults_load(&d, &err), -1);
    assert_string_equal(err->msg, "SELinux defaults: SELinux is not enabled on this host");
    assert_null(d.process);
    brig_error_free(&err);
}

/* --- with a policy (the SELinux VM) ------------------------------------ */

static void test_policy_defaults_and_compute(void **state)
{
    skip_if_disabled();
    struct brig_label_defaults d;
    struct brig_label_opts o = {0};
    brig_error err = NULL;
    char *p, *m;

    if (brig_label_defaults_load(&d, &err) < 0)
        fail_msg("defaults: %s", err->msg);
    printf("# defaults from %s: %s / %s / %s\n", d.source, d.process, d.file, d.ro_file);
    assert_string_equal(brig_context_level(d.process), "s0");
    assert_int_equal(brig_label_compute(&d, &o, "s0:c1,c2", &p, &m, &err), 0);
    assert_int_equal(brig_label_validate(p, &err), 0);
    assert_int_equal(brig_label_validate(m, &err), 0);
    free(p);
    free(m);

    /* disable: spc_t where container-selinux is, else brig_spc_t. */
    assert_int_equal(brig_label_opts_add(&o, "disable", &err), 0);
    assert_int_equal(brig_label_compute(&d, &o, "s0:c1,c2", &p, &m, &err), 0);
    assert_null(m);
    assert_true(strstr(p, ":spc_t:s0") != NULL || strstr(p, ":brig_spc_t:s0") != NULL);
    free(p);
    brig_label_opts_clear(&o);

    /* A type the policy lacks is named. */
    assert_int_equal(brig_label_opts_add(&o, "type:brig_no_such_type_t", &err), 0);
    assert_int_equal(brig_label_compute(&d, &o, "s0:c1,c2", &p, &m, &err), -1);
    assert_string_equal(err->msg, "label type `brig_no_such_type_t`: not defined by the loaded "
                                  "policy");
    brig_error_free(&err);
    brig_label_opts_clear(&o);
    assert_int_equal(brig_label_opts_add(&o, "filetype:brig_no_such_file_t", &err), 0);
    assert_int_equal(brig_label_compute(&d, &o, "s0:c1,c2", &p, &m, &err), -1);
    assert_string_equal(err->msg, "label type `brig_no_such_file_t`: not defined by the loaded "
                                  "policy");
    brig_error_free(&err);
    brig_label_opts_clear(&o);
    brig_label_defaults_clear(&d);
}

static void test_policy_level_range(void **state)
{
    skip_if_disabled();
    brig_error err = NULL;

    assert_int_equal(brig_label_level_validate("s0:c1,c2", &err), 0);
    assert_int_equal(brig_label_level_validate("s0:c0.c1023", &err), 0);
    /* MCS policies have one sensitivity: s15 parses, and where the policy
     * lacks it the refusal names the range. */
    if (brig_label_level_validate("s15", &err) < 0) {
        assert_string_equal(err->msg, "label level `s15`: outside the policy's range");
        brig_error_free(&err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_with_level),
        cmocka_unit_test(test_context_level),
        cmocka_unit_test(test_level_syntax),
        cmocka_unit_test(test_opts_accepted),
        cmocka_unit_test(test_opts_refused),
        cmocka_unit_test(test_compute_without_policy),
        cmocka_unit_test(test_compute_refuses),
        cmocka_unit_test(test_defaults_need_selinux),
        cmocka_unit_test(test_policy_defaults_and_compute),
        cmocka_unit_test(test_policy_level_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
