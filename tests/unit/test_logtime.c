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

TEST(logtime_ripe_waits_for_a_service_that_may_still_write_an_earlier_line)
{
    const char *key = "2026-11-26T02:10:00.500Z";
    const char *before = "2026-11-26T02:10:00.400Z", *after = "2026-11-26T02:10:00.600Z";
    /* no other service, or each with a line of its own waiting or ended */
    CHECK(logtime_ripe(key, 0, NULL, 0));
    struct logtime_other o[2] = {{.last = before, .waiting = true, .idle_ms = 0}, {.last = "", .waiting = true}};
    CHECK(logtime_ripe(key, 0, o, 2));
    /* its last line at the key or after: it cannot come before */
    o[0] = (struct logtime_other){.last = key, .idle_ms = 0};
    o[1] = (struct logtime_other){.last = after, .idle_ms = 0};
    CHECK(logtime_ripe(key, 0, o, 2));
    /* behind and busy: waited for, up to the give-up */
    o[1] = (struct logtime_other){.last = before, .idle_ms = 0};
    CHECK(!logtime_ripe(key, 0, o, 2));
    CHECK(!logtime_ripe(key, LOGTIME_GIVE_UP_MS - 1, o, 2));
    CHECK(logtime_ripe(key, LOGTIME_GIVE_UP_MS, o, 2));
    /* nothing printed yet ("") is behind every stamp */
    o[1] = (struct logtime_other){.last = "", .idle_ms = 0};
    CHECK(!logtime_ripe(key, 0, o, 2));
    /* idle: once the line itself has waited the hold */
    o[1] = (struct logtime_other){.last = before, .idle_ms = LOGTIME_IDLE_MS};
    CHECK(!logtime_ripe(key, LOGTIME_HOLD_MS - 1, o, 2));
    CHECK(logtime_ripe(key, LOGTIME_HOLD_MS, o, 2));
    o[1].idle_ms = LOGTIME_IDLE_MS - 1;
    CHECK(!logtime_ripe(key, LOGTIME_IDLE_MS, o, 2));
    /* one busy service behind is enough to wait, whatever the other is */
    o[0] = (struct logtime_other){.last = before, .idle_ms = 10 * LOGTIME_IDLE_MS};
    CHECK(!logtime_ripe(key, LOGTIME_HOLD_MS, o, 2));
}

TEST(logtime_ripe_times_a_line_by_its_wait_not_by_its_stamp)
{
    /* a stamp an hour ahead of every other (the clock stepped back after
     * it was written): an idle service behind it holds it no longer than
     * any line, and a busy one no longer than the give-up */
    const char *future = "2026-11-26T03:10:00.000Z";
    struct logtime_other o = {.last = "2026-11-26T02:10:00.000Z", .idle_ms = LOGTIME_IDLE_MS};
    CHECK(!logtime_ripe(future, 0, &o, 1));
    CHECK(logtime_ripe(future, LOGTIME_HOLD_MS, &o, 1));
    o.idle_ms = 0;
    CHECK(!logtime_ripe(future, LOGTIME_GIVE_UP_MS - 1, &o, 1));
    CHECK(logtime_ripe(future, LOGTIME_GIVE_UP_MS, &o, 1));
    /* and one stamped long ago waits as long as one stamped now */
    const char *old = "2020-01-01T00:00:00.000Z";
    o = (struct logtime_other){.last = "", .idle_ms = 0};
    CHECK(!logtime_ripe(old, LOGTIME_GIVE_UP_MS - 1, &o, 1));
}
