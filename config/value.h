/* value.h - parsers and printers for the value types of the conf language.
 *
 * Each parser takes the raw text of one value and either fills *out and
 * returns 0, or returns -1 with a short message in *why (a static string or
 * one allocated from the arena) that the caller turns into a FILE:LINE
 * diagnostic. None of them prints anything. */
#ifndef RT_VALUE_H
#define RT_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/arena.h"

/* "500ms", "30s", "2m", "1h", "1m30s" -> milliseconds. A bare number is
 * refused: "10" could mean seconds or milliseconds. */
int parse_duration(const char *s, uint64_t *ms, const char **why);
/* "512M", "1G", "1.5g", "4096", "64KiB" -> bytes (binary multiples, as
 * docker reads them). */
int parse_size(const char *s, uint64_t *bytes, const char **why);
/* "1", "0.5", "2.25" -> value * 1000 (at most three decimals are kept). */
int parse_decimal_milli(const char *s, uint64_t *milli, const char **why);
int parse_bool(const char *s, bool *out, const char **why);
/* Decimal integer in [min, max]. */
int parse_int_range(const char *s, long long min, long long max, long long *out, const char **why);
/* "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3" -> signal number. */
int parse_signal(const char *s, int *sig, const char **why);
/* "NET_ADMIN", "cap_net_admin", "CAP_NET_ADMIN" -> capability number. */
int parse_capability(const char *s, int *cap, const char **why);
/* "nofile" -> RLIMIT_NOFILE; -1 if unknown. */
int ulimit_resource(const char *name);
const char *ulimit_name(int resource);
extern const char *const ulimit_names[];
extern const unsigned ulimit_count;
/* Dotted-quad IPv4 address, host byte order. */
int parse_ipv4(const char *s, uint32_t *addr);
/* "10.88.0.0/24" -> address and prefix length; requires host bits zero:
 * returns -2 with *net set to the network probably meant when they are not. */
int parse_cidr(const char *s, uint32_t *net, int *prefix, const char **why);
void format_ipv4(uint32_t addr, char *buf, size_t len);
/* Name of signal sig ("SIGTERM"), in a static or caller buffer. */
const char *signal_name(int sig, char *buf, size_t len);

/* Split s into words as a POSIX shell does (quotes and backslashes, no
 * expansion). Returns a NULL-terminated array from the arena, or NULL with
 * *why set. *count gets the number of words. */
char **shell_split(struct arena *a, const char *s, size_t *count, const char **why);
/* A JSON array of strings, parsed with jansson. */
char **json_string_array(struct arena *a, const char *s, int col, size_t *count, const char **why);
/* entrypoint/command style: a JSON array if s starts with '[', else shell
 * words. col is the column where s starts in its line (for JSON error
 * positions), 0 if unknown. */
char **parse_argv(struct arena *a, const char *s, int col, size_t *count, const char **why);

/* An image reference as docker reads them, [HOST[:PORT]/]PATH[:TAG][@DIGEST]:
 * NULL if valid, else what is wrong. */
const char *image_ref_check(const char *ref);
/* The form refs are stored and matched in: docker.io/ and library/ dropped,
 * ":latest" added when there is no tag or digest. */
int image_ref_normalize(const char *in, char *out, size_t len, const char **why);

/* Print helpers for `config check`: values in a form the parser reads back. */
void print_duration(FILE *f, uint64_t ms);
void format_duration_buf(char *buf, size_t len, uint64_t ms); /* "90s", "1500ms", "1h" */
void print_size(FILE *f, uint64_t bytes);
char *format_size(struct arena *a, uint64_t bytes);     /* "64M", "1536M", "4097" */
void format_size_buf(char *buf, size_t len, uint64_t bytes);
void print_shell_word(FILE *f, const char *w);  /* quoted only when needed */
void print_shell_word2(FILE *f, const char *a, const char *b); /* a and b as one word */
/* "NET_ADMIN" for CAP_NET_ADMIN. */
const char *capability_name(int cap, char *buf, size_t len);
void print_json_string_array(FILE *f, char *const *v, size_t n);
void print_json_string(FILE *f, const char *s);

#endif
