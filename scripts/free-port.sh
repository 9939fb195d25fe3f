# shellcheck shell=bash
# scripts/free-port.sh — sourced by the shell tests (tests/integration/lib.sh)
# and bench/run-peers; defines free_port.
#
# free_port: prints a port no socket uses now, below the kernel's range for
# outgoing connections (ip_local_port_range). A listener can then never find
# its port held by an outgoing connection, not even one in TIME_WAIT, also
# when it is stopped and restarted on the same port.
free_port() {
    local lo _ p base=10000
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
    [ "$lo" -gt $((base + 1000)) ] || base=1024
    [ "$lo" -gt 2048 ] || lo=65536 # outgoing connections may take any port: ss decides
    while :; do
        p=$((base + RANDOM % (lo - base)))
        ss -tan "( sport = :$p )" 2>/dev/null | grep -q ":$p " || { echo "$p"; return; }
    done
}
