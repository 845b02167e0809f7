/* libFuzzer target for the control protocol's request parser
 * (lib/proto.c): whatever a root client sends on the control socket
 * reaches proto_parse_request in PID 1, so no input may crash, leak or
 * loop. A request it takes must survive rtctl's builder unchanged, and an
 * answer built from any text must parse back to that text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct proto_req req, again;
    struct rt_err err;
    err.msg[0] = '\0';
    if (proto_parse_request((const char *)data, size, &req, &err) == 0) {
        char *text = proto_request_text(&req);
        if (!text)
            return 0;
        if (proto_parse_request(text, strlen(text), &again, &err) < 0 || again.verb != req.verb ||
            again.nservices != req.nservices || again.signal != req.signal || again.dry_run != req.dry_run)
            abort();
        for (size_t i = 0; i < req.nservices; i++)
            if (strcmp(req.services[i], again.services[i]))
                abort();
        free(text);
    }
    /* the error message, as rtinit answers it: whatever bytes of the
     * request got into it, the answer must carry it to rtctl */
    if (err.msg[0]) {
        char *ans = proto_answer(false, err.msg, NULL);
        struct proto_ans a;
        if (ans) {
            if (proto_parse_answer(ans, strlen(ans), &a, &err) < 0 || !a.error || a.ok)
                abort();
            proto_ans_free(&a);
        }
        free(ans);
    }
    struct proto_ans a;
    if (proto_parse_answer((const char *)data, size, &a, &err) == 0)
        proto_ans_free(&a);
    return 0;
}
