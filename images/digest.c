#include "digest.h"

/* libcrypto's SHA256_* functions, not EVP: the first EVP digest loads
 * OpenSSL 3's provider machinery, 3 MB of pages touched in every process
 * that hashes, and rtinit (PID 1) hashes a little at each service start.
 * The SHA256_* functions run the same assembly with none of that. They
 * are marked deprecated in OpenSSL 3 in favour of EVP, and kept. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sha256_init(struct sha256 *h, struct rt_err *err)
{
    SHA256_CTX *ctx = malloc(sizeof(*ctx));
    if (!ctx || SHA256_Init(ctx) != 1) {
        free(ctx);
        h->ctx = NULL;
        return rt_error(err, 0, "cannot set up sha256 (libcrypto)");
    }
    h->ctx = ctx;
    return 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    if (len)
        SHA256_Update(h->ctx, data, len);
}

void sha256_final(struct sha256 *h, struct digest *out)
{
    SHA256_Final(out->b, h->ctx);
}

void sha256_free(struct sha256 *h)
{
    free(h->ctx);
    h->ctx = NULL;
}

/* Not SHA256(): in OpenSSL 3 the one-shot goes through EVP. */
void sha256_buf(const void *data, size_t len, struct digest *out)
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(out->b, &ctx);
}

int digest_parse_hex(const char *hex, struct digest *d)
{
    if (strlen(hex) != DIGEST_HEX_LEN)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else
                return -1; /* uppercase is not canonical: refuse it */
        }
        d->b[i] = (unsigned char)v;
    }
    return 0;
}

int digest_parse(const char *s, struct digest *d, const char **why)
{
    const char *colon = strchr(s, ':');
    if (!colon) {
        *why = "not a digest (expected sha256:<64 hex digits>)";
        return -1;
    }
    if ((size_t)(colon - s) != 6 || strncmp(s, "sha256", 6)) {
        *why = "unsupported digest algorithm (only sha256)";
        return -1;
    }
    if (digest_parse_hex(colon + 1, d) < 0) {
        *why = "malformed sha256 digest (expected 64 lowercase hex digits)";
        return -1;
    }
    return 0;
}

void digest_hex(const struct digest *d, char out[DIGEST_HEX_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d->b[i] >> 4];
        out[2 * i + 1] = hx[d->b[i] & 15];
    }
    out[DIGEST_HEX_LEN] = '\0';
}

void digest_str(const struct digest *d, char out[DIGEST_STR_LEN + 1])
{
    memcpy(out, "sha256:", 7);
    digest_hex(d, out + 7);
}

bool digest_eq(const struct digest *a, const struct digest *b)
{
    return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}
