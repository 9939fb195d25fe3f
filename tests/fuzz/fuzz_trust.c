/* Fuzz target: the client's known-servers file (client/trust.c), the pins
 * of trust on first use. The input is the file's contents. Checks:
 *   - every pin okr_trust_parse hands out has a host:port of 1 to 255 bytes
 *     without white space or a leading '#', and a fingerprint of 64
 *     lowercase hex digits that okr_trust_normalize leaves as it is;
 *   - okr_trust_lookup and okr_trust_check on the same contents in a file
 *     find the first pin of a host:port (compared without case), and nothing
 *     when there is none;
 *   - pinning with okr_trust_edit makes the new fingerprint the one found
 *     for that host:port and keeps every other pin, in order; pinning it
 *     again changes nothing; removing it leaves no pin of it and the others
 *     as they were.
 * The host:port edited is the first pin's, else one picked by the input's
 * last byte. Seeds: tests/fuzz/corpus/trust. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "okr_error.h"
#include "trust.h"

#define MAX_PINS 64

typedef struct pins {
    char hostport[MAX_PINS][256];
    char fingerprint[MAX_PINS][OKR_FINGERPRINT_LEN];
    size_t n, total;
} pins_t;

static void on_pin(void *arg, const char *hostport, const char *fingerprint)
{
    pins_t *p = arg;
    size_t n = strlen(hostport);
    FUZZ_REQUIRE(n > 0 && n < sizeof p->hostport[0] && hostport[0] != '#');
    FUZZ_REQUIRE(strpbrk(hostport, " \t\r\n") == NULL);
    FUZZ_REQUIRE(strlen(fingerprint) == OKR_FINGERPRINT_LEN - 1);
    FUZZ_REQUIRE(strspn(fingerprint, "0123456789abcdef") == OKR_FINGERPRINT_LEN - 1);
    char again[OKR_FINGERPRINT_LEN];
    FUZZ_REQUIRE(okr_trust_normalize(fingerprint, again) == 0 && strcmp(again, fingerprint) == 0);
    if (p->n < MAX_PINS) {
        memcpy(p->hostport[p->n], hostport, n + 1);
        memcpy(p->fingerprint[p->n], fingerprint, OKR_FINGERPRINT_LEN);
        p->n++;
    }
    p->total++;
}

static void parse(const char *data, size_t len, pins_t *p)
{
    p->n = p->total = 0;
    okr_trust_parse(data, len, on_pin, p);
}

/* The pins of p but those of hostport, compared with q's likewise. */
static int same_others(const pins_t *p, const pins_t *q, const char *hostport)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < p->n && strcasecmp(p->hostport[i], hostport) == 0)
            i++;
        while (j < q->n && strcasecmp(q->hostport[j], hostport) == 0)
            j++;
        if (i == p->n || j == q->n)
            return i == p->n && j == q->n;
        if (strcmp(p->hostport[i], q->hostport[j]) != 0 ||
            strcmp(p->fingerprint[i], q->fingerprint[j]) != 0)
            return 0;
        i++, j++;
    }
}

static const char *first_pin(const pins_t *p, const char *hostport)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcasecmp(p->hostport[i], hostport) == 0)
            return p->fingerprint[i];
    return NULL;
}

/* okr_trust_lookup and okr_trust_check, reading the contents from a file. */
static void check_file(const char *path, const char *data, size_t len, const pins_t *p,
                       const char *hostport, const char *fp)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
    char pin[OKR_FINGERPRINT_LEN], err[128];
    const char *want = first_pin(p, hostport);
    int rc = okr_trust_lookup(path, hostport, pin, err, sizeof err);
    okr_trust_verdict_t verdict;
    if (!want) {
        FUZZ_REQUIRE(rc == OKR_E_NOT_FOUND);
        FUZZ_REQUIRE(okr_trust_check(path, hostport, fp, &verdict, NULL, err, sizeof err) == 0);
        FUZZ_REQUIRE(verdict == OKR_TRUST_UNKNOWN);
        return;
    }
    FUZZ_REQUIRE(rc == 0 && strcmp(pin, want) == 0);
    FUZZ_REQUIRE(okr_trust_check(path, hostport, want, &verdict, pin, err, sizeof err) == 0);
    FUZZ_REQUIRE(verdict == OKR_TRUST_MATCH && strcmp(pin, want) == 0);
    FUZZ_REQUIRE(okr_trust_check(path, hostport, fp, &verdict, NULL, err, sizeof err) == 0);
    FUZZ_REQUIRE(verdict == (strcmp(fp, want) == 0 ? OKR_TRUST_MATCH : OKR_TRUST_MISMATCH));
}

static char *edit(const char *data, size_t len, const char *hostport, const char *fp,
                  size_t *out_len)
{
    char *out = NULL;
    int rc = okr_trust_edit(data, len, hostport, fp, &out, out_len);
    if (rc == OKR_E_NOT_FOUND || rc == OKR_E_BAD_REQUEST)
        return NULL;
    FUZZ_REQUIRE(rc == 0 && out);
    return out;
}

static void check_edits(const char *data, size_t len, const pins_t *before, const char *hostport,
                        const char *fp)
{
    static pins_t after, again;
    size_t n1, n2, n3;
    char *pinned = edit(data, len, hostport, fp, &n1);
    if (!pinned)
        return; /* a host:port okr_trust_store refuses too */
    parse(pinned, n1, &after);
    const char *got = first_pin(&after, hostport);
    FUZZ_REQUIRE(got && strcmp(got, fp) == 0);
    if (before->total < MAX_PINS)
        FUZZ_REQUIRE(same_others(before, &after, hostport));
    char *twice = edit(pinned, n1, hostport, fp, &n2);
    FUZZ_REQUIRE(twice && n2 == n1 && memcmp(twice, pinned, n1) == 0);
    char *removed = edit(pinned, n1, hostport, NULL, &n3);
    FUZZ_REQUIRE(removed);
    parse(removed, n3, &again);
    FUZZ_REQUIRE(first_pin(&again, hostport) == NULL);
    if (before->total < MAX_PINS)
        FUZZ_REQUIRE(same_others(before, &again, hostport));
    free(removed);
    free(twice);
    free(pinned);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const others[] = {"okr.example.com:7433",
                                         "OKR.example.COM:7433",
                                         "[::1]:7433",
                                         "127.0.0.1:9000",
                                         "#comment",
                                         ""};
    static const char fp[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static char path[64];
    static pins_t before;
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/okr-fuzz-trust-%ld", (long)getpid());
    const char *text = (const char *)data;
    parse(text, size, &before);
    char hostport[256];
    snprintf(hostport, sizeof hostport, "%s",
             before.n ? before.hostport[0]
                      : others[size ? data[size - 1] % (sizeof others / sizeof others[0]) : 0]);
    check_file(path, text, size, &before, hostport, fp);
    check_edits(text, size, &before, hostport, fp);
    unlink(path);
    return 0;
}
