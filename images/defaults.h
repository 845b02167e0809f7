/* defaults.h - images' configs as the defaults of the services that run
 * them: the image lookup plan_build() takes. */
#ifndef RT_DEFAULTS_H
#define RT_DEFAULTS_H

#include <stdbool.h>

#include "../lib/paths.h"
#include "../config/plan.h"
#include "oci.h"
#include "store.h"

struct image_lookup {
    struct store store;
};

/* Open the image store under paths for lookups. Returns 1 when there is a
 * store, 0 when there is none yet (nothing imported: no lookups), -1 with
 * err when it cannot be read. */
int image_lookup_open(struct image_lookup *l, const struct rt_paths *paths, struct rt_err *err);
void image_lookup_close(struct image_lookup *l);

/* An image_lookup_fn; ud is a struct image_lookup. */
int image_lookup(void *ud, struct arena *a, const char *image, struct image_defaults *out, const char **why);

/* The conversion itself, from a parsed image config. */
void image_defaults_from_config(struct arena *a, const struct image_config *cfg, struct image_defaults *out);

#endif
