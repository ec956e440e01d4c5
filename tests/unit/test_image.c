/* The image store: SHA-256 against FIPS vectors (both block functions),
 * docker's name grammar, the archive parsers, and whole loads of
 * docker-archive, oci-archive and OCI layout sources built in memory, with
 * the store checked after every failure for leftovers. */
#include <dirent.h>
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
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "image/image_internal.h"
#include "tarbuild.h"

/* ---- sha256 ---- */
static void hash_both(const void *d, size_t n, char out[65], char ref[65])
{
    struct image_sha256 h;
    image_sha256_init(&h);
    image_sha256_update(&h, d, n);
    image_sha256_final(&h, out);
    image_sha256_init(&h);
    h.portable = true;
    image_sha256_update(&h, d, n);
    image_sha256_final(&h, ref);
}

static void test_sha256_vectors(void **state)
{
    char a[65], b[65];
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(v); i++) {
        hash_both(v[i].in, strlen(v[i].in), a, b);
        assert_string_equal(a, v[i].out);
        assert_string_equal(b, v[i].out);
    }
    char *m = malloc(1000000);
    memset(m, 'a', 1000000);
    hash_both(m, 1000000, a, b);
    assert_string_equal(a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_string_equal(b, a);
    /* Odd split points through the block buffer agree with one call. */
    for (size_t i = 0; i < 1000000; i++)
        m[i] = (char)(i * 7 + i / 13);
    for (size_t split = 1; split < 200; split += 37) {
        struct image_sha256 h;
        char c[65];
        image_sha256_init(&h);
        for (size_t off = 0; off < 100000; off += split)
            image_sha256_update(&h, m + off, off + split > 100000 ? 100000 - off : split);
        image_sha256_final(&h, c);
        hash_both(m, 100000, a, b);
        assert_string_equal(a, b);
        assert_string_equal(c, a);
    }
    free(m);
    assert_non_null(image_digest_hex(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_null(image_digest_hex(
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    assert_null(image_digest_hex("sha512:e3b0"));
}

/* ---- names ---- */
static void test_names(void **state)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"busybox", "busybox:latest"},
        {"busybox:1.36", "busybox:1.36"},
        {"docker.io/library/busybox:latest", "busybox:latest"},
        {"docker.io/user/app", "user/app:latest"},
        {"index.docker.io/library/x:1", "x:1"},
        {"localhost/x", "localhost/x:latest"},
        {"localhost:5000/a/b:c_d.e-f", "localhost:5000/a/b:c_d.e-f"},
        {"quay.io/foo/bar-baz__q.x:v1", "quay.io/foo/bar-baz__q.x:v1"},
        {"my-registry.example.com:443/x", "my-registry.example.com:443/x:latest"},
        /* the domain stays when the rest would read as one (found by fuzz_manifest) */
        {"docker.io/docker.io/x", "docker.io/docker.io/x:latest"},
        {"docker.io/localhost/x", "docker.io/localhost/x:latest"},
    };
    static const char *const bad[] = {"Bad Name", "UPPER",       "a:",   ":tag", "a/", "-a",
                                      "a--",      "a@sha256:00", "a//b", "a:-x", ""};
    brig_error err = NULL;
    char *r;
    (void)state;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(ok); i++) {
        if (brig_image_name_normalize(ok[i].in, &r, &err) < 0)
            fail_msg("%s: %s", ok[i].in, err->msg);
        assert_string_equal(r, ok[i].out);
        free(r);
    }
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(bad); i++) {
        if (brig_image_name_normalize(bad[i], &r, &err) == 0)
            fail_msg("`%s` accepted as `%s`", bad[i], r);
        assert_non_null(strstr(err->msg, "image name `"));
        brig_error_free(&err);
    }
    assert_int_equal(brig_image_name_normalize("Bad Name", &r, &err), -1);
    assert_string_equal(err->msg, "image name `Bad Name`: invalid reference format");
    brig_error_free(&err);
}

