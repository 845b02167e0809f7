/* The control protocol (lib/proto.c): every verb's request parses and
 * round-trips through rtctl's builder; every malformed request is refused
 * naming what is wrong (the version naming both); answers are read, and
 * answers of the text protocol before version 1 or of another version
 * are refused with EPROTO. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/proto.h"
#include "t.h"

static struct proto_req req;
static struct rt_err err;

static int parse(const char *text)
{
    memset(&err, 0, sizeof(err));
    return proto_parse_request(text, strlen(text), &req, &err);
}

/* the request refused, its error containing needle */
#define REFUSED(text, needle)                                                                      \
    do {                                                                                           \
        CHECK_INT(parse(text), -1);                                                                \
        CHECK_CONTAINS(err.msg, needle);                                                           \
    } while (0)

TEST(proto_every_verb_round_trips)
{
    for (int v = 0; v < PV_NVERBS; v++) {
        struct proto_req r;
        proto_req_init(&r, (enum proto_verb)v);
        if (v == PV_HEALTH || v == PV_INSPECT || v == PV_STOP || v == PV_START || v == PV_RESTART || v == PV_KILL) {
            CHECK_INT(proto_req_add(&r, "redis", &err), 0);
            if (v != PV_HEALTH && v != PV_INSPECT)
                CHECK_INT(proto_req_add(&r, "api-2", &err), 0);
        }
        if (v == PV_KILL)
            r.signal = SIGHUP;
        if (v == PV_RELOAD)
            r.dry_run = true;
        char *text = proto_request_text(&r);
        CHECK(text != NULL);
        if (!text)
            continue;
        if (parse(text) < 0)
            t_fail(__FILE__, __LINE__, "%s: %s", text, err.msg);
        CHECK_INT(req.verb, v);
        CHECK_INT(req.version, PROTO_VERSION);
        CHECK_INT(req.nservices, r.nservices);
        for (size_t i = 0; i < r.nservices; i++)
            CHECK_STR(req.services[i], r.services[i]);
        CHECK_INT(req.signal, v == PV_KILL ? SIGHUP : SIGKILL);
        CHECK_INT(req.dry_run, v == PV_RELOAD);
        free(text);
    }
    CHECK_STR(proto_verb_name(PV_STOP), "stop");
    CHECK(proto_verb_name(PV_NVERBS) == NULL);
}

TEST(proto_requests_as_written_by_hand)
{
    CHECK_INT(parse("{\"v\":1,\"verb\":\"status\"}"), 0);
    CHECK_INT(req.verb, PV_STATUS);
    CHECK_INT(parse(" {\"verb\" : \"kill\", \"signal\": \"TERM\", \"services\": [\"a\"], \"v\": 1}\n"), 0);
    CHECK_INT(req.signal, SIGTERM);
    CHECK_INT(parse("{\"v\":1,\"verb\":\"kill\",\"services\":[\"a\"],\"signal\":\"9\"}"), 0);
    CHECK_INT(req.signal, SIGKILL);
    CHECK_INT(parse("{\"v\":1,\"verb\":\"reload\",\"dry_run\":false}"), 0);
    CHECK(!req.dry_run);
    /* a name of a file left out at boot need not be a DNS label */
    CHECK_INT(parse("{\"v\":1,\"verb\":\"start\",\"services\":[\"Bad_Name.x\"]}"), 0);
}

TEST(proto_malformed_requests_name_what_is_wrong)
{
    REFUSED("", "request: empty");
    REFUSED("status", "not valid JSON");
    REFUSED("status", "a text request of rtctl from before protocol version 1?");
    REFUSED("stop redis", "use the rtctl that came with it");
    REFUSED("{\"v\":1,\"verb\":\"status\"", "not valid JSON");
    REFUSED("{\"v\":1,\"verb\":\"status\"} x", "not valid JSON");
    /* the token jansson quotes is the client's: never a raw control byte */
    REFUSED("\x1b[2J", "near '?'");
    REFUSED("[1]", "expected a JSON object");
    REFUSED("{\"verb\":\"status\"}", "no field 'v' (the protocol version; this rtinit speaks version 1)");
    REFUSED("{\"v\":true,\"verb\":\"status\"}", "field 'v': expected an integer");
    REFUSED("{\"v\":2,\"verb\":\"status\"}", "protocol version 2, and this rtinit speaks version 1");
    CHECK_INT(err.errnum, EPROTO);
    REFUSED("{\"v\":0,\"verb\":\"status\"}", "protocol version 0, and this rtinit speaks version 1");
    REFUSED("{\"v\":1}", "no field 'verb'");
    REFUSED("{\"v\":1,\"verb\":7}", "field 'verb': expected a string");
    REFUSED("{\"v\":1,\"verb\":\"dance\"}", "unknown verb 'dance' (known: status, health, inspect, stats, stop,");
    REFUSED("{\"v\":1,\"verb\":\"da\\nce\"}", "unknown verb 'da?ce'");
    REFUSED("{\"v\":1,\"verb\":\"status\",\"x\":1}", "unknown field 'x'");
    REFUSED("{\"v\":1,\"verb\":\"status\",\"v\":1}", "duplicate object key");
    REFUSED("{\"v\":1,\"verb\":\"status\",\"services\":[\"a\"]}", "field 'services': status takes none");
    REFUSED("{\"v\":1,\"verb\":\"stop\"}", "stop needs at least one service in 'services'");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[]}", "stop needs at least one service");
    REFUSED("{\"v\":1,\"verb\":\"health\",\"services\":[\"a\",\"b\"]}", "health takes one service in 'services', not 2");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":\"a\"}", "field 'services': expected an array");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[null]}", "item 1 is not a string");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"a\",\"a\"]}", "service 'a' named twice");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"\"]}", "service name '' is empty");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"a b\"]}", "without spaces or '/'");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"../x\"]}", "without spaces or '/'");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"a\\u0000b\"]}", "not valid JSON");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
            "is longer than 63 bytes");
    REFUSED("{\"v\":1,\"verb\":\"kill\",\"services\":[\"a\"],\"signal\":\"SIGNOPE\"}", "field 'signal': unknown signal");
    REFUSED("{\"v\":1,\"verb\":\"kill\",\"services\":[\"a\"],\"signal\":9}", "field 'signal': expected a signal name");
    REFUSED("{\"v\":1,\"verb\":\"stop\",\"services\":[\"a\"],\"signal\":\"HUP\"}", "field 'signal' is not for stop (only for kill)");
    REFUSED("{\"v\":1,\"verb\":\"status\",\"dry_run\":true}", "field 'dry_run' is not for status (only for reload)");
    REFUSED("{\"v\":1,\"verb\":\"reload\",\"dry_run\":1}", "field 'dry_run': expected true or false");
}

