/* logtime.c - see logtime.h. */
#include "logtime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config/value.h"

bool logtime_stamped(const char *line, size_t len)
{
    /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (len < LOGTIME_LEN || (len > LOGTIME_LEN && line[LOGTIME_LEN] != ' '))
        return false;
    for (size_t i = 0; i < LOGTIME_LEN; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)line[i]) : line[i] != shape[i])
            return false;
    return true;
}

void logtime_format(int64_t ms, char out[LOGTIME_LEN + 1])
{
    if (ms < 0)
        ms = 0;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, LOGTIME_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, LOGTIME_LEN + 1 - n, ".%03dZ", (int)(ms % 1000));
}

static const char bad_time[] = "expected a duration such as 10m or 1h30m, or a time such as "
                               "2026-11-26T02:10:00Z, 2026-11-26 02:10 or 02:10";

/* ":SS" after HH:MM, then ".fff": what follows a time of day. */
static const char *seconds_and_fraction(const char *p, struct tm *tm, int *milli)
{
    if (*p == ':') {
        if (!isdigit((unsigned char)p[1]) || !(p = strptime(p + 1, "%S", tm)))
            return NULL;
    }
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                *milli = *milli * 10 + (*p - '0');
        if (!digits)
            return NULL;
        for (; digits < 3; digits++)
            *milli *= 10;
    }
    return p;
}

int logtime_parse(const char *s, int64_t now_ms, int64_t *ms, const char **why)
{
    *why = bad_time;
    if (!*s)
        return -1;
    /* A duration has neither dashes nor colons. */
    if (!strpbrk(s, "-:")) {
        uint64_t d;
        const char *dwhy;
        if (parse_duration(s, &d, &dwhy) < 0)
            return -1;
        *ms = (uint64_t)now_ms > d ? now_ms - (int64_t)d : 0;
        return 0;
    }
    struct tm tm = {0};
    int milli = 0;
    const char *p = NULL;
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && s[2] == ':') {
        /* a time of day: today's date, in local time */
        time_t now = (time_t)(now_ms / 1000);
        localtime_r(&now, &tm);
        tm.tm_sec = 0;
        p = strptime(s, "%H:%M", &tm);
        if (p)
            p = seconds_and_fraction(p, &tm, &milli);
    } else {
        p = strptime(s, "%Y-%m-%d", &tm);
        if (p && (*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
            p = strptime(p + 1, "%H:%M", &tm);
            if (p)
                p = seconds_and_fraction(p, &tm, &milli);
        }
    }
    if (!p)
        return -1;
    bool utc = false;
    long off = 0; /* seconds east of UTC */
    if (*p == 'Z' || *p == 'z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 && n == 5)
            p += 1 + n;
        else if (sscanf(p + 1, "%2d%2d%n", &hh, &mm, &n) == 2 && n == 4)
            p += 1 + n;
        else
            return -1;
        if (hh > 23 || mm > 59)
            return -1;
        utc = true;
        off = sign * (hh * 3600L + mm * 60L);
    }
    if (*p)
        return -1;
    time_t t;
    if (utc) {
        t = timegm(&tm) - off;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    if (t == (time_t)-1 || t < 0) {
        *why = "not a time this machine can represent";
        return -1;
    }
    *ms = (int64_t)t * 1000 + milli;
    return 0;
}

bool logtime_ripe(const char *key, int64_t held_ms, const struct logtime_other *others, size_t n)
{
    if (held_ms >= LOGTIME_GIVE_UP_MS)
        return true;
    for (size_t k = 0; k < n; k++) {
        const struct logtime_other *o = &others[k];
        if (o->waiting || strcmp(o->last, key) >= 0)
            continue;
        if (held_ms >= LOGTIME_HOLD_MS && o->idle_ms >= LOGTIME_IDLE_MS)
            continue;
        return false;
    }
    return true;
}
