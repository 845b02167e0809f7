#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conf *t_load(const char *droplet, ...)
{
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, "conf.d", "/tmp/rt-unit-root", &err) < 0)
        abort();
    struct conf *c = conf_new(&paths, &err);
    if (!c)
        abort();
    if (droplet)
        conf_parse_droplet(c, "conf.d/droplet.conf", droplet, strlen(droplet));
    va_list ap;
    va_start(ap, droplet);
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (!name)
            break;
        const char *text = va_arg(ap, const char *);
        char file[256];
        snprintf(file, sizeof(file), "conf.d/%s.conf", name);
        conf_parse_service(c, file, name, text, strlen(text));
    }
    va_end(ap);
    conf_finish(c);
    return c;
}

struct conf *t_svc(const char *text)
{
    return t_load(NULL, "svc", text, NULL);
}

const char *t_diags(const struct conf *c)
{
    static char buf[65536];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->diags.n && n < sizeof(buf) - 1; i++) {
        char line[4096];
        diag_format(&c->diags.v[i], line, sizeof(line));
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\n", line);
    }
    return buf;
}

int t_count_at(const struct conf *c, int line)
{
    int k = 0;
    for (size_t i = 0; i < c->diags.n; i++)
        if (c->diags.v[i].at.line == line)
            k++;
    return k;
}

char *t_plan_text(struct conf *c)
{
    return t_plan_print(plan_build(c, NULL, NULL));
}

char *t_plan_print(const struct plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || !p)
        abort();
    plan_print(p, f);
    fclose(f);
    return buf;
}
