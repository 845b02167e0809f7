/* svcdesc.h - what a service's start runs, as text a reload compares.
 *
 * A service is described field by field from the container spec it
 * starts with (struct ctr_spec, as init/svcspec.c builds it) and from the
 * policy fields of its definition (restart and back-off, health check,
 * dependencies, stop signal and timeout, published ports, fixed address):
 * one "KEY VALUE..." line per setting, keys in a fixed order, strings
 * quoted with every space, control byte, quote and backslash escaped, so
 * that no two different settings describe alike. Lists whose order means
 * nothing (the environment, ports, dependencies) are sorted, so that
 * moving lines in a file changes nothing.
 *
 * A reload restarts a service when the description of what would start
 * now differs from that of its last start, and svcdesc_diff() says which
 * keys differ. What `rtctl config check` prints plays no part: a key it
 * does not print still counts, and a change to the printout restarts
 * nothing.
 *
 * Left out on purpose: what rtinit gives every container rather than the
 * service's definition (its name, the state and run directories, its
 * place on the bridge, /etc/hosts, resolv.conf, stdio; a terminal is
 * rtctl run -t's, never a service's), and what does not
 * change what runs (the conf file's name and lines, the stage, the
 * image's name when its layers and config are the same).
 *
 * The text holds the environment, secrets included: it is compared, never
 * shown. svcdesc_diff() names keys, variable names and layer digests,
 * never a value. */
#ifndef RT_SVCDESC_H
#define RT_SVCDESC_H

#include <stdio.h>

#include "../runtime/container.h"
#include "arena.h"
#include "../config/plan.h"

/* The description of a start of ps with spec, from a. hc_argv: the health
 * check's exec words with ${VAR} expanded (NULL: as written). */
char *svcdesc_build(struct arena *a, const struct plan_svc *ps, const struct ctr_spec *spec, char *const *hc_argv);

/* The keys whose lines differ between two descriptions, written to f as
 * "environment (LOG_LEVEL), image layers (sha256:0123456789ab ->
 * sha256:ba9876543210), ulimits"; nothing when they are equal. */
void svcdesc_diff(const char *old, const char *new, FILE *f);

#endif
