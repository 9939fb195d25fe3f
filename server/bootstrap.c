#include "bootstrap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "okr_error.h"
#include "password_policy.h"
#include "tls_ctx.h"
#include "users.h"

#define ADMIN_USERNAME         "admin"
#define GENERATED_PASSWORD_LEN 20

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Splits "a,b,c" into at most max trimmed names, in place. */
static size_t split_hosts(char *list, const char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(list, ","); tok && n < max; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (*tok)
            out[n++] = tok;
    }
    return n;
}

int okr_bootstrap_tls(okr_server_t *srv)
{
    const okr_config_t *cfg = srv->cfg;
    char cert[4096], key[4096], err[512];
    if (cfg->cert_file[0]) {
        if (!cfg->key_file[0]) {
            okr_error("tls: cert_file is set but key_file is not; set both");
            return -1;
        }
        snprintf(cert, sizeof cert, "%s", cfg->cert_file);
        snprintf(key, sizeof key, "%s", cfg->key_file);
    } else {
        snprintf(cert, sizeof cert, "%s/cert.pem", cfg->data_dir);
        snprintf(key, sizeof key, "%s/key.pem", cfg->data_dir);
        if (!file_exists(cert) || !file_exists(key)) {
            char *list = strdup(cfg->cert_hosts);
            const char *hosts[32];
            size_t n = list ? split_hosts(list, hosts, 32) : 0;
            int rc =
                n == 0 ? -1 : okr_tls_generate_self_signed(cert, key, hosts, n, err, sizeof err);
            free(list);
            if (rc != 0) {
                okr_error("tls: cannot generate a certificate in %s: %s", cfg->data_dir,
                          n == 0 ? "cert_hosts is empty" : err);
                return -1;
            }
            okr_info("tls: generated a self-signed certificate %s for %s", cert, cfg->cert_hosts);
        }
    }
    srv->tls = okr_tls_server_ctx(cert, key, err, sizeof err);
    if (!srv->tls) {
        okr_error("tls: %s", err);
        return -1;
    }
    if (okr_tls_cert_file_fingerprint(cert, srv->fingerprint) != 0) {
        okr_error("tls: cannot read %s", cert);
        return -1;
    }
    char pretty[128];
    okr_tls_fingerprint_pretty(srv->fingerprint, pretty, sizeof pretty);
    okr_info("tls: certificate SHA-256 fingerprint %s", pretty);
    return 0;
}

/* A password people can type: letters and digits without look-alikes. */
static int generate_password(char *out, size_t len)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    unsigned char raw[64];
    if (len > sizeof raw || RAND_bytes(raw, (int)len) != 1)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    out[len] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

static int read_password_file(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        okr_error("cannot read admin_password_file %s: %s", path, strerror(errno));
        return -1;
    }
    if (!fgets(out, (int)len, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int bootstrap__create_admin(okr_server_t *srv, const okr_kdf_params_t *kdf)
{
    char password[OKR_PASSWORD_MAX + 2], msg[256], hash[OKR_HASH_ENCODED_MAX];
    const char *file = srv->cfg->admin_password_file;
    int generated = !file[0];
    if (generated ? generate_password(password, GENERATED_PASSWORD_LEN)
                  : read_password_file(file, password, sizeof password))
        return -1;
    if (okr_password_check_policy(password, ADMIN_USERNAME, msg, sizeof msg) != 0) {
        okr_error("admin_password_file %s: %s", file, msg);
        return -1;
    }
    int rc = okr_password_hash(password, kdf, hash, sizeof hash);
    if (rc != 0) {
        okr_error("cannot hash the admin password");
        return -1;
    }
    MDB_txn *txn;
    if (okr_store_write_begin(srv->store, &txn) != 0)
        return -1;
    Okr__User user = OKR__USER__INIT;
    user.username = ADMIN_USERNAME;
    user.display_name = "Administrator";
    user.role = OKR__ROLE__ROLE_ADMIN;
    user.active = 1;
    Okr__UserRecord rec = OKR__USER_RECORD__INIT;
    rec.user = &user;
    rec.password_hash = hash;
    rc = okr_users_insert(srv->store, txn, &rec, 0);
    if (rc != 0) {
        okr_store_write_abort(srv->store, txn);
        okr_error("cannot create the first admin: %s", okr_strerror(rc));
        return -1;
    }
    if (okr_store_write_commit(srv->store, txn) != 0) {
        okr_error("cannot commit the first admin");
        return -1;
    }
    okr_info("created the first admin user \"%s\"", ADMIN_USERNAME);
    if (generated) {
        /* stdout, not the log: shown once, for the person starting okrd. */
        printf("First start: created user \"%s\" with password: %s\n"
               "  It is shown only now. Log in with: okr login %s\n"
               "  then change it with: okr passwd\n",
               ADMIN_USERNAME, password, ADMIN_USERNAME);
        fflush(stdout);
    }
    OPENSSL_cleanse(password, sizeof password);
    return 0;
}

int okr_bootstrap_users(okr_server_t *srv)
{
    okr_kdf_params_t kdf;
    okr_kdf_params_default(&kdf);
    kdf.memory_kib = (uint32_t)srv->cfg->kdf_memory_kib;
    kdf.iterations = (uint32_t)srv->cfg->kdf_iterations;

    char dummy[GENERATED_PASSWORD_LEN + 1];
    if (generate_password(dummy, GENERATED_PASSWORD_LEN) != 0 ||
        okr_password_hash(dummy, &kdf, srv->dummy_hash, sizeof srv->dummy_hash) != 0) {
        okr_error("cannot prepare password hashing");
        return -1;
    }
    MDB_txn *txn;
    if (okr_store_read_begin(srv->store, &txn) != 0)
        return -1;
    uint64_t users = okr_users_count(srv->store, txn);
    okr_store_read_end(srv->store, txn);
    return users == 0 ? bootstrap__create_admin(srv, &kdf) : 0;
}
