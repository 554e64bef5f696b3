#!/usr/bin/env bash
# test_exim.sh - enma_exim.so in real Exim 4.96 (Debian's exim4-daemon-heavy)
#
#	bash tests/integration/test_exim.sh
#
# unbound serves zones/example.org.zone on loopback; Exim's daemon loads
# build/enma_exim.so through local_scan_path; every scenario of the table
# below is sent with swaks and checked in the DELIVERED message (and in
# Exim's main log for the log line), never through the plugin itself.
# The expected verdicts were derived by hand from RFC 7208 (SPF), RFC
# 4406/4407 (Sender ID), RFC 6376/8301/8463 (DKIM), RFC 5617 (ADSP) and
# RFC 8601 (Authentication-Results) for the zone data, whose comments
# give the rule for each name; they are the same as test_milter.sh's
# (the DKIM ones shared through dkim_cases.sh, signed by dkimpy).  Then what only Exim has: the configuration
# named by an ACL variable or taken from the default path, a broken or
# missing configuration (451, the reason in the log), a local submission
# (no client address), two messages in one Exim process, the sockets the
# engine opens (close-on-exec), the object's exports.  Needs root and
# `scripts/deps.sh mta`.  Prints "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

SO=${ENMA_EXIM_SO:-$TOP/build/enma_exim.so}
. "$HERE/dkim_cases.sh"
AUTHSERV=mx.example.test

