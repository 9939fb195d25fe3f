/* Fuzz target: the field validation every request handler runs, and the
 * progress math the check-in, key result and cycle handlers feed with the
 * client's numbers.
 *
 * The handlers validate inside their own functions (they need a connection
 * and the store), so this target runs the same building blocks on every field
 * of a decoded Envelope instead, found through the protobuf-c descriptors:
 * each string through okr_check_string (at the text limit) and
 * okr_utf8_valid, usernames through okr_username_check, each double through
 * okr_check_finite and the figures math, each key result through
 * okr_kr_progress, each cycle through okr_expected_progress. Any figure out
 * of [0, 1] (or NaN) is a bug and aborts. Seeds: tests/fuzz/corpus/request,
 * request frames recorded from the integration suite (OKR_RECORD_FRAMES). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "okr.pb-c.h"
#include "progress.h"
#include "users.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 32

static void require01(double v)
{
    if (!(v >= 0.0 && v <= 1.0))
        abort();
}

static void check_string(const char *field, const char *s)
{
    char msg[256];
    if (!s)
        return;
    int bad = okr_check_string(field, s, 0, OKR_TEXT_MAX, msg, sizeof msg);
    /* The one check and the other must agree on UTF-8 and NUL bytes. */
    if (!bad && !okr_utf8_valid(s, strlen(s)))
        abort();
    if (strstr(field, "username"))
        okr_username_check(s, msg, sizeof msg);
}

static void check_double(const char *field, double v, double other)
{
    char msg[256];
    okr_check_finite(field, v, msg, sizeof msg);
    require01(okr_clamp01(v));
    okr_score_grade(v);
    /* A confidence is 0..10 on the wire (uint32); -1 is "unknown". */
    int confidence = other >= -1.0 && other <= 10.0 ? (int)other : -1;
    Okr__ProgressStatus st = okr_progress_status(okr_clamp01(v), okr_clamp01(other), confidence);
    okr_status_name(st);
    double p[2] = {okr_clamp01(v), okr_clamp01(other)}, w[2] = {other, v};
    require01(okr_weighted_progress(p, w, 2));
    require01(okr_mean_progress(p, 2));
}

static void check_key_result(const Okr__KeyResult *kr)
{
    double p = okr_kr_progress(kr);
    require01(p);
    require01(okr_kr_progress_linked(kr, kr->current));
    double progress[3] = {p, okr_clamp01(kr->start), okr_clamp01(kr->target)};
    double weights[3] = {kr->weight, kr->current, kr->progress};
    require01(okr_weighted_progress(progress, weights, 3));
    require01(okr_mean_progress(progress, 3));
}

static void check_cycle(const Okr__Cycle *c)
{
    require01(okr_expected_progress(c->start_at, c->end_at, c->closed_at));
    require01(okr_expected_progress(c->start_at, c->end_at, c->updated_at));
}

static void walk(const ProtobufCMessage *m, int depth)
{
    if (!m || depth > MAX_DEPTH)
        return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (d == &okr__key_result__descriptor)
        check_key_result((const Okr__KeyResult *)m);
    else if (d == &okr__cycle__descriptor)
        check_cycle((const Okr__Cycle *)m);
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof is set */
        size_t n = 1;
        const void *p = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(base + f->quantifier_offset);
            p = *(const void *const *)p;
            if (!p)
                continue;
        }
        for (size_t j = 0; j < n; j++) {
            switch (f->type) {
            case PROTOBUF_C_TYPE_STRING:
                check_string(f->name, ((const char *const *)p)[j]);
                break;
            case PROTOBUF_C_TYPE_MESSAGE:
                walk(((const ProtobufCMessage *const *)p)[j], depth + 1);
                break;
            case PROTOBUF_C_TYPE_DOUBLE:
                check_double(f->name, ((const double *)p)[j], ((const double *)p)[n - 1 - j]);
                break;
            default:
                break;
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Okr__Envelope *env = okr__envelope__unpack(NULL, size, data);
    if (!env)
        return 0;
    /* okrd refuses a frame that does not re-encode to its own size (a string
     * with a NUL byte) before any handler sees it; fuzz what gets through. */
    if (okr__envelope__get_packed_size(env) == size && env->msg_case == OKR__ENVELOPE__MSG_REQUEST)
        walk(&env->request->base, 0);
    okr__envelope__free_unpacked(env, NULL);
    return 0;
}
