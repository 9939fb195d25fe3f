/* handle_push.c — subscribe, unsubscribe and server statistics. */
#include <stdio.h>

#include "clock.h"
#include "okr_error.h"
#include "pubsub.h"
#include "request.h"
#include "session_sweep.h"

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
    stats.trends_running = r->srv->trends.running;
    stats.trends_waiting = r->srv->trends.waiting;
    stats.trends_refused = r->srv->trends.refused;
    stats.trend_objectives = r->srv->trends.objectives;
    stats.connections_refused_per_ip = r->srv->refused_per_ip;
    stats.connections_refused_full = r->srv->refused_full;
    stats.logins_refused_per_user = r->srv->refused_per_user;
    stats.sessions_expired = okr_session_sweep_removed(r->srv->session_sweep);
    stats.sessions_evicted = r->srv->sessions_evicted;
    okr_writer_stats_t ws; /* the histograms below point into it */
    if (r->srv->writer) {
        okr_writer_get_stats(r->srv->writer, &ws);
        stats.commits_per_s = okr_writer_commits_per_s(&ws, okr_mono_ms());
        stats.fsyncs = ws.fsyncs;
        stats.timed_groups = ws.commit_us.count;
        okr_lhist_export(&ws.apply_us, &stats.apply_p50_us, &stats.apply_p99_us,
                         &stats.apply_sum_us, &stats.n_apply_hist, &stats.apply_hist);
        okr_lhist_export(&ws.commit_us, &stats.commit_p50_us, &stats.commit_p99_us,
                         &stats.commit_sum_us, &stats.n_commit_hist, &stats.commit_hist);
        okr_lhist_export(&ws.queue_us, &stats.queue_p50_us, &stats.queue_p99_us,
                         &stats.queue_sum_us, &stats.n_queue_hist, &stats.queue_hist);
        okr_lhist_export(&ws.handback_us, &stats.handback_p50_us, &stats.handback_p99_us,
                         &stats.handback_sum_us, &stats.n_handback_hist, &stats.handback_hist);
    }
    Okr__Response resp = OKR__RESPONSE__INIT;
    resp.result_case = OKR__RESPONSE__RESULT_STATS;
    resp.stats = &stats;
    okr_req_reply(r, &resp);
}
