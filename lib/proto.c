/* proto.c - rtinit's control protocol: the verbs, requests and answers.
 * See proto.h and docs/protocol.md. */
#include "proto.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/value.h"

const char *const proto_phase_names[PROTO_NPHASES] = {"waiting", "starting", "running",  "stopping",
                                                      "restarting", "exited", "failed"};
const char *const proto_health_names[PROTO_NHEALTH] = {"", "starting", "healthy", "unhealthy"};

/* What each verb takes: how many services, and which options. A verb
 * that takes no services refuses the field rather than ignoring it: a
 * script that believes `reload` acts on one service should hear that it
 * does not. */
enum { SVC_NONE, SVC_ONE, SVC_SOME };
enum { OPT_SIGNAL = 1, OPT_DRY_RUN = 2 };
static const struct {
    const char *name;
    unsigned char svcs, opts;
} verbs[PV_NVERBS] = {
    [PV_STATUS] = {"status", SVC_NONE, 0},     [PV_HEALTH] = {"health", SVC_ONE, 0},
    [PV_INSPECT] = {"inspect", SVC_ONE, 0},    [PV_STATS] = {"stats", SVC_NONE, 0},
    [PV_STOP] = {"stop", SVC_SOME, 0},         [PV_START] = {"start", SVC_SOME, 0},
    [PV_RESTART] = {"restart", SVC_SOME, 0},   [PV_KILL] = {"kill", SVC_SOME, OPT_SIGNAL},
    [PV_RELOAD] = {"reload", SVC_NONE, OPT_DRY_RUN}, [PV_CONFD] = {"confd", SVC_NONE, 0},
    [PV_POWEROFF] = {"poweroff", SVC_NONE, 0}, [PV_REBOOT] = {"reboot", SVC_NONE, 0},
    [PV_HALT] = {"halt", SVC_NONE, 0},         [PV_VERSION] = {"version", SVC_NONE, 0},
};

const char *proto_verb_name(enum proto_verb v)
{
    return (unsigned)v < PV_NVERBS ? verbs[v].name : NULL;
}

static int verb_by_name(const char *name)
{
    for (int i = 0; i < PV_NVERBS; i++)
        if (!strcmp(verbs[i].name, name))
            return i;
    return -1;
}

/* "status, health, ..." for an error message. */
static void verb_list(char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < PV_NVERBS && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", verbs[i].name);
}

/* A service name as conf.d allows one, loosely: printable ASCII without
 * spaces or '/', at most 63 bytes. rtinit then looks it up; a stricter
 * check here would only refuse names of files left out at boot. */
static const char *name_problem(const char *s, size_t n)
{
    if (n == 0)
        return "is empty";
    if (n > PROTO_NAME_MAX)
        return "is longer than 63 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '/')
            return "may hold only printable ASCII, without spaces or '/'";
    return NULL;
}

/* The name quoted for an error, cut and with unprintable bytes as '?':
 * what a hostile client sent must not reach a log as is. */
static void quoted(const char *s, size_t n, char *out, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < len; i++)
        out[k++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
    if (k < n && k >= 3) /* cut: said */
        memcpy(out + k - 3, "...", 3);
    out[k] = '\0';
}

int proto_req_add(struct proto_req *req, const char *name, struct rt_err *err)
{
    size_t n = strlen(name);
    const char *why = name_problem(name, n);
    char q[80];
    if (why) {
        quoted(name, n, q, sizeof(q));
        return rt_error(err, EINVAL, "service name '%s' %s", q, why);
    }
    if (req->nservices == PROTO_MAX_SERVICES)
        return rt_error(err, E2BIG, "more than %d services in one request", PROTO_MAX_SERVICES);
    for (size_t i = 0; i < req->nservices; i++)
        if (!strcmp(req->services[i], name))
            return rt_error(err, EINVAL, "service '%s' named twice", name);
    memcpy(req->services[req->nservices++], name, n + 1);
    return 0;
}

void proto_req_init(struct proto_req *req, enum proto_verb verb)
{
    req->version = PROTO_VERSION;
    req->verb = verb;
    req->nservices = 0;
    req->signal = SIGKILL;
    req->dry_run = false;
}

