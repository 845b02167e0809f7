/* proto.h - rtinit's control protocol, shared by both ends: rtinit
 * (init/control.c) parses requests and builds answers, rtctl
 * (rtctl/rtctl_control.c) builds requests and parses answers. Keeping the
 * verbs, their rules and the state names in one place is what keeps the two
 * programs speaking the same language; docs/protocol.md is the reference.
 *
 * One request and one answer per connection, each one SOCK_SEQPACKET
 * message of JSON:
 *   request  {"v":1,"verb":"stop","services":["redis"]}
 *   answer   {"v":1,"ok":true,"message":"stopping redis","data":...}
 *            {"v":1,"ok":false,"error":"no service 'x' in /etc/rt/conf.d"}
 * Nothing here does I/O: the parsers are pure (and fuzzed,
 * tests/fuzz/fuzz_proto.c). */
#ifndef RT_PROTO_H
#define RT_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Raised when a request or answer changes meaning; a side that gets
 * another version says both (the other end is older or newer). */
#define PROTO_VERSION 1
/* A request longer than this is refused unread: the longest real one
 * (256 service names) is under 20 KiB. */
#define PROTO_MAX_REQUEST (64 * 1024)
/* Service names: conf.d's DNS labels (63 bytes); CONF_MAX_SERVICES. */
#define PROTO_NAME_MAX 63
#define PROTO_MAX_SERVICES 256

enum proto_verb {
    PV_STATUS,   /* every service's state */
    PV_HEALTH,   /* one service's last checks */
    PV_INSPECT,  /* one service as it runs: configuration, container, usage, checks */
    PV_STATS,    /* every service's usage (CPU, memory, pids, network, block I/O) */
    PV_STOP,     /* stop and keep down */
    PV_START,    /* start again */
    PV_RESTART,  /* stop if running, start again */
    PV_KILL,     /* a signal to the main process; the restart policy decides what follows */
    PV_RELOAD,   /* conf.d again (dry_run: say what would change) */
    PV_CONFD,    /* does conf.d on disk differ from what runs? */
    PV_POWEROFF, /* as PID 1: the machine's end */
    PV_REBOOT,
    PV_HALT,
    PV_VERSION,  /* rtinit's version and protocol */
    PV_NVERBS
};

/* "stop" for PV_STOP; NULL out of range. */
const char *proto_verb_name(enum proto_verb v);

/* The service states as rtctl status shows them, in init/decide.h's
 * enum phase order (decide.c checks the count). */
#define PROTO_NPHASES 7
extern const char *const proto_phase_names[PROTO_NPHASES];
/* Health, in enum health_state order: "" (no check or not running),
 * "starting", "healthy", "unhealthy". */
#define PROTO_NHEALTH 4
extern const char *const proto_health_names[PROTO_NHEALTH];

/* A parsed request. Fixed buffers: parsing allocates nothing that
 * outlives the call, which matters in PID 1. */
struct proto_req {
    int version;
    enum proto_verb verb;
    size_t nservices;
    char services[PROTO_MAX_SERVICES][PROTO_NAME_MAX + 1];
    int signal;   /* kill: the signal, SIGKILL when none is given */
    bool dry_run; /* reload */
};

/* buf[0..len) (not NUL-terminated) as a request: 0 with *out filled, or
 * -1 with err saying what is wrong, naming the field ("request: field
 * 'services': ..."). Refuses: more than PROTO_MAX_REQUEST bytes, anything
 * but one JSON object, another version (naming both), unknown verbs and
 * fields, fields the verb does not take, a wrong count of services,
 * malformed or repeated names, unknown signals. */
int proto_parse_request(const char *buf, size_t len, struct proto_req *out, struct rt_err *err);

/* An empty request for verb (rtctl fills in the rest). */
void proto_req_init(struct proto_req *req, enum proto_verb verb);
/* Add a service name; -1 with err when it is malformed or one too many. */
int proto_req_add(struct proto_req *req, const char *name, struct rt_err *err);
/* The request as JSON text, malloc'd; NULL when memory ran out. */
char *proto_request_text(const struct proto_req *req);

/* An answer as JSON text, malloc'd (NULL when memory ran out): ok with
 * text as its message (NULL: none), or not ok with text as its error;
 * data, when not NULL, is taken (its reference is the answer's). */
char *proto_answer(bool ok, const char *text, json_t *data);

/* A parsed answer. message and error point into doc; data is doc's
 * "data" (NULL when there is none). */
struct proto_ans {
    bool ok;
    const char *message; /* may be NULL */
    const char *error;   /* set when !ok */
    json_t *data;
    json_t *doc;
};

/* buf[0..len) as an answer: 0 with *out filled (free it with
 * proto_ans_free), or -1 with err. An error answer of another version is
 * still read (its error is what to show); an ok one of another version,
 * or a text answer of the protocol before version 1 ("ok: ...",
 * "error: ...", errnum EPROTO), is refused. */
int proto_parse_answer(const char *buf, size_t len, struct proto_ans *out, struct rt_err *err);
void proto_ans_free(struct proto_ans *a);

#endif
