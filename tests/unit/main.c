/* The unit test runner: runs every registered test (or those named on the
 * command line) and exits non-zero if any failed. */
#include <stdarg.h>
#include <stdlib.h>

#include "t.h"

static struct t_case *head, **tail = &head;
static int current_failures;
static const char *current_name;

void t_register(struct t_case *tc)
{
    *tail = tc;
    tail = &tc->next;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (current_failures++ == 0)
        printf("FAIL %s\n", current_name);
    printf("  %s:%d: %s\n", file, line, msg);
}

int main(int argc, char **argv)
{
    int failed = 0, ran = 0;
    for (struct t_case *tc = head; tc; tc = tc->next) {
        if (argc > 1) {
            bool wanted = false;
            for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], tc->name))
                    wanted = true;
            if (!wanted)
                continue;
        }
        current_name = tc->name;
        current_failures = 0;
        tc->fn();
        fflush(stdout);
        ran++;
        if (current_failures)
            failed++;
        else
            printf("ok %s\n", tc->name);
    }
    fprintf(stderr, "%d tests, %d failed\n", ran, failed);
    return failed ? 1 : 0;
}
