#include "log.h"

#include <stdarg.h>
#include <string.h>

void log_init(struct logger *lg, const char *prog)
{
    const char *slash = strrchr(prog, '/');
    lg->prog = slash ? slash + 1 : prog;
    lg->level = LOG_INFO;
    lg->out = stderr;
}

void log_msg(const struct logger *lg, enum log_level lvl, const char *fmt, ...)
{
    if (lvl > lg->level)
        return;
    static const char *const tag[] = {"error: ", "warning: ", "", ""};
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* One fprintf per line keeps lines whole when several writers share
     * the stream. */
    fprintf(lg->out, "%s: %s%s\n", lg->prog, tag[lvl], buf);
    fflush(lg->out);
}
