/* Mount options -> flags: one table row per option (and per interesting
 * combination), checked field by field, plus the error cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "core/util.h"
#include "spec/spec.h"

struct opt_case {
    const char *opts; /* comma separated, as a -v suffix would give them */
    unsigned long flags, clear_flags, propagation;
    bool rbind, rro, idmap, tmpcopyup;
    enum brig_relabel relabel;
    const char *data;
};

static const struct opt_case cases[] = {
    {"ro", MS_RDONLY, 0, 0, false, false, false, false, 0, NULL},
    {"rw", 0, MS_RDONLY, 0, false, false, false, false, 0, NULL},
    {"ro,rw", 0, MS_RDONLY, 0, false, false, false, false, 0, NULL},
    {"rw,ro", MS_RDONLY, 0, 0, false, false, false, false, 0, NULL},
    {"nosuid", MS_NOSUID, 0, 0, false, false, false, false, 0, NULL},
    {"suid", 0, MS_NOSUID, 0, false, false, false, false, 0, NULL},
    {"nodev", MS_NODEV, 0, 0, false, false, false, false, 0, NULL},
    {"dev", 0, MS_NODEV, 0, false, false, false, false, 0, NULL},
    {"noexec", MS_NOEXEC, 0, 0, false, false, false, false, 0, NULL},
    {"exec", 0, MS_NOEXEC, 0, false, false, false, false, 0, NULL},
    {"sync", MS_SYNCHRONOUS, 0, 0, false, false, false, false, 0, NULL},
    {"async", 0, MS_SYNCHRONOUS, 0, false, false, false, false, 0, NULL},
    {"dirsync", MS_DIRSYNC, 0, 0, false, false, false, false, 0, NULL},
    {"remount", MS_REMOUNT, 0, 0, false, false, false, false, 0, NULL},
    {"mand", MS_MANDLOCK, 0, 0, false, false, false, false, 0, NULL},
    {"nomand", 0, MS_MANDLOCK, 0, false, false, false, false, 0, NULL},
    {"atime", 0, MS_NOATIME, 0, false, false, false, false, 0, NULL},
    {"noatime", MS_NOATIME, 0, 0, false, false, false, false, 0, NULL},
    {"diratime", 0, MS_NODIRATIME, 0, false, false, false, false, 0, NULL},
    {"nodiratime", MS_NODIRATIME, 0, 0, false, false, false, false, 0, NULL},
    {"relatime", MS_RELATIME, 0, 0, false, false, false, false, 0, NULL},
    {"norelatime", 0, MS_RELATIME, 0, false, false, false, false, 0, NULL},
    {"strictatime", MS_STRICTATIME, 0, 0, false, false, false, false, 0, NULL},
    {"nostrictatime", 0, MS_STRICTATIME, 0, false, false, false, false, 0, NULL},
    {"bind", MS_BIND, 0, 0, false, false, false, false, 0, NULL},
    {"rbind", MS_BIND | MS_REC, 0, 0, true, false, false, false, 0, NULL},
    {"private", 0, 0, MS_PRIVATE, false, false, false, false, 0, NULL},
    {"rprivate", 0, 0, MS_PRIVATE | MS_REC, false, false, false, false, 0, NULL},
    {"shared", 0, 0, MS_SHARED, false, false, false, false, 0, NULL},
    {"rshared", 0, 0, MS_SHARED | MS_REC, false, false, false, false, 0, NULL},
    {"slave", 0, 0, MS_SLAVE, false, false, false, false, 0, NULL},
    {"rslave", 0, 0, MS_SLAVE | MS_REC, false, false, false, false, 0, NULL},
    {"unbindable", 0, 0, MS_UNBINDABLE, false, false, false, false, 0, NULL},
    {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC, false, false, false, false, 0, NULL},
    {"shared,rslave", 0, 0, MS_SLAVE | MS_REC, false, false, false, false, 0, NULL},
    {"rro", 0, 0, 0, false, true, false, false, 0, NULL},
    {"idmap", 0, 0, 0, false, false, true, false, 0, NULL},
    {"ridmap", 0, 0, 0, false, false, true, false, 0, NULL},
    {"tmpcopyup", 0, 0, 0, false, false, false, true, 0, NULL},
    {"z", 0, 0, 0, false, false, false, false, BRIG_RELABEL_SHARED, NULL},
    {"Z", 0, 0, 0, false, false, false, false, BRIG_RELABEL_PRIVATE, NULL},
    {"Z,Z", 0, 0, 0, false, false, false, false, BRIG_RELABEL_PRIVATE, NULL},
    {"mode=755", 0, 0, 0, false, false, false, false, 0, "mode=755"},
    {"nosuid,mode=755,size=65536k", MS_NOSUID, 0, 0, false, false, false, false, 0,
     "mode=755,size=65536k"},
    {"newinstance,ptmxmode=0666,gid=5", 0, 0, 0, false, false, false, false, 0,
     "newinstance,ptmxmode=0666,gid=5"},
    /* Case matters, as for mount(8): "RO" is not "ro". */
    {"RO", 0, 0, 0, false, false, false, false, 0, "RO"},
    {"rbind,ro,nosuid,nodev,noexec,rprivate,Z,context=\"x\"",
     MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, MS_PRIVATE | MS_REC, true,
     false, false, false, BRIG_RELABEL_PRIVATE, "context=\"x\""},
};

