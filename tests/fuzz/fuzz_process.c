/* libFuzzer harness: process.json (`exec --process`). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    brig_error err = NULL;
    struct brig_spec_process *p = brig_spec_process_load_data((const char *)data, size, &err);

    if (p == NULL) {
        fuzz_check_error(err);
        brig_error_free(&err);
        return 0;
    }
    if (err != NULL || p->args == NULL || p->args[0] == NULL || p->cwd == NULL ||
        p->cwd[0] != '/' ||
        (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)))
        abort();
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (p->rlimits[i].soft > p->rlimits[i].hard)
            abort();
    brig_spec_process_free(p);
    return 0;
}
