/* log.h - messages from rtctl and rtinit to people.
 *
 * Every line starts with the program name, so a message that reaches a
 * console or a CI log says where it came from: "rtctl: conf.d: ...". */
#ifndef RT_LOG_H
#define RT_LOG_H

#include <stdio.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct logger {
    const char *prog;
    enum log_level level;  /* messages above this level are dropped */
    FILE *out;             /* stderr unless redirected */
};

void log_init(struct logger *lg, const char *prog);
void log_msg(const struct logger *lg, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