# Scenarios.  Columns: name, client address (::1 = IPv6), HELO name,
# MAIL FROM ('<>' = null sender), message template in msgs/, From:
# address, Sender: address ('-' = none), options ('-' = none; "auth":
# SMTP AUTH PLAIN first), then the checks:
#   METHOD=RESULT   our Authentication-Results has that verdict
#   PTYPE.PROP=VAL  ... and that property (RFC 8601 2.2)
#   re:ERE          ... matches ERE (lower-cased header)
#   no-ours         no Authentication-Results with our authserv-id
#   one-ours        exactly one, and it is ours
#   foreign         the other.example.net field is still there
#   no-forged       no trace of the forged fields' text
#   top             ours is above Exim's Received: (DESIGN; PITFALLS 9)
#   logged          Exim's main log has "<message id> enma: client=ADDR"
#                   with every METHOD=RESULT of the line ("skipped" for
#                   no-ours)
#   deleted=N       ... and "deleted-forged=N"
#   tempreject      not accepted: 451 after the data, not delivered, and
#                   "enma: configuration error" in the main log
# Client 127.0.0.1 is excluded (common.exclusion_addresses).  The HELO
# name picks the configuration file through the DATA ACL (conf-map
# below): default-conf.example.test none (the default path),
# broken-conf.example.test a file with a bad value, missing-conf a file
# that does not exist, clamp-conf one with dns.message_timeout too long
# for Exim's local_scan_timeout; any other name the test's enma.conf.
SCENARIOS=$(cat <<'EOF'
# RFC 7208 results for the MAIL FROM identity; the From: domain has the
# same v=spf1 record, used for the PRA too (RFC 4406 3.4).
pass       127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@spf-pass.example.org  - - spf=pass smtp.mailfrom=alice@spf-pass.example.org sender-id=pass header.from=alice@spf-pass.example.org one-ours top logged deleted=0
fail       127.0.0.2 client.example.org alice@spf-fail.example.org     basic  alice@spf-fail.example.org  - - spf=fail smtp.mailfrom=alice@spf-fail.example.org sender-id=fail one-ours top logged
softfail   127.0.0.2 client.example.org alice@spf-softfail.example.org basic alice@spf-softfail.example.org - - spf=softfail sender-id=softfail one-ours
neutral    127.0.0.2 client.example.org alice@spf-neutral.example.org  basic  alice@spf-neutral.example.org - - spf=neutral sender-id=neutral one-ours
none       127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@spf-none.example.org  - - spf=none sender-id=none one-ours
permerror  127.0.0.2 client.example.org alice@spf-permerror.example.org basic alice@spf-permerror.example.org - - spf=permerror sender-id=permerror one-ours logged
include    127.0.0.2 client.example.org alice@spf-include.example.org  basic  alice@spf-pass.example.org  - - spf=pass smtp.mailfrom=alice@spf-include.example.org one-ours
# DNS errors: SERVFAIL, and no answer at all (RFC 7208 2.6.6, 4.4); the
# PRA's domain answers, so Sender ID still passes.
servfail   127.0.0.2 client.example.org alice@servfail.example.org     basic  alice@spf-pass.example.org  - - spf=temperror sender-id=pass one-ours
timeout    127.0.0.2 client.example.org alice@timeout.example.org      basic  alice@spf-pass.example.org  - - spf=temperror sender-id=pass one-ours logged
# Null sender: the identity is postmaster@<HELO name> (RFC 7208 2.4).
null       127.0.0.2 helo-pass.example.org <>                          basic  alice@spf-pass.example.org  - - spf=pass re:smtp\.(mailfrom=postmaster@|helo=)helo-pass\.example\.org one-ours
# IPv6 client.
ipv6       ::1       client.example.org alice@spf-v6.example.org       basic  alice@spf-v6.example.org    - - spf=pass sender-id=pass one-ours logged
# Excluded client: nothing added, the forged field still removed.
excluded   127.0.0.1 client.example.org alice@spf-pass.example.org     forged-excluded alice@spf-pass.example.org - - no-ours no-forged logged deleted=1
# Two forged fields with our authserv-id (one in another case), one
# foreign: both of ours gone, the foreign kept, our verdict added.
forged     127.0.0.2 client.example.org alice@spf-fail.example.org     forged-two alice@spf-fail.example.org - - one-ours spf=fail sender-id=fail foreign no-forged top logged deleted=2
# Authenticated client (SMTP AUTH): no verdicts, forged fields removed.
auth       127.0.0.2 client.example.org alice@spf-fail.example.org     forged-two alice@spf-fail.example.org - auth no-ours foreign no-forged logged deleted=2
# Sender ID (RFC 4406, 4407): spf2.0/pra records; the PRA is From:, or
# Sender: when there is one (RFC 4407 2).
sid-pass   127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@sid-pass.example.org  - - sender-id=pass header.from=alice@sid-pass.example.org spf=none one-ours
sid-fail   127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@sid-fail.example.org  - - sender-id=fail header.from=alice@sid-fail.example.org spf=pass one-ours
sid-sender 127.0.0.2 client.example.org alice@spf-pass.example.org     sender alice@sid-fail.example.org bob@sid-pass.example.org - sender-id=pass header.sender=bob@sid-pass.example.org spf=pass one-ours
# DKIM (RFC 6376) and ADSP (RFC 5617): the DKIM_SCENARIOS table of
# dkim_cases.sh, shared with test_milter.sh (dkim_scenario below).
#
# The configuration: the default path, a broken or missing file (the
# sender is told to retry, the reason is logged), a DNS budget lowered.
default-conf 127.0.0.2 default-conf.example.test alice@spf-pass.example.org basic alice@spf-pass.example.org - - spf=pass sender-id=pass one-ours
broken-conf  127.0.0.2 broken-conf.example.test alice@spf-pass.example.org forged-two alice@spf-pass.example.org - - tempreject
missing-conf 127.0.0.2 missing-conf.example.test alice@spf-pass.example.org basic alice@spf-pass.example.org - - tempreject
clamp-conf   127.0.0.2 clamp-conf.example.test alice@spf-pass.example.org basic alice@spf-pass.example.org - - spf=pass one-ours
EOF
)
# Sent after the DNS server is stopped: still delivered, with temperror.
SCENARIO_DNS_DOWN='dns-down 127.0.0.2 client.example.org alice@spf-pass.example.org basic alice@spf-pass.example.org - - spf=temperror sender-id=temperror one-ours top logged'

# make_message ID TEMPLATE FROM SENDER - the data file for one send
make_message()
{
	local out=$IT_DIR/msg.$1.eml
	sed -e "s/@TESTID@/$1/g" -e "s/@FROM@/$3/g" -e "s/@SENDER@/$4/g" \
	    "$HERE/msgs/$2.eml" >"$out"
	echo "$out"
}

# exim_id FILE - Exim's id for a delivered message, from its Received:
exim_id()
{
	it_header "$1" Received | head -n 1 |
	    grep -oE '\bid [0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}\b' |
	    cut -c4-
}

# check_logged ID FILE CLIENT EXPECT - the plugin's line for the message
check_logged()
{
	local id=$1 f=$2 client=$3 expect=$4 mid line t absent=''
	mid=$(exim_id "$f")
	line=$(it_exim_log | grep -F " ${mid:-no-id} enma: client=$client " |
	    head -n 1)
	if [ -z "$mid" ] || [ -z "$line" ]; then
		it_fail "$id: log line with Exim's id and the client" \
		    "id '${mid}', no line '$mid enma: client=$client ...'"
		return
	fi
	it_pass "$id: log line with Exim's id and the client"
	for t in $expect; do
		case $t in
		no-ours) [[ $line == *" skipped"* ]] || absent+=" skipped" ;;
		deleted=*) [[ $line == *" deleted-forged=${t#deleted=}"* ]] ||
		    absent+=" deleted-forged=${t#deleted=}" ;;
		*.*=* | re:*) ;;
		*=*) [[ $line == *" $t "* ]] || absent+=" $t" ;;
		esac
	done
	it_eq "$id: log line has every verdict" "" "$absent"
}

