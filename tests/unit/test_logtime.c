/* The stamps on log lines and the times given to `rtctl logs --since
 * --until` (lib/logtime.c). */
#include <stdlib.h>
#include <time.h>

#include "../../lib/logtime.h"
#include "t.h"

TEST(logtime_stamped_lines)
{
    const char *ok[] = {"2026-11-26T02:10:00.123Z text", "2026-11-26T02:10:00.123Z", "2026-11-26T02:10:00.123Z "};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CHECK(logtime_stamped(ok[i], strlen(ok[i])));
    const char *bad[] = {"",
                         "text",
                         "2026-11-26T02:10:00.123Ztext",
                         "2026-11-26 02:10:00.123Z text",
                         "2026-11-26T02:10:00.12Z text",
                         "2026-11-26T02:10:00,123Z text",
                         "2026-1a-26T02:10:00.123Z text",
                         "[rtinit: 3 lines dropped here]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!logtime_stamped(bad[i], strlen(bad[i])));
    /* the length counts, not the NUL */
    CHECK(!logtime_stamped("2026-11-26T02:10:00.123Z text", 20));
}

TEST(logtime_format_is_utc_to_the_millisecond)
{
    char s[LOGTIME_LEN + 1];
    logtime_format(0, s);
    CHECK_STR(s, "1970-01-01T00:00:00.000Z");
    logtime_format(1795659000123LL, s);
    CHECK_STR(s, "2026-11-26T02:10:00.123Z");
    logtime_format(-5, s);
    CHECK_STR(s, "1970-01-01T00:00:00.000Z");
    /* a later time is a greater string */
    char a[LOGTIME_LEN + 1], b[LOGTIME_LEN + 1];
    logtime_format(999, a);
    logtime_format(1000, b);
    CHECK(strcmp(a, b) < 0);
}

TEST(logtime_parse_durations_and_times)
{
    /* local time is CET (UTC+1) here: no tzdata needed for a POSIX TZ */
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "CET-1", 1);
    tzset();
    const int64_t now = 1795659000123LL; /* 2026-11-26T02:10:00.123Z */
    const int64_t midnight = 1795651200000LL; /* 2026-11-26T00:00:00Z */
    struct {
        const char *in;
        int64_t ms;
    } ok[] = {
        {"10m", now - 600000},
        {"1h30m", now - 5400000},
        {"500ms", now - 500},
        {"0", now},
        {"2026-11-26T02:10:00Z", midnight + 7800000},
        {"2026-11-26t02:10:00z", midnight + 7800000},
        {"2026-11-26T02:10:00.5Z", midnight + 7800500},
        {"2026-11-26T02:10:00.123456Z", midnight + 7800123},
        {"2026-11-26T02:10Z", midnight + 7800000},
        {"2026-11-26T03:10:00+01:00", midnight + 7800000},
        {"2026-11-25T21:10:00-0500", midnight + 7800000},
        {"2026-11-26Z", midnight},
        {"2026-11-26 03:10", midnight + 7800000},    /* local: 02:10Z */
        {"2026-11-26T03:10:00", midnight + 7800000}, /* local */
        {"2026-11-26", midnight - 3600000},          /* local midnight */
        {"03:10", midnight + 7800000},               /* today, local */
        {"03:10:30.25", midnight + 7830250},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = -1;
        const char *why = NULL;
        int r = logtime_parse(ok[i].in, now, &ms, &why);
        if (r != 0 || ms != ok[i].ms)
            t_fail(__FILE__, __LINE__, "'%s': %d, %lld, expected %lld (%s)", ok[i].in, r, (long long)ms,
                   (long long)ok[i].ms, why ? why : "");
    }
    /* a duration longer than the epoch is the epoch */
    int64_t ms;
    const char *why;
    CHECK_INT(logtime_parse("10h", 1000, &ms, &why), 0);
    CHECK_INT(ms, 0);
    const char *bad[] = {"", "bogus", "10", "10 m", "2026-13-01", "2026-11-26T25:00", "2026-11-26T02:60",
                         "2026-11-26T02:10:00+5", "2026-11-26T02:10:00.Z", "2026-11-26T02:10:00Zjunk",
                         "2026-11-26T", "25:00", "3:10", "2026-11-26T02:10:00+24:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        if (logtime_parse(bad[i], now, &ms, &why) == 0)
            t_fail(__FILE__, __LINE__, "'%s' was taken as %lld", bad[i], (long long)ms);
        else
            CHECK_CONTAINS(why, "expected a duration such as 10m");
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}
