/* The layer unpacker: every entry kind keeps its metadata, OCI whiteouts
 * become overlayfs' format, digests are those of the stream, and no entry
 * can land outside the layer.  Tars are built in memory (tarbuild.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "image/image_internal.h"
#include "tarbuild.h"

struct fx {
    char top[64];  /* the test's directory */
    char root[96]; /* the layer, top/layer */
    int rootfd;
};

/* The unpacker keeps owners and device nodes, which needs root: elsewhere
 * those tests are counted skips with the reason, never dropped from the
 * plan. */
static void require_root(void)
{
    if (geteuid() != 0) {
        printf("# skip: the unpacker keeps owners and device nodes: needs root\n");
        skip();
    }
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->top, "/tmp/brig-unpack-XXXXXX");
    if (mkdtemp(f->top) == NULL)
        return -1;
    snprintf(f->root, sizeof(f->root), "%s/layer", f->top);
    mkdir(f->root, 0755);
    f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *state = f;
    return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    int top = open("/tmp", O_RDONLY | O_DIRECTORY);
    close(f->rootfd);
    image_rm_rf_at(top, f->top + 5, &err);
    brig_error_free(&err);
    close(top);
    free(f);
    return 0;
}

static int unpack(struct fx *f, const char *data, size_t len, struct image_layer_result *res,
                  brig_error *err)
{
    return image_unpack_layer_mem(f->rootfd, data, len, 0, "layer `t`", res, err);
}

static void test_entry_path(void **state)
{
    brig_error err = NULL;
    char *p = NULL;
    (void)state;
    assert_int_equal(image_entry_path("./a//b/./c/", &p, &err), 0);
    assert_string_equal(p, "a/b/c");
    free(p);
    assert_int_equal(image_entry_path("./", &p, &err), 0);
    assert_string_equal(p, "");
    free(p);
    assert_int_equal(image_entry_path("a/..b/c..", &p, &err), 0);
    assert_string_equal(p, "a/..b/c..");
    free(p);
    assert_int_equal(image_entry_path("a/../../x", &p, &err), -1);
    assert_non_null(strstr(err->msg, "`a/../../x`"));
    brig_error_free(&err);
    /* rooted in the layer, as containerd takes it */
    assert_int_equal(image_entry_path("/etc/passwd", &p, &err), 0);
    assert_string_equal(p, "etc/passwd");
    free(p);
    assert_int_equal(image_entry_path("/../x", &p, &err), -1);
    brig_error_free(&err);
}

static const uint8_t vfs_cap[20] = {0x01, 0x00, 0x00, 0x02, /* rev 2, effective */
                                    0x00, 0x20, 0x00, 0x00, /* permitted: CAP_NET_RAW (13) */
                                    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0};

