# shellcheck shell=bash
# lib.sh - harness for ENMA's integration tests: real Postfix, Sendmail and
# unbound on loopback, mail sent with swaks.  Source it, do not run it:
#
#	. "$(dirname "$0")/lib.sh"
#	it_init spf-basic
#	it_dns_start --servfail sf.example.org --timeout to.example.org zone.conf
#	port=$(it_free_port)
#	it_spawn milter "$IT_DIR/milter.log" build/enma -f \
#	    -o "milter.socket=inet:$port@127.0.0.1" -o "dns.port=$IT_DNS_PORT"
#	it_wait_listening milter "$port"
#	it_postfix_start "inet:$port@127.0.0.1"
#	it_ok "accepted" it_send postfix --source 127.0.0.7 --from a@example.org
#	msg=$(it_wait_delivered postfix '^X-Mailer: swaks')
#	it_match "spf pass" 'spf=pass' "$(it_authres "$msg")"
#	it_summary
#
# Rules every function keeps (../../../shared/mta/RECIPES.md, sections 0-4):
# a daemon runs in its foreground mode as a child of the test shell (the
# MTAs under unshare, as PID 1 of a PID namespace each), so `wait` reaps it;
# it is stopped by PID, by it_stop or the EXIT trap; readiness is polled
# with `ss`, never with a connect probe (the milter would see it); every
# loop is bounded; nothing asks the host's resolver.
#
# Call it_spawn, it_*_start and it_send from the test's main shell, not in
# $(...): they keep PIDs, ports and transcripts in shell variables.  Run
# tests without `set -e`: a failed check is counted, not fatal.
#
# Environment: ENMA_MTA_CACHE (default /var/tmp/enma-mta, filled by
# `scripts/deps.sh mta`); ENMA_KEEP=1 keeps the work dir for a post-mortem.

# shellcheck disable=SC2034 # the IT_* variables are for the tests to read

IT_CACHE=${ENMA_MTA_CACHE:-/var/tmp/enma-mta}
IT_PKG=$IT_CACHE/pkg
IT_DIR=			# this test's work dir
IT_IPV6=0		# 1 when ::1 exists: servers then listen there too
IT_PASSED=0
IT_FAILED=0
IT_SEND_LOG=		# transcript of the last it_send
IT_STOP_RC=		# exit status of the daemon it_stop stopped last
IT_DNS_PORT=
IT_POSTFIX_PORT=
IT_SENDMAIL_PORT=

IT_POLL=0.05		# seconds between two polls
IT_START_TIMEOUT=20	# seconds a daemon may take to listen
IT_STOP_TIMEOUT=10	# seconds from SIGTERM to SIGKILL
IT_DELIVERY_TIMEOUT=10	# seconds a message may take to be delivered
IT_SMTP_TIMEOUT=30	# swaks' timeout per SMTP command

declare -gA _IT_PID=()		# daemon name -> PID of our direct child
declare -gA _IT_LOG=()		# daemon name -> its stdout and stderr
declare -gA _IT_NSCOMM=()	# daemon name -> its command name, when it is
				# PID 1 of a PID namespace (see _it_spawn_mta)
declare -ga _IT_ORDER=()	# daemon names, in start order
declare -ga _IT_ADDRS=(127.0.0.1)	# where our servers listen, as ss shows it
declare -ga _IT_AT_EXIT=()	# commands for the EXIT trap, see it_at_exit
_IT_SENDS=0
_IT_CLEANED=

# ---------------------------------------------------------------------------
# Set-up and tear-down

# it_init NAME - check the prerequisites, make the work dir IT_DIR and
# install the traps that stop every daemon and remove it
it_init()
{
	_it_check_prereqs || exit 1
	IT_DIR=$(mktemp -d "/tmp/enma-it.${1:?it_init: test name}.XXXXXX") ||
	    exit 1
	# The MTAs deliver as nobody; the milter may run unprivileged.
	chmod 755 "$IT_DIR"
	trap _it_cleanup EXIT
	trap 'exit 130' INT	# exit runs the EXIT trap
	trap 'exit 143' TERM
	if _it_have_ipv6; then
		IT_IPV6=1
		_IT_ADDRS+=('[::1]')
	fi
	_it_jail_files
}

_it_check_prereqs()
{
	local t missing=()
	# unshare and the bind mounts of the jail need CAP_SYS_ADMIN.
	if [ "$(id -u)" -ne 0 ]; then
		echo "it_init: integration tests must run as root" >&2
		return 1
	fi
	for t in ss swaks drill ldns-read-zone m4 unshare mount ps timeout; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	for t in postfix/usr/sbin/postfix unbound/usr/sbin/unbound \
	    sendmail/usr/libexec/sendmail/sendmail; do
		[ -x "$IT_PKG/$t" ] || missing+=("$IT_PKG/$t")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "it_init: missing ${missing[*]}; run scripts/deps.sh mta" >&2
	return 1
}

_it_have_ipv6()
{
	[ -e /proc/net/if_inet6 ] &&
	    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'
}

# it_at_exit CMD - have the EXIT trap eval CMD before it stops the daemons
# (for what the test started itself; setting another EXIT trap would lose
# the harness's)
it_at_exit() { _IT_AT_EXIT+=("$1"); }

