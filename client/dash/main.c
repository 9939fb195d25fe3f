/* main.c — okr-dash: a full-screen live OKR dashboard for an office TV.
 *
 * Started once, unattended: settings from the command line or an INI file,
 * the server's certificate pinned from the given fingerprint (in a private
 * known-servers file made for this process, so no trust question can ever
 * appear), then feed.c brings the events, model.c keeps the picture,
 * layout.c lays it out and view.c draws it. `--once` prints one frame as
 * plain text instead (tests, cron, screenshots).
 */
#include <dirent.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "clock.h"
#include "config.h"
#include "feed.h"
#include "hostport.h"
#include "layout.h"
#include "okr_error.h"
#include "trust.h"
#include "view.h"

#ifndef OKR_VERSION
#define OKR_VERSION "0.0.0"
#endif

enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,
    EXIT_USAGE = 2,
    EXIT_CONNECT = 3,
    EXIT_AUTH = 4,
    EXIT_REFUSED = 5,
};

#define DASH_SLICE_MS       200u /* the loop's tick: keys, clock, rotation */
#define DASH_HIGHLIGHT_MS   6000u
#define DASH_RETRY_MIN_MS   1000u
#define DASH_RETRY_MAX_MS   30000u
#define DASH_RETRY_FATAL_MS 60000u

static const char dash_usage[] =
    "Usage: okr-dash --server HOST:PORT --fingerprint SHA256 --token dash-...\n"
    "       okr-dash --config FILE\n"
    "       okr-dash ... --once [--width N] [--height N] [--page N]\n"
    "\n"
    "A full-screen, live OKR dashboard for an office TV. It shows the\n"
    "objectives of one team, one cycle or the whole organisation (the scope of\n"
    "its dashboard token) with large progress bars in their status colour\n"
    "(green on track, yellow at risk, red off track), the cycle's pace marked on\n"
    "each bar, owners and days since the last check-in, and a ticker of the\n"
    "latest check-ins, kudos and comments. Changes appear as they are committed,\n"
    "and the card that changed is highlighted for a few seconds. When the\n"
    "objectives do not fit, pages rotate. If the connection is lost it shows\n"
    "\"reconnecting…\", retries with backoff, and resumes where it left off.\n"
    "It needs no keyboard; q quits.\n"
    "\n"
    "An admin makes the token (read-only, bound to its scope) with\n"
    "  okr token create --scope team:NAME --label \"3rd floor TV\"\n"
    "which prints the command line (or the config file) to use here.\n"
    "\n"
    "Options:\n"
    "  --server HOST:PORT     the okrd server (port 7433 when not given)\n"
    "  --fingerprint SHA256   the SHA-256 fingerprint of the server's certificate\n"
    "                         (64 hex digits; colons allowed), as okr token create\n"
    "                         and okrd print it. It is pinned for this process\n"
    "                         only: a server with any other certificate is refused\n"
    "  --ca FILE              verify the server's certificate against this CA\n"
    "                         instead of a fingerprint\n"
    "  --token SECRET         the dashboard token, dash-... (other local users can\n"
    "                         see it in ps: prefer --token-file or $OKR_DASH_TOKEN)\n"
    "  --token-file FILE      read the token from the first line of FILE\n"
    "  --config FILE          read the settings below from an INI file; options\n"
    "                         given on the command line win\n"
    "  --title TEXT           the title at the top (default: the scope's name)\n"
    "  --rotate SECONDS       how long each page shows when the objectives need\n"
    "                         several (default 15)\n"
    "  --timeout SECONDS      how long to wait for the server (default 10)\n"
    "  --log FILE             append a line per connection event to FILE (the\n"
    "                         screen shows only the latest)\n"
    "  --once                 print one frame as plain text on stdout (no colours,\n"
    "                         no escape codes) once the first view is complete,\n"
    "                         then exit\n"
    "  --width N, --height N  the size of that frame (default 100 x 30)\n"
    "  --page N               the page it shows (default 1)\n"
    "  -h, --help             show this help\n"
    "  --version              show the version\n"
    "\n"
    "Config file (INI; every key optional, flags win):\n"
    "  [dash]\n"
    "  server = okr.example.com:7433\n"
    "  fingerprint = 3f5a...e1\n"
    "  token = dash-...            ; or: token_file = /etc/okr-dash/token\n"
    "  ca_file = /etc/okr/ca.pem   ; instead of fingerprint\n"
    "  title = 3rd floor\n"
    "  rotate_seconds = 20\n"
    "  log = /var/log/okr-dash.log\n"
    "Keep the file private (chmod 600): the token is a password. A line holds\n"
    "at most 198 bytes; give a longer value as a flag.\n"
    "\n"
    "Screen: from 80x24 up to any TV size; resizing re-lays it out. Text is\n"
    "UTF-8 (Chinese titles line up); run it in a UTF-8 locale.\n"
    "\n"
    "Exit status:\n"
    "  0  q, SIGTERM or SIGINT; --once printed its frame\n"
    "  1  internal error\n"
    "  2  usage error\n"
    "  3  --once: cannot connect, or TLS or certificate failure\n"
    "  4  --once: the server refused the token\n"
    "  5  --once: the server refused the request\n"
    "\n"
    "Examples:\n"
    "  okr-dash --server okr.example.com --fingerprint 3f5a...e1 \\\n"
    "           --token-file /etc/okr-dash/token\n"
    "  okr-dash --config /etc/okr-dash/dash.ini\n"
    "  okr-dash --config dash.ini --once --width 120 --height 40 > screen.txt\n";

