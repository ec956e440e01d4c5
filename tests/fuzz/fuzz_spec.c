/* libFuzzer harness: config.json parsing and validation. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    struct brig_spec *spec = brig_spec_load_data((const char *)data, size, &err);

    if (spec == NULL) {
        fuzz_check_error(err);
        brig_error_free(&err);
        return 0;
    }
    /* What the loader promises the rest of brig. */
    if (err != NULL || spec->oci_version == NULL || spec->root_path == NULL ||
        spec->process == NULL || spec->process->args == NULL || spec->process->args[0] == NULL ||
        spec->process->cwd == NULL || spec->process->cwd[0] != '/')
        abort();
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (spec->mounts[i].destination == NULL || spec->mounts[i].destination[0] != '/')
            abort();
    for (size_t i = 0; i < spec->n_annotations; i++)
        (void)brig_spec_annotation(spec, spec->annotations[i].key);
    brig_spec_free(spec);
    return 0;
}
