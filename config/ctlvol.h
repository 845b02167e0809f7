/* ctlvol.h - a bind mount that would hand a container rtinit's control
 * socket. */
#ifndef RT_CTLVOL_H
#define RT_CTLVOL_H

#include <stddef.h>

/* The directory of rtinit's control socket that the host path src (a
 * volume's source, absolute) would expose: src is that directory, holds
 * it (/, /run) or lies inside it. Checked against run_dir (where this
 * rtinit's socket is, lib/paths) and /run/rt (a droplet's, whatever
 * --root says), both as written and with symbolic links resolved (so
 * /var/run, /proc/1/root and a link to / count). Returns 1 with how in
 * why ("/run holds /run/rt", "/run/rt is /run/rt", "/run/rt/x is inside
 * /run/rt"), 0 when src is clear. */
int volume_exposes_control(const char *src, const char *run_dir, char *why, size_t wlen);

#endif