static volatile sig_atomic_t dash_stop;

static void dash__on_signal(int sig)
{
    (void)sig;
    dash_stop = 1;
}

__attribute__((format(printf, 1, 2))) static int dash__usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("okr-dash: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nRun 'okr-dash --help' for usage.\n", stderr);
    return EXIT_USAGE;
}

/* ---------------------------------------------------------------- settings */

/* Reads the settings (config.c), printing the help, the version or what is
 * wrong. Returns -1 to go on, else the exit status. */
static int dash__parse(int argc, char **argv, dash_conf_t *c)
{
    char err[1024];
    switch (dash_conf_parse(c, argc, argv, NULL, NULL, err, sizeof err)) {
    case DASH_CONF_OK:
        return -1;
    case DASH_CONF_HELP:
        fputs(dash_usage, stdout);
        return EXIT_OK;
    case DASH_CONF_VERSION:
        printf("okr-dash %s\n", OKR_VERSION);
        return EXIT_OK;
    case DASH_CONF_USAGE:
        return dash__usage_error("%s", err);
    case DASH_CONF_BAD_FILE:
        fprintf(stderr, "okr-dash: %s\n", err);
        return EXIT_USAGE;
    default:
        fprintf(stderr, "okr-dash: %s\n", err);
        return EXIT_ERROR;
    }
}

/* ---------------------------------------------------------------- the pin */

typedef struct dash_pin {
    char dir[PATH_MAX];
    char path[PATH_MAX + 32];
} dash_pin_t;

