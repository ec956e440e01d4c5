/* libFuzzer harness: the on-disk caches of seccomp work (src/lib/core/cache.c,
 * the compiled-program cache in src/lib/sandbox/seccomp.c and the converted
 * profile cache in src/lib/spec/seccomp_profile.c).  The first byte picks
 * the cache (even: compiled programs, odd: converted profiles); the rest is
 * the content of the cache file that a small profile maps to, as a crash,
 * an older brig or a disk error may leave it (brig's default profile takes
 * tens of milliseconds to compile: every miss would).  seccomp.c is included
 * for the program's layout.
 *
 * Oracle: the cache answers exactly as the format says, never more.  An
 * entry whose header and whole key match and whose data is well formed is
 * a hit and gives back exactly its data; anything else is a miss, which
 * gives what a fresh compile (conversion) gives and rewrites the entry so
 * that it reads back as that. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "sandbox/seccomp.c"
#include "spec/seccomp_profile.h"

/* cache.c's format: "brig-cache 1 <key length>\n", the key, the data. */
#define CACHE_MAGIC "brig-cache 1 "
#include "spec/spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAPS UINT64_C(0x800405fb)

static const char profile[] =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"], "
    "\"syscalls\": [{\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": "
    "\"SCMP_ACT_ALLOW\"}, {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", "
    "\"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}, {\"names\": "
    "[\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
    "[\"CAP_SYS_PTRACE\"]}}]}";

static int rootfd = -1;
static struct brig_spec *spec;
static struct brig_seccomp_filter *fresh; /* compiled without a cache */
static char *fresh_oci;                   /* converted without a cache */
static char bpf_name[64], oci_name[64];   /* the entries, under @seccomp/ */
static char *bpf_entry, *oci_entry;       /* their good contents */
static size_t bpf_entry_len, oci_entry_len;
static size_t bpf_prefix, oci_prefix; /* header + key */

static void find_entry(const char *kind, char name[64])
{
    DIR *d = fdopendir(openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *de;
    name[0] = '\0';
    while (d && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, kind, strlen(kind)) == 0)
            snprintf(name, 64, CACHE_DIR "/%s", de->d_name);
    if (d == NULL || name[0] == '\0')
        abort();
    closedir(d);
}

static char *read_entry(const char *name, size_t *len)
{
    char *buf = NULL;
    brig_error err = NULL;
    if (brig_read_file_at(rootfd, name, 16 << 20, &buf, len, &err) < 0)
        abort();
    return buf;
}

static size_t prefix_len(const char *entry)
{
    size_t klen;
    int off = 0;
    if (sscanf(entry, CACHE_MAGIC "%zu\n%n", &klen, &off) != 1 || off == 0)
        abort();
    return (size_t)off + klen;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *top = fuzz_scratch_dir("scache");
    brig_error err = NULL;
    char *oci = NULL, *doc;

    (void)argc;
    (void)argv;
    if ((rootfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        abort();
    if (brig_seccomp_profile_to_oci(profile, strlen(profile), CAPS, &fresh_oci, &err) < 0)
        abort();
    if (brig_seccomp_profile_to_oci_cached(rootfd, profile, strlen(profile), CAPS, &oci, &err) < 0)
        abort();
    free(oci);
    doc = brig_xasprintf("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
                         "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": {\"uid\": "
                         "0, \"gid\": 0}}, \"linux\": {\"seccomp\": %s}}",
                         fresh_oci);
    spec = brig_spec_load_data(doc, strlen(doc), &err);
    free(doc);
    if (spec == NULL || brig_seccomp_compile(spec->linux_.seccomp, &fresh, &err) < 0)
        abort();
    struct brig_seccomp_filter *f = NULL;
    if (brig_seccomp_compile_cached(rootfd, spec->linux_.seccomp, &f, &err) < 0)
        abort();
    free(f);
    find_entry("bpf-", bpf_name);
    find_entry("oci-", oci_name);
    bpf_entry = read_entry(bpf_name, &bpf_entry_len);
    oci_entry = read_entry(oci_name, &oci_entry_len);
    bpf_prefix = prefix_len(bpf_entry);
    oci_prefix = prefix_len(oci_entry);
    return 0;
}

static void put(const char *name, const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    if (brig_write_file_atomic_at(rootfd, name, data, size, 0600, &err) < 0)
        abort();
}

static void expect_entry(const char *name, const char *good, size_t good_len)
{
    size_t len;
    char *now = read_entry(name, &len);
    if (len != good_len || memcmp(now, good, len) != 0)
        abort(); /* a miss rewrites the entry */
    free(now);
}

static bool same_filter(const struct brig_seccomp_filter *a, const struct brig_seccomp_filter *b)
{
    return a->flags == b->flags && a->len == b->len &&
           memcmp(a->insns, b->insns, a->len * sizeof(struct sock_filter)) == 0;
}

static void fuzz_bpf(const uint8_t *data, size_t size)
{
    struct brig_seccomp_filter *f = NULL;
    brig_error err = NULL;
    uint32_t hdr[2];
    bool hit = false;

    put(bpf_name, data, size);
    if (size >= bpf_prefix + sizeof(hdr) && memcmp(data, bpf_entry, bpf_prefix) == 0) {
        memcpy(hdr, data + bpf_prefix, sizeof(hdr));
        hit = hdr[1] > 0 && hdr[1] <= BPF_MAXINSNS &&
              size - bpf_prefix == sizeof(hdr) + (size_t)hdr[1] * sizeof(struct sock_filter);
    }
    if (brig_seccomp_compile_cached(rootfd, spec->linux_.seccomp, &f, &err) < 0 || f == NULL)
        abort();
    if (hit) {
        if (f->flags != hdr[0] || f->len != hdr[1] ||
            memcmp(f->insns, data + bpf_prefix + sizeof(hdr), hdr[1] * sizeof(struct sock_filter)))
            abort();
    } else {
        if (!same_filter(f, fresh))
            abort();
        expect_entry(bpf_name, bpf_entry, bpf_entry_len);
    }
    free(f);
}

static void fuzz_oci(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    char *out = NULL;
    bool hit = size >= oci_prefix && memcmp(data, oci_entry, oci_prefix) == 0;

    put(oci_name, data, size);
    if (brig_seccomp_profile_to_oci_cached(rootfd, profile, strlen(profile), CAPS, &out, &err) < 0)
        abort();
    if (hit) {
        /* the data as stored, NUL-terminated */
        size_t n = size - oci_prefix;
        if (memcmp(out, data + oci_prefix, n) != 0 || out[n] != '\0')
            abort();
    } else {
        if (strcmp(out, fresh_oci) != 0)
            abort();
        expect_entry(oci_name, oci_entry, oci_entry_len);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_bpf(data + 1, size - 1);
    else
        fuzz_oci(data + 1, size - 1);
    /* A good entry is back for the next input's prefix to mutate from. */
    return 0;
}
