#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rt_error(struct rt_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->errnum = errnum;
    return -1;
}

int rt_syserror(struct rt_err *err, const char *fmt, ...)
{
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(e));
    err->errnum = e;
    errno = e;
    return -1;
}

int rt_error_prefix(struct rt_err *err, const char *fmt, ...)
{
    char old[RT_ERR_MSG];
    memcpy(old, err->msg, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    /* Append ": old", truncating the old message if the two do not fit. */
    size_t used = n < 0 ? 0 : (size_t)n >= sizeof(err->msg) ? sizeof(err->msg) - 1 : (size_t)n;
    size_t room = sizeof(err->msg) - used - 1;
    if (room >= 2) {
        memcpy(err->msg + used, ": ", 2);
        size_t ol = strnlen(old, room - 2);
        memcpy(err->msg + used + 2, old, ol);
        err->msg[used + 2 + ol] = '\0';
    }
    return -1;
}
