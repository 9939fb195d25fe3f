/* checkin_value.h — a check-in's value as people type it: "42", "=-3",
 * "+5", "-3", "42%", "+10%", "done", "undone", "1,200" — and its confidence
 * ("7", "7/10"). Used by okr checkin and by its weekly round (--all). */
#ifndef OKR_CHECKIN_VALUE_H
#define OKR_CHECKIN_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "okr.pb-c.h"

typedef enum okr_checkin_kind {
    OKR_CHECKIN_ABSOLUTE,  /* 42, =-3 */
    OKR_CHECKIN_RELATIVE,  /* +5, -3 */
    OKR_CHECKIN_SHARE,     /* 42%: of the way from start to target, or percent points */
    OKR_CHECKIN_SHARE_REL, /* +10% */
    OKR_CHECKIN_DONE,
    OKR_CHECKIN_UNDONE,
} okr_checkin_kind_t;

typedef struct okr_checkin_value {
    okr_checkin_kind_t kind;
    double number;
} okr_checkin_value_t;

/* Parses what was typed. Returns 0 or -1 (not a value). */
int okr_checkin_parse_value(const char *text, okr_checkin_value_t *out);

/* 1 if the value can be recorded without reading the key result first. */
int okr_checkin_is_absolute(const okr_checkin_value_t *val);

/* The number to record for val on kr (ref names kr in messages): a change
 * or a share counts from its figures. Returns 0, or -1 with why it cannot
 * be used in why (a yes/no key result given a number, "undone" for a
 * number, out of range). Does not look at links: the caller does. */
int okr_checkin_resolve(const Okr__KeyResult *kr, const char *ref, const okr_checkin_value_t *val,
                        double *out, char *why, size_t len);

/* "7" or "7/10", 0 to 10. Returns 0 or -1. */
int okr_checkin_parse_confidence(const char *text, uint32_t *out);

#endif
