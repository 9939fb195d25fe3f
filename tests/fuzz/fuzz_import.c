/* Fuzz target: okr import's reading of a CSV file (import_csv.c) and its
 * checking into a plan (import_plan.c), against a small made-up server
 * (users, teams, objectives in this cycle and another).
 *
 * The input is the file. Checks:
 *   - okr_csv_parse returns 0 or -1; a failure has a message and *t empty;
 *     a success has rows on increasing lines after the header's, each with
 *     the header's number of fields, each field UTF-8 without NUL, and at
 *     most OKR_CSV_MAX_ROWS of them;
 *   - okr_plan_build returns 0 or 1 (-1 only out of memory); a plan without
 *     problems creates parents before children (each objective's parent
 *     earlier, one level up), every key result under an objective of the
 *     plan, every linked objective a child of the key result's objective,
 *     titles that are not blank and not over the limit, finite numbers,
 *     target != start, and counts its check-ins right; a plan with problems
 *     keeps at most as many as it counts, sorted by line;
 *   - okr_plan_usernames and okr_plan_server_refs list no name or id twice;
 *   - a good plan makes an ImportRequest okrd would not refuse for its
 *     indexes, and the checks of its size name the limit and how to split;
 *   - nothing leaks (ASan's leak check).
 * Seeds: tests/fuzz/corpus/import. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "import_csv.h"
#include "import_plan.h"
#include "import_request.h"
#include "validate.h"

static const okr_plan_name_t users[] = {
    {"alice", 1, 0}, {"bob", 2, 0}, {"carol", 3, 1}, {"张伟", 4, 0}};
static const okr_plan_name_t teams[] = {{"Sales", 10, 0}, {"销售部", 11, 0}, {"Old", 12, 1}};
static const okr_plan_server_obj_t objectives[] = {
    {100, 7, "2026-Q2", 0}, {101, 6, "2026-Q1", 0}, {102, 7, "2026-Q2", 1}};
static const okr_plan_world_t world = {7,          "2026-Q2",
                                       users,      sizeof users / sizeof users[0],
                                       teams,      sizeof teams / sizeof teams[0],
                                       objectives, sizeof objectives / sizeof objectives[0]};

static void check_table(const okr_csv_t *t)
{
    FUZZ_REQUIRE(t->header && t->ncols <= OKR_CSV_MAX_COLS);
    FUZZ_REQUIRE(t->nrows <= OKR_CSV_MAX_ROWS);
    size_t last = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        FUZZ_REQUIRE(t->rows[i].line > last && t->rows[i].line >= 2);
        last = t->rows[i].line;
        for (size_t c = 0; c < t->ncols; c++) {
            const char *f = t->rows[i].fields[c];
            FUZZ_REQUIRE(f && okr_utf8_valid(f, strlen(f)));
        }
    }
}

static void check_good_plan(const okr_plan_t *p)
{
    FUZZ_REQUIRE(p->nproblems == 0 && p->nkept == 0);
    for (size_t i = 0; i < p->nobjs; i++) {
        const okr_plan_obj_t *o = &p->objs[i];
        FUZZ_REQUIRE(o->o.title && strlen(o->o.title) <= OKR_PLAN_TITLE_MAX);
        FUZZ_REQUIRE(strspn(o->o.title, " \t") < strlen(o->o.title));
        FUZZ_REQUIRE(o->o.cycle_id == world.cycle_id);
        FUZZ_REQUIRE(!(o->o.owner_user_id && o->o.owner_team_id));
        if (o->parent != OKR_PLAN_NONE) {
            FUZZ_REQUIRE(o->parent < i);
            FUZZ_REQUIRE(p->objs[o->parent].depth + 1 == o->depth);
            FUZZ_REQUIRE(o->parent_id == 0);
        } else {
            FUZZ_REQUIRE(o->depth == 0);
            FUZZ_REQUIRE(o->parent_id == 0 || o->parent_id == 100);
        }
        FUZZ_REQUIRE(o->depth <= p->max_depth);
    }
    size_t checkins = 0;
    for (size_t i = 0; i < p->nkrs; i++) {
        const okr_plan_kr_t *k = &p->krs[i];
        FUZZ_REQUIRE(k->objective < p->nobjs);
        FUZZ_REQUIRE(k->k.title && strlen(k->k.title) <= OKR_PLAN_TITLE_MAX);
        FUZZ_REQUIRE(isfinite(k->k.start) && isfinite(k->k.target) && isfinite(k->current));
        FUZZ_REQUIRE(k->k.start != k->k.target && k->k.weight > 0);
        FUZZ_REQUIRE(!k->has_confidence || k->confidence <= 10);
        if (k->linked != OKR_PLAN_NONE)
            FUZZ_REQUIRE(k->linked < p->nobjs && p->objs[k->linked].parent == k->objective &&
                         !k->checkin);
        checkins += (size_t)k->checkin;
    }
    FUZZ_REQUIRE(checkins == p->ncheckins);
}

static void check_bad_plan(const okr_plan_t *p)
{
    FUZZ_REQUIRE(p->nproblems > 0 && p->nkept > 0 && p->nkept <= p->nproblems);
    for (size_t i = 0; i < p->nkept; i++) {
        FUZZ_REQUIRE(p->problems[i].message && p->problems[i].message[0]);
        if (i)
            FUZZ_REQUIRE(p->problems[i - 1].line <= p->problems[i].line);
    }
}

static void check_lookups(const okr_csv_t *t)
{
    okr_plan_strings_t names = {0};
    size_t n;
    FUZZ_REQUIRE(okr_plan_usernames(t, &names) == 0);
    for (size_t i = 0; i < names.n; i++)
        for (size_t j = 0; j < i; j++)
            FUZZ_REQUIRE(strcasecmp(names.v[i], names.v[j]) != 0);
    okr_plan_strings_free(&names);
    uint64_t *ids;
    FUZZ_REQUIRE(okr_plan_server_refs(t, &ids, &n) == 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            FUZZ_REQUIRE(ids[i] != ids[j]);
    free(ids);
}

/* A good plan as one ImportRequest (import_request.c): it packs and
 * decodes back to what okrd checks before the write (every index in range,
 * parents before children, a link to a child of the key result's objective,
 * no check-in on a linked key result), and the size checks say why. */
