/* server.c — okrd as okr-bench starts it, and what /proc says about it.
 *
 * okrd runs on its own core (sched_setaffinity in the child before exec,
 * --server-cpu, default 0) and okr-bench on another (--client-cpu, default
 * 1), so the generator does not steal the server's CPU and the figures are
 * the server's. Its settings are the defaults except: 127.0.0.1 and an
 * ephemeral port, a fresh data directory beside our temporary files (on the
 * same disk as everything else here), rate limits off (--rate-limit-rps 0:
 * the generator is one address sending as fast as it is answered),
 * max_connections above the idle scenario's count, and no per-address or
 * per-user limit (thousands of connections from 127.0.0.1, every one logged
 * in as the bench member). All are recorded.
 */
#define _GNU_SOURCE /* sched_setaffinity, nftw */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int bench_pin_cpu(int cpu)
{
    if (cpu < 0)
        return 0;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2 || cpu >= n)
        return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

uint64_t bench_proc_cpu_ns(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: skip to ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    unsigned long long utime = 0, stime = 0;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (utime + stime) * (1000000000ull / (unsigned long long)hz);
}

uint64_t bench_self_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_secret_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    return close(fd) == 0 && ok ? 0 : -1;
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int port = -1;
    if (fscanf(f, "%d", &port) != 1)
        port = -1;
    fclose(f);
    return port;
}

static void print_log_tail(const bench_env_t *env)
{
    FILE *f = fopen(env->log_path, "r");
    if (!f)
        return;
    char line[1024];
    fprintf(stderr, "okr-bench: okrd's log (%s):\n", env->log_path);
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  %s", line);
    fclose(f);
}

static char *bench_strdupf(const char *fmt, unsigned long long v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return strdup(buf);
}

int bench_server_start(bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    /* The admin's password, random on the first start; a restart keeps it:
     * the store already holds the admin, and okrd reads the file only once. */
    char pw_hex[sizeof env->admin_password];
    if (env->admin_password[0]) {
        snprintf(pw_hex, sizeof pw_hex, "%s", env->admin_password);
    } else {
        unsigned char raw[16];
        if (RAND_bytes(raw, sizeof raw) != 1)
            return -1;
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(pw_hex + 2 * i, 3, "%02x", raw[i]);
    }
    char pw_path[320], port_path[320];
    snprintf(pw_path, sizeof pw_path, "%s/admin-password", env->dir);
    snprintf(port_path, sizeof port_path, "%s/port", env->dir);
    snprintf(env->data_dir, sizeof env->data_dir, "%s/data", env->dir);
    snprintf(env->log_path, sizeof env->log_path, "%s/okrd.log", env->dir);
    unlink(port_path); /* a restart's okrd writes its own */
    if (write_secret_file(pw_path, pw_hex) != 0) {
        bench_error(env, "cannot write %s: %s", pw_path, strerror(errno));
        return -1;
    }

    unsigned long long maxc = (unsigned long long)o->idle + o->active + 1000;
    if (maxc < 20000)
        maxc = 20000;
    const char *argv[BENCH_MAX_ARGS + 32];
    size_t argc = 0;
    char *owned[4];
    argv[argc++] = o->okrd_path;
    argv[argc++] = "--data-dir";
    argv[argc++] = env->data_dir;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    argv[argc++] = "--port-file";
    argv[argc++] = port_path;
    argv[argc++] = "--admin-password-file";
    argv[argc++] = pw_path;
    argv[argc++] = "--rate-limit-rps";
    argv[argc++] = "0";
    argv[argc++] = "--max-connections";
    argv[argc++] = owned[0] = bench_strdupf("%llu", maxc);
    /* every load connection comes from 127.0.0.1 and logs in as one member */
    argv[argc++] = "--max-connections-per-ip";
    argv[argc++] = "0";
    argv[argc++] = "--max-connections-per-user";
    argv[argc++] = "0";
    if (o->smoke) { /* cheap password hashing: the smoke run checks the tool, not argon2 */
        argv[argc++] = "--kdf-memory-kib";
        argv[argc++] = "1024";
        argv[argc++] = "--kdf-iterations";
        argv[argc++] = "1";
    }
    for (size_t i = 0; i < o->nokrd_args; i++)
        argv[argc++] = o->okrd_args[i];
    argv[argc] = NULL;
    json_decref(env->okrd_argv); /* a restart's */
    env->okrd_argv = json_array();
    for (size_t i = 0; i < argc; i++)
        json_array_append_new(env->okrd_argv, json_string(argv[i]));

    pid_t pid = fork();
    if (pid < 0) {
        bench_error(env, "fork: %s", strerror(errno));
        free(owned[0]);
        return -1;
    }
    if (pid == 0) {
        int fd = open(env->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (o->server_cpu >= 0 && bench_pin_cpu(o->server_cpu) != 0)
            fprintf(stderr, "okr-bench: cannot pin okrd to CPU %d\n", o->server_cpu);
        execv(o->okrd_path, (char *const *)argv);
        fprintf(stderr, "okr-bench: cannot run %s: %s\n", o->okrd_path, strerror(errno));
        _exit(127);
    }
    free(owned[0]);
    env->okrd_pid = pid;
    for (int waited = 0; waited < 120000; waited += 20) {
        int port = read_port(port_path);
        if (port > 0) {
            env->port = (uint16_t)port;
            snprintf(env->host, sizeof env->host, "127.0.0.1");
            env->addr.sin_family = AF_INET;
            env->addr.sin_port = htons(env->port);
            inet_pton(AF_INET, "127.0.0.1", &env->addr.sin_addr);
            snprintf(env->admin_password, sizeof env->admin_password, "%s", pw_hex);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            env->okrd_pid = 0;
            print_log_tail(env);
            bench_error(env, "okrd exited during start");
            return -1;
        }
        sleep_ms(20);
    }
    bench_error(env, "okrd did not write its port file within 120 s");
    return -1;
}

void bench_server_stop(bench_env_t *env)
{
    if (env->okrd_pid <= 0)
        return;
    kill(env->okrd_pid, SIGTERM);
    int status = 0;
    int waited = 0;
    for (; waited < 30000; waited += 10) {
        if (waitpid(env->okrd_pid, &status, WNOHANG) == env->okrd_pid)
            break;
        sleep_ms(10);
    }
    if (waited >= 30000) {
        kill(env->okrd_pid, SIGKILL);
        waitpid(env->okrd_pid, &status, 0);
        bench_error(env, "okrd did not stop within 30 s of SIGTERM");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        print_log_tail(env);
        bench_error(env, "okrd exited with status %d (signal %d)",
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    env->okrd_pid = 0;
}

int bench_server_restart(bench_env_t *env)
{
    bench_server_stop(env);
    return bench_server_start(env);
}
