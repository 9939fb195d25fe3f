#include "handle_named.h"

#include "domain.h"
#include "okr_error.h"
#include "validate.h"

void okr_reply_named(okr_req_t *r, Okr__EntityKind kind, uint64_t id, const char *name)
{
    int team = kind == OKR__ENTITY_KIND__ENTITY_KIND_TEAM;
    const char *noun = team ? "team" : "cycle";
    okr_store_t *s = r->srv->store;
    char msg[256];
    if (id == 0 && okr_check_string("name", name, 1, OKR_NAME_MAX, msg, sizeof msg)) {
        okr_req_fail(r, OKR_E_BAD_REQUEST, "name a %s by id or name: %s", noun, msg);
        return;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(s, &txn) != 0) {
        okr_req_fail(r, OKR_E_INTERNAL, "cannot read the store");
        return;
    }
    uint64_t found = id;
    int rc = found  ? 0
             : team ? okr_team_find(s, txn, name, &found)
                    : okr_cycle_find(s, txn, name, &found);
    ProtobufCMessage *m = NULL;
    if (rc == 0)
        rc = okr_entity_get(s, txn, kind, found, &m);
    if (rc == 0)
        rc = okr_req_set_result(r, team ? OKR__RESPONSE__RESULT_TEAM : OKR__RESPONSE__RESULT_CYCLE,
                                m);
    else if (rc == OKR_E_NOT_FOUND && id)
        okr_req_refuse(r, rc, "no %s #%llu", noun, (unsigned long long)id);
    else if (rc == OKR_E_NOT_FOUND)
        okr_req_refuse(r, rc, "no %s named \"%s\"", noun, name);
    okr_store_read_end(s, txn);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    okr_req_finish(r, rc);
}