# check ID FILE TOKEN - one expectation on a delivered message; logged
# and deleted=N are check_logged's, on Exim's log rather than the file
check()
{
	case $3 in
	logged | deleted=*) ;;
	*) it_check_delivered "$1" "$2" "$3" "Exim's" ;;
	esac
}

# check_tempreject ID RC HELO - a message the configuration stopped
check_tempreject()
{
	local id=$1 rc=$2 helo=$3
	# swaks: 26 = not accepted after the final dot
	it_eq "$id: swaks exit status" 26 "$rc"
	it_match "$id: 451 after the data" '<\*\* +451 ' "$(cat "$IT_SEND_LOG")"
	it_eq "$id: not delivered" "" \
	    "$(_it_exim_find "^X-Enma-Test: ${id}[[:space:]]*$")"
	it_match "$id: reason in the main log" "enma: configuration error: \
${CONF_OF[$helo]//./\\.}.* - message temporarily rejected" "$(it_exim_log)"
}

# scenario LINE - send one table line to Exim and check the delivery
scenario()
{
	local name src helo mfrom tmpl from sender opts expect id data f t rc
	local net=() extra=()
	read -r name src helo mfrom tmpl from sender opts expect <<<"$1"
	id=exim-$name
	if [ "$src" = ::1 ]; then
		if [ "$IT_IPV6" != 1 ]; then
			it_fail "$id: IPv6 client" "::1 is not configured on lo"
			return
		fi
		net=(--ipv6 --source ::1)
	else
		net=(--source "$src")
	fi
	[[ ,$opts, == *,auth,* ]] && extra=(--auth PLAIN --auth-user alice
	    --auth-password secret)
	data=$(make_message "$id" "$tmpl" "$from" "$sender")
	it_send "$IT_EXIM_PORT" "${net[@]}" --helo "$helo" --from "$mfrom" \
	    --data "$data" "${extra[@]}"
	rc=$?
	if [[ " $expect " == *" tempreject "* ]]; then
		check_tempreject "$id" "$rc" "$helo"
		return
	fi
	it_eq "$id: message accepted" 0 "$rc"
	f=$(it_exim_wait_delivered "^X-Enma-Test: ${id}[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: message delivered"
		return
	fi
	it_pass "$id: message delivered"
	for t in $expect; do
		check "$id" "$f" "$t"
	done
	[[ " $expect " == *" logged "* ]] &&
	    check_logged "$id" "$f" "$src" "$expect"
}

# run_table TABLE - every scenario line of TABLE
run_table()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		scenario "$line"
	done <<<"$1"
}

# dkim_scenario LINE - one DKIM_SCENARIOS line (dkim_cases.sh), and the
# plugin's log line with every verdict of it
dkim_scenario()
{
	local name from prep expect id data f t
	read -r name from prep expect <<<"$1"
	id=exim-$name
	data=$(make_message "$id" dkim "$from" -)
	if ! dkim_prep "$data" "$prep" 2>"$IT_DIR/prep.$id.err"; then
		it_fail "$id: signed by dkimpy" "$(cat "$IT_DIR/prep.$id.err")"
		return
	fi
	it_ok "$id: message accepted" it_send "$IT_EXIM_PORT" \
	    --source 127.0.0.2 --helo client.example.org \
	    --from alice@spf-pass.example.org --data "$data"
	f=$(it_exim_wait_delivered "^X-Enma-Test: ${id}[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: message delivered"
		return
	fi
	it_pass "$id: message delivered"
	for t in $expect; do
		check "$id" "$f" "$t"
	done
	check_logged "$id" "$f" 127.0.0.2 "$expect"
}

# run_dkim_table - every DKIM_SCENARIOS line
run_dkim_table()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		dkim_scenario "$line"
	done <<<"$DKIM_SCENARIOS"
}

# --- what only Exim has ------------------------------------------------------

# exports - Exim looks up three symbols; everything else stays hidden
exports()
{
	it_eq "exports: local_scan and the version functions only" \
	    "local_scan local_scan_version_major local_scan_version_minor" \
	    "$(nm -D --defined-only "$SO" | awk '{ print $3 }' | sort | xargs)"
}

