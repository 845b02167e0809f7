/* digest.h - sha256 digests, streamed, and their "sha256:<hex>" form.
 *
 * OpenSSL's libcrypto does the hashing; this file only carries state and
 * converts between bytes and the strings OCI uses. */
#ifndef RT_DIGEST_H
#define RT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct digest {
    unsigned char b[32];
};

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct sha256 {
    void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h, struct rt_err *err);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final(struct sha256 *h, struct digest *out);
void sha256_free(struct sha256 *h);
void sha256_buf(const void *data, size_t len, struct digest *out);

/* "sha256:<64 lowercase hex>" -> digest. Other algorithms are refused
 * with a message that names them. */
int digest_parse(const char *s, struct digest *d, const char **why);
/* 64 lowercase hex digits only (as in blob file names). */
int digest_parse_hex(const char *hex, struct digest *d);
void digest_hex(const struct digest *d, char out[DIGEST_HEX_LEN + 1]);
void digest_str(const struct digest *d, char out[DIGEST_STR_LEN + 1]);
bool digest_eq(const struct digest *a, const struct digest *b);

#endif
