/* config/conf_secret.c's conf_redact_value: what config check and rtctl
 * inspect show of a value; and the printed plan using it for conf.d's
 * environment, the image's ENV and command lines. */
#include <stdlib.h>
#include <string.h>

#include "../../config/conf.h"
#include "../../config/plan.h"
#include "helpers.h"
#include "t.h"

/* shown(name, value) checked against want; freed */
#define SHOWN(name, value, want)                                                                   \
    do {                                                                                           \
        char *s_ = conf_redact_value(name, value);                                                 \
        CHECK(s_ != NULL);                                                                         \
        if (s_)                                                                                    \
            CHECK_STR(s_, want);                                                                   \
        free(s_);                                                                                  \
    } while (0)

TEST(redact_url_passwords_keep_the_rest)
{
    SHOWN("DATABASE_URL", "postgres://u:PASSWORD@h/db", "postgres://u:***@h/db");
    SHOWN("DATABASE_URL", "postgresql://app:p4ss@db.internal:5432/app?sslmode=disable",
          "postgresql://app:***@db.internal:5432/app?sslmode=disable");
    SHOWN(NULL, "redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0");
    SHOWN(NULL, "amqp+ssl://guest:guest@mq", "amqp+ssl://guest:***@mq");
    /* an '@' in the password: up to the last '@' of the authority */
    SHOWN(NULL, "mysql://root:p@ss@w0rd@db/x", "mysql://root:***@db/x");
    /* a ':' in the password: from the first ':' */
    SHOWN(NULL, "ftp://u:a:b@h", "ftp://u:***@h");
    /* a '/' or '+' in it (base64, unescaped): to the '@' past the '/' */
    SHOWN(NULL, "postgresql://app:Zx/9k+Q@db/app", "postgresql://app:***@db/app");
    SHOWN("OPTS", "--db mysql://u:a/b/c@h/d --x", "--db mysql://u:***@h/d --x");
    /* a token as the user, 20 bytes or more: hidden; a name is kept */
    SHOWN(NULL, "https://ghp_0123456789abcdefghij@github.com/o/r.git", "https://***@github.com/o/r.git");
    SHOWN(NULL, "https://git@github.com/o/r.git", "https://git@github.com/o/r.git");
    /* a port, then an '@' in the path: no password */
    SHOWN(NULL, "http://h:8080/users/a@b", "http://h:8080/users/a@b");
    /* every URL of the value, and what is around them */
    SHOWN("BROKERS", "amqp://a:one@h1,amqp://b:two@h2", "amqp://a:***@h1,amqp://b:***@h2");
    SHOWN("OPTS", "--db postgres://u:x@h/d --cache 'redis://:y@r'", "--db postgres://u:***@h/d --cache 'redis://:***@r'");
    /* no password: unchanged */
    SHOWN(NULL, "https://example.com/a?b=c@d", "https://example.com/a?b=c@d");
    SHOWN(NULL, "ssh://git@github.com/x", "ssh://git@github.com/x");
    SHOWN(NULL, "postgres://u:@h/db", "postgres://u:@h/db");
    SHOWN(NULL, "http://[::1]:8080/x", "http://[::1]:8080/x");
    SHOWN(NULL, "http://h:8080/p?mail=a@b", "http://h:8080/p?mail=a@b");
    SHOWN(NULL, "://u:p@h", "://u:p@h"); /* no scheme: no URL */
    SHOWN(NULL, "", "");
    SHOWN("MSG", "hi there", "hi there");
    /* a reference in the password's place says where it comes from and
     * holds no secret: kept */
    SHOWN("URL", "redis://:${PW}@r", "redis://:${PW}@r");
    SHOWN("URL", "postgres://u:${DB_PASS:?set it}@h/db", "postgres://u:${DB_PASS:?set it}@h/db");
    SHOWN("URL", "postgres://u:x${PW}@h/db", "postgres://u:***@h/db");
}

TEST(redact_secret_names_keep_the_current_rule)
{
    SHOWN("DB_PASSWORD", "literal-secret-1", "<redacted>");
    SHOWN("API_KEY", "postgres://u:p@h", "<redacted>");
    SHOWN("JWT_SECRET", "x", "<redacted>");
    /* references and file paths under a secret's name are shown */
    SHOWN("DB_PASSWORD", "${DB_PASSWORD}", "${DB_PASSWORD}");
    SHOWN("KONG_SSL_CERT_KEY", "/etc/kong/ssl/privkey.pem", "/etc/kong/ssl/privkey.pem");
    SHOWN("DB_PASSWORD", "", "");
    /* names that only look alike */
    SHOWN("PASSTHROUGH", "yes", "yes");
    SHOWN("AUTHOR", "me", "me");
}

/* an image whose ENV holds a URL with a password and a secret's name */
static int env_image(void *ud, struct arena *a, const char *image, struct image_defaults *out, const char **why)
{
    (void)ud, (void)a, (void)why;
    memset(out, 0, sizeof(*out));
    if (strcmp(image, "app:1"))
        return 0;
    static char *env[] = {"PATH=/usr/bin:/bin", "CACHE_URL=redis://:img-pass-9@cache:6379/0",
                          "IMAGE_TOKEN=img-token-7", "NOVALUE", NULL};
    out->env = env;
    out->nenv = 4;
    return 1;
}

TEST(redact_in_the_printed_plan)
{
    struct conf *c = t_load(NULL, "app",
                            "[service]\nimage = app:1\n"
                            "environment = DATABASE_URL=postgres://u:conf-pass-1@h/db API_TOKEN=conf-token-2\n"
                            "command = [\"app\", \"--db\", \"postgres://u:argv-pass-3@h/db\"]\n",
                            NULL);
    struct plan *p = plan_build(c, env_image, NULL);
    CHECK(!strstr(t_diags(c), "error"));
    char *text = t_plan_print(p);
    CHECK(!strstr(text, "pass-"));
    CHECK(!strstr(text, "token-"));
    CHECK_CONTAINS(text, "# environment from the image: PATH=/usr/bin:/bin\n");
    CHECK_CONTAINS(text, "# environment from the image: CACHE_URL=redis://:***@cache:6379/0\n");
    CHECK_CONTAINS(text, "# environment from the image: IMAGE_TOKEN=<redacted>\n");
    CHECK_CONTAINS(text, "# environment from the image: NOVALUE\n");
    /* quoted: '*' is a shell pattern character, and the line is one */
    CHECK_CONTAINS(text, "environment = 'DATABASE_URL=postgres://u:***@h/db'\n");
    CHECK_CONTAINS(text, "environment = API_TOKEN=<redacted>\n");
    CHECK_CONTAINS(text, "command = [\"app\", \"--db\", \"postgres://u:***@h/db\"]\n");
    free(text);
    conf_free(c);
}
