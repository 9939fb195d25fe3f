/* handle_push.c — subscribe, unsubscribe and server statistics. */
#include <stdio.h>

#include "clock.h"
#include "okr_error.h"
#include "pubsub.h"
#include "request.h"

void okr_handle_subscribe(okr_req_t *r)
{
    Okr__SubscribeResult res;
    char err[256] = "";
    int rc = okr_pubsub_subscribe(r->srv->pubsub, r->conn, r->user, r->msg->subscribe, &res, err,
                                  sizeof err);
    if (rc != 0) {
        okr_req_fail(r, rc, "%s", err[0] ? err : okr_strerror(rc));
        return;
    }
    /* The answer follows any replay or snapshot already queued for this
     * connection: a client sees the past before it hears it is live. */
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_SUBSCRIBE;
    resp.subscribe = &res;
    okr_req_reply(r, &resp);
}

void okr_handle_unsubscribe(okr_req_t *r)
{
    uint64_t id = r->msg->unsubscribe->subscription_id;
    if (okr_pubsub_unsubscribe(r->srv->pubsub, r->conn, id) != 0) {
        okr_req_fail(r, OKR_E_NOT_FOUND, "this connection has no subscription %llu",
                     (unsigned long long)id);
        return;
    }
    okr_req_reply_empty(r);
}

void okr_handle_stats(okr_req_t *r)
{
    Okr__Stats stats = OKR__STATS__INIT;
    okr_pubsub_stats(r->srv->pubsub, &stats);
    okr_writer_stats_t ws; /* the histograms below point into it */
    if (r->srv->writer) {
        okr_writer_get_stats(r->srv->writer, &ws);
        stats.apply_p50_us = okr_lhist_quantile(&ws.apply_us, 0.5);
        stats.apply_p99_us = okr_lhist_quantile(&ws.apply_us, 0.99);
        stats.commits_per_s = okr_writer_commits_per_s(&ws, okr_mono_ms());
        stats.fsyncs = ws.fsyncs;
        stats.commit_p50_us = okr_lhist_quantile(&ws.commit_us, 0.5);
        stats.commit_p99_us = okr_lhist_quantile(&ws.commit_us, 0.99);
        stats.timed_groups = ws.commit_us.count;
        stats.apply_sum_us = ws.apply_us.sum;
        stats.commit_sum_us = ws.commit_us.sum;
        stats.n_apply_hist = okr_lhist_used(&ws.apply_us);
        stats.apply_hist = ws.apply_us.b;
        stats.n_commit_hist = okr_lhist_used(&ws.commit_us);
        stats.commit_hist = ws.commit_us.b;
        stats.queue_p50_us = okr_lhist_quantile(&ws.queue_us, 0.5);
        stats.queue_p99_us = okr_lhist_quantile(&ws.queue_us, 0.99);
        stats.handback_p50_us = okr_lhist_quantile(&ws.handback_us, 0.5);
        stats.handback_p99_us = okr_lhist_quantile(&ws.handback_us, 0.99);
        stats.queue_sum_us = ws.queue_us.sum;
        stats.handback_sum_us = ws.handback_us.sum;
        stats.n_queue_hist = okr_lhist_used(&ws.queue_us);
        stats.queue_hist = ws.queue_us.b;
        stats.n_handback_hist = okr_lhist_used(&ws.handback_us);
        stats.handback_hist = ws.handback_us.b;
    }
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_STATS;
    resp.stats = &stats;
    okr_req_reply(r, &resp);
}
