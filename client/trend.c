/* trend.c — progress over time as okr shows it: see trend.h. */
#include "trend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "render.h"

#define TREND_WEEK_MS  (7 * 86400000LL)
#define TREND_SPARK_SZ (3 * 64 + 1) /* 64 points, 3 bytes each */

void okr_trend_send(okr_cli_t *cli, uint64_t objective_id, okr_trend_t *t)
{
    *t = (okr_trend_t){.objective_id = objective_id};
    const Okr__HelloResult *hello = okr_client_server_hello(cli->client);
    if (hello && !okr_client_server_speaks(cli->client, OKR_PROTOCOL_TREND))
        return;
    okr__trend_request__init(&t->in);
    t->in.objective_ids = &t->objective_id;
    t->in.n_objective_ids = 1;
    okr__request__init(&t->req);
    t->req.op_case = OKR__REQUEST__OP_TREND;
    t->req.trend = &t->in;
    if (okr_cli_send(cli, &t->req, &t->sent) != 0)
        t->sent = 0;
}

int okr_trend_take(okr_cli_t *cli, okr_trend_t *t, const Okr__ObjectiveTrend **out)
{
    *out = NULL;
    if (!t->sent)
        return 0;
    int rc = okr_cli_take(cli, t->sent, &t->req, &t->resp, 1);
    t->sent = 0;
    if (rc)
        return rc;
    const Okr__TrendResult *res = t->resp->trend;
    if (t->resp->status == OKR__STATUS__STATUS_OK && res && res->n_objectives == 1 &&
        res->objectives[0]->n_at == res->objectives[0]->n_progress)
        *out = res->objectives[0];
    return 0;
}

void okr_trend_free(okr_trend_t *t)
{
    if (t->resp)
        okr__response__free_unpacked(t->resp, NULL);
    t->resp = NULL;
}

const Okr__KeyResultTrend *okr_trend_kr(const Okr__ObjectiveTrend *t, uint64_t kr_id)
{
    for (size_t i = 0; t && i < t->n_key_results; i++)
        if (t->key_results[i]->key_result_id == kr_id && t->key_results[i]->n_progress == t->n_at)
            return t->key_results[i];
    return NULL;
}

void okr_trend_print(const Okr__ObjectiveTrend *t, const double *progress, size_t n)
{
    if (!t || n < 2 || n != t->n_at)
        return;
    char spark[TREND_SPARK_SZ], since[32];
    int64_t period = (t->at[n - 1] - t->at[0]) / (int64_t)(n - 1);
    printf("  %-13s%s  %d%% \u2192 %d%%", "trend",
           okr_render_spark(progress, n, spark, sizeof spark), okr_render_pct(progress[0]),
           okr_render_pct(progress[n - 1]));
    /* weekly samples (what okr asks for) cover n periods, the first one
     * starting at the cycle's start */
    if (llabs(period - TREND_WEEK_MS) < TREND_WEEK_MS / 7)
        printf(" over %ld weeks\n", lround((double)n * (double)period / (double)TREND_WEEK_MS));
    else
        printf(" since %s\n", okr_render_date(t->at[0] - period, since, sizeof since));
}

char *okr_trend_busy_reason(const Okr__Response *resp)
{
    if (!resp || resp->status != OKR__STATUS__STATUS_UNAVAILABLE)
        return NULL;
    return okr_cli_sanitize(
        resp->message && resp->message[0] ? resp->message : "the server is busy; try again shortly",
        0);
}

void okr_trend_print_busy(const okr_trend_t *t)
{
    char *why = t ? okr_trend_busy_reason(t->resp) : NULL;
    if (why)
        printf("  %-13snot now: %s\n", "trend", why);
    free(why);
}

static json_t *trend__values(const double *progress, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(progress[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *trend__series(const Okr__ObjectiveTrend *t, const double *progress)
{
    json_t *times = json_array();
    for (size_t i = 0; times && i < t->n_at; i++)
        if (json_array_append_new(times, json_integer((json_int_t)t->at[i])) != 0) {
            json_decref(times);
            times = NULL;
        }
    json_t *values = trend__values(progress, t->n_at);
    if (!times || !values) {
        json_decref(times);
        json_decref(values);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "at", times, "progress", values);
}

json_t *okr_trend_json(const Okr__ObjectiveTrend *t)
{
    if (!t)
        return json_null();
    json_t *j = trend__series(t, t->progress), *krs = json_array();
    for (size_t i = 0; j && krs && i < t->n_key_results; i++) {
        const Okr__KeyResultTrend *k = t->key_results[i];
        json_t *values =
            k->n_progress == t->n_at ? trend__values(k->progress, k->n_progress) : NULL;
        if (!values ||
            json_array_append_new(krs, json_pack("{s:I, s:o}", "id", (json_int_t)k->key_result_id,
                                                 "progress", values)) != 0) {
            json_decref(krs);
            krs = NULL;
        }
    }
    if (!j || !krs || json_object_set_new(j, "key_results", krs) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *okr_trend_kr_json(const Okr__ObjectiveTrend *t, uint64_t kr_id)
{
    const Okr__KeyResultTrend *k = okr_trend_kr(t, kr_id);
    return k ? trend__series(t, k->progress) : json_null();
}
