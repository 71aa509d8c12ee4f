# Two "hosts" made of network namespaces, for tests and demos of sweeps
# across hosts on one machine. Source it, then call make_namespace_hosts; it
# sets:
#   nsa, nsb      the namespaces (A: the server's host, B: the client's)
#   net           their 10.N prefix: here <-> A is $net.1.0/24 (A = .1.2),
#                 here <-> B $net.2.0/24 (B = .2.2), A <-> B $net.3.0/24
#                 (A = .3.1, B = .3.2; the measured link)
#   ssh_config    an ssh config that reaches both as root with a key made here
#   sshd_pids     the two sshd processes (Debian openssh-server)
#   hosts_tmp     a directory holding keys, configs and logs
# and removes everything on exit (trap). Needs root, iproute2, sshd and ssh;
# returns 77 with the reason in $skip_reason when this machine can't.

remove_namespace_hosts() {
  for pid in "${sshd_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "$nsa" "$nsb"; do
    # Anything left in a namespace dies with it.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "${ns_tag}r1" 2>/dev/null || true
  ip link del "${ns_tag}r2" 2>/dev/null || true
  rm -rf "$hosts_tmp"
}

make_namespace_hosts() {
  skip_reason=""
  [ "$(id -u)" = 0 ] || { skip_reason="creating network namespaces needs root"; return 77; }
  command -v ip >/dev/null || { skip_reason="ip (iproute2) is not installed"; return 77; }
  [ -x /usr/sbin/sshd ] || { skip_reason="/usr/sbin/sshd is not installed (apt-get install openssh-server)"; return 77; }
  command -v ssh >/dev/null || { skip_reason="ssh is not installed (apt-get install openssh-client)"; return 77; }
  ns_tag="el$$"
  nsa="${ns_tag}a"
  nsb="${ns_tag}b"
  hosts_tmp=$(mktemp -d /tmp/echolab-hosts-XXXXXX)
  sshd_pids=()
  trap remove_namespace_hosts EXIT
  # A 10.N prefix no other set of hosts here uses (two tests may make hosts
  # at once): chosen and its addresses added under a lock.
  exec 9>/tmp/echolab-namespace-hosts.lock
  flock 9
  local n=$((200 + $$ % 50)) tried
  for tried in $(seq 50); do
    ip -o -4 addr show | grep -q " 10\.$n\." || break
    n=$((200 + (n - 199) % 50))
  done
  net="10.$n"
  if ! ip netns add "$nsa" 2>"$hosts_tmp/netns.err"; then
    skip_reason="cannot create network namespaces here: $(cat "$hosts_tmp/netns.err")"
    return 77
  fi
  ip netns add "$nsb"
  local a=(ip netns exec "$nsa") b=(ip netns exec "$nsb")
  ip link add "${ns_tag}r1" type veth peer name "${ns_tag}a1" netns "$nsa"
  ip link add "${ns_tag}r2" type veth peer name "${ns_tag}b2" netns "$nsb"
  "${a[@]}" ip link add "${ns_tag}ab" type veth peer name "${ns_tag}ba" netns "$nsb"
  ip addr add "$net.1.1/24" dev "${ns_tag}r1"
  ip addr add "$net.2.1/24" dev "${ns_tag}r2"
  ip link set "${ns_tag}r1" up
  ip link set "${ns_tag}r2" up
  "${a[@]}" ip addr add "$net.1.2/24" dev "${ns_tag}a1"
  "${a[@]}" ip addr add "$net.3.1/24" dev "${ns_tag}ab"
  "${b[@]}" ip addr add "$net.2.2/24" dev "${ns_tag}b2"
  "${b[@]}" ip addr add "$net.3.2/24" dev "${ns_tag}ba"
  for link in "${ns_tag}a1" "${ns_tag}ab" lo; do "${a[@]}" ip link set "$link" up; done
  for link in "${ns_tag}b2" "${ns_tag}ba" lo; do "${b[@]}" ip link set "$link" up; done
  flock -u 9
  exec 9>&-

  ssh-keygen -q -t ed25519 -N '' -f "$hosts_tmp/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$hosts_tmp/id"
  cp "$hosts_tmp/id.pub" "$hosts_tmp/authorized_keys"
  mkdir -p /run/sshd
  local side addr
  for side in a b; do
    addr="$net.1.2"
    [ $side = b ] && addr="$net.2.2"
    cat >"$hosts_tmp/sshd_$side.conf" <<CONF
ListenAddress $addr
HostKey $hosts_tmp/host_key
PidFile $hosts_tmp/sshd_$side.pid
AuthorizedKeysFile $hosts_tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CONF
    echo "$addr $(cat "$hosts_tmp/host_key.pub")" >>"$hosts_tmp/known_hosts"
    ip netns exec "$ns_tag$side" /usr/sbin/sshd -D -e -f "$hosts_tmp/sshd_$side.conf" 2>"$hosts_tmp/sshd_$side.log" &
    sshd_pids+=($!)
  done
  ssh_config="$hosts_tmp/ssh_config"
  cat >"$ssh_config" <<CONF
Host *
  User root
  IdentityFile $hosts_tmp/id
  IdentitiesOnly yes
  UserKnownHostsFile $hosts_tmp/known_hosts
  StrictHostKeyChecking yes
  ConnectTimeout 3
CONF
  # Until both sshds answer (at most 10 s each).
  for addr in "$net.1.2" "$net.2.2"; do
    for _ in $(seq 100); do
      ssh -F "$ssh_config" -o BatchMode=yes "$addr" true 2>/dev/null && break
      sleep 0.1 # poll interval while sshd starts
    done
    if ! ssh -F "$ssh_config" -o BatchMode=yes "$addr" true 2>"$hosts_tmp/ssh.err"; then
      echo "sshd at $addr does not answer: $(cat "$hosts_tmp/ssh.err" "$hosts_tmp"/sshd_*.log)" >&2
      return 1
    fi
  done
}

# The echolab processes in namespace $1.
echolabs_in() {
  for pid in $(ip netns pids "$1"); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = echolab ] && echo "$pid"; done
  true
}

# For the experiment scripts (experiments/hosts-veth.sh, run-over-veth.sh):
# makes the hosts and writes SPEC, rewritten to run across them
# (experiments/veth_spec.py), to $veth_spec; where this machine can't make
# them, exits 2 with the reason, prefixed with SCRIPT.
# usage: veth_spec_across_namespace_hosts SCRIPT SPEC [NAME_SUFFIX]
veth_spec_across_namespace_hosts() {
  local script=$1 spec=$2 status=0 python
  python=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
  make_namespace_hosts || status=$?
  [ $status = 77 ] && { echo "$script: $skip_reason" >&2; exit 2; }
  [ $status = 0 ] || exit 1
  veth_spec="$hosts_tmp/$(basename "$spec")"
  PYTHONPATH=. "$python" experiments/veth_spec.py "$spec" "$veth_spec" "$net" "$ssh_config" ${3:+"$3"}
}
