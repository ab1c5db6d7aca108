# Sourceable helpers to run a throw-away swtpm (TPM 2.0 simulator) for tests.
#
#   . tests/swtpm.sh
#   swtpm_start "$dir"      # state in $dir; exports KERNTOK_TCTI, SWTPM_PID, SWTPM_PORT
#   ...                     # e.g. tpm2_pcrextend -T "$KERNTOK_TCTI" 23:sha256=...
#   swtpm_stop
#
# swtpm serves ONE client connection at a time: a second client blocks in
# connect()/read until the first disconnects, so never keep a kerntok
# process and a tpm2-tools command talking to it concurrently.
# There is no resource manager in front of it either: transient objects and
# sessions a client forgets to flush survive the disconnect (handy for leak
# checks, see tests/test_tpm.c).

# Prints a free loopback port P such that P+1 is free too (swtpm needs the
# pair: P = TPM command channel, P+1 = control channel).
_swtpm_free_port_pair() {
  python3 - <<'EOF'
import socket
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        if p < 65535:
            b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        a.close(); b.close()
else:
    raise SystemExit(1)
EOF
}

# True once something accepts TCP connections on 127.0.0.1:$1.
_swtpm_reachable() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

swtpm_start() {
  local dir=${1:?usage: swtpm_start STATE_DIR} port try i pid
  mkdir -p "$dir" || return 1
  # The port probe races with other processes; retry on a bind failure.
  for try in 1 2 3 4 5; do
    port=$(_swtpm_free_port_pair) || return 1
    rm -f "$dir/swtpm.pid"
    swtpm socket --tpm2 --daemon \
      --server type=tcp,port="$port",bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
      --tpmstate dir="$dir" --flags not-need-init,startup-clear \
      --pid file="$dir/swtpm.pid" --log file="$dir/swtpm.log" || continue
    for i in $(seq 1 100); do
      if [ -s "$dir/swtpm.pid" ] && _swtpm_reachable "$port"; then
        SWTPM_PID=$(cat "$dir/swtpm.pid")
        SWTPM_PORT=$port
        KERNTOK_TCTI="swtpm:host=127.0.0.1,port=$port"
        export SWTPM_PID SWTPM_PORT KERNTOK_TCTI
        return 0
      fi
      sleep 0.05
    done
    # Came up wrong (or not at all): clean up before retrying.
    if [ -s "$dir/swtpm.pid" ]; then
      pid=$(cat "$dir/swtpm.pid"); kill "$pid" 2>/dev/null
    fi
  done
  echo "swtpm_start: swtpm did not come up (see $dir/swtpm.log)" >&2
  return 1
}

swtpm_stop() {
  local pid=${SWTPM_PID:-} i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null
  # Not our child once daemonized, so `wait` cannot be used: poll.
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  unset SWTPM_PID SWTPM_PORT KERNTOK_TCTI
  return 0
}