static int parse_services(json_t *arr, struct proto_req *out, struct rt_err *err)
{
    if (!json_is_array(arr))
        return rt_error(err, EINVAL, "request: field 'services': expected an array of service names");
    size_t k;
    json_t *e;
    json_array_foreach(arr, k, e) {
        if (!json_is_string(e))
            return rt_error(err, EINVAL, "request: field 'services': item %zu is not a string", k + 1);
        const char *s = json_string_value(e);
        size_t n = json_string_length(e);
        if (strlen(s) != n) /* jansson refuses \u0000 by default; were it let in, names would be cut */
            return rt_error(err, EINVAL, "request: field 'services': item %zu holds a NUL byte", k + 1);
        struct rt_err e2;
        if (proto_req_add(out, s, &e2) < 0)
            return rt_error(err, e2.errnum, "request: field 'services': %s", e2.msg);
    }
    return 0;
}

int proto_parse_request(const char *buf, size_t len, struct proto_req *out, struct rt_err *err)
{
    proto_req_init(out, PV_STATUS);
    out->version = 0;
    if (len > PROTO_MAX_REQUEST)
        return rt_error(err, EMSGSIZE, "request: %zu bytes; at most %d", len, PROTO_MAX_REQUEST);
    if (len == 0)
        return rt_error(err, EINVAL, "request: empty");
    json_error_t je;
    json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        /* rtctl before protocol 1 sent "status", "stop NAME"... */
        bool text = (buf[0] >= 'a' && buf[0] <= 'z');
        /* jansson quotes the token it choked on ("near '...'"), bytes of
         * the client's: made printable before they reach a log or a
         * terminal */
        char near[sizeof(je.text)];
        quoted(je.text, strlen(je.text), near, sizeof(near));
        return rt_error(err, EINVAL, "request: not valid JSON: %s at byte %d%s", near, je.position,
                        text ? " (a text request of rtctl from before protocol version 1? this rtinit speaks "
                               "version 1: use the rtctl that came with it)"
                             : "");
    }
    int r = -1;
    if (!json_is_object(o)) {
        rt_error(err, EINVAL, "request: expected a JSON object");
        goto out;
    }
    json_t *v = json_object_get(o, "v");
    if (!v) {
        rt_error(err, EINVAL, "request: no field 'v' (the protocol version; this rtinit speaks version %d)",
                 PROTO_VERSION);
        goto out;
    }
    if (!json_is_integer(v)) {
        rt_error(err, EINVAL, "request: field 'v': expected an integer (the protocol version, %d)", PROTO_VERSION);
        goto out;
    }
    if (json_integer_value(v) != PROTO_VERSION) {
        rt_error(err, EPROTO,
                 "request: protocol version %lld, and this rtinit speaks version %d: use the rtctl that came with it",
                 (long long)json_integer_value(v), PROTO_VERSION);
        goto out;
    }
    out->version = PROTO_VERSION;
    json_t *verb = json_object_get(o, "verb");
    if (!json_is_string(verb)) {
        rt_error(err, EINVAL, "request: %s", verb ? "field 'verb': expected a string" : "no field 'verb'");
        goto out;
    }
    int vi = verb_by_name(json_string_value(verb));
    if (vi < 0) {
        char known[200], q[80];
        verb_list(known, sizeof(known));
        quoted(json_string_value(verb), json_string_length(verb), q, sizeof(q));
        rt_error(err, EINVAL, "request: unknown verb '%s' (known: %s)", q, known);
        goto out;
    }
    out->verb = (enum proto_verb)vi;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        char q[80];
        quoted(key, strlen(key), q, sizeof(q));
        if (!strcmp(key, "v") || !strcmp(key, "verb"))
            continue;
        if (!strcmp(key, "services")) {
            if (verbs[vi].svcs == SVC_NONE) {
                rt_error(err, EINVAL, "request: field 'services': %s takes none", verbs[vi].name);
                goto out;
            }
            if (parse_services(val, out, err) < 0)
                goto out;
        } else if (!strcmp(key, "signal") && (verbs[vi].opts & OPT_SIGNAL)) {
            const char *why = "expected a signal name such as \"SIGTERM\"";
            if (!json_is_string(val) || parse_signal(json_string_value(val), &out->signal, &why) < 0) {
                rt_error(err, EINVAL, "request: field 'signal': %s", why);
                goto out;
            }
        } else if (!strcmp(key, "dry_run") && (verbs[vi].opts & OPT_DRY_RUN)) {
            if (!json_is_boolean(val)) {
                rt_error(err, EINVAL, "request: field 'dry_run': expected true or false");
                goto out;
            }
            out->dry_run = json_is_true(val);
        } else if (!strcmp(key, "signal") || !strcmp(key, "dry_run")) {
            rt_error(err, EINVAL, "request: field '%s' is not for %s (only for %s)", key, verbs[vi].name,
                     key[0] == 's' ? "kill" : "reload");
            goto out;
        } else {
            rt_error(err, EINVAL, "request: unknown field '%s'", q);
            goto out;
        }
    }
    if (verbs[vi].svcs == SVC_ONE && out->nservices != 1) {
        rt_error(err, EINVAL, "request: %s takes one service in 'services', not %zu", verbs[vi].name, out->nservices);
        goto out;
    }
    if (verbs[vi].svcs == SVC_SOME && out->nservices == 0) {
        rt_error(err, EINVAL, "request: %s needs at least one service in 'services'", verbs[vi].name);
        goto out;
    }
    r = 0;