_it_cleanup()
{
	local i
	[ -n "$_IT_CLEANED" ] && return
	_IT_CLEANED=1
	for ((i = ${#_IT_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_IT_AT_EXIT[i]}"
	done
	for ((i = ${#_IT_ORDER[@]} - 1; i >= 0; i--)); do
		it_stop "${_IT_ORDER[i]}"
	done
	[ -n "$IT_DIR" ] || return
	if [ "${ENMA_KEEP:-0}" = 1 ]; then
		echo "kept $IT_DIR" >&2
	else
		rm -rf "$IT_DIR"
	fi
}

# ---------------------------------------------------------------------------
# Daemons

# it_spawn NAME LOG CMD... - start CMD in the background as daemon NAME,
# its output appended to LOG; it_stop and the EXIT trap stop it.  CMD must
# run the daemon in the foreground.  "$@" & forks and execs CMD, so $! is
# the daemon; a shell function run with & would put a subshell between.
it_spawn()
{
	local name=$1 log=$2
	shift 2
	"$@" </dev/null >>"$log" 2>&1 &
	_IT_PID[$name]=$!
	_IT_LOG[$name]=$log
	_IT_ORDER+=("$name")
}

# it_pid NAME - the PID of daemon NAME, if it runs
it_pid()
{
	[ -n "${_IT_PID[$1]:-}" ] && echo "${_IT_PID[$1]}"
}

# it_stop NAME [SIGNAL] - send SIGNAL (default TERM), wait up to
# IT_STOP_TIMEOUT s, then SIGKILL, and reap; the daemon's exit status is
# left in IT_STOP_RC (e.g. 143 = killed by SIGTERM).  The daemon's children
# are listed before the signal and killed if they outlive it: orphans would
# be left to PID 1.  libmilter takes 5 s to exit on SIGTERM; `it_stop
# milter KILL` skips that when nothing is checked at exit.
it_stop()
{
	local name=$1 sig=${2:-TERM} pid=${_IT_PID[$1]:-} target tree=()
	[ -n "$pid" ] || return 0
	unset "_IT_PID[$name]"
	target=$pid
	if [ -n "${_IT_NSCOMM[$name]:-}" ]; then
		# $! is unshare, the daemon its child.  As PID 1 of a namespace
		# the shell before the daemon ignores SIGTERM: await the exec.
		it_wait_until "$IT_START_TIMEOUT" \
		    _it_exec_done "$pid" "${_IT_NSCOMM[$name]}"
		target=$(_it_child "$pid")
	fi
	mapfile -t tree < <(_it_tree "$pid")
	kill -"$sig" "${target:-$pid}" 2>/dev/null
	it_wait_until "$IT_STOP_TIMEOUT" it_dead "$pid" ||
	    kill -KILL "${tree[@]}" 2>/dev/null
	wait "$pid" 2>/dev/null
	IT_STOP_RC=$?
	it_wait_until 2 it_dead "${tree[@]}" ||
	    kill -KILL "${tree[@]}" 2>/dev/null
	return 0
}

# it_wait_listening NAME PORT [t|u [ADDR...]] - wait until daemon NAME
# listens on TCP (t, default) or UDP (u) PORT at every ADDR (default
# 127.0.0.1; IPv6 as [::1]).  Fails at once if NAME dies, and then shows
# the end of its log.
it_wait_listening()
{
	local name=$1 port=$2 proto=${3:-t} pid=${_IT_PID[$1]:-}
	shift $(($# < 3 ? $# : 3))
	[ $# -gt 0 ] || set -- 127.0.0.1
	if [ -n "$pid" ] && it_wait_until "$IT_START_TIMEOUT" \
	    _it_ready_or_dead "$pid" "$proto" "$port" "$@" && _it_alive "$pid"
	then
		return 0
	fi
	echo "$name is not listening on port $port; end of ${_IT_LOG[$name]:-}:" >&2
	tail -n 20 "${_IT_LOG[$name]:-/dev/null}" >&2
	return 1
}

# _it_ready_or_dead PID PROTO PORT ADDR... - whichever comes first
_it_ready_or_dead()
{
	local pid=$1
	shift
	! _it_alive "$pid" || _it_listening "$@"
}

# _it_listening PROTO PORT ADDR... - something listens on ADDR:PORT, each
_it_listening()
{
	local out a
	out=$(ss -Hln"$1" "sport = :$2")
	for a in "${@:3}"; do
		[[ $out == *" $a:$2 "* ]] || return 1
	done
}

# _it_child PID - the PID of PID's (first) child
_it_child() { ps -o pid= --ppid "$1" | awk 'NR == 1 { print $1 }'; }

# _it_exec_done PID COMM - PID's child runs COMM, or PID has ended
_it_exec_done()
{
	local child
	_it_alive "$1" || return 0
	child=$(_it_child "$1")
	[ -n "$child" ] && [ "$(cat "/proc/$child/comm" 2>/dev/null)" = "$2" ]
}

# _it_alive PID - true while PID runs.  A zombie (exited, not yet reaped)
# counts as dead, which `kill -0` would not tell.
_it_alive()
{
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# it_dead PID... - none of the PIDs is alive
it_dead()
{
	local p
	for p; do
		_it_alive "$p" && return 1
	done
	return 0
}
_it_dead() { it_dead "$@"; }	# its first name, still used by some tests

# _it_tree PID - PID and all its descendants
_it_tree()
{
	ps -e -o pid= -o ppid= | awk -v root="$1" '
	    { parent[$1] = $2 }
	    END {
		for (p in parent) {
			q = p
			for (n = 0; q != root && (q in parent) && n < 64; n++)
				q = parent[q]
			if (q == root)
				print p
		}
	    }'
}

# it_wait_until SECONDS CMD... - run CMD every IT_POLL s until it succeeds;
# false if it never did
it_wait_until()
{
	local i n
	n=$(awk -v s="$1" -v p="$IT_POLL" 'BEGIN { print int(s / p) }')
	shift
	for ((i = 0; i <= n; i++)); do
		"$@" && return 0
		sleep "$IT_POLL"
	done
	return 1
}

# it_free_port - print a port that no TCP or UDP socket on this host uses.
# Taken below the kernel's ephemeral range (32768 up), so no client socket
# grabs it before our daemon binds; the ports handed out are kept in a file,
# not a variable, because callers write $(it_free_port).
it_free_port()
{
	local i port used=$IT_DIR/.ports
	touch "$used"
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + ${SRANDOM:-$RANDOM} % 12000))
		grep -qx "$port" "$used" && continue
		[ -z "$(ss -Htuan "sport = :$port")" ] || continue
		echo "$port" >>"$used"
		echo "$port"
		return 0
	done
	echo "it_free_port: no free port found" >&2
	return 1
}

# ---------------------------------------------------------------------------
# The jail: a private /etc for the MTAs and swaks

# The MTAs look up client names (Sendmail always, then the name's address)
# and swaks the local host name.  In a private mount namespace they see an
# nsswitch.conf with "hosts: files", our hosts file and a resolv.conf that
# points at 127.0.0.1:53: the host's resolver is never asked, and no lookup
# can hang.  So a client at 127.0.0.7 has no name, in both MTAs.
_it_jail_files()
{
	local j=$IT_DIR/jail
	mkdir -p "$j"
	printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' \
	    'hosts: files' 'networks: files' 'services: files' \
	    'protocols: files' >"$j/nsswitch.conf"
	# Sendmail looks up its own name at start.
	printf '%s\n' '127.0.0.1 localhost' '127.0.0.1 mx.example.test' \
	    >"$j/hosts"
	printf '%s\n' 'nameserver 127.0.0.1' 'options timeout:1 attempts:1' \
	    >"$j/resolv.conf"
}

# _it_jail [--daemon HOSTNAME] - set the array IT_JAIL to a command prefix
# that runs the command after it (exec'd: same PID) in the jail.  A prefix,
# not a function, so that it_spawn gets the right PID.  --daemon: also
# under HOSTNAME (Sendmail sleeps 60 s per run on a dotless one), as PID 1
# of a new PID namespace, see _it_spawn_mta.
_it_jail()
{
	local f script='' flags=(-m)
	for f in nsswitch.conf hosts resolv.conf; do
		# A missing target cannot be bound over; glibc then uses defaults.
		[ -e "/etc/$f" ] &&
		    script+="mount --bind $IT_DIR/jail/$f /etc/$f && "
	done
	if [ "${1:-}" = --daemon ]; then
		flags+=(-u -p -f --kill-child)
		script+="hostname $2 && "
	fi
	IT_JAIL=(unshare "${flags[@]}" sh -c "${script}exec \"\$@\"" sh)
}

# _it_spawn_mta NAME LOG COMM CMD... - it_spawn CMD in the jail, as PID 1
# of a PID namespace of its own; COMM is the daemon's command name once
# CMD has exec'd it.  When PID 1 of a namespace ends, the kernel kills and
# reaps every process left in it: no orphan survives the stop, although
# Postfix's master exits before its children.  As PID 1, Postfix runs
# master in its container mode (master -i).
_it_spawn_mta()
{
	local name=$1 log=$2 comm=$3
	shift 3
	_it_jail --daemon mx.example.test
	it_spawn "$name" "$log" "${IT_JAIL[@]}" "$@"
	_IT_NSCOMM[$name]=$comm
}

# ---------------------------------------------------------------------------
# DNS: unbound serving test zones

# it_dns_start [--servfail ZONE]... [--timeout ZONE]... FILE...
#
# Start unbound on 127.0.0.1 (and ::1) at a free port, exported as
# IT_DNS_PORT (libunbound: ub_ctx_set_fwd(ctx, "127.0.0.1@PORT")).  Each
# FILE holds unbound `local-zone:`/`local-data:` lines, or is a zone file
# with an SOA (turned into the same by ldns-read-zone).  Every name outside
# those zones is NXDOMAIN: the root is a static zone too, so no query ever
# leaves the host.  Names at or under a --servfail ZONE get SERVFAIL at
# once; names at or under a --timeout ZONE never get an answer.
it_dns_start()
{
	local servfail='' timeout='' d=$IT_DIR/dns port
	while [ $# -gt 0 ]; do
		case $1 in
		--servfail) servfail+=" $(_it_fqdn "$2")"; shift 2 ;;
		--timeout) timeout+=" $(_it_fqdn "$2")"; shift 2 ;;
		*) break ;;
		esac
	done
	mkdir -p "$d"
	port=$(it_free_port) || return 1
	_it_unbound_conf "$d" "$port" "$servfail" "$timeout" "$@" \
	    >"$d/unbound.conf" || return 1
	if ! "$IT_PKG/unbound/usr/sbin/unbound-checkconf" "$d/unbound.conf" \
	    >"$d/checkconf.out" 2>&1; then
		echo "it_dns_start: bad $d/unbound.conf:" >&2
		cat "$d/checkconf.out" >&2
		return 1
	fi
	it_spawn dns "$d/unbound.log" \
	    "$IT_PKG/unbound/usr/sbin/unbound" -d -c "$d/unbound.conf"
	it_wait_listening dns "$port" u "${_IT_ADDRS[@]}" &&
	    it_wait_listening dns "$port" t "${_IT_ADDRS[@]}" || return 1
	export IT_DNS_PORT=$port
}

it_dns_stop() { it_stop dns; }

# it_dns_queries - "NAME TYPE" of every query unbound got so far, in order
# (for counting lookups)
it_dns_queries()
{
	awk '$3 == "info:" && NF == 7 && $7 == "IN" { print $5, $6 }' \
	    "$IT_DIR/dns/unbound.log"
}

_it_fqdn() { [[ $1 == *. ]] && echo "$1" || echo "$1."; }

# _it_unbound_conf DIR PORT "SERVFAIL ZONE..." "TIMEOUT ZONE..." FILE...
_it_unbound_conf()
{
	local d=$1 port=$2 sf=$3 to=$4 z f v6=no
	shift 4
	[ "$IT_IPV6" = 1 ] && v6=yes
	cat <<EOF
server:
    interface: 127.0.0.1
    $([ $v6 = yes ] && echo 'interface: ::1')
    port: $port
    do-ip6: $v6
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    log-queries: yes
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    access-control: ::1 allow
    # No validator, so no trust anchor is needed.
    module-config: "iterator"
    # Keep any outgoing socket of ours off the ports it_free_port hands out.
    outgoing-port-avoid: 0-32767
    # SERVFAIL without a wait: the servfail zones' only forwarder is on
    # 127.0.0.1, which unbound will not query; having no server to ask, it
    # answers SERVFAIL at once and sends no packet.
    do-not-query-localhost: yes
    # The world outside the test zones does not exist.
    local-zone: "." static
    local-data: ". 300 IN SOA a.root.test. hostmaster.root.test. 1 3600 600 86400 300"
EOF
	for z in $to; do
		# deny: drop the query, answer nothing.
		echo "    local-zone: \"$z\" deny"
	done
	for z in $sf; do
		# transparent: past any static parent zone, on to forward-zone.
		echo "    local-zone: \"$z\" transparent"
	done
	for f; do
		_it_zone_lines "$f" || return 1
	done
	for z in $sf; do
		printf 'forward-zone:\n    name: "%s"\n    forward-addr: 127.0.0.1@9\n' "$z"
	done
	printf 'remote-control:\n    control-enable: no\n'
}

# _it_zone_lines FILE - FILE as lines of unbound's server clause
_it_zone_lines()
{
	local f=$1 rrs apex
	if grep -Eq '^[[:space:]]*local-(zone|data):' "$f"; then
		sed 's/^[[:space:]]*/    /' "$f"
		return
	fi
	if ! rrs=$(ldns-read-zone "$f" 2>"$IT_DIR/dns/read-zone.err"); then
		echo "it_dns_start: $f: $(cat "$IT_DIR/dns/read-zone.err")" >&2
		return 1
	fi
	apex=$(awk '$4 == "SOA" { print $1; exit }' <<<"$rrs")
	if [ -z "$apex" ]; then
		echo "it_dns_start: $f: no local-data lines, and no SOA" >&2
		return 1
	fi
	echo "    local-zone: \"$apex\" static"
	# A ' would end the quoting; \039 is the same byte to unbound's parser.
	sed "s/'/\\\\039/g; s/.*/    local-data: '&'/" <<<"$rrs"
}

# ---------------------------------------------------------------------------
# Postfix 3.7 (RECIPES.md section 3)

# it_postfix_start [MILTER [PARAM=VALUE...]] - start Postfix on 127.0.0.1
# (and [::1]) at a free port, set IT_POSTFIX_PORT.  MILTER is a libmilter
# socket (inet:PORT@HOST, inet6:PORT@HOST, unix:PATH) or Postfix's own form;
# empty = no milter.  Each PARAM=VALUE is added to main.cf (the last setting
# wins).  Mail for example.test goes to one maildir, see it_mail_dir.
it_postfix_start()
{
	local milter w=$IT_DIR/postfix r=$IT_PKG/postfix port
	milter=$(_it_postfix_milter "${1:-}")
	shift $(($# > 0))
	port=$(it_free_port) || return 1
	mkdir -p "$w/etc" "$w/spool" "$w/data" "$w/mail"
	chown 65534:65534 "$w/data" "$w/mail"
	{
		_it_postfix_main_cf "$w" "$r" "$milter"
		[ $# -eq 0 ] || printf '%s\n' "${@/=/ = }"
	} >"$w/etc/main.cf"
	_it_postfix_master_cf "$port" >"$w/etc/master.cf"
	# Postfix rereads a config file every 0.3 s until it is 2 s old (it
	# might still be being edited): 2.5 s more to start, if left alone.
	touch -d '1 minute ago' "$w/etc/main.cf" "$w/etc/master.cf"
	# LD_LIBRARY_PATH: the binaries' RUNPATH is /usr/lib/postfix.
	_it_spawn_mta postfix "$w/start-fg.out" master \
	    env LD_LIBRARY_PATH="$r/usr/lib/postfix" \
	    "$r/usr/sbin/postfix" -c "$w/etc" start-fg
	if ! it_wait_listening postfix "$port" t "${_IT_ADDRS[@]}"; then
		tail -n 20 "$w/maillog" >&2 2>/dev/null
		return 1
	fi
	IT_POSTFIX_PORT=$port
}

it_postfix_stop() { it_stop postfix; }

# _it_postfix_milter SOCKET - libmilter's inet:PORT@HOST as inet:HOST:PORT
_it_postfix_milter()
{
	local s=$1 port host
	case $s in
	inet:*@* | inet6:*@*)
		port=${s#*:}
		port=${port%@*}
		host=${s#*@}
		[[ $host == *:* && $host != \[* ]] && host="[$host]"
		echo "inet:$host:$port"
		;;
	*) echo "$s" ;;
	esac
}

_it_postfix_main_cf()
{
	local w=$1 r=$2 milter=$3 ifaces=127.0.0.1 protos=ipv4 nets=127.0.0.0/8
	if [ "$IT_IPV6" = 1 ]; then
		ifaces='127.0.0.1, [::1]'
		protos=all
		nets='127.0.0.0/8 [::1]/128'
	fi
	cat <<EOF
compatibility_level = 3.6
config_directory = $w/etc
queue_directory = $w/spool
data_directory = $w/data
daemon_directory = $r/usr/lib/postfix/sbin
command_directory = $r/usr/sbin
shlib_directory = $r/usr/lib/postfix
meta_directory = $r/etc/postfix
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH
mail_owner = nobody
setgid_group = mail
default_privs = daemon
maillog_file = $w/maillog
maillog_file_prefixes = $w
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = $ifaces
inet_protocols = $protos
mynetworks = $nets
alias_maps =
alias_database =
smtputf8_enable = no
# Clients come from any 127.0.0.0/8 address, and none has a name.
smtpd_peername_lookup = no
virtual_mailbox_domains = example.test
virtual_mailbox_base = $w/mail
virtual_mailbox_maps = static:sink/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_milters = $milter
milter_default_action = tempfail
milter_connect_macros = j {daemon_name} {daemon_addr} {daemon_port} v _ {client_addr} {client_port} {client_name} {client_ptr} {client_connections} {if_addr} {if_name}
EOF
}

_it_postfix_master_cf()
{
	local port=$1
	echo "127.0.0.1:$port inet n - n - - smtpd"
	[ "$IT_IPV6" = 0 ] || echo "[::1]:$port inet n - n - - smtpd"
	cat <<'EOF'
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
virtual    unix  -       n       n       -       -       virtual
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
EOF
}

# ---------------------------------------------------------------------------
# Sendmail 8.17 (RECIPES.md section 4)

# it_sendmail_start [MILTER [MC_LINE...]] - start Sendmail on 127.0.0.1
# (and ::1) at a free port, set IT_SENDMAIL_PORT.  MILTER is a libmilter
# socket (inet:PORT@HOST); empty = no INPUT_MAIL_FILTER.  Each MC_LINE
# (e.g. "define(\`confTO_DATAFINAL', \`30s')dnl") goes into the .mc before
# the mailers.  Every message is written to a file, see it_mail_dir.
it_sendmail_start()
{
	local milter=${1:-} w=$IT_DIR/sendmail r=$IT_PKG/sendmail port
	shift $(($# > 0))
	port=$(it_free_port) || return 1
	mkdir -p "$w/mqueue" "$w/out"
	chown 65534:65534 "$w/out"
	_it_sendmail_sink "$w/out" >"$w/sink.sh"
	chmod 755 "$w/sink.sh"
	# Sendmail's own host lookups (not glibc's): files only.
	printf '%s\n' 'hosts files' 'aliases files' >"$w/service.switch"
	_it_sendmail_mc "$w" "$port" "$milter" "$@" >"$w/sendmail.mc"
	# m4 warns about the open relay (promiscuous_relay): expected.
	if ! m4 -D_CF_DIR_="$r/usr/share/sendmail/cf/" \
	    "$r/usr/share/sendmail/cf/m4/cf.m4" "$w/sendmail.mc" \
	    >"$w/sendmail.cf" 2>"$w/m4.err"; then
		cat "$w/m4.err" >&2
		return 1
	fi
	_it_spawn_mta sendmail "$w/sendmail.out" sendmail \
	    "$r/usr/libexec/sendmail/sendmail" -bD -C "$w/sendmail.cf"
	it_wait_listening sendmail "$port" t "${_IT_ADDRS[@]}" || return 1
	IT_SENDMAIL_PORT=$port
}

it_sendmail_stop() { it_stop sendmail; }

# _it_sendmail_sink DIR - the delivery agent: one file per recipient.  It
# writes under a dot name and renames, so a poller never reads half a
# message.
_it_sendmail_sink()
{
	cat <<EOF
#!/bin/sh
# sink.sh RCPT - Sendmail's delivery agent for the tests
tmp="$1/.tmp.\$\$"
cat >"\$tmp" && mv "\$tmp" "$1/\$1.\$\$.eml"
EOF
}

# _it_sendmail_mc DIR PORT MILTER [MC_LINE...] - the .mc.  A quoted
# heredoc: m4's quotes and Sendmail's $ stay literal; the @...@ are filled
# in afterwards.  A TAB separates the two sides of the R line.
_it_sendmail_mc()
{
	local w=$1 port=$2 milter=$3 mc filter=dnl daemon6=dnl extra=dnl
	shift 3
	[ -n "$milter" ] &&
	    filter="INPUT_MAIL_FILTER(\`enma', \`S=$milter, F=T, T=C:10s;S:10s;R:10s;E:60s')dnl"
	[ "$IT_IPV6" = 0 ] ||
	    daemon6="DAEMON_OPTIONS(\`Port=$port, Addr=::1, Family=inet6, Name=MTA6')dnl"
	[ $# -eq 0 ] || extra=$(printf '%s\n' "$@")
	mc=$(cat <<'EOF'
divert(0)dnl
VERSIONID(`enma tests')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mx.example.test')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confPID_FILE', `@W@/sendmail.pid')dnl
define(`QUEUE_DIR', `@W@/mqueue')dnl
define(`STATUS_FILE', `@W@/statistics')dnl
define(`ALIAS_FILE', `')dnl
define(`HELP_FILE', `')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`confSERVICE_SWITCH_FILE', `@W@/service.switch')dnl
define(`confDEF_USER_ID', `65534:65534')dnl
define(`confLOG_LEVEL', `14')dnl
define(`confPRIVACY_FLAGS', `goaway')dnl
define(`confTO_IDENT', `0s')dnl
define(`confMILTER_LOG_LEVEL', `14')dnl
define(`confMILTER_MACROS_CONNECT', `j, _, {daemon_name}, {daemon_addr}, {if_name}, {if_addr}, {client_addr}, {client_port}, {client_name}, {client_ptr}, v')dnl
define(`confMILTER_MACROS_HELO', `s, {tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}')dnl
define(`confMILTER_MACROS_ENVFROM', `i, s, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}')dnl
define(`confMILTER_MACROS_EOM', `{msg_id}, i')dnl
FEATURE(`nocanonify')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`promiscuous_relay')dnl
FEATURE(`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(`Port=@PORT@, Addr=127.0.0.1, Name=MTA')dnl
@DAEMON6@
@FILTER@
@EXTRA@
MAILER(`local')dnl
MAILER(`smtp')dnl
MAILER_DEFINITIONS
Mfilesink,	P=@W@/sink.sh, F=lsDFMnq, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, T=DNS/RFC822/X-Unix, A=sink.sh $u
LOCAL_RULE_0
R$* < @ $* > $*	$#filesink $@ localhost $: $1 < @ $2 > $3
EOF
)
	# Quoted replacements: bash 5.2 would turn an unquoted & into the match.
	mc=${mc//@W@/"$w"}
	mc=${mc//@PORT@/"$port"}
	mc=${mc//@DAEMON6@/"$daemon6"}
	mc=${mc//@FILTER@/"$filter"}
	mc=${mc//@EXTRA@/"$extra"}
	printf '%s\n' "$mc"
}

# ---------------------------------------------------------------------------
# Exim 4.96, exim4-daemon-heavy (RECIPES.md section 5)

IT_EXIM_PORT=
IT_EXIM_USER=Debian-exim	# compiled into Debian's exim4
IT_EXIM_UID=64999

# it_exim_start [LOCAL_SCAN_SO [--acl-data LINE]... [MAIN_LINE...]] - start
# Exim's daemon on 127.0.0.1 (and ::1) at a free port, set IT_EXIM_PORT.
# LOCAL_SCAN_SO is local_scan_path (empty = none); it and every file it
# reads must be readable by Debian-exim, which receives the messages.
# Each --acl-data LINE goes into the DATA ACL (also used for local
# submissions) before its "accept", e.g. "warn set acl_m_x = y"; each
# MAIN_LINE ("option = value") into the main section, where the last
# setting wins.  Mail for any address goes to one maildir (see
# it_exim_mail_dir); AUTH PLAIN takes any user with the password
# "secret".  Files the test puts under $IT_DIR/exim/etc-extra before the
# start are seen by Exim under /etc (a read-only overlay).
it_exim_start()
{
	local so=${1:-} w=$IT_DIR/exim port acl=() main=()
	shift $(($# > 0))
	while [ $# -gt 0 ]; do
		case $1 in
		--acl-data) acl+=("$2"); shift 2 ;;
		*) main+=("$1"); shift ;;
		esac
	done
	port=$(it_free_port) || return 1
	mkdir -p "$w/spool" "$w/log" "$w/mail"
	chown "$IT_EXIM_UID:$IT_EXIM_UID" "$w/spool" "$w/log" "$w/mail"
	_it_exim_etc "$w" || return 1
	{
		_it_exim_conf "$w" "$port" "$so" "${main[@]}"
		_it_exim_conf_rest "$w" "${acl[@]}"
	} >"$w/exim.conf"
	chmod 644 "$w/exim.conf"
	_it_exim_jail "$w" --daemon
	it_spawn exim "$w/exim.out" "${IT_JAIL[@]}" \
	    "$IT_PKG/exim4-daemon-heavy/usr/sbin/exim4" -C "$w/exim.conf" -bdf
	_IT_NSCOMM[exim]=exim4
	if ! it_wait_listening exim "$port" t "${_IT_ADDRS[@]}"; then
		tail -n 20 "$w/log/mainlog" "$w/log/paniclog" >&2 2>/dev/null
		return 1
	fi
	IT_EXIM_PORT=$port
}

it_exim_stop() { it_stop exim; }

# it_exim_run ARG... - run Exim's binary once, in the foreground, with
# the configuration it_exim_start wrote, in Exim's jail: e.g. -bs (one
# SMTP session on stdin and stdout; -oMa ADDR fakes the client), -bP
# OPTION, or a local submission (-odi -f SENDER RCPT <MESSAGE)
it_exim_run()
{
	_it_exim_jail "$IT_DIR/exim"
	"${IT_JAIL[@]}" "$IT_PKG/exim4-daemon-heavy/usr/sbin/exim4" \
	    -C "$IT_DIR/exim/exim.conf" "$@"
}

# it_exim_mail_dir - where Exim delivers: a maildir's new/, one file
# per recipient
it_exim_mail_dir() { echo "$IT_DIR/exim/mail/new"; }

# it_exim_wait_delivered ERE - as it_wait_delivered, for Exim's maildir
it_exim_wait_delivered()
{
	it_wait_until "$IT_DELIVERY_TIMEOUT" _it_exim_find "$1" >/dev/null &&
	    _it_exim_find "$1"
}

# it_exim_log - Exim's main log, where the local_scan plugin logs too
it_exim_log() { cat "$IT_DIR/exim/log/mainlog" 2>/dev/null; }

# _it_exim_find ERE - the newest delivered file with a line matching ERE
_it_exim_find()
{
	local d f
	d=$(it_exim_mail_dir)
	[ -d "$d" ] || return 1
	# Maildir names have no blanks, and a file is complete when it
	# appears in new/.
	for f in $(cd "$d" && ls -1t); do
		grep -Eq -- "$1" "$d/$f" && { echo "$d/$f"; return 0; }
	done
	return 1
}

# _it_exim_etc W - what Exim needs under /etc, in W/etc-extra: the
# Debian-exim user, the configuration listed as trusted (so that Exim
# keeps root and may use -C), and the jail's resolver files (see
# _it_jail_files: no lookup ever leaves the host)
_it_exim_etc()
{
	local e=$1/etc-extra f
	mkdir -p "$e/exim4"
	cp /etc/passwd /etc/group "$e/"
	grep -q "^$IT_EXIM_USER:" "$e/passwd" ||
	    echo "$IT_EXIM_USER:x:$IT_EXIM_UID:$IT_EXIM_UID:Exim (tests):/nonexistent:/usr/sbin/nologin" \
	    >>"$e/passwd"
	grep -q "^$IT_EXIM_USER:" "$e/group" ||
	    echo "$IT_EXIM_USER:x:$IT_EXIM_UID:" >>"$e/group"
	for f in nsswitch.conf hosts resolv.conf; do
		cp "$IT_DIR/jail/$f" "$e/$f" || return 1
	done
	echo "$1/exim.conf" >"$e/exim4/trusted_configs"
	chmod -R go-w "$e"
}

# _it_exim_jail W [--daemon] - set IT_JAIL to a command prefix that runs
# its command (exec'd: same PID) with W/etc-extra laid over /etc;
# --daemon: also under the name mx.example.test, as PID 1 of a new PID
# namespace (see _it_spawn_mta)
_it_exim_jail()
{
	local script flags=(-m)
	script="mount -t overlay overlay -o lowerdir=$1/etc-extra:/etc /etc && "
	if [ "${2:-}" = --daemon ]; then
		flags+=(-u -p -f --kill-child)
		script+="hostname mx.example.test && "
	fi
	IT_JAIL=(unshare "${flags[@]}" sh -c "${script}exec \"\$@\"" sh)
}

# _it_exim_conf W PORT SO [MAIN_LINE...] - the main section
_it_exim_conf()
{
	local w=$1 port=$2 so=$3 ifaces=127.0.0.1
	shift 3
	[ "$IT_IPV6" = 0 ] || ifaces='<; 127.0.0.1 ; ::1'
	cat <<EOF
exim_path = $IT_PKG/exim4-daemon-heavy/usr/sbin/exim4
primary_hostname = mx.example.test
qualify_domain = example.test
spool_directory = $w/spool
log_file_path = $w/log/%slog
pid_file_path = $w/exim.pid
daemon_smtp_ports = $port
local_interfaces = $ifaces
tls_advertise_hosts =
host_lookup =
rfc1413_hosts =
keep_environment =
# it_exim_run -bs users write a whole dialog at once.
smtp_enforce_sync = false
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
acl_not_smtp = acl_check_data
EOF
	[ -z "$so" ] || echo "local_scan_path = $so"
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# _it_exim_conf_rest W [ACL_LINE...] - ACLs, router, transport, AUTH
_it_exim_conf_rest()
{
	local w=$1 l
	shift
	printf 'begin acl\nacl_check_rcpt:\n  accept\nacl_check_data:\n'
	for l; do
		printf '  %s\n' "$l"
	done
	cat <<EOF
  accept
begin routers
sink:
  driver = accept
  transport = maildir_out
begin transports
maildir_out:
  driver = appendfile
  directory = $w/mail
  maildir_format
  create_directory
  user = $IT_EXIM_USER
  group = $IT_EXIM_USER
  mode = 0644
begin retry
*   *   F,1h,5m
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if eq{\$auth3}{secret}}
  server_set_id = \$auth2
EOF
}

# ---------------------------------------------------------------------------
# Sending and receiving

# it_send MTA [--source IP] [--ipv6] [--data FILE] [SWAKS_OPTION...]
#
# Send one message with swaks to MTA (postfix, sendmail or a port) and
# return swaks' exit code: 0 accepted after DATA, 23 error at MAIL (e.g.
# the milter's tempfail), 24 no RCPT accepted, 25 at DATA, 26 after the
# final dot.  Defaults: HELO client.example.org, MAIL FROM
# alice@example.org, RCPT TO bob@example.test; swaks options given here
# override them (--from '<>' is the null sender, --helo, --to ...).
#   --source IP   connect from IP; any 127.0.0.0/8 address works on Linux
#   --ipv6        connect to [::1] instead of 127.0.0.1
#   --data FILE   the message, headers and body; leave out the final
#                 newline when the body's bytes matter (swaks adds an
#                 empty line after one)
# The transcript is left in the file IT_SEND_LOG.
it_send()
{
	local port server=127.0.0.1 opts=()
	port=$(_it_mta_port "$1") || return 2
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--source) opts+=(--local-interface "$2"); shift 2 ;;
		--ipv6) server=::1; shift ;;
		--data) opts+=(--data "@${2#@}"); shift 2 ;;
		*) opts+=("$1"); shift ;;
		esac
	done
	_IT_SENDS=$((_IT_SENDS + 1))
	IT_SEND_LOG=$IT_DIR/send.$_IT_SENDS.log
	# Jailed: swaks looks up the local host name for its defaults.
	_it_jail
	"${IT_JAIL[@]}" swaks --server "$server" --port "$port" \
	    --timeout "$IT_SMTP_TIMEOUT" --helo client.example.org \
	    --from alice@example.org --to bob@example.test "${opts[@]}" \
	    </dev/null >"$IT_SEND_LOG" 2>&1
}

_it_mta_port()
{
	case $1 in
	postfix) echo "${IT_POSTFIX_PORT:?postfix is not running}" ;;
	sendmail) echo "${IT_SENDMAIL_PORT:?sendmail is not running}" ;;
	[0-9]*) echo "$1" ;;
	*) echo "it_send: unknown MTA '$1'" >&2; return 1 ;;
	esac
}

# it_mail_dir MTA - where MTA delivers: for Postfix a maildir's new/, for
# Sendmail RCPT.PID.eml files; one file per recipient in both
it_mail_dir()
{
	case $1 in
	postfix) echo "$IT_DIR/postfix/mail/sink/new" ;;
	sendmail) echo "$IT_DIR/sendmail/out" ;;
	*) echo "it_mail_dir: unknown MTA '$1'" >&2; return 1 ;;
	esac
}

# it_messages MTA - the delivered message files, newest first
it_messages()
{
	local d
	d=$(it_mail_dir "$1") || return 1
	[ -d "$d" ] || return 0
	# No blanks in the names (maildir names, RCPT.PID.eml); ls skips the
	# sink's dot-named files in progress.
	(cd "$d" && ls -1t) | sed "s|^|$d/|"
}

# it_wait_delivered MTA ERE - wait up to IT_DELIVERY_TIMEOUT s for a
# delivered message with a line that matches ERE; print the newest such
# file's name
it_wait_delivered()
{
	it_wait_until "$IT_DELIVERY_TIMEOUT" _it_find_delivered "$1" "$2" \
	    >/dev/null && _it_find_delivered "$1" "$2"
}

_it_find_delivered()
{
	local f
	for f in $(it_messages "$1"); do
		grep -Eq -- "$2" "$f" && { echo "$f"; return 0; }
	done
	return 1
}

# it_last_message MTA - wait until a message is delivered, print the
# newest one's file name
it_last_message() { it_wait_delivered "$1" ''; }

# it_header FILE NAME - the value of every NAME: header of FILE, top to
# bottom, one per line, unfolded (RFC 5322 2.2.3: only the line breaks go);
# NAME matched without case, CRLF or LF line ends, the blanks after the
# colon dropped
it_header()
{
	awk -v want="$2" '
	    function flush(  i, v) {
		i = index(cur, ":")
		if (i > 1 && tolower(substr(cur, 1, i - 1)) == tolower(want)) {
			v = substr(cur, i + 1)
			sub(/^[ \t]+/, "", v)
			print v
		}
		cur = ""
	    }
	    { sub(/\r$/, "") }
	    /^$/ { exit }		# end of the header block
	    /^[ \t]/ { cur = cur $0; next }
	    { flush(); cur = $0 }
	    END { flush() }' "$1"
}

# it_authres FILE - the Authentication-Results headers of FILE, unfolded
it_authres() { it_header "$1" Authentication-Results; }

# it_ours FILE - the Authentication-Results fields of FILE (unfolded,
# lower case) that carry our authserv-id, $AUTHSERV (RFC 8601 2.5)
it_ours()
{
	it_authres "$1" | tr '[:upper:]' '[:lower:]' |
	    grep -E "^${AUTHSERV//./\\.}[[:space:]]*(\(.*\))?[[:space:]]*;"
}

# it_check_delivered ID FILE TOKEN WHO - one expectation on a delivered
# message, as every adapter's scenario table writes it: no-ours,
# one-ours, foreign, no-forged, top (ours above WHO Received:), re:ERE,
# or method=result / ptype.property=value
it_check_delivered()
{
	local id=$1 f=$2 t=$3 who=$4 mine n rline
	mine=$(it_ours "$f")
	case $t in
	no-ours) it_eq "$id: no header with our authserv-id" "" "$mine" ;;
	one-ours)
		n=$(grep -c . <<<"$mine")
		it_eq "$id: exactly one header with our authserv-id" 1 "$n" ;;
	foreign)
		it_match "$id: foreign Authentication-Results kept" \
		    'other\.example\.net; spf=fail' "$(it_authres "$f")" ;;
	no-forged)
		if grep -qiE 'forged-(one|two)@' "$f"; then
			it_fail "$id: forged fields removed" \
			    "$(grep -iE 'forged-(one|two)@' "$f")"
		else
			it_pass "$id: forged fields removed"
		fi ;;
	top)
		n=$(grep -niE \
		    "^Authentication-Results:[[:space:]]*${AUTHSERV//./\\.}" \
		    "$f" | head -1 | cut -d: -f1)
		rline=$(grep -n '^Received:' "$f" | head -1 | cut -d: -f1)
		if [ -n "$n" ] && [ -n "$rline" ] && [ "$n" -lt "$rline" ]
		then
			it_pass "$id: our header above $who Received:"
		else
			it_fail "$id: our header above $who Received:" \
			    "ours at line ${n:-none}, Received: at ${rline:-none}"
		fi ;;
	re:*) it_match "$id: ${t#re:}" "${t#re:}" "$mine" ;;
	*=*)
		# RFC 8601 2.2: "method=result" or "ptype.property=value",
		# ended by CFWS, ";" or the end of the field.
		it_match "$id: $t" \
		    "(^|[;[:space:]])${t//./\\.}([[:space:];(]|$)" "$mine" ;;
	*) it_fail "$id: unknown check $t" ;;
	esac
}

# ---------------------------------------------------------------------------
# Checks: each prints one line and is counted

it_pass()
{
	IT_PASSED=$((IT_PASSED + 1))
	printf 'ok      %s\n' "$1"
}

# it_fail DESC [WHY...] - count a failure; each WHY on a line below
it_fail()
{
	local desc=$1
	shift
	IT_FAILED=$((IT_FAILED + 1))
	printf 'FAILED  %s\n' "$desc"
	[ $# -eq 0 ] || printf '        %s\n' "$@"
}

# it_rc DESC WANT CMD... - CMD must exit with status WANT.  It runs in this
# shell, not in $(...), so it_send still sets IT_SEND_LOG; its output is
# shown only on failure (for it_send, the SMTP transcript).
it_rc()
{
	local desc=$1 want=$2 out=$IT_DIR/.check.out rc=0
	shift 2
	"$@" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq "$want" ]; then
		it_pass "$desc"
		return 0
	fi
	it_fail "$desc" "exit $rc, wanted $want: $*"
	[ "$1" = it_send ] && out=$IT_SEND_LOG
	tail -n 20 "$out" | sed 's/^/        /'
	return 1
}

# it_ok DESC CMD... - CMD must succeed
it_ok()
{
	local desc=$1
	shift
	it_rc "$desc" 0 "$@"
}

# it_eq DESC WANT GOT
it_eq()
{
	if [ "$2" = "$3" ]; then
		it_pass "$1"
	else
		it_fail "$1" "wanted: $2" "got:    $3"
	fi
}

# it_match DESC ERE GOT - GOT must match the extended regular expression
it_match()
{
	if [[ $3 =~ $2 ]]; then
		it_pass "$1"
	else
		it_fail "$1" "wanted a match for: $2" "got: $3"
	fi
}

# it_logs - the end of every daemon's logs and of the last transcript.
# Sendmail logs only to syslog, which the test VMs do not have.
it_logs()
{
	local f
	for f in "${_IT_LOG[@]}" "$IT_DIR/postfix/maillog" "$IT_SEND_LOG"; do
		[ -s "$f" ] || continue
		printf -- '--- %s\n' "$f"
		tail -n 25 "$f"
	done
}

# it_summary - print "N passed, N failed" and the logs if any failed; false
# if a check failed, or if none ran (a test that checks nothing is broken)
it_summary()
{
	[ -d "$IT_DIR" ] ||
	    echo "it_summary: $IT_DIR was removed during the test, from outside" >&2
	[ "$IT_FAILED" -eq 0 ] || it_logs >&2
	printf '%d passed, %d failed\n' "$IT_PASSED" "$IT_FAILED"
	[ "$IT_FAILED" -eq 0 ] && [ "$IT_PASSED" -gt 0 ]
}

# ---------------------------------------------------------------------------
# OpenSMTPD 6.8 (RECIPES.md section 6)

IT_SMTPD_PORT=
IT_SMTPD_UID=64997	# opensmtpd, compiled into Debian's smtpd; filters run as it
IT_SMTPQ_UID=64996	# opensmtpq

# it_smtpd_start [FILTER_CMD [CONF_LINE...]] - start OpenSMTPD on 127.0.0.1
# (and ::1) at a free port, set IT_SMTPD_PORT.  FILTER_CMD is a filter's
# proc-exec command line (empty = no filter; no '"' in it).  smtpd runs the
# filter as user opensmtpd (uid IT_SMTPD_UID), neither root nor chrooted:
# its binary, the directories above it and every file it opens must be
# reachable by that uid; its stderr goes to smtpd's log (it_smtpd_log).
# Each CONF_LINE goes into smtpd.conf before the listen lines.  Plain SMTP
# only: smtpd's TLS fails with OpenSSL 3, so there is no AUTH either.  Mail
# for any address goes to one maildir, see it_smtpd_mail_dir.
it_smtpd_start()
{
	local filter=${1:-} w=$IT_DIR/smtpd r=$IT_PKG/opensmtpd port
	shift $(($# > 0))
	if [ ! -x "$r/usr/sbin/smtpd" ]; then
		echo "it_smtpd_start: missing $r/usr/sbin/smtpd; run scripts/deps.sh mta" >&2
		return 1
	fi
	port=$(it_free_port) || return 1
	mkdir -p "$w/etc" "$w/varspool" "$w/varlib/opensmtpd/empty" "$w/maildir"
	chown 65534:65534 "$w/maildir"
	_it_smtpd_users "$w/etc"
	_it_smtpd_ns_run "$w" "$r" >"$w/ns-run.sh"
	chmod 755 "$w/ns-run.sh"
	_it_smtpd_conf "$w" "$port" "$filter" "$@" >"$w/smtpd.conf"
	chmod 644 "$w/smtpd.conf"
	_it_spawn_mta smtpd "$w/smtpd.out" smtpd \
	    "$w/ns-run.sh" "$r/usr/sbin/smtpd" -d -f "$w/smtpd.conf"
	it_wait_listening smtpd "$port" t "${_IT_ADDRS[@]}" || return 1
	IT_SMTPD_PORT=$port
}

it_smtpd_stop() { it_stop smtpd; }

# it_smtpd_mail_dir - where OpenSMTPD delivers: a maildir's new/, one file
# per recipient
it_smtpd_mail_dir() { echo "$IT_DIR/smtpd/maildir/new"; }

# it_smtpd_wait_delivered ERE - as it_wait_delivered, for OpenSMTPD
it_smtpd_wait_delivered()
{
	it_wait_until "$IT_DELIVERY_TIMEOUT" _it_smtpd_find "$1" >/dev/null &&
	    _it_smtpd_find "$1"
}

# it_smtpd_log - smtpd's log (-d: its stderr), with its filters' stderr
it_smtpd_log() { cat "$IT_DIR/smtpd/smtpd.out" 2>/dev/null; }

# _it_smtpd_find ERE - the newest delivered file with a line matching ERE
_it_smtpd_find()
{
	local d f
	d=$(it_smtpd_mail_dir)
	[ -d "$d" ] || return 1
	# Maildir names have no blanks; a file is complete when it is in new/.
	for f in $(cd "$d" && ls -1t); do
		grep -Eq -- "$1" "$d/$f" && { echo "$d/$f"; return 0; }
	done
	return 1
}

# _it_smtpd_users DIR - passwd and group with smtpd's compiled-in users
_it_smtpd_users()
{
	local e=$1
	cp /etc/passwd /etc/group "$e/"
	grep -q '^opensmtpd:' "$e/passwd" || printf '%s\n' \
	    "opensmtpd:x:$IT_SMTPD_UID:$IT_SMTPD_UID::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
	    "opensmtpq:x:$IT_SMTPQ_UID:$IT_SMTPQ_UID::/var/lib/opensmtpd/empty:/usr/sbin/nologin" \
	    >>"$e/passwd"
	grep -q '^opensmtpd:' "$e/group" || printf '%s\n' \
	    "opensmtpd:x:$IT_SMTPD_UID:" "opensmtpq:x:$IT_SMTPQ_UID:" >>"$e/group"
	chmod 644 "$e/passwd" "$e/group"
}

# _it_smtpd_ns_run W R - the wrapper that supplies smtpd's fixed paths
# inside its mount namespace, then execs its arguments (RECIPES.md 6):
# users, spool, chroot dir, delivery helpers, control socket dir
_it_smtpd_ns_run()
{
	cat <<EOF
#!/bin/sh
set -e
mount --bind $1/etc/passwd /etc/passwd
mount --bind $1/etc/group /etc/group
mount --bind $1/varspool /var/spool
mount -t overlay overlay -o lowerdir=$1/varlib:/var/lib /var/lib
mount -t overlay overlay -o lowerdir=$2/usr/libexec:/usr/libexec /usr/libexec
mount -t tmpfs tmpfs /run
exec "\$@"
EOF
}

# _it_smtpd_conf W PORT FILTER_CMD [CONF_LINE...] - smtpd.conf
_it_smtpd_conf()
{
	local w=$1 port=$2 filter=$3 use=''
	shift 3
	echo 'admd "mx.example.test"'
	echo 'table sinkusers { "@" = "nobody" }'
	[ $# -eq 0 ] || printf '%s\n' "$@"
	if [ -n "$filter" ]; then
		echo "filter \"it\" proc-exec \"$filter\""
		use=' filter "it"'
	fi
	echo "listen on 127.0.0.1 port $port hostname mx.example.test$use"
	[ "$IT_IPV6" = 0 ] ||
	    echo "listen on ::1 port $port hostname mx.example.test$use"
	echo "action \"sink\" maildir \"$w/maildir\" virtual <sinkusers>"
	echo 'match from any for any action "sink"'
}