/* ---- parsers ---- */
static void test_parsers(void **state)
{
    brig_error err = NULL;
    struct image_docker_entry *d;
    struct image_descriptor *v, cfg;
    size_t n;
    struct brig_image img = {0};
    char **ids;
    const char *hexa = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    (void)state;

    const char *m = "[{\"Config\":\"c.json\",\"RepoTags\":[\"busybox:latest\"],\"Layers\":[\"a/"
                    "layer.tar\",\"b.tar\"]}]";
    assert_int_equal(image_parse_docker_manifest(m, strlen(m), &d, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].config, "c.json");
    assert_string_equal(d[0].repo_tags[0], "busybox:latest");
    assert_string_equal(d[0].layers[1], "b.tar");
    image_docker_entries_free(d, n);
    static const char *const bad_m[] = {
        "{}", "[]", "[{\"Layers\":[]}]", "[{\"Config\":1}]", "[{\"Config\":\"c\",\"Layers\":[1]}]",
        "[",  "[1]"};
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(bad_m); i++) {
        assert_int_equal(image_parse_docker_manifest(bad_m[i], strlen(bad_m[i]), &d, &n, &err), -1);
        assert_non_null(strstr(err->msg, "manifest.json: "));
        brig_error_free(&err);
    }

    char idx[1024];
    snprintf(idx, sizeof(idx),
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
             "vnd.oci.image.manifest.v1+json\","
             "\"digest\":\"%s\",\"size\":12,\"annotations\":{\"org.opencontainers.image.ref.name\":"
             "\"x:1\"},"
             "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
             hexa);
    assert_int_equal(image_parse_oci_index(idx, strlen(idx), &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].ref_name, "x:1");
    assert_string_equal(v[0].arch, "amd64");
    assert_int_equal(v[0].size, 12);
    assert_false(image_media_type_is_index(v[0].media_type));
    image_descriptors_free(v, n);
    const char *bad_digest = "{\"manifests\":[{\"digest\":\"sha256:xyz\"}]}";
    assert_int_equal(image_parse_oci_index(bad_digest, strlen(bad_digest), &v, &n, &err), -1);
    assert_string_equal(err->msg, "index: digest `sha256:xyz` is not sha256:<64 hex>");
    brig_error_free(&err);

    snprintf(idx, sizeof(idx),
             "{\"config\":{\"digest\":\"%s\"},\"layers\":[{\"digest\":\"%s\",\"size\":3}]}", hexa,
             hexa);
    assert_int_equal(image_parse_oci_manifest(idx, strlen(idx), &cfg, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(cfg.hex, hexa + 7);
    image_descriptors_free(v, n);
    free(cfg.media_type);

    snprintf(idx, sizeof(idx),
             "{\"created\":\"2024-01-02T03:04:05Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
             "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/"
             "w\",\"User\":\"1:2\","
             "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},\"Labels\":{\"a\":\"b\"},"
             "\"StopSignal\":\"SIGINT\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
             hexa);
    assert_int_equal(image_parse_config(idx, strlen(idx), &img, &ids, &err), 0);
    assert_string_equal(ids[0], hexa + 7);
    assert_string_equal(img.created, "2024-01-02T03:04:05Z");
    assert_string_equal(img.env[0], "PATH=/bin");
    assert_string_equal(img.cmd[0], "sh");
    assert_null(img.entrypoint[0]);
    assert_string_equal(img.working_dir, "/w");
    assert_string_equal(img.user, "1:2");
    assert_string_equal(img.exposed_ports[0], "80/tcp");
    assert_string_equal(img.volumes[0], "/data");
    assert_string_equal(img.labels[0], "a=b");
    assert_string_equal(img.stop_signal, "SIGINT");
    brig_strv_free(ids);
    const char *nofs = "{\"config\":{}}";
    assert_int_equal(image_parse_config(nofs, strlen(nofs), &img, &ids, &err), -1);
    assert_string_equal(err->msg, "image config: no `rootfs` object");
    brig_error_free(&err);
    img.id = NULL;
    struct brig_image *heap = malloc(sizeof(*heap));
    *heap = img;
    brig_image_free(heap);
}

/* ---- the store ---- */
struct fx {
    char top[64], store[96];
    struct brig_image_store *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    brig_error err = NULL;
    strcpy(f->top, "/tmp/brig-image-XXXXXX");
    if (mkdtemp(f->top) == NULL)
        return -1;
    snprintf(f->store, sizeof(f->store), "%s/store", f->top);
    if (brig_image_store_open(f->store, &f->s, &err) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    brig_image_store_free(f->s);
    image_rm_rf_at(tmp, f->top + 5, &err);
    close(tmp);
    brig_error_free(&err);
    free(f);
    return 0;
}

static size_t count_dir(struct fx *f, const char *sub)
{
    char p[192];
    size_t n = 0;
    snprintf(p, sizeof(p), "%s/%s", f->store, sub);
    DIR *d = opendir(p);
    struct dirent *de;
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

struct layer {
    char *tar;
    size_t len;
    char hex[65];
};

static void layer1(struct layer *l)
{
    struct tb t;
    struct archive_entry *e;
    tb_begin(&t);
    tb_dir(&t, "bin/", 0755, 0, 0);
    tb_file(&t, "bin/sh", 0755, 0, 0, "#!shell");
    tb_hardlink(&t, "bin/ls", "bin/sh");
    tb_dir(&t, "etc/", 0755, 0, 0);
    tb_file(&t, "etc/motd", 0644, 0, 0, "hello");
    tb_dir(&t, "var/", 0755, 0, 0);
    tb_file(&t, "var/old", 0644, 0, 0, "old");
    e = tb_entry("etc/secret", AE_IFREG, 0600, 33, 33);
    archive_entry_xattr_add_entry(e, "user.k", "v", 1);
    tb_put(&t, e, "s", 1);
    l->tar = tb_end(&t, &l->len);
    image_sha256_hex(l->tar, l->len, l->hex);
}

static void layer2(struct layer *l)
{
    struct tb t;
    tb_begin(&t);
    tb_put(&t, tb_entry("etc/.wh.motd", AE_IFREG, 0644, 0, 0), NULL, 0);
    tb_dir(&t, "var/", 0755, 0, 0);
    tb_put(&t, tb_entry("var/.wh..wh..opq", AE_IFREG, 0644, 0, 0), NULL, 0);
    tb_file(&t, "var/new", 0644, 0, 0, "new");
    l->tar = tb_end(&t, &l->len);
    image_sha256_hex(l->tar, l->len, l->hex);
}

static char *config_for(struct layer *ls, size_t n, const char *created)
{
    char ids[1024] = "";
    for (size_t i = 0; i < n; i++) {
        char one[128];
        snprintf(one, sizeof(one), "%s\"sha256:%s\"", i ? "," : "", ls[i].hex);
        strcat(ids, one);
    }
    return brig_xasprintf("{\"created\":\"%s\",\"architecture\":\"amd64\",\"os\":\"linux\","
                          "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\","
                          "\"diff_ids\":[%s]}}",
                          created, ids);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* A docker-archive as docker < 25 and skopeo write it: layers first,
 * manifest.json last. `tamper` flips a byte of the last layer. */
static char *docker_archive(struct fx *f, const char *name, const char *tag, bool tamper)
{
    struct layer ls[2];
    struct tb t;
    size_t len;
    char cfg_hex[65], *cfg, *out, *manifest, cfg_name[128];
    layer1(&ls[0]);
    layer2(&ls[1]);
    cfg = config_for(ls, 2, "2024-01-01T00:00:00Z");
    image_sha256_hex(cfg, strlen(cfg), cfg_hex);
    if (tamper) { /* the content of var/new: its last occurrence */
        char *hit = NULL;
        for (char *q = ls[1].tar; (q = memmem(q, ls[1].len - (size_t)(q - ls[1].tar), "new", 3));
             q++)
            hit = q;
        assert_non_null(hit);
        hit[0] = 'N';
    }
    tb_begin(&t);
    char l0[128], l1[128];
    snprintf(l0, sizeof(l0), "%s/layer.tar", ls[0].hex);
    snprintf(l1, sizeof(l1), "%s.tar", ls[1].hex);
    tb_put(&t, tb_entry(l0, AE_IFREG, 0644, 0, 0), ls[0].tar, ls[0].len);
    tb_put(&t, tb_entry(l1, AE_IFREG, 0644, 0, 0), ls[1].tar, ls[1].len);
    snprintf(cfg_name, sizeof(cfg_name), "%s.json", cfg_hex);
    tb_file(&t, cfg_name, 0644, 0, 0, cfg);
    manifest =
        brig_xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[\"%s\"],\"Layers\":[\"%s\",\"%s\"]}]",
                       cfg_name, tag, l0, l1);
    tb_file(&t, "manifest.json", 0644, 0, 0, manifest);
    char *tar = tb_end(&t, &len);
    out = brig_xasprintf("%s/%s", f->top, name);
    write_file(out, tar, len);
    free(tar), free(manifest), free(cfg), free(ls[0].tar), free(ls[1].tar);
    return out;
}

static void assert_store_clean(struct fx *f)
{
    assert_int_equal(count_dir(f, "tmp"), 0);
}

static void test_docker_archive(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    char **names = NULL;
    struct brig_image *img, **list;
    size_t n;
    char *path = docker_archive(f, "d.tar", "docker.io/library/busybox:latest", false);

    if (brig_image_load(f->s, path, &names, &err) < 0)
        fail_msg("%s", err->msg);
    assert_string_equal(names[0], "busybox:latest");
    assert_null(names[1]);
    brig_strv_free(names);
    assert_store_clean(f);
    assert_int_equal(count_dir(f, "layers"), 2);
    assert_int_equal(brig_image_get(f->s, "busybox", &img, &err), 0);
    assert_int_equal(img->n_layers, 2);
    assert_string_equal(img->repo_tags[0], "busybox:latest");
    assert_string_equal(img->cmd[0], "/bin/sh");
    assert_string_equal(img->created, "2024-01-01T00:00:00Z");
    assert_int_equal(img->size, 7 + 5 + 3 + 1 + 3);
    /* by id, by prefix, with sha256: */
    struct brig_image *again;
    char pre[20];
    snprintf(pre, sizeof(pre), "sha256:%.8s", img->id);
    assert_int_equal(brig_image_get(f->s, pre, &again, &err), 0);
    assert_string_equal(again->id, img->id);
    brig_image_free(again);

    /* The overlay view, copied: layer 2 deleted etc/motd and made var opaque. */
    char dest[128], p[160];
    struct stat st, st2;
    snprintf(dest, sizeof(dest), "%s/rootfs", f->top);
    mkdir(dest, 0755);
    if (brig_image_materialize(f->s, img, dest, &err) < 0)
        fail_msg("%s", err->msg);
    snprintf(p, sizeof(p), "%s/etc/motd", dest);
    assert_int_equal(lstat(p, &st), -1);
    snprintf(p, sizeof(p), "%s/var/old", dest);
    assert_int_equal(lstat(p, &st), -1);
    snprintf(p, sizeof(p), "%s/var/new", dest);
    assert_int_equal(lstat(p, &st), 0);
    snprintf(p, sizeof(p), "%s/etc/secret", dest);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_uid, 33);
    assert_int_equal(st.st_mode & 07777, 0600);
    char v[4];
    assert_int_equal(getxattr(p, "user.k", v, sizeof(v)), 1);
    snprintf(p, sizeof(p), "%s/bin/sh", dest);
    assert_int_equal(lstat(p, &st), 0);
    snprintf(p, sizeof(p), "%s/bin/ls", dest);
    assert_int_equal(lstat(p, &st2), 0);
    assert_int_equal(st.st_ino, st2.st_ino);

    /* tag, list, rmi */
    assert_int_equal(brig_image_tag(f->s, "busybox", "localhost/bb:2", &err), 0);
    assert_int_equal(brig_image_list(f->s, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->repo_tags[0], "busybox:latest");
    assert_string_equal(list[0]->repo_tags[1], "localhost/bb:2");
    brig_image_list_free(list, n);
    assert_int_equal(brig_image_remove(f->s, img->id, false, NULL, NULL, &names, &err), -1);
    assert_non_null(strstr(err->msg, "use -f"));
    brig_error_free(&err);
    assert_int_equal(brig_image_remove(f->s, "busybox", false, NULL, NULL, &names, &err), 0);
    assert_string_equal(names[0], "Untagged: busybox:latest");
    assert_null(names[1]);
    brig_strv_free(names);
    assert_int_equal(count_dir(f, "layers"), 2);
    assert_int_equal(brig_image_remove(f->s, "localhost/bb:2", false, NULL, NULL, &names, &err), 0);
    assert_string_equal(names[0], "Untagged: localhost/bb:2");
    assert_true(brig_str_has_prefix(names[1], "Deleted: sha256:"));
    brig_strv_free(names);
    assert_int_equal(count_dir(f, "layers"), 0);
    assert_int_equal(count_dir(f, "images"), 0);
    assert_int_equal(count_dir(f, "blobs/sha256"), 0);
    assert_int_equal(brig_image_get(f->s, "busybox", &again, &err), -1);
    assert_string_equal(err->msg, "image `busybox`: not found in the local store (brig load -i "
                                  "or brig import it first)");
    brig_error_free(&err);
    brig_image_free(img);
    free(path);
}

static bool in_use_yes(const char *id, char **user, void *data)
{
    (void)id;
    *user = brig_xstrdup(data);
    return true;
}

static void test_tamper_and_in_use(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    char **names = NULL;
    char *bad = docker_archive(f, "bad.tar", "x:1", true);
    char *good = docker_archive(f, "good.tar", "x:1", false);

    assert_int_equal(brig_image_load(f->s, bad, &names, &err), -1);
    if (strstr(err->msg, "digest mismatch (config says diff id sha256:") == NULL)
        fail_msg("%s", err->msg);
    assert_true(brig_str_has_prefix(err->msg, "load `"));
    brig_error_free(&err);
    assert_store_clean(f);
    assert_int_equal(count_dir(f, "layers"), 0);
    assert_int_equal(count_dir(f, "images"), 0);

    /* truncated */
    struct stat st;
    stat(good, &st);
    assert_int_equal(truncate(good, st.st_size / 2), 0);
    assert_int_equal(brig_image_load(f->s, good, &names, &err), -1);
    brig_error_free(&err);
    assert_store_clean(f);
    assert_int_equal(count_dir(f, "layers"), 0);
    free(good);
    good = docker_archive(f, "good.tar", "x:1", false);
    assert_int_equal(brig_image_load(f->s, good, &names, &err), 0);
    brig_strv_free(names);
    /* loading the same archive again keeps one copy */
    assert_int_equal(brig_image_load(f->s, good, &names, &err), 0);
    brig_strv_free(names);
    assert_int_equal(count_dir(f, "layers"), 2);
    assert_int_equal(count_dir(f, "images"), 1);
    assert_int_equal(brig_image_remove(f->s, "x:1", false, in_use_yes, "web", &names, &err), -1);
    assert_string_equal(err->msg, "remove image `x:1`: in use by container `web`");
    brig_error_free(&err);
    assert_int_equal(count_dir(f, "images"), 1);
    assert_int_equal(brig_image_load(f->s, "/nonexistent.tar", &names, &err), -1);
    assert_string_equal(err->msg, "load `/nonexistent.tar`: No such file or directory");
    brig_error_free(&err);
    free(bad);
    free(good);
}

/* An OCI layout (directory and oci-archive), with a nested index. */
static void test_oci(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    char **names = NULL, p[256], dir[128];
    struct layer ls[1];
    char cfg_hex[65], man_hex[65], idx2_hex[65];
    layer1(&ls[0]);
    char *gz;
    size_t glen;
    char gz_hex[65];
    gz = tb_gzip(ls[0].tar, ls[0].len, &glen);
    image_sha256_hex(gz, glen, gz_hex);
    char *cfg = config_for(ls, 1, "2024-02-02T00:00:00Z");
    image_sha256_hex(cfg, strlen(cfg), cfg_hex);
    char *man = brig_xasprintf(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/"
        "vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},"
        "\"layers\":[{\"mediaType\":\"application/"
        "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":%zu}]}",
        cfg_hex, strlen(cfg), gz_hex, glen);
    image_sha256_hex(man, strlen(man), man_hex);
    char *idx2 =
        brig_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/"
                       "vnd.oci.image.index.v1+json\",\"manifests\":["
                       "{\"mediaType\":\"application/"
                       "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu,"
                       "\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"}},"
                       "{\"mediaType\":\"application/"
                       "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu,"
                       "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
                       "0000000000000000000000000000000000000000000000000000000000000000",
                       (size_t)1, man_hex, strlen(man));
    image_sha256_hex(idx2, strlen(idx2), idx2_hex);
    char *idx = brig_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                               "vnd.oci.image.index.v1+json\","
                               "\"digest\":\"sha256:%s\",\"size\":%zu,\"annotations\":{\"org."
                               "opencontainers.image.ref.name\":"
                               "\"localhost/oci:v1\"}}]}",
                               idx2_hex, strlen(idx2));

    snprintf(dir, sizeof(dir), "%s/layout", f->top);
    mkdir(dir, 0755);
    snprintf(p, sizeof(p), "%s/blobs", dir), mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/blobs/sha256", dir), mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/oci-layout", dir);
    write_file(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    snprintf(p, sizeof(p), "%s/index.json", dir);
    write_file(p, idx, strlen(idx));
    const char *blobs[][2] = {{cfg_hex, cfg}, {man_hex, man}, {idx2_hex, idx2}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/blobs/sha256/%s", dir, blobs[i][0]);
        write_file(p, blobs[i][1], strlen(blobs[i][1]));
    }
    snprintf(p, sizeof(p), "%s/blobs/sha256/%s", dir, gz_hex);
    write_file(p, gz, glen);
    if (brig_image_load(f->s, dir, &names, &err) < 0)
        fail_msg("%s", err->msg);
    assert_string_equal(names[0], "localhost/oci:v1");
    brig_strv_free(names);
    assert_store_clean(f);

    /* the same as an oci-archive tarball, gzip-compressed as a whole */
    struct tb t;
    size_t len;
    tb_begin(&t);
    tb_file(&t, "oci-layout", 0644, 0, 0, "{\"imageLayoutVersion\":\"1.0.0\"}");
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "blobs/sha256/%s", blobs[i][0]);
        tb_file(&t, p, 0644, 0, 0, blobs[i][1]);
    }
    snprintf(p, sizeof(p), "blobs/sha256/%s", gz_hex);
    tb_put(&t, tb_entry(p, AE_IFREG, 0644, 0, 0), gz, glen);
    tb_file(&t, "index.json", 0644, 0, 0, idx);
    char *tar = tb_end(&t, &len);
    size_t tgzlen;
    char *tgz = tb_gzip(tar, len, &tgzlen);
    snprintf(p, sizeof(p), "%s/oci.tar.gz", f->top);
    write_file(p, tgz, tgzlen);
    if (brig_image_load(f->s, p, &names, &err) < 0)
        fail_msg("%s", err->msg);
    brig_strv_free(names);
    assert_int_equal(count_dir(f, "images"), 1);

    /* a layer blob that does not match its digest */
    snprintf(p, sizeof(p), "%s/blobs/sha256/%s", dir, gz_hex);
    char *gz2 = tb_gzip(ls[0].tar, ls[0].len - 512, &glen); /* another valid gzip */
    write_file(p, gz2, glen);
    assert_int_equal(brig_image_load(f->s, dir, &names, &err), -1);
    assert_non_null(strstr(err->msg, "digest mismatch (archive says sha256:"));
    brig_error_free(&err);
    assert_store_clean(f);
    free(gz), free(gz2), free(cfg), free(man), free(idx), free(idx2), free(tar), free(tgz);
    free(ls[0].tar);
}

