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

#endif
