/* Fuzz target: okr-dash's picture of what the server sends it — the events
 * of its subscription applied to the model (client/dash/model.c) and the
 * frame laid out from it (client/dash/layout.c), titles and names in any
 * script cut to the columns of a TV.
 *
 * Input: 8 header bytes — width, height, page, flags (bits 0-2 the scope's
 * kind, 3 the changes come as a snapshot, 4 a snapshot_done follows them,
 * 5-6 the link's state, 7 a message instead of the objectives), the scope's
 * id, and the clock as seconds after 2026-01-01 (int24) — then a
 * HistoryResult whose changes are sent
 * one Event each (seq 1, 2, ...). The users the model asks about are named
 * from the changes' own text. Checks, at the input's size and at 80x24:
 *   - the frame has exactly its height lines; each line's width is the
 *     display width of its text, and at most the frame's width;
 *   - a line's text is valid UTF-8 without control characters (C0, DEL,
 *     C1: a title must not drive the terminal), its runs lie inside it;
 *   - the page shown is one of the frame's pages, and every objective shown
 *     is on the page dash_frame_page_of says;
 *   - dash_frame_text gives one '\n'-ended line per row.
 * Seeds: tests/fuzz/corpus/dash. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "layout.h"
#include "model.h"
#include "okr.pb-c.h"
#include "validate.h"

#define HEADER    8
#define EPOCH_MS  1767225600000LL /* 2026-01-01 */
#define MAX_USERS 16

static void check_line(const dash_line_t *l, int width)
{
    const char *t = l->text ? l->text : "";
    FUZZ_REQUIRE(strlen(t) == l->len);
    FUZZ_REQUIRE(okr_display_width(t) == l->width);
    FUZZ_REQUIRE(l->width <= (size_t)width);
    FUZZ_REQUIRE(okr_utf8_valid(t, l->len));
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        FUZZ_REQUIRE(*p >= 0x20 && *p != 0x7f);
        FUZZ_REQUIRE(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
    }
    size_t end = 0;
    for (size_t i = 0; i < l->nspans; i++) {
        FUZZ_REQUIRE(l->spans[i].off >= end);
        end = (size_t)l->spans[i].off + l->spans[i].len;
        FUZZ_REQUIRE(end <= l->len);
    }
}

static void check_frame(const dash_model_t *m, dash_layout_opts_t o)
{
    dash_frame_t f;
    if (dash_layout(m, &o, &f) != 0)
        return; /* out of memory */
    FUZZ_REQUIRE(f.width == o.width && f.height == o.height);
    FUZZ_REQUIRE(f.header_rows + f.body_rows + f.footer_rows <= f.height);
    for (int i = 0; i < f.height; i++)
        check_line(&f.lines[i], f.width);
    FUZZ_REQUIRE(f.npages >= 1 && f.page >= 0 && f.page < f.npages);
    for (size_t i = 0; i < f.nobjs; i++) {
        FUZZ_REQUIRE(f.obj_pages[i] >= 0 && f.obj_pages[i] < f.npages);
        FUZZ_REQUIRE(dash_frame_page_of(&f, f.obj_ids[i]) == f.obj_pages[i]);
    }
    char *text = dash_frame_text(&f);
    FUZZ_REQUIRE(text);
    int lines = 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        lines++;
    FUZZ_REQUIRE(lines == f.height);
    free(text);
    dash_frame_free(&f);
}

/* Names for the users the model does not know, taken from the changes' text
 * (a user's display name is free text too). */
static void name_users(dash_model_t *m, const Okr__HistoryResult *h)
{
    uint64_t ids[MAX_USERS];
    size_t n = dash_model_unknown_users(m, ids, MAX_USERS);
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        if (h->n_changes) {
            const Okr__Change *ch = h->changes[i % h->n_changes];
            if (ch->entity_case == OKR__CHANGE__ENTITY_OBJECTIVE)
                name = ch->objective->title;
            else if (ch->entity_case == OKR__CHANGE__ENTITY_COMMENT)
                name = ch->comment->body;
        }
        dash_model_set_user(m, ids[i], name && name[0] ? name : NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    Okr__HistoryResult *h = okr__history_result__unpack(NULL, size - HEADER, data + HEADER);
    if (!h)
        return 0;
    uint8_t flags = data[3];
    dash_model_t m;
    dash_model_init(&m, (Okr__ScopeKind)((flags & 7) % 5), data[4]);
    uint64_t mono = 1000;
    for (size_t i = 0; i < h->n_changes; i++) {
        Okr__Event ev = OKR__EVENT__INIT;
        ev.seq = i + 1;
        ev.change = h->changes[i];
        ev.snapshot = (flags & 0x08) != 0;
        dash_model_apply(&m, &ev, mono += 700);
    }
    if (flags & 0x10) {
        Okr__Event done = OKR__EVENT__INIT;
        done.snapshot_done = 1;
        dash_model_apply(&m, &done, mono);
    }
    name_users(&m, h);
    int32_t clock_s =
        (int32_t)((uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 | (uint32_t)data[7] << 8) / 256;
    dash_layout_opts_t o = {
        .width = 1 + data[0] % 240,
        .height = 1 + data[1] % 80,
        .page = data[2],
        .now_wall_ms = EPOCH_MS + (int64_t)clock_s * 1000,
        .now_mono_ms = mono + 2000,
        .highlight_ms = 5000,
        .link = (dash_link_t)(flags >> 5 & 3),
        .status = "\u25cf live",
        .message = flags & 0x80 ? "reconnecting\u2026 \u6b63\u5728\u91cd\u65b0\u8fde\u63a5" : NULL,
        .next_page_s = data[2] % 30,
    };
    check_frame(&m, o);
    o.width = 80;
    o.height = 24;
    check_frame(&m, o);
    dash_model_free(&m);
    okr__history_result__free_unpacked(h, NULL);
    return 0;
}