static void check_request(const okr_plan_t *p)
{
    okr_import_request_t q;
    FUZZ_REQUIRE(okr_import_request_build(p, world.cycle_id, &q) == 0);
    size_t len = okr__import_request__get_packed_size(&q.req);
    uint8_t *buf = malloc(len ? len : 1);
    FUZZ_REQUIRE(buf != NULL);
    FUZZ_REQUIRE(okr__import_request__pack(&q.req, buf) == len);
    FUZZ_REQUIRE(okr_import_request_frame_size(&q) > len);
    Okr__ImportRequest *back = okr__import_request__unpack(NULL, len, buf);
    FUZZ_REQUIRE(back != NULL);
    FUZZ_REQUIRE(back->cycle_id == world.cycle_id && back->n_objectives == p->nobjs &&
                 back->n_key_results == p->nkrs);
    for (size_t i = 0; i < back->n_objectives; i++) {
        const Okr__ImportObjective *io = back->objectives[i];
        FUZZ_REQUIRE(io->objective != NULL);
        FUZZ_REQUIRE(!io->has_parent_index || io->parent_index < i);
        FUZZ_REQUIRE(!io->has_parent_index || io->objective->parent_id == 0);
    }
    for (size_t j = 0; j < back->n_key_results; j++) {
        const Okr__ImportKeyResult *ik = back->key_results[j];
        FUZZ_REQUIRE(ik->key_result != NULL && ik->objective_index < back->n_objectives);
        FUZZ_REQUIRE(ik->key_result->objective_id == 0 && ik->key_result->linked_objective_id == 0);
        if (ik->has_linked_index) {
            FUZZ_REQUIRE(ik->linked_index < back->n_objectives);
            const Okr__ImportObjective *linked = back->objectives[ik->linked_index];
            FUZZ_REQUIRE(linked->has_parent_index && linked->parent_index == ik->objective_index);
            FUZZ_REQUIRE(ik->checkin == NULL);
        }
        FUZZ_REQUIRE(!ik->checkin || ik->checkin->key_result_id == 0);
    }
    okr__import_request__free_unpacked(back, NULL);
    free(buf);
    char msg[512];
    size_t items = p->nobjs + p->nkrs;
    FUZZ_REQUIRE(
        okr_import_request_fits(&q, (uint32_t)items, (uint32_t)(len + 64), msg, sizeof msg) == 0);
    FUZZ_REQUIRE(okr_import_request_fits(&q, 1, 0, msg, sizeof msg) == (items > 1));
    FUZZ_REQUIRE(okr_import_request_fits(&q, 0, 16, msg, sizeof msg) == 1);
    FUZZ_REQUIRE(memchr(msg, '\0', sizeof msg) != NULL && strstr(msg, "split it") != NULL);
    okr_import_request_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that ASan sees any read past the end */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    okr_csv_t t;
    size_t line;
    char err[256];
    err[0] = '\0';
    int rc = okr_csv_parse(text, size, &t, &line, err, sizeof err);
    FUZZ_REQUIRE(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_REQUIRE(err[0] && memchr(err, '\0', sizeof err));
        FUZZ_REQUIRE(t.rows == NULL && t.header == NULL);
        free(text);
        return 0;
    }
    check_table(&t);
    check_lookups(&t);
    okr_plan_t p;
    int built = okr_plan_build(&t, &world, &p);
    FUZZ_REQUIRE(built == 0 || built == 1);
    if (built == 0) {
        check_good_plan(&p);
        check_request(&p);
    } else
        check_bad_plan(&p);
    okr_plan_free(&p);
    okr_csv_free(&t);
    free(text);
    return 0;
}