out:
    json_decref(o);
    return r;
}

char *proto_request_text(const struct proto_req *req)
{
    json_t *o = json_pack("{s:i, s:s}", "v", req->version ? req->version : PROTO_VERSION, "verb",
                          proto_verb_name(req->verb) ? proto_verb_name(req->verb) : "?");
    if (!o)
        return NULL;
    if (req->nservices) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < req->nservices; i++)
            json_array_append_new(arr, json_string(req->services[i]));
        json_object_set_new(o, "services", arr);
    }
    if (req->verb == PV_KILL) {
        char buf[32];
        json_object_set_new(o, "signal", json_string(signal_name(req->signal, buf, sizeof(buf))));
    }
    if (req->verb == PV_RELOAD && req->dry_run)
        json_object_set_new(o, "dry_run", json_true());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* text as a JSON string. A message can carry bytes a client sent (the
 * parser's "near '...'"), which need not be UTF-8: jansson refuses
 * those, and the answer would lose its error; they become '?'. */
static json_t *utf8_string(const char *text)
{
    json_t *j = json_string(text);
    if (j)
        return j;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

char *proto_answer(bool ok, const char *text, json_t *data)
{
    json_t *o = json_pack("{s:i, s:b}", "v", PROTO_VERSION, "ok", ok);
    if (!o) {
        json_decref(data);
        return NULL;
    }
    if (text || !ok)
        json_object_set_new(o, ok ? "message" : "error", utf8_string(text ? text : "unknown error"));
    if (data)
        json_object_set_new(o, "data", data);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

int proto_parse_answer(const char *buf, size_t len, struct proto_ans *out, struct rt_err *err)
{
    memset(out, 0, sizeof(*out));
    if ((len >= 4 && !memcmp(buf, "ok: ", 4)) || (len >= 7 && !memcmp(buf, "error: ", 7)))
        return rt_error(err, EPROTO, "rtinit answered in the text protocol from before version %d (an older rtinit)",
                        PROTO_VERSION);
    json_error_t je;
    json_t *o = json_loadb(buf, len, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return rt_error(err, EINVAL, "rtinit's answer is not a JSON object: %s", o ? "another JSON value" : je.text);
    }
    json_t *v = json_object_get(o, "v"), *ok = json_object_get(o, "ok");
    const char *error = json_string_value(json_object_get(o, "error"));
    if (!json_is_boolean(ok) || !json_is_integer(v) || (json_is_false(ok) && !error)) {
        json_decref(o);
        return rt_error(err, EINVAL, "rtinit's answer lacks 'v', 'ok' or 'error'");
    }
    /* an error of another version still says what went wrong (most often
     * that very mismatch); anything else of another version is unknown */
    if (json_integer_value(v) != PROTO_VERSION && json_is_true(ok)) {
        long long other = (long long)json_integer_value(v);
        json_decref(o);
        return rt_error(err, EPROTO, "rtinit answered in protocol version %lld, and this rtctl speaks version %d",
                        other, PROTO_VERSION);
    }
    out->doc = o;
    out->ok = json_is_true(ok);
    out->error = error;
    out->message = json_string_value(json_object_get(o, "message"));
    out->data = json_object_get(o, "data");
    return 0;
}

void proto_ans_free(struct proto_ans *a)
{
    json_decref(a->doc);
    memset(a, 0, sizeof(*a));
}