TEST(proto_size_and_count_limits)
{
    /* 64 KiB passes, one byte more does not, unread */
    size_t n = PROTO_MAX_REQUEST + 1;
    char *big = malloc(n);
    const char *head = "{\"v\":1,\"verb\":\"status\"}";
    memset(big, ' ', n);
    memcpy(big, head, strlen(head));
    CHECK_INT(proto_parse_request(big, n - 1, &req, &err), 0);
    CHECK_INT(proto_parse_request(big, n, &req, &err), -1);
    CHECK_CONTAINS(err.msg, "65537 bytes; at most 65536");
    CHECK_INT(err.errnum, EMSGSIZE);
    /* 257 services: one too many */
    size_t k = (size_t)sprintf(big, "{\"v\":1,\"verb\":\"stop\",\"services\":[");
    for (int i = 0; i <= PROTO_MAX_SERVICES; i++)
        k += (size_t)sprintf(big + k, "%s\"s%d\"", i ? "," : "", i);
    k += (size_t)sprintf(big + k, "]}");
    CHECK_INT(proto_parse_request(big, k, &req, &err), -1);
    CHECK_CONTAINS(err.msg, "more than 256 services");
    /* nesting deeper than the parser follows, within the size */
    memset(big, '[', 30000);
    memset(big + 30000, ']', 30000);
    CHECK_INT(proto_parse_request(big, 60000, &req, &err), -1);
    free(big);
}

TEST(proto_answers)
{
    struct proto_ans a;
    char *text = proto_answer(true, "stopping redis", json_pack("{s:i}", "n", 2));
    CHECK_STR(text, "{\"v\":1,\"ok\":true,\"message\":\"stopping redis\",\"data\":{\"n\":2}}");
    CHECK_INT(proto_parse_answer(text, strlen(text), &a, &err), 0);
    CHECK(a.ok);
    CHECK_STR(a.message, "stopping redis");
    CHECK_INT(json_integer_value(json_object_get(a.data, "n")), 2);
    proto_ans_free(&a);
    free(text);
    text = proto_answer(false, "no service 'x'", NULL);
    CHECK_STR(text, "{\"v\":1,\"ok\":false,\"error\":\"no service 'x'\"}");
    CHECK_INT(proto_parse_answer(text, strlen(text), &a, &err), 0);
    CHECK(!a.ok);
    CHECK_STR(a.error, "no service 'x'");
    CHECK(a.data == NULL && a.message == NULL);
    proto_ans_free(&a);
    free(text);
    /* a newer rtinit's error is still shown; its ok answers are not read */
    const char *v2err = "{\"v\":2,\"ok\":false,\"error\":\"request: protocol version 1, and this rtinit speaks version 2\"}";
    CHECK_INT(proto_parse_answer(v2err, strlen(v2err), &a, &err), 0);
    CHECK_CONTAINS(a.error, "speaks version 2");
    proto_ans_free(&a);
    const char *v2ok = "{\"v\":2,\"ok\":true}";
    CHECK_INT(proto_parse_answer(v2ok, strlen(v2ok), &a, &err), -1);
    CHECK_CONTAINS(err.msg, "rtinit answered in protocol version 2, and this rtctl speaks version 1");
    CHECK_INT(err.errnum, EPROTO);
    /* an rtinit from before version 1 */
    CHECK_INT(proto_parse_answer("error: unknown request", 22, &a, &err), -1);
    CHECK_INT(err.errnum, EPROTO);
    CHECK_CONTAINS(err.msg, "text protocol from before version 1");
    CHECK_INT(proto_parse_answer("ok: stopping x", 14, &a, &err), -1);
    CHECK_INT(err.errnum, EPROTO);
    CHECK_INT(proto_parse_answer("{\"v\":1}", 7, &a, &err), -1);
    CHECK_CONTAINS(err.msg, "lacks 'v', 'ok' or 'error'");
    CHECK_INT(proto_parse_answer("{\"v\":1,\"ok\":false}", 18, &a, &err), -1);
    CHECK_INT(proto_parse_answer("[]", 2, &a, &err), -1);
}

TEST(proto_state_names)
{
    CHECK_STR(proto_phase_names[2], "running");
    CHECK_STR(proto_phase_names[4], "restarting");
    CHECK_STR(proto_health_names[2], "healthy");
}