static void test_import_and_gc(void **state)
{
    struct fx *f = *state;
    brig_error err = NULL;
    struct layer l;
    char p[192], *id = NULL;
    struct brig_image *img;
    size_t removed;
    layer1(&l);
    snprintf(p, sizeof(p), "%s/rootfs.tar", f->top);
    write_file(p, l.tar, l.len);
    assert_int_equal(brig_image_import(f->s, p, "localhost/imp", &id, &err), 0);
    assert_int_equal(strlen(id), 64);
    assert_int_equal(brig_image_get(f->s, "localhost/imp:latest", &img, &err), 0);
    assert_string_equal(img->id, id);
    assert_int_equal(img->n_layers, 1);
    brig_image_free(img);
    char *id2 = NULL;
    assert_int_equal(brig_image_import(f->s, p, "Bad Name", &id2, &err), -1);
    assert_non_null(strstr(err->msg, "image name `Bad Name`: invalid reference format"));
    brig_error_free(&err);

    /* What a kill -9 leaves: a stage of a dead process, a half layer. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    snprintf(p, sizeof(p), "%s/tmp/load-%d-0123456789abcdef", f->store, (int)child);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/tmp/load-%d-0123456789abcdef/L0", f->store, (int)child);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/tmp/load-%d-live", f->store, (int)getppid());
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/layers/%064d", f->store, 7);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(brig_image_gc(f->s, &removed, &err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(count_dir(f, "tmp"), 1); /* the live one stays */
    assert_int_equal(count_dir(f, "layers"), 1);
    assert_int_equal(brig_image_get(f->s, id, &img, &err), 0);
    brig_image_free(img);
    free(id);
    free(l.tar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test_setup_teardown(test_docker_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_and_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oci, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_and_gc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