# write_confs - the test's enma.conf, the broken ones, the HELO map
write_confs()
{
	local c=$IT_DIR/conf
	mkdir -p "$c" "$IT_DIR/exim/etc-extra/enma"
	cat >"$c/enma.conf" <<EOF
# enma.conf for test_exim.sh
authresult.identifier: $AUTHSERV
common.exclusion_addresses: 127.0.0.1
dns.nameservers: 127.0.0.1
dns.port: $IT_DNS_PORT
dns.timeout: 2
dns.retries: 1
dns.message_timeout: 10
EOF
	printf 'authresult.identifier: %s\ndns.timeout: soon\n' "$AUTHSERV" \
	    >"$c/bad.conf"
	sed 's/^dns.message_timeout: .*/dns.message_timeout: 600/' \
	    "$c/enma.conf" >"$c/clamp.conf"
	# The default path, /etc/enma/enma.conf, as Exim sees /etc.
	cp "$c/enma.conf" "$IT_DIR/exim/etc-extra/enma/enma.conf"
	CONF_OF=([broken-conf.example.test]=$c/bad.conf
	    [missing-conf.example.test]=$c/missing.conf)
	{
		echo "broken-conf.example.test: $c/bad.conf"
		echo "missing-conf.example.test: $c/missing.conf"
		echo "clamp-conf.example.test: $c/clamp.conf"
		echo "default-conf.example.test:"
	} >"$c/conf-map"
	chmod -R a+rX "$c" "$IT_DIR/exim"
}
declare -A CONF_OF=()

