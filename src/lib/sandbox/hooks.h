/* OCI hooks: each hook is fork+exec'd with the container state JSON on its
 * stdin, its own args and env, and killed (SIGKILL) if it runs past its
 * timeout.  A failing hook (non-zero exit, signal or timeout) is an error
 * naming the hook's kind, path and reason: "prestart hook `/bin/x`: exited
 * with status 3". */
#ifndef BRIG_HOOKS_H
#define BRIG_HOOKS_H

#include "core/error.h"
#include "spec/spec.h"

const char *brig_hook_kind_name(enum brig_hook_kind kind); /* "prestart", "createRuntime", ... */

/* Run hooks[0..n) in order, stopping at the first failure.  Hook output goes
 * to the runtime's stderr (stdout too is redirected there: the runtime's
 * stdout may be a console socket or the container's own stdio). */
int brig_hooks_run(enum brig_hook_kind kind, const struct brig_spec_hook *hooks, size_t n,
                   const char *state_json, brig_error *reterr);

#endif