static char **split(const char *s)
{
    _cleanup_free_ char *copy = brig_xstrdup(s);
    char **v = brig_xmalloc0(sizeof(char *));
    char *save = NULL;

    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        brig_strv_append(&v, t);
    return v;
}

static void test_option_table(void **state)
{
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(cases); i++) {
        const struct opt_case *c = &cases[i];
        _cleanup_strv_ char **v = split(c->opts);
        _cleanup_error_ brig_error err = NULL;
        struct brig_mount_opts o;

        memset(&o, 0xaa, sizeof(o)); /* the parser must set every field */
        if (brig_spec_parse_mount_options(v, &o, &err) < 0)
            fail_msg("\"%s\": %s", c->opts, err->msg);
        print_message("# %s\n", c->opts);
        assert_int_equal(o.flags, c->flags);
        assert_int_equal(o.clear_flags, c->clear_flags);
        assert_int_equal(o.propagation, c->propagation);
        assert_int_equal(o.recursive_bind, c->rbind);
        assert_int_equal(o.recursive_ro, c->rro);
        assert_int_equal(o.idmap, c->idmap);
        assert_int_equal(o.tmpcopyup, c->tmpcopyup);
        assert_int_equal(o.relabel, c->relabel);
        if (c->data == NULL)
            assert_null(o.data);
        else
            assert_string_equal(o.data, c->data);
        brig_mount_opts_clear(&o);
        assert_null(o.data);
        assert_int_equal(o.flags, 0);
    }
}

static void test_empty_list(void **state)
{
    char *none[] = {NULL};
    struct brig_mount_opts o;
    brig_error err = NULL;

    assert_int_equal(brig_spec_parse_mount_options(none, &o, &err), 0);
    assert_int_equal(o.flags, 0);
    assert_null(o.data);
    assert_int_equal(brig_spec_parse_mount_options(NULL, &o, &err), 0);
    assert_int_equal(o.relabel, BRIG_RELABEL_NONE);
    assert_null(err);
}

static void test_errors(void **state)
{
    static const struct {
        const char *opts[4];
        const char *message;
    } bad[] = {
        {{"z", "Z", NULL}, "mount options `z` and `Z` conflict"},
        {{"Z", "ro", "z", NULL}, "mount options `z` and `Z` conflict"},
        {{"", NULL}, "empty mount option at position 0"},
        {{"ro", "nosuid", "", NULL}, "empty mount option at position 2"},
    };

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(bad); i++) {
        _cleanup_error_ brig_error err = NULL;
        struct brig_mount_opts o = {0};
        assert_int_equal(brig_spec_parse_mount_options((char *const *)bad[i].opts, &o, &err), -1);
        assert_non_null(err);
        assert_string_equal(err->msg, bad[i].message);
        /* Nothing is handed out on failure. */
        assert_null(o.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_table),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
