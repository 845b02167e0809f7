/* check.h - validate conf.d and report, for `rtctl config check` and
 * `rtinit --check`. */
#ifndef RT_CHECK_H
#define RT_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "../lib/paths.h"
#include "plan.h"

/* Load conf.d, build the plan, print every problem to err as
 * FILE:LINE: key: message plus a summary line, and (when the
 * configuration is valid and print_plan is set) the plan to out.
 * lookup (may be NULL) gives images' defaults, plan_flags say whether an
 * image missing from the store is an error; see plan_build_flags().
 * Returns 0 when valid, 1 when it has errors, -1 when conf.d could not be
 * read at all (message in *e). */
int config_check(const struct rt_paths *paths, bool print_plan, image_lookup_fn lookup, void *ud, unsigned plan_flags,
                 FILE *out, FILE *err, struct rt_err *e);

#endif
