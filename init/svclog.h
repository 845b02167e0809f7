/* svclog.h - service logs that never block rtinit's loop.
 *
 * The loop reads each service's stdout/stderr pipe, stamps every line and
 * puts it, as a record, in that service's queue (a fixed buffer). A
 * separate process, the log writer ("rtinit-log", forked from rtinit),
 * owns the files: it appends each line to LOGDIR/NAME.log and rotates by
 * size. Records reach it through one pipe (1 MiB) written without
 * blocking, a few KiB from each queue in turn, so one chatty service does
 * not hold back the others' lines.
 *
 * A slow or stuck disk blocks only the writer. The pipe and then the
 * queues fill; a line that does not fit in its queue is dropped and
 * counted, the service itself never blocks, and when room comes back the
 * log gets a line saying how many were dropped. rtinit's own messages go
 * the same way into LOGDIR/rtinit.log.
 *
 * The writer exits when the pipe closes (after the last line); if it dies
 * it is started again, and the queues hold what came meanwhile. */
#ifndef RT_SVCLOG_H
#define RT_SVCLOG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"

/* One record is at most PIPE_BUF bytes, so that each write of whole
 * records to the non-blocking pipe is all or nothing. Longer lines are
 * cut into parts. */
#define SVCLOG_RECORD 4096
#define SVCLOG_QUEUE (32 * 1024)

struct logq {
    char *buf;                   /* SVCLOG_QUEUE bytes of whole records, from off */
    size_t off, len;
    uint64_t dropped;            /* lines dropped since the last note */
    uint64_t dropped_total;
};

struct logw {
    pid_t pid;                   /* the writer, or -1 */
    int fd;                      /* the pipe to it (O_NONBLOCK), or -1 */
    bool full;                   /* the pipe was full: wait until it is writable */
    size_t rr;                   /* the queue to take from first */
    char dir[PATH_MAX];
    uint64_t max_size;           /* 0: never rotate */
    unsigned max_files;
};

/* Allocates the buffer (once; it is reused for the service's life). */
int logq_init(struct logq *q);
void logq_free(struct logq *q);

enum logq_put { LQ_OK, LQ_DROPPED, LQ_RESUMED };
/* Queue one line for NAME.log (name NULL: rtinit.log), stamped with the
 * time now. LQ_DROPPED: no room, the line is counted; LQ_RESUMED: it was
 * queued after a note of the dropped lines (their count was *resumed). */
enum logq_put logq_put(struct logq *q, const char *name, const char *text, size_t len, uint64_t *resumed);

/* The note of lines dropped, when there are some and room for it: for a
 * queue that has emptied after drops (the service may write nothing more
 * to carry it). True with their count in *count. */
bool logq_note(struct logq *q, const char *name, uint64_t *count);

/* Start the writer for dir; 0, or -1 with err. */
int logw_start(struct logw *w, const char *dir, uint64_t max_size, unsigned max_files, struct rt_err *err);
/* New [logging] settings for a writer that runs (after a reload). */
void logw_config(struct logw *w, struct logq *q, const char *dir, uint64_t max_size, unsigned max_files);
/* Move records from the queues to the pipe, a few KiB from each in turn.
 * 1: all queues are empty; 0: the pipe is full (w->full: watch w->fd for
 * EPOLLOUT); -1: the writer is gone (its death is seen by the reaper). */
int logw_flush(struct logw *w, struct logq *const *qs, size_t n);
/* The end: give the writer what is queued, waiting at most timeout_ms,
 * close the pipe and wait (as long again) for it to write and exit. */
void logw_stop(struct logw *w, struct logq *const *qs, size_t n, unsigned timeout_ms);

#endif
