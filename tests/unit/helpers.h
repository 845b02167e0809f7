/* helpers.h - build a conf from strings for the unit tests. */
#ifndef T_HELPERS_H
#define T_HELPERS_H

#include "../../config/conf.h"
#include "../../config/plan.h"

/* Parse droplet (NULL: no droplet.conf) and services given as
 * name, text pairs ending with NULL. Paths look like conf.d/NAME.conf. */
struct conf *t_load(const char *droplet, ...);
/* One service "svc" with the given text, default droplet. */
struct conf *t_svc(const char *text);
/* All diagnostics, formatted, one per line (static buffer). */
const char *t_diags(const struct conf *c);
/* Number of diagnostics at this line. */
int t_count_at(const struct conf *c, int line);

/* Build the plan and return what config check would print (free it). */
char *t_plan_text(struct conf *c);
/* What config check would print for this plan (free it). */
char *t_plan_print(const struct plan *p);

#endif
