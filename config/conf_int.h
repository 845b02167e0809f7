/* conf_int.h - the inside of the conf.d parser, shared by config/conf*.c only.
 *
 * conf.h is the language as the rest of rt sees it; this is what its pieces
 * share: the state of the file being read (struct pctx), the key table's
 * entry (struct keydef), the reporting helpers, the checks more than one
 * section uses (conf_common.c), and every key's function, which the table
 * in conf_parse.c points at. Nothing outside config/conf*.c includes it.
 *
 * Adding a key: its enum in conf.h, its function in the file of its
 * section (declared below), its line in the table in conf_parse.c. */
#ifndef RT_CONF_INT_H
#define RT_CONF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* ---------- parse context ---------- */

enum line_class { L_BLANK, L_COMMENT, L_SECTION, L_KEY, L_CONT, L_BAD };

struct pctx {
    struct conf *c;
    const char *file;
    bool droplet;                 /* parsing droplet.conf */
    struct svc_conf *svc;         /* parsing a service file */
    struct src *set;              /* svc->set or droplet.set */

    /* reader state */
    const char *buf;
    size_t len, pos;
    int lineno;
    enum line_class cls;          /* class of the line inih is processing */
    bool have_prev_key;           /* mirrors inih's prev_name */

    /* section state */
    enum conf_section sec;        /* SEC_NONE before the first header */
    bool sec_unknown;             /* inside a section we reported as unknown */
    struct src sec_at[SEC_COUNT];
    bool outside_reported;
    bool subnet_bad;              /* [network] subnet was refused: skip checks against it */

    /* key being handled */
    int key;                      /* enum conf_key, or -1 */
    int prev_key;                 /* key a continuation line continues, -1 if unknown */
    struct src empty_at;          /* a list key with an empty value, until a continuation fills it */
    const char *empty_key;
    bool empty_is_error;          /* a command may not stay empty; a list may */
    int value_col;                /* 1-based column where the value starts in its line */
    bool argv_json;               /* the command line being read was a JSON array */

    /* the words of the list value being handled, for messages about neighbours */
    char **words;
    size_t nwords, word_index;
    bool cont;
    struct src at;
    const char *keyname;
};

/* A key's function: checks one value (one word of a list key) and stores
 * it, reporting through bad() and warn(). The table in conf_parse.c points
 * at one per key. */
typedef void key_func(struct pctx *p, const char *v);
typedef key_func *key_fn;

enum {
    KF_LIST = 1,      /* repeatable; value is split into shell words, fn gets each */
    KF_ARGV = 2,      /* command line; continuation lines append words */
    KF_EMPTY = 4,     /* an empty value is meaningful */
    KF_INTERP = 8,    /* ${VAR} is expanded in this key's value at start */
};

struct keydef {
    const char *name;
    enum conf_section sec;
    unsigned flags;
    key_fn fn;
};

/* Report at the line and key being handled. Static inline: every key
 * file calls them, and a global warn() would take the name of libc's. */
static inline void bad(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void bad(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(&p->c->diags, DIAG_ERROR, p->at, p->keyname, fmt, ap);
    va_end(ap);
}

static inline void warn(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void warn(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(&p->c->diags, DIAG_WARNING, p->at, p->keyname, fmt, ap);
    va_end(ap);
}

static inline struct arena *A(struct pctx *p)
{
    return &p->c->arena;
}

/* ---------- the line reader and dispatch (conf_parse.c) ---------- */

/* Feed one file's text through inih, calling each key's function; the
 * caller has set p->c, p->file, p->droplet or p->svc, and p->set. */
int parse_buffer(struct pctx *p, const char *buf, size_t len);

/* ---------- checks more than one section uses (conf_common.c) ---------- */

/* A DNS label of at most maxlen characters: NULL, or why it is not one. */
const char *check_label(const char *s, size_t maxlen);
/* A hostname, dot-separated labels: NULL, or why not (s is restored). */
const char *check_hostname(char *s);
/* A path written in a conf file, a relative one taken against the conf
 * directory; NULL after reporting a '~'. */
const char *conf_relative(struct pctx *p, const char *v);
/* An absolute path without '..'; reports and returns false if not. */
bool check_abs_path(struct pctx *p, const char *v, const char *what);
/* Reports ${...} that cannot be expanded. */
void check_interp(struct pctx *p, const char *v);
/* s[0..n) as a port, 1 to 65535: 0, or -1. */
int parse_port(const char *s, size_t n, uint16_t *port);
/* s[0..n) as a numeric uid or gid. */
bool id_ok(const char *s, size_t n);
/* A command line (entrypoint, command, [healthcheck] exec): a JSON array
 * or shell words into *a; a continuation line appends its words. */
void set_argv(struct pctx *p, const char *v, struct argv *a);

/* Warn about words from..a->n of a command line that hold a literal
 * secret (conf_secret.c). */
void warn_argv_secrets(struct pctx *p, const struct argv *a, size_t from);

/* ---------- steps of a whole file ---------- */

/* droplet.conf's defaults, before any file is read (conf_droplet.c). */
void droplet_defaults(struct conf *c, const struct rt_paths *paths);
/* The [healthcheck] checks across keys, once a service file is read
 * (conf_healthcheck.c). */
void check_healthcheck(struct conf *c, const struct svc_conf *s);

/* ---------- the keys, by the file that holds them ---------- */

/* droplet.conf: [droplet], [volume], [network], [logging], [uplink] (conf_droplet.c) */
key_func k_d_hostname, k_d_modules, k_d_secrets, k_d_proc_hidepid, k_v_device, k_v_fstype, k_v_mountpoint,
    k_v_options, k_v_timeout, k_n_bridge, k_n_subnet, k_n_gateway, k_n_mtu, k_u_interface, k_u_address,
    k_u_gateway, k_m_listen, k_n_dns, k_l_dir, k_l_max_size, k_l_max_files;
/* [service], what runs and how it is supervised, host services too (conf_process.c) */
key_func k_name, k_host, k_command, k_environment, k_env_file, k_user, k_working_dir, k_depends_on, k_restart,
    k_stop_signal, k_restart_backoff, k_restart_backoff_max, k_restart_dependents, k_stop_timeout,
    k_kill_mode, k_memory_max, k_cpus, k_pids_max, k_io_weight, k_ulimits;
/* [service], what shapes the container; refused for host services (conf_container.c) */
key_func k_image, k_entrypoint, k_hostname, k_ports, k_volumes, k_tmpfs, k_devices, k_read_only, k_init,
    k_cap_add, k_cap_drop, k_seccomp, k_network, k_ipv4;
/* [healthcheck] (conf_healthcheck.c) */
key_func k_hc_http, k_hc_tcp, k_hc_exec, k_hc_interval, k_hc_timeout, k_hc_start_period, k_hc_start_interval,
    k_hc_retries;

#endif
