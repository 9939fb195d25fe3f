/* refs.c — short ids ("O12", "K34", "T5", "C7"): parsing and printing.
 *
 * The lookups of refs.h that need the server (teams, cycles, users, the
 * default cycle, the name caches) are in refs_lookup.c: they use cli.c, which
 * only the okr executable has, while this part is pure and lives in the
 * okr_client library where the unit tests can reach it. */
#include "refs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A positive decimal id: digits only, no sign, no spaces, fits in uint64. */
static int refs__id(const char *s, uint64_t *id)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v == 0)
        return -1;
    *id = (uint64_t)v;
    return 0;
}

static int refs__letter(char c, okr_ref_kind_t *kind)
{
    switch (toupper((unsigned char)c)) {
    case 'O':
        *kind = OKR_REF_OBJECTIVE;
        return 0;
    case 'K':
        *kind = OKR_REF_KEY_RESULT;
        return 0;
    case 'T':
        *kind = OKR_REF_TASK;
        return 0;
    case 'C':
        *kind = OKR_REF_CHECKIN;
        return 0;
    }
    return -1;
}

int okr_ref_parse(const char *text, okr_ref_kind_t kind, uint64_t *id)
{
    if (!text)
        return -1;
    if (isdigit((unsigned char)text[0]))
        return refs__id(text, id);
    if (text[0] == '#') /* "#12" is a raw id everywhere */
        return refs__id(text + 1, id);
    okr_ref_kind_t k;
    if (refs__letter(text[0], &k) != 0 || k != kind)
        return -1;
    return refs__id(text + 1, id);
}

int okr_ref_parse_any(const char *text, okr_ref_kind_t *kind, uint64_t *id)
{
    okr_ref_kind_t k;
    uint64_t v;
    if (!text || refs__letter(text[0], &k) != 0 || refs__id(text + 1, &v) != 0)
        return -1;
    *kind = k;
    *id = v;
    return 0;
}

const char *okr_ref_format(okr_ref_kind_t kind, uint64_t id, char *buf, size_t len)
{
    snprintf(buf, len, "%c%llu", (char)kind, (unsigned long long)id);
    return buf;
}