static void test_metadata(void **state)
{
    require_root();
    struct fx *f = *state;
    struct tb t;
    size_t len;
    char *tar, hex[65], buf[64];
    struct image_layer_result res;
    brig_error err = NULL;
    struct stat st, st2;
    struct archive_entry *e;

    tb_begin(&t);
    tb_dir(&t, "./", 0755, 0, 0);
    tb_dir(&t, "./home/", 0750, 1000, 1001);
    e = tb_entry("./home/su", AE_IFREG, 04755, 1000, 1001);
    archive_entry_xattr_add_entry(e, "user.brig", "yes", 3);
    tb_put(&t, e, "#!/bin/sh\n", 10);
    e = tb_entry("ping", AE_IFREG, 0755, 0, 0);
    archive_entry_xattr_add_entry(e, "security.capability", vfs_cap, sizeof(vfs_cap));
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4); /* dropped */
    tb_put(&t, e, "ELF", 3);
    tb_symlink(&t, "home/link", "/etc/passwd");
    tb_hardlink(&t, "hard", "home/su");
    e = tb_entry("dev/null", AE_IFCHR, 0666, 0, 0);
    archive_entry_set_rdev(e, makedev(1, 3));
    tb_put(&t, e, NULL, 0);
    tb_put(&t, tb_entry("dev/fifo", AE_IFIFO, 0600, 5, 6), NULL, 0);
    tb_file(&t, "deep/er/file", 0600, 7, 8, "x"); /* parents not listed */
    tar = tb_end(&t, &len);

    assert_int_equal(unpack(f, tar, len, &res, &err), 0);
    image_sha256_hex(tar, len, hex);
    assert_string_equal(res.diff_id, hex);
    assert_string_equal(res.blob, hex);
    assert_int_equal(res.blob_size, len);
    assert_int_equal(res.size, 10 + 3 + 1);

    assert_int_equal(fstatat(f->rootfd, "home", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_gid, 1001);
    assert_int_equal(st.st_mtim.tv_sec, 1700000000); /* after its children were made */
    assert_int_equal(fstatat(f->rootfd, "home/su", &st, 0), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_size, 10);
    assert_int_equal(st.st_nlink, 2);
    assert_int_equal(fstatat(f->rootfd, "hard", &st2, 0), 0);
    assert_int_equal(st.st_ino, st2.st_ino);
    char path[256];
    snprintf(path, sizeof(path), "%s/home/su", f->root);
    assert_int_equal(getxattr(path, "user.brig", buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "yes", 3);
    snprintf(path, sizeof(path), "%s/ping", f->root);
    assert_int_equal(getxattr(path, "security.capability", buf, sizeof(buf)), 20);
    assert_memory_equal(buf, vfs_cap, 20);
    assert_int_equal(getxattr(path, "trusted.overlay.redirect", buf, sizeof(buf)), -1);
    assert_int_equal(readlinkat(f->rootfd, "home/link", buf, sizeof(buf)), 11);
    assert_int_equal(fstatat(f->rootfd, "dev/null", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(1, 3));
    assert_int_equal(st.st_mode & 07777, 0666);
    assert_int_equal(fstatat(f->rootfd, "dev/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_uid, 5);
    assert_int_equal(fstatat(f->rootfd, "deep/er/file", &st, 0), 0);
    assert_int_equal(st.st_uid, 7);
    free(tar);
}

static void test_gzip_digests(void **state)
{
    require_root();
    struct fx *f = *state;
    struct tb t;
    size_t len, glen;
    char *tar, *gz, hex[65], ghex[65];
    struct image_layer_result res;
    brig_error err = NULL;
    static char big[300000];

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 23);
    big[sizeof(big) - 1] = '\0';
    tb_begin(&t);
    tb_file(&t, "big", 0644, 0, 0, big);
    tar = tb_end(&t, &len);
    gz = tb_gzip(tar, len, &glen);
    assert_true(glen < len);
    assert_int_equal(unpack(f, gz, glen, &res, &err), 0);
    image_sha256_hex(tar, len, hex);
    image_sha256_hex(gz, glen, ghex);
    assert_string_equal(res.diff_id, hex);
    assert_string_equal(res.blob, ghex);
    assert_int_equal(res.blob_size, glen);
    struct stat st;
    assert_int_equal(fstatat(f->rootfd, "big", &st, 0), 0);
    assert_int_equal(st.st_size, sizeof(big) - 1);
    free(tar);
    free(gz);
}

static void test_whiteouts(void **state)
{
    require_root();
    struct fx *f = *state;
    struct tb t;
    size_t len;
    char *tar, path[256], v[4];
    struct image_layer_result res;
    brig_error err = NULL;
    struct stat st;

    tb_begin(&t);
    tb_put(&t, tb_entry("etc/.wh.motd", AE_IFREG, 0644, 0, 0), NULL, 0);
    tb_dir(&t, "var/", 0755, 0, 0);
    tb_put(&t, tb_entry("var/.wh..wh..opq", AE_IFREG, 0644, 0, 0), NULL, 0);
    tb_file(&t, "var/new", 0644, 0, 0, "n");
    tb_put(&t, tb_entry(".wh..wh.plnk", AE_IFREG, 0644, 0, 0), NULL, 0);
    tar = tb_end(&t, &len);
    assert_int_equal(unpack(f, tar, len, &res, &err), 0);
    assert_int_equal(fstatat(f->rootfd, "etc/motd", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(0, 0));
    assert_int_equal(faccessat(f->rootfd, "etc/.wh.motd", F_OK, AT_SYMLINK_NOFOLLOW), -1);
    snprintf(path, sizeof(path), "%s/var", f->root);
    assert_int_equal(getxattr(path, "trusted.overlay.opaque", v, sizeof(v)), 1);
    assert_int_equal(v[0], 'y');
    assert_int_equal(faccessat(f->rootfd, "var/.wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(faccessat(f->rootfd, ".wh..wh.plnk", F_OK, AT_SYMLINK_NOFOLLOW), -1);
    free(tar);
}

/* Each bad tar fails naming the entry, and nothing lands beside the layer. */
static void expect_refused(struct fx *f, void (*build)(struct tb *), const char *needle)
{
    struct tb t;
    size_t len;
    char *tar;
    struct image_layer_result res;
    brig_error err = NULL;
    tb_begin(&t);
    build(&t);
    tar = tb_end(&t, &len);
    assert_int_equal(unpack(f, tar, len, &res, &err), -1);
    assert_non_null(err);
    if (strstr(err->msg, needle) == NULL)
        fail_msg("`%s` does not say `%s`", err->msg, needle);
    assert_null(strchr(err->msg, '\n'));
    assert_int_equal(faccessat(AT_FDCWD, f->top, F_OK, 0), 0);
    char p[128];
    snprintf(p, sizeof(p), "%s/x", f->top);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof(p), "%s/evil", f->top);
    assert_int_equal(access(p, F_OK), -1);
    brig_error_free(&err);
    free(tar);
}

static void b_dotdot(struct tb *t)
{
    tb_file(t, "../x", 0644, 0, 0, "x");
}
static void b_abs(struct tb *t)
{
    char p[128];
    snprintf(p, sizeof(p), "/tmp/brig-unpack-absolute-%d", (int)getpid());
    tb_file(t, p, 0644, 0, 0, "x");       /* lands at tmp/... inside the layer */
    tb_file(t, "/../x", 0644, 0, 0, "x"); /* refused */
}
static void b_symlink_dir(struct tb *t)
{
    tb_symlink(t, "up", "..");
    tb_file(t, "up/x", 0644, 0, 0, "x");
}
/* The name the escape would write on the host: this run's own, so that
 * a file some earlier run left behind cannot fail (or pass) the test. */
static const char *evil_name(void)
{
    static char name[64];
    snprintf(name, sizeof(name), "brig-unpack-evil-%d", (int)getpid());
    return name;
}
static void b_symlink_abs(struct tb *t)
{
    char p[96];
    tb_symlink(t, "etc", "/tmp");
    snprintf(p, sizeof(p), "etc/%s", evil_name());
    tb_file(t, p, 0644, 0, 0, "x");
}
static void b_hardlink_out(struct tb *t)
{
    tb_hardlink(t, "pw", "../../../etc/passwd");
}
static void b_hardlink_via_symlink(struct tb *t)
{
    tb_symlink(t, "l", "/etc");
    tb_hardlink(t, "pw", "l/passwd");
}
static void b_dir_then_symlink(struct tb *t)
{
    /* replace a directory with a symlink, then write through it */
    tb_dir(t, "d/", 0755, 0, 0);
    tb_symlink(t, "d", "..");
    tb_file(t, "d/x", 0644, 0, 0, "x");
}

static void test_escapes(void **state)
{
    require_root();
    struct fx *f = *state;
    expect_refused(f, b_dotdot, "entry `../x`: path escapes the layer");
    expect_refused(f, b_abs, "entry `/../x`: path escapes the layer");
    expect_refused(f, b_symlink_dir, "entry `up/x`: path goes through a symlink");
    char want[128];
    snprintf(want, sizeof(want), "entry `etc/%s`: path goes through a symlink", evil_name());
    expect_refused(f, b_symlink_abs, want);
    expect_refused(f, b_hardlink_out, "escapes the layer");
    expect_refused(f, b_hardlink_via_symlink, "through a symlink");
    expect_refused(f, b_dir_then_symlink, "entry `d/x`: path goes through a symlink");
    char p[128];
    snprintf(p, sizeof(p), "/tmp/brig-unpack-absolute-%d", (int)getpid());
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof(p), "/tmp/%s", evil_name());
    assert_int_equal(access(p, F_OK), -1);
}

static void test_truncated_and_garbage(void **state)
{
    require_root();
    struct fx *f = *state;
    struct tb t;
    size_t len;
    char *tar;
    struct image_layer_result res;
    brig_error err = NULL;
    static char big[100000];
    memset(big, 'b', sizeof(big) - 1);
    tb_begin(&t);
    tb_file(&t, "big", 0644, 0, 0, big);
    tar = tb_end(&t, &len);
    assert_int_equal(unpack(f, tar, len / 2, &res, &err), -1);
    assert_non_null(strstr(err->msg, "layer `t`"));
    assert_null(strchr(err->msg, '\n'));
    brig_error_free(&err);
    assert_int_equal(unpack(f, "this is not a tar archive at all, sorry", 39, &res, &err), -1);
    assert_non_null(err);
    brig_error_free(&err);
    free(tar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_path),
        cmocka_unit_test_setup_teardown(test_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_digests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whiteouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
