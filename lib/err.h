/* err.h - the one error type carried up through every layer.
 *
 * A function that can fail returns -1 (or NULL) and fills a struct rt_err
 * with errno and a message that already names what failed ("open
 * /var/lib/rt/x: Permission denied"), so the caller can print it as is.
 * The message lives in a fixed buffer: reporting an error never
 * allocates, which matters in PID 1. */
#ifndef RT_ERR_H
#define RT_ERR_H

#define RT_ERR_MSG 1024

struct rt_err {
    int errnum;              /* errno value, 0 if not a system error */
    char msg[RT_ERR_MSG];
};

/* Set err to the formatted message; returns -1 for `return rt_error(...)`. */
int rt_error(struct rt_err *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like rt_error with errnum = errno, appending ": strerror(errno)". */
int rt_syserror(struct rt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
