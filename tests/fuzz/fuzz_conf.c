/* libFuzzer target for the conf parser and planner.
 *
 * The input is split at the first NUL byte (if any): the part before is
 * parsed as droplet.conf, the part after as a service file; without a NUL
 * the whole input is a service file. Then the plan is built and printed,
 * so every path from bytes to `config check` output is exercised. The
 * parser must never crash, leak, or read out of bounds, whatever it gets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../config/conf.h"
#include "../../config/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, "/nonexistent/conf.d", "/nonexistent/root", &err) < 0)
        abort();
    struct conf *c = conf_new(&paths, &err);
    if (!c)
        return 0;
    const char *text = (const char *)data;
    const char *nul = memchr(data, '\0', size);
    if (nul) {
        conf_parse_droplet(c, "conf.d/droplet.conf", text, (size_t)(nul - text));
        conf_parse_service(c, "conf.d/a.conf", "a", nul + 1, size - (size_t)(nul - text) - 1);
    } else {
        conf_parse_service(c, "conf.d/a.conf", "a", text, size);
    }
    /* A second service depending on the first gives the planner edges. */
    static const char b[] = "[service]\nimage = b\ndepends_on = a:healthy\n";
    conf_parse_service(c, "conf.d/b.conf", "b", b, sizeof(b) - 1);
    conf_finish(c);
    struct plan *p = plan_build(c, NULL, NULL);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        diag_print(&c->diags, devnull);
        if (p)
            plan_print(p, devnull);
        fclose(devnull);
    }
    conf_free(c);
    return 0;
}