static void dash__pin_remove(dash_pin_t *p)
{
    if (!p->dir[0])
        return;
    DIR *d = opendir(p->dir);
    if (d) {
        struct dirent *e;
        char path[PATH_MAX + 256];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", p->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(p->dir);
    p->dir[0] = '\0';
}

/* Writes the fingerprint as the only pin of a known-servers file in a new
 * private directory (removed at exit). */
static int dash__pin(const char *hostport, const char *fingerprint, dash_pin_t *p)
{
    char fp[OKR_FINGERPRINT_LEN], err[512];
    if (okr_trust_normalize(fingerprint, fp) != 0)
        return dash__usage_error("--fingerprint must be 64 hex digits (colons allowed): the "
                                 "SHA-256 that okr token create printed");
    const char *tmp = getenv("TMPDIR");
    snprintf(p->dir, sizeof p->dir, "%s/okr-dash-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(p->dir)) {
        fprintf(stderr, "okr-dash: cannot make a directory in %s: %s\n",
                tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        p->dir[0] = '\0';
        return EXIT_ERROR;
    }
    snprintf(p->path, sizeof p->path, "%s/known_servers", p->dir);
    if (okr_trust_store(p->path, hostport, fp, err, sizeof err) != 0) {
        fprintf(stderr, "okr-dash: %s\n", err);
        dash__pin_remove(p);
        return EXIT_ERROR;
    }
    return -1;
}

/* ---------------------------------------------------------------- --once */

static int dash__exit_code(int err)
{
    switch (err) {
    case OKR_E_UNAUTHENTICATED:
        return EXIT_AUTH;
    case OKR_E_IO:
    case OKR_E_TLS:
    case OKR_E_TIMEOUT:
    case OKR_E_CLOSED:
    case OKR_E_PROTOCOL:
        return EXIT_CONNECT;
    case OKR_E_NOMEM:
    case OKR_E_INTERNAL:
        return EXIT_ERROR;
    default:
        return EXIT_REFUSED;
    }
}

static int dash__once(const dash_conf_t *c, dash_feed_t *f)
{
    int rc = dash_feed_start(f);
    if (rc) {
        fprintf(stderr, "okr-dash: %s\n", f->error);
        return dash__exit_code(rc);
    }
    dash_layout_opts_t o = {
        .width = c->width,
        .height = c->height,
        .page = c->page - 1,
        .now_wall_ms = okr_wall_ms(),
        .now_mono_ms = okr_mono_ms(),
        .title = c->title,
    };
    dash_frame_t frame;
    if (dash_layout(&f->model, &o, &frame) != 0) {
        fprintf(stderr, "okr-dash: out of memory\n");
        return EXIT_ERROR;
    }
    char *text = dash_frame_text(&frame);
    dash_frame_free(&frame);
    if (!text) {
        fprintf(stderr, "okr-dash: out of memory\n");
        return EXIT_ERROR;
    }
    fputs(text, stdout);
    free(text);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

/* ---------------------------------------------------------------- the TV */

typedef struct tv {
    const dash_conf_t *conf;
    dash_feed_t *feed;
    dash_view_t *view;
    const char *server;
    unsigned start_tries;
    uint64_t next_start_ms;
    int page;
    uint64_t page_since_ms;
    uint64_t jumped_for_ms; /* the change the page last jumped to */
} tv_t;

/* "42 s", "5 min", "3 h", "2 days". */
static void dash__ago(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = ms / 1000;
    if (s < 120)
        snprintf(buf, len, "%llu s", (unsigned long long)s);
    else if (s < 7200)
        snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
    else if (s < 172800)
        snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
    else
        snprintf(buf, len, "%llu days", (unsigned long long)(s / 86400));
}

/* The body's message while there is nothing to show, and the status line. */
static void dash__texts(tv_t *tv, uint64_t now, char *msg, size_t msglen, char *status,
                        size_t stlen, dash_link_t *link)
{
    dash_feed_t *f = tv->feed;
    char ago[32];
    dash__ago(now - f->last_event_ms, ago, sizeof ago);
    msg[0] = status[0] = '\0';
    if (f->started) {
        *link = f->link;
        if (f->link == DASH_LINK_LIVE)
            snprintf(status, stlen, "● live");
        else if (f->link == DASH_LINK_CONNECTING)
            snprintf(status, stlen, "connecting…");
        else
            snprintf(status, stlen, "reconnecting… (last event %s ago)", ago);
        return;
    }
    uint64_t wait = tv->next_start_ms > now ? tv->next_start_ms - now : 0;
    unsigned long long secs = (unsigned long long)((wait + 999) / 1000);
    if (tv->start_tries == 0) {
        *link = DASH_LINK_CONNECTING;
        snprintf(msg, msglen, "Connecting to %s…", tv->server);
        snprintf(status, stlen, "connecting…");
        return;
    }
    *link = DASH_LINK_DOWN;
    switch (f->fatal) {
    case OKR_E_UNAUTHENTICATED:
        snprintf(msg, msglen,
                 "%s refused this dashboard's token.\nIt was revoked, or it is not a dashboard "
                 "token. An okr admin can make a new one with: okr token create\nTrying again "
                 "in %llu s.",
                 tv->server, secs);
        snprintf(status, stlen, "token refused");
        return;
    case OKR_E_TLS:
        snprintf(msg, msglen,
                 "Cannot verify %s.\n%s\nCheck --fingerprint (okr token create prints it). "
                 "Trying again in %llu s.",
                 tv->server, f->error, secs);
        snprintf(status, stlen, "not connected");
        return;
    default:
        snprintf(msg, msglen, "Cannot show the dashboard yet.\n%s\nTrying again in %llu s.",
                 f->error, secs);
        if (f->model.complete)
            snprintf(status, stlen, "reconnecting… (last event %s ago)", ago);
        else
            snprintf(status, stlen, "not connected");
        return;
    }
}

/* Moves to the page of the objective that changed last, once per change. */
static int dash__jump(tv_t *tv, const dash_frame_t *frame, uint64_t now)
{
    const dash_model_t *m = &tv->feed->model;
    const dash_obj_t *newest = NULL;
    for (size_t i = 0; i < m->nobjs; i++)
        if (m->objs[i].changed_ms > tv->jumped_for_ms &&
            (!newest || m->objs[i].changed_ms > newest->changed_ms))
            newest = &m->objs[i];
    if (!newest)
        return 0;
    tv->jumped_for_ms = newest->changed_ms;
    int page = dash_frame_page_of(frame, newest->o->id);
    if (page < 0 || page == frame->page)
        return 0;
    tv->page = page;
    tv->page_since_ms = now;
    return 1;
}

static void dash__render(tv_t *tv)
{
    uint64_t now = okr_mono_ms();
    char msg[1400], status[256];
    dash_link_t link;
    dash__texts(tv, now, msg, sizeof msg, status, sizeof status, &link);
    int w, h;
    dash_view_size(tv->view, &w, &h);
    uint64_t rotate_ms = (uint64_t)tv->conf->rotate_s * 1000;
    if (now - tv->page_since_ms >= rotate_ms) {
        tv->page++;
        tv->page_since_ms = now;
    }
    dash_layout_opts_t o = {
        .width = w,
        .height = h,
        .page = tv->page,
        .now_wall_ms = okr_wall_ms(),
        .now_mono_ms = now,
        .highlight_ms = DASH_HIGHLIGHT_MS,
        .title = tv->conf->title ? tv->conf->title : (tv->feed->have_scope ? NULL : "okr-dash"),
        .link = link,
        .status = status,
        /* Until the first view is in, and after the feed failed for good,
         * the reason replaces the objectives. */
        .message = tv->feed->started ? NULL : msg,
    };
    o.next_page_s = (int)((rotate_ms - (now - tv->page_since_ms) + 999) / 1000);
    dash_frame_t frame;
    if (dash_layout(&tv->feed->model, &o, &frame) != 0)
        return;
    if (dash__jump(tv, &frame, now)) {
        /* Lay out again on the page of the change, for a whole period. */
        dash_frame_free(&frame);
        o.page = tv->page;
        o.next_page_s = tv->conf->rotate_s;
        if (dash_layout(&tv->feed->model, &o, &frame) != 0)
            return;
    }
    tv->page = frame.page;
    dash_view_draw(tv->view, &frame);
}

static void dash__start(tv_t *tv)
{
    uint64_t now = okr_mono_ms();
    if (now < tv->next_start_ms)
        return;
    dash__render(tv); /* show "connecting" while it blocks */
    int rc = dash_feed_start(tv->feed);
    if (rc == 0) {
        tv->start_tries = 0;
        return;
    }
    tv->feed->fatal = rc;
    unsigned shift = tv->start_tries < 5 ? tv->start_tries : 5;
    uint64_t delay = (uint64_t)DASH_RETRY_MIN_MS << shift;
    if (delay > DASH_RETRY_MAX_MS)
        delay = DASH_RETRY_MAX_MS;
    if (rc == OKR_E_UNAUTHENTICATED || rc == OKR_E_TLS || rc == OKR_E_UNSUPPORTED)
        delay = DASH_RETRY_FATAL_MS;
    tv->start_tries++;
    tv->next_start_ms = okr_mono_ms() + delay;
}

static int dash__keys(tv_t *tv)
{
    int ch;
    while ((ch = dash_view_key(tv->view)) != -1) {
        if (ch == 'q' || ch == 'Q')
            return 1;
        if (ch == KEY_RESIZE)
            dash_view_invalidate(tv->view);
    }
    return 0;
}

static void dash__nap(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int dash__tv(const dash_conf_t *c, dash_feed_t *f, const char *server)
{
    dash_view_t *view = dash_view_open();
    if (!view)
        return EXIT_ERROR;
    tv_t tv = {.conf = c, .feed = f, .view = view, .server = server};
    tv.page_since_ms = okr_mono_ms();
    while (!dash_stop) {
        if (!f->started) {
            dash__start(&tv);
            if (!f->started)
                dash__nap(DASH_SLICE_MS);
        } else if (dash_feed_pump(f, DASH_SLICE_MS) != 0) {
            /* Cannot heal by itself (revoked token ...): say so, try later. */
            tv.start_tries = 1;
            tv.next_start_ms = okr_mono_ms() + DASH_RETRY_FATAL_MS;
        }
        if (dash__keys(&tv))
            break;
        dash__render(&tv);
    }
    dash_view_close(view);
    return EXIT_OK;
}

/* ---------------------------------------------------------------- main */

static void dash__signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = dash__on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ncursesw needs a UTF-8 locale to draw anything but ASCII. */
static void dash__locale(void)
{
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    if (!cs || strcmp(cs, "UTF-8") != 0)
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
            setlocale(LC_CTYPE, "en_US.UTF-8");
}

int main(int argc, char **argv)
{
    dash_conf_t conf = {0};
    int rc = dash__parse(argc, argv, &conf);
    if (rc >= 0) {
        dash_conf_free(&conf);
        return rc;
    }
    char host[OKR_HOST_MAX], hostport[OKR_HOSTPORT_MAX], err[512];
    uint16_t port;
    if (okr_hostport_parse(conf.server, OKR_DEFAULT_PORT, host, &port, err, sizeof err) != 0) {
        dash_conf_free(&conf);
        return dash__usage_error("--server: %s", err);
    }
    okr_hostport_format(host, port, hostport);
    dash_pin_t pin = {0};
    if (!conf.ca_file && (rc = dash__pin(hostport, conf.fingerprint, &pin)) >= 0) {
        dash_conf_free(&conf);
        return rc;
    }
    dash__locale();
    dash__signals();
    okr_client_opts_t opts = {
        .host = host,
        .port = port,
        .ca_file = conf.ca_file,
        .known_servers_path = conf.ca_file ? NULL : pin.path,
        .timeout_ms = conf.timeout_ms,
        .client_name = "okr-dash " OKR_VERSION,
    };
    dash_feed_t feed;
    dash_feed_init(&feed, &opts, conf.token);
    if (conf.log) {
        /* okr_log writes to stderr: send it to the file. */
        if (!freopen(conf.log, "a", stderr)) {
            fprintf(stdout, "okr-dash: cannot open %s: %s\n", conf.log, strerror(errno));
            dash_feed_free(&feed);
            dash__pin_remove(&pin);
            dash_conf_free(&conf);
            return EXIT_USAGE;
        }
        setvbuf(stderr, NULL, _IOLBF, 0);
        feed.log = 1;
    }
    rc = conf.once ? dash__once(&conf, &feed) : dash__tv(&conf, &feed, hostport);
    dash_feed_free(&feed);
    dash__pin_remove(&pin);
    dash_conf_free(&conf);
    return rc;
}
