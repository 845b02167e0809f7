/* logtime.h - the stamps on log lines, and the times people give
 * `rtctl logs --since/--until`.
 *
 * rtinit's log writer starts every line of a log with its time in UTC, to
 * the millisecond, and a space: "2026-11-26T02:10:00.123Z text"
 * (init/svclog.c). The width is fixed, so comparing two stamps as strings
 * compares the times: rtctl logs merges services and filters by time
 * without converting a single line. */
#ifndef RT_LOGTIME_H
#define RT_LOGTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGTIME_LEN 24 /* "2026-11-26T02:10:00.123Z" */

/* True when line (len bytes, no newline) starts with a stamp followed by a
 * space or by the end of the line. */
bool logtime_stamped(const char *line, size_t len);

/* Milliseconds since the epoch as a stamp, NUL-terminated. */
void logtime_format(int64_t ms, char out[LOGTIME_LEN + 1]);

/* A time given on a command line, as milliseconds since the epoch:
 *   "10m", "1h30m", "90s"   that long before now_ms (a duration of
 *                            config/value.h: ms, s, m, h);
 *   "2026-11-26T02:10:00.5Z", "2026-11-26 02:10:00", "2026-11-26T02:10",
 *   "2026-11-26"             a date and time; local time unless it ends
 *                            with Z or an offset (+01:00, -0500);
 *   "02:10", "02:10:30"      that time today (local time).
 * Returns 0, or -1 with a short sentence in *why. */
int logtime_parse(const char *s, int64_t now_ms, int64_t *ms, const char **why);

/* `rtctl logs -f` of several services: when a line may be printed.
 *
 * rtinit stamps a line when it reads it from the service, and its log
 * writer writes it a little later, each file in time order: a service
 * that has no line waiting may still write one stamped before the oldest
 * line waiting (the candidate). The candidate waits for each such service
 * until its last line is at or after the candidate's stamp, or until that
 * service has been idle for LOGTIME_IDLE_MS (nothing written, not behind)
 * and the candidate has waited LOGTIME_HOLD_MS (what a writer is behind by
 * when it keeps up), and at most LOGTIME_GIVE_UP_MS (a writer that far
 * behind is not waited for).
 *
 * Every wait is timed by the monotonic clock from when rtctl first saw the
 * line (or an earlier moment its file proves it was there): the stamps
 * only order the lines. A stamp ahead of the clock (the clock stepped back
 * after the line was written) is printed as soon as any other line, not
 * when the clock catches up with it. */
enum { LOGTIME_HOLD_MS = 300, LOGTIME_IDLE_MS = 1000, LOGTIME_GIVE_UP_MS = 5000 };

struct logtime_other {
    const char *last; /* the stamp of its last line printed or skipped ("" before one) */
    bool waiting;     /* it has a line of its own waiting (not older than the candidate), or has ended */
    int64_t idle_ms;  /* since its newest line appeared */
};

/* May the candidate, stamped key and waiting for held_ms, be printed,
 * given the other services? */
bool logtime_ripe(const char *key, int64_t held_ms, const struct logtime_other *others, size_t n);

#endif
