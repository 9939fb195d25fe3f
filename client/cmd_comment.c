/* cmd_comment.c — okr comment and okr kudos: the seed's feedback and
 * encouragement on objectives and key results, and reading them back. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_out.h"
#include "okr_error.h"
#include "refs.h"
#include "render.h"

enum { OPT_TO = OKR_OPT_FIRST_COMMAND_OPT };

#define COMMENT_BODY_MAX 8192

static const char comment_usage[] =
    "Usage: okr comment O|K TEXT\n"
    "       okr comment list O|K\n"
    "\n"
    "Comments on an objective (O12) or a key result (K34), or lists the comments\n"
    "and kudos on one, oldest first. The text may be several words, quoted or\n"
    "not. To thank someone, use 'okr kudos'.\n"
    "\n"
    "Options: the global ones (okr --help).\n"
    "\n"
    "Examples:\n"
    "  okr comment K34 \"The numbers for March are in the shared sheet\"\n"
    "  okr comment O12 客户反馈很积极,继续保持\n"
    "  okr comment list O12\n"
    "  okr comment list K34 --json\n";

static const char kudos_usage[] =
    "Usage: okr kudos O|K TEXT [--to USER]\n"
    "\n"
    "Gives kudos on an objective (O12) or a key result (K34): a comment that\n"
    "thanks someone, shown with a mark on dashboards.\n"
    "\n"
    "Options:\n"
    "  --to USER   who is being thanked\n"
    "  (and the global options: okr --help)\n"
    "\n"
    "Examples:\n"
    "  okr kudos K34 \"Two new customers in one week!\" --to lilei\n"
    "  okr kudos O12 干得漂亮 --to hanmeimei\n";

static int comment__nomem(okr_cli_t *cli)
{
    return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
}

/* Parses "O12" or "K34" into the comment's target fields. */
static int comment__target(okr_cli_t *cli, const char *text, uint64_t *objective_id,
                           uint64_t *key_result_id)
{
    okr_ref_kind_t kind;
    uint64_t id;
    *objective_id = *key_result_id = 0;
    if (okr_ref_parse_any(text, &kind, &id) != 0 ||
        (kind != OKR_REF_OBJECTIVE && kind != OKR_REF_KEY_RESULT))
        return okr_cli_usage_error(cli, "'%s' is not an objective (O12) or a key result (K34)",
                                   text);
    if (kind == OKR_REF_OBJECTIVE)
        *objective_id = id;
    else
        *key_result_id = id;
    return -1;
}

/* Joins argv[from..argc) with spaces. */
static int comment__join(okr_cli_t *cli, int argc, char **argv, int from, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = from; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (used + n + 2 > len)
            return okr_cli_usage_error(cli, "the text is longer than %zu bytes", len - 1);
        if (used)
            buf[used++] = ' ';
        memcpy(buf + used, argv[i], n + 1);
        used += n;
    }
    if (!buf[0])
        return okr_cli_usage_error(cli, "the text must not be empty");
    return -1;
}

/* ---------------------------------------------------------------- create */

static int comment__create(okr_cli_t *cli, int argc, char **argv, Okr__CommentKind kind,
                           const char *to)
{
    if (optind >= argc)
        return okr_cli_usage_error(cli, "missing the objective or key result, e.g. O12 or K34");
    if (argc - optind < 2)
        return okr_cli_usage_error(cli, "missing TEXT");
    Okr__Comment c = OKR__COMMENT__INIT;
    int rc = comment__target(cli, argv[optind], &c.objective_id, &c.key_result_id);
    if (rc >= 0)
        return rc;
    char *body = malloc(COMMENT_BODY_MAX);
    if (!body)
        return comment__nomem(cli);
    rc = comment__join(cli, argc, argv, optind + 1, body, COMMENT_BODY_MAX);
    if (rc < 0)
        rc = okr_cli_connect_lazy(cli);
    if (rc == 0 && to)
        rc = okr_ref_user(cli, to, &c.to_user_id);
    if (rc != 0 && rc != -1) {
        free(body);
        return rc;
    }
    c.body = body;
    c.kind = kind;
    Okr__CommentCreateRequest create = OKR__COMMENT_CREATE_REQUEST__INIT;
    create.comment = &c;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
    req.comment_create = &create;
    Okr__Response *resp;
    rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_COMMENT, &resp);
    free(body);
    if (rc)
        return rc;
    if (!resp->comment) {
        okr__response__free_unpacked(resp, NULL);
        return okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no comment");
    }
    if (cli->json) {
        okr_cli_print_json(okr_json_comment(resp->comment));
    } else {
        char ref[32];
        const Okr__Comment *got = resp->comment;
        if (got->objective_id)
            okr_ref_format(OKR_REF_OBJECTIVE, got->objective_id, ref, sizeof ref);
        else
            okr_ref_format(OKR_REF_KEY_RESULT, got->key_result_id, ref, sizeof ref);
        if (kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS && got->to_user_id) {
            char *who = okr_cli_sanitize(okr_ref_username(cli, got->to_user_id), 0);
            printf("Kudos to %s on %s sent.\n", who ? who : "?", ref);
            free(who);
        } else {
            printf("%s on %s posted.\n",
                   kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS ? "Kudos" : "Comment", ref);
        }
    }
    okr__response__free_unpacked(resp, NULL);
    return OKR_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

