/* Container logs in docker's json-file format, one JSON object per line:
 *     {"log":"hello\n","stream":"stdout","time":"2026-11-23T09:30:00.123456789Z"}
 * in ctr_dir/ctr.log, rotated to ctr.log.1 .. ctr.log.(max_files-1) when
 * the live file would pass max_size.  A line longer than 16 KiB is split
 * (docker does the same); a final line without "\n" is flushed at close. */
#ifndef BRIG_ENGINE_LOGFILE_H
#define BRIG_ENGINE_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum log_stream { LOG_STDOUT = 1, LOG_STDERR = 2 };

struct logfile;
int logfile_open(const char *ctr_dir, uint64_t max_size, unsigned max_files, struct logfile **ret,
                 brig_error *reterr);
/* Append output; complete lines are written at once, a partial line is
 * held until its end arrives (or 16 KiB, or close). */
int logfile_write(struct logfile *l, enum log_stream s, const char *buf, size_t len,
                  brig_error *reterr);
void logfile_close(struct logfile *l); /* flushes partial lines */

struct log_read_opts {
    bool follow;     /* -f: keep reading until the container stops */
    long tail;       /* --tail N: last N lines; -1 = all */
    double since;    /* --since: unix seconds; 0 = all */
    double until;    /* --until; 0 = none */
    bool timestamps; /* -t: prefix each line with its RFC 3339 time */
    /* with follow: asked between reads; false ends the follow */
    bool (*running)(void *data);
    void *running_data;
};
/* Print the log (oldest rotated file first) to out_fd/err_fd by stream. */
int logfile_read(const char *ctr_dir, const struct log_read_opts *o, int out_fd, int err_fd,
                 brig_error *reterr);

#endif
