/* libFuzzer harness: seccomp profiles (docker's format or OCI's) converted
 * to linux.seccomp.  The first byte picks the capability set, so the
 * includes/excludes filtering is driven too; the rest is the profile. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "spec/seccomp_profile.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t cap_sets[] = {0, UINT64_C(0x800405fb), UINT64_C(1) << 21, ~UINT64_C(0)};
    brig_error err = NULL;
    char *out = NULL, *doc;
    struct brig_spec *spec;
    uint64_t caps;

    if (size == 0)
        return 0;
    caps = cap_sets[data[0] % 4];
    if (brig_seccomp_profile_to_oci((const char *)data + 1, size - 1, caps, &out, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
        if (out != NULL)
            abort();
        return 0;
    }
    /* What the converter promises: an object the spec parser takes. */
    if (err != NULL || out == NULL)
        abort();
    doc = malloc(strlen(out) + 200);
    if (doc == NULL)
        abort();
    strcpy(doc, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": "
                "{\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": {\"uid\": 0, \"gid\": 0}}, "
                "\"linux\": {\"seccomp\": ");
    strcat(doc, out);
    strcat(doc, "}}");
    spec = brig_spec_load_data(doc, strlen(doc), &err);
    if (spec == NULL) {
        /* Only the runtime's later checks (flags) may still refuse it. */
        fuzz_check_error(err);
        if (strstr(err->msg, "linux.seccomp") == NULL)
            abort();
        brig_error_free(&err);
    } else if (spec->linux_.seccomp == NULL) {
        abort();
    }
    brig_spec_free(spec);
    free(doc);
    free(out);
    return 0;
}