# local_submission - a message from the command line (no client address:
# every method gives none, the engine's rule for local submissions)
local_submission()
{
	local id=exim-local f data
	data=$(make_message "$id" basic alice@spf-pass.example.org -)
	it_ok "$id: accepted" it_exim_run -odi -oi \
	    -f alice@spf-pass.example.org bob@example.test <"$data"
	f=$(it_exim_wait_delivered "^X-Enma-Test: ${id}[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: delivered"
		return
	fi
	it_pass "$id: delivered"
	for t in spf=none sender-id=none one-ours top; do
		check "$id" "$f" "$t"
	done
	check_logged "$id" "$f" local "spf=none sender-id=none"
}

# one_process - two messages in one SMTP session, so one Exim process
# and one engine: each gets its own verdicts.  Bodies of 190 KB cross
# the reader's chunks.  The session runs under valgrind (a copy of exim4
# without its set-uid bit, which valgrind refuses): no memory error and
# no definite leak in the plugin or anywhere in that process.
one_process()
{
	local id=exim-2msg d f1 f2 m i vg=$IT_DIR/vg bin=$IT_DIR/exim4-nosuid
	local ids=()
	d=$IT_DIR/dialog.txt
	{
		printf 'EHLO client.example.org\r\n'
		for m in fail pass; do
			printf 'MAIL FROM:<alice@spf-%s.example.org>\r\n' "$m"
			printf 'RCPT TO:<bob@example.test>\r\nDATA\r\n'
			sed "s/\$/\r/" "$(make_message "$id-$m" forged-two \
			    "alice@spf-$m.example.org" -)"
			for ((i = 0; i < 3000; i++)); do
				printf 'line %d of a long body\r\n' "$i"
			done
			printf '.\r\n'
		done
		printf 'QUIT\r\n'
	} >"$d"
	if ! command -v valgrind >/dev/null; then
		it_fail "$id: valgrind missing (scripts/deps.sh)"
		return
	fi
	mkdir -p "$vg"
	install -m 755 "$IT_PKG/exim4-daemon-heavy/usr/sbin/exim4" "$bin"
	_it_exim_jail "$IT_DIR/exim"
	# -odq: queued only, since the delivery process Exim would fork
	# cannot exec the set-uid exim_path under valgrind; delivered next.
	"${IT_JAIL[@]}" valgrind --log-file="$vg/%p.log" --leak-check=full \
	    --errors-for-leak-kinds=definite \
	    "$bin" -C "$IT_DIR/exim/exim.conf" -odq -bs -oMa 127.0.0.2 \
	    <"$d" >"$IT_DIR/dialog.out" 2>&1
	it_eq "$id: two messages accepted in one session" 2 \
	    "$(grep -c '^250 OK id=' "$IT_DIR/dialog.out")"
	it_eq "$id: valgrind: no error, no definite leak" "" \
	    "$(grep -h 'ERROR SUMMARY' "$vg"/*.log | grep -v ' 0 errors')"
	mapfile -t ids < <(sed -n 's/^250 OK id=\([0-9A-Za-z-]*\).*/\1/p' \
	    "$IT_DIR/dialog.out")
	it_ok "$id: delivered from the queue" it_exim_run -M "${ids[@]}"
	f1=$(it_exim_wait_delivered "^X-Enma-Test: ${id}-fail[[:space:]]*$")
	f2=$(it_exim_wait_delivered "^X-Enma-Test: ${id}-pass[[:space:]]*$")
	if [ -z "$f1" ] || [ -z "$f2" ]; then
		it_fail "$id: both delivered" "first: '$f1', second: '$f2'"
		return
	fi
	for m in spf=fail one-ours no-forged top; do
		check "$id-fail" "$f1" "$m"
	done
	for m in spf=pass one-ours no-forged top; do
		check "$id-pass" "$f2" "$m"
	done
	it_eq "$id: body delivered whole" 3000 "$(grep -c '^line ' "$f2")"
}

# udp_sockets - "PID FD" of every UDP socket of an exim4 process
udp_sockets()
{
	ss -Hunap 2>/dev/null | grep -oE '"exim4",pid=[0-9]+,fd=[0-9]+' |
	    sed -E 's/.*pid=([0-9]+),fd=([0-9]+)/\1 \2/'
}

have_udp() { [ -n "$(udp_sockets)" ]; }

# cloexec - while a message waits for the DNS (the timeout zone), the
# query's socket in Exim's receiving process is close-on-exec
cloexec()
{
	local id=exim-cloexec data spid pid fd fdflags=
	data=$(make_message "$id" basic alice@spf-pass.example.org -)
	it_send "$IT_EXIM_PORT" --source 127.0.0.2 \
	    --from alice@timeout.example.org --data "$data" &
	spid=$!
	if it_wait_until 5 have_udp; then
		read -r pid fd <<<"$(udp_sockets | head -n 1)"
		fdflags=$(awk '$1 == "flags:" { print $2 }' \
		    "/proc/$pid/fdinfo/$fd" 2>/dev/null)
	fi
	wait "$spid"
	it_eq "$id: message accepted" 0 $?
	[ -z "$fdflags" ] || echo "        (socket $pid/$fd, fdinfo flags $fdflags)"
	# O_CLOEXEC is 02000000 (octal) in fdinfo's flags on Linux
	if [ -n "$fdflags" ] && (((8#$fdflags & 8#2000000) != 0)); then
		it_pass "$id: the DNS socket is close-on-exec"
	else
		it_fail "$id: the DNS socket is close-on-exec" \
		    "socket seen: ${pid:-none} ${fd:-}, flags '${fdflags}'"
	fi
}

# clamped - the log says the DNS budget was lowered, and to what
clamped()
{
	it_match "clamp-conf: budget lowered in the log" \
	    'enma: .*clamp\.conf: dns\.message_timeout 600 s lowered to 240 s' \
	    "$(it_exim_log)"
}

# --- main ---------------------------------------------------------------------

it_init exim

if [ ! -f "$SO" ]; then
	it_fail "$SO exists (run make first)"
	it_summary
	exit
fi
exports

it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$HERE/zones/example.org.zone" \
    "$HERE/zones/dkim.example.org.zone"
write_confs
# The HELO name picks the file (conf-map), else the test's enma.conf.
ACL_CONF="\${lookup{\$sender_helo_name}lsearch{$IT_DIR/conf/conf-map}"
ACL_CONF+="{\$value}{$IT_DIR/conf/enma.conf}}"
it_ok "exim starts" it_exim_start "$SO" \
    --acl-data "warn set acl_m_enma_conf = $ACL_CONF"
it_eq "Exim's local_scan_timeout (the budget stays below it)" \
    "local_scan_timeout = 5m" "$(it_exim_run -bP local_scan_timeout 2>&1)"

run_table "$SCENARIOS"
run_dkim_table
clamped
local_submission
one_process
cloexec

it_dns_stop
run_table "$SCENARIO_DNS_DOWN"

it_exim_stop
it_eq "exim stops on SIGTERM" 0 "$IT_STOP_RC"
it_eq "no crash of local_scan in the main log" "" "$(it_exim_log |
    grep -E 'local_scan\(\) (function crashed|function timed out|library)')"
it_match "configuration errors in the panic log too" \
    'enma: configuration error: .*bad\.conf:2: ' \
    "$(cat "$IT_DIR/exim/log/paniclog" 2>/dev/null)"
it_summary