static int64_t comment__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "alice · 3 days ago" / "bob → alice ★ kudos · 2 hours ago", then the
 * body indented, one line per line of the body. */
static void comment__print(okr_cli_t *cli, const Okr__Comment *c, int64_t now)
{
    char ago[64];
    okr_render_ago(c->time, now, ago, sizeof ago);
    char *author = okr_cli_sanitize(okr_ref_username(cli, c->author_id), 0);
    if (c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS) {
        char *to = c->to_user_id ? okr_cli_sanitize(okr_ref_username(cli, c->to_user_id), 0) : NULL;
        printf("%s%s%s ★ kudos · %s\n", author ? author : "?", to ? " → " : "", to ? to : "", ago);
        free(to);
    } else {
        printf("%s · %s\n", author ? author : "?", ago);
    }
    free(author);
    char *body = okr_cli_sanitize(c->body, 1);
    for (char *line = body, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        printf("    %s\n", line);
    }
    free(body);
}

static int comment__list(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "comment list";
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1)
        return opt == 'h' ? OKR_EXIT_OK : OKR_EXIT_USAGE;
    if (optind >= argc)
        return okr_cli_usage_error(cli, "missing the objective or key result, e.g. O12 or K34");
    if (argc - optind > 1)
        return okr_cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
    const char *ref = argv[optind];
    Okr__CommentListRequest lr = OKR__COMMENT_LIST_REQUEST__INIT;
    int rc = comment__target(cli, ref, &lr.objective_id, &lr.key_result_id);
    if (rc >= 0)
        return rc;
    rc = okr_cli_connect_lazy(cli);
    if (rc)
        return rc;
    json_t *all = cli->json ? json_array() : NULL;
    if (cli->json && !all)
        return comment__nomem(cli);
    int64_t now = comment__now_ms();
    size_t count = 0, kudos = 0;
    uint64_t after = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        lr.page = &page;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_COMMENT_LIST;
        req.comment_list = &lr;
        Okr__Response *resp;
        rc = okr_cli_call(cli, &req, OKR__RESPONSE__RESULT_COMMENT_LIST, &resp);
        if (rc)
            break;
        const Okr__CommentList *l = resp->comment_list;
        if (!l) {
            okr__response__free_unpacked(resp, NULL);
            rc = okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL", "the server sent no comments");
            break;
        }
        for (size_t i = 0; i < l->n_comments; i++) {
            const Okr__Comment *c = l->comments[i];
            kudos += c->kind == OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
            count++;
            if (all)
                json_array_append_new(all, okr_json_comment(c));
            else
                comment__print(cli, c, now);
        }
        uint64_t next = l->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (next == 0)
            break;
        if (next <= after) {
            rc = okr_cli_fail(cli, OKR_EXIT_CONNECT, "PROTOCOL",
                              "the server repeated a page of comments");
            break;
        }
        after = next;
    }
    if (!rc) {
        if (all)
            okr_cli_print_json(json_pack("{s:O}", "comments", all));
        else if (count == 0)
            printf("No comments on %s yet — add one: okr comment %s TEXT\n", ref, ref);
        else
            printf("%zu comment%s, %zu kudos.\n", count - kudos, count - kudos == 1 ? "" : "s",
                   kudos);
    }
    json_decref(all);
    return rc;
}

/* ---------------------------------------------------------------- commands */

int okr_cmd_comment(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "comment";
    cli->usage = comment_usage;
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        optind = 0;
        return comment__list(cli, argc - 1, argv + 1);
    }
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1)
        return opt == 'h' ? OKR_EXIT_OK : OKR_EXIT_USAGE;
    return comment__create(cli, argc, argv, OKR__COMMENT_KIND__COMMENT_KIND_COMMENT, NULL);
}

int okr_cmd_kudos(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"to", required_argument, NULL, OPT_TO},
                                             OKR_CLI_GLOBAL_LONGOPTS};
    cli->command = "kudos";
    cli->usage = kudos_usage;
    const char *to = NULL;
    int opt;
    while ((opt = okr_cli_getopt(cli, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h')
            return OKR_EXIT_OK;
        if (opt != OPT_TO)
            return OKR_EXIT_USAGE;
        to = optarg;
    }
    return comment__create(cli, argc, argv, OKR__COMMENT_KIND__COMMENT_KIND_KUDOS, to);
}
