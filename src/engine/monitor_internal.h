/* Between the caller's side of monitor_start (monitor_client.c) and the
 * monitor process (monitor.c); not part of the engine's interface. */
#ifndef BRIG_ENGINE_MONITOR_INTERNAL_H
#define BRIG_ENGINE_MONITOR_INTERNAL_H

#include <stdbool.h>

#include "monitor.h"

/* The monitor process's whole life, after the double fork.  `report` is
 * the write end of the status pipe: one line "ok" or "err MESSAGE" once
 * the container runs (or could not be made), then, to an attached caller,
 * "exit N" when everything is done.  `winch` (-1 when unused) is the read
 * end of the caller's SIGWINCH pipe.  Never returns. */
__attribute__((noreturn)) void monitor_main(const struct monitor_opts *o, int report, int winch,
                                            bool attach);

#endif
