/* migrate.c — schema migrations: see migrate.h. */
#include "migrate.h"

#include <stdio.h>

#include "okr_error.h"
#include "session_store.h"

/* One step: from version v to v + 1. done says what it did, for the log. */
typedef int (*migrate_step_fn)(okr_store_t *s, MDB_txn *txn, char *done, size_t donelen);

/* Schema 2 added the index of sessions by user: every session is filed. */
static int migrate__1_to_2(okr_store_t *s, MDB_txn *txn, char *done, size_t donelen)
{
    uint64_t n;
    int rc = okr_session_index_build(s, txn, &n);
    if (rc == 0)
        snprintf(done, donelen, "%llu session%s indexed by user", (unsigned long long)n,
                 n == 1 ? "" : "s");
    return rc;
}

/* steps[v] takes a store from version v to v + 1. */
static const migrate_step_fn steps[OKR_SCHEMA_VERSION] = {
    [1] = migrate__1_to_2,
};

int okr_store_migrate(okr_store_t *s, MDB_txn *txn, uint64_t from, char *note, size_t notelen,
                      char *err, size_t errlen)
{
    note[0] = '\0';
    for (uint64_t v = from; v < OKR_SCHEMA_VERSION; v++)
        if (!steps[v]) {
            snprintf(err, errlen, "schema version %llu has no migration to %d",
                     (unsigned long long)from, OKR_SCHEMA_VERSION);
            return OKR_E_UNSUPPORTED;
        }
    size_t used = 0;
    for (uint64_t v = from; v < OKR_SCHEMA_VERSION; v++) {
        char done[128];
        int rc = steps[v](s, txn, done, sizeof done);
        if (rc != 0) {
            snprintf(err, errlen, "upgrading schema version %llu to %llu failed: %s",
                     (unsigned long long)v, (unsigned long long)v + 1, okr_strerror(rc));
            return rc;
        }
        int w = snprintf(note + used, notelen - used, "%s%llu to %llu: %s", used ? "; " : "",
                         (unsigned long long)v, (unsigned long long)v + 1, done);
        if (w > 0)
            used = used + (size_t)w < notelen ? used + (size_t)w : notelen - 1;
    }
    return 0;
}
