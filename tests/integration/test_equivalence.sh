#!/usr/bin/env bash
# test_equivalence.sh - the same messages through every adapter, the same
# Authentication-Results
#
#	bash tests/integration/test_equivalence.sh [ADAPTER...]
#
# DESIGN: every adapter runs the same core, so for the same message, the
# same client and the same configuration, the delivered message carries
# the same Authentication-Results values, ours and the ones kept from
# upstream.  Each case below is sent, byte for byte the same, through
# every adapter (Postfix + the enma milter, Exim + enma_exim.so,
# OpenSMTPD + filter-enma), all reading one enma.conf and asking one DNS
# server, and the unfolded values are compared with the first adapter's.
# Each message carries its own Date: and Message-ID: (the MTAs differ in
# adding them).  The values themselves are checked by each adapter's own
# test; here only that they are the same, and that each adapter added
# (or, for a skipped client, did not add) its header, so that adapters
# that all failed cannot agree.
#
# An adapter joins by adding its name to ADAPTERS and defining four
# functions: eq_start_NAME (start it, reading $EQ_CONF), eq_send_NAME
# (it_send's arguments after the MTA), eq_find_NAME ERE (the delivered
# file with a line matching ERE) and eq_stop_NAME.  Arguments name the
# adapters to compare (at least two).  Needs root and `scripts/deps.sh
# mta`.  Prints "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

ENMA=${ENMA:-$TOP/build/enma}
EXIM_SO=${ENMA_EXIM_SO:-$TOP/build/enma_exim.so}
SMTPD_FILTER=${ENMA_FILTER:-$TOP/build/filter-enma}
AUTHSERV=mx.example.test
ADAPTERS=("$@")
[ ${#ADAPTERS[@]} -gt 0 ] || ADAPTERS=(postfix exim opensmtpd)

# Cases.  Columns: name, client address (::1 = IPv6), HELO name, MAIL
# FROM ('<>' = null sender), message template in msgs/, From: address,
# Sender: address ('-' = none), and how many Authentication-Results with
# our authserv-id each adapter must leave (0 for an excluded client).
CASES=$(cat <<'EOF'
pass       127.0.0.2 client.example.org    alice@spf-pass.example.org      basic  alice@spf-pass.example.org      - 1
fail       127.0.0.2 client.example.org    alice@spf-fail.example.org      basic  alice@spf-fail.example.org      - 1
softfail   127.0.0.2 client.example.org    alice@spf-softfail.example.org  basic  alice@spf-softfail.example.org  - 1
neutral    127.0.0.2 client.example.org    alice@spf-neutral.example.org   basic  alice@spf-neutral.example.org   - 1
none       127.0.0.2 client.example.org    alice@spf-none.example.org      basic  alice@spf-none.example.org      - 1
permerror  127.0.0.2 client.example.org    alice@spf-permerror.example.org basic  alice@spf-permerror.example.org - 1
include    127.0.0.2 client.example.org    alice@spf-include.example.org   basic  alice@spf-pass.example.org      - 1
servfail   127.0.0.2 client.example.org    alice@servfail.example.org      basic  alice@spf-pass.example.org      - 1
timeout    127.0.0.2 client.example.org    alice@timeout.example.org       basic  alice@spf-pass.example.org      - 1
null       127.0.0.2 helo-pass.example.org <>                              basic  alice@spf-pass.example.org      - 1
ipv6       ::1       client.example.org    alice@spf-v6.example.org        basic  alice@spf-v6.example.org        - 1
excluded   127.0.0.1 client.example.org    alice@spf-pass.example.org      forged-excluded alice@spf-pass.example.org - 0
forged     127.0.0.2 client.example.org    alice@spf-fail.example.org      forged-two alice@spf-fail.example.org  - 1
sid-pass   127.0.0.2 client.example.org    alice@spf-none.example.org      basic  alice@sid-pass.example.org      - 1
sid-fail   127.0.0.2 client.example.org    alice@spf-pass.example.org      basic  alice@sid-fail.example.org      - 1
sid-sender 127.0.0.2 client.example.org    alice@spf-pass.example.org      sender alice@sid-fail.example.org bob@sid-pass.example.org 1
EOF
)
# DKIM and ADSP: the DKIM_SCENARIOS of dkim_cases.sh (shared with
# test_milter.sh and test_exim.sh), each message signed once by dkimpy
# and sent through every adapter (one_dkim_case below).
. "$HERE/dkim_cases.sh"

# Sent after the DNS server is stopped.
CASE_DNS_DOWN='dns-down 127.0.0.2 client.example.org alice@spf-pass.example.org basic alice@spf-pass.example.org - 1'

EQ_CONF=

# --- the adapters -------------------------------------------------------------

# Postfix + the milter (build/enma), as test_milter.sh runs them.
eq_start_postfix()
{
	local port
	if [ ! -x "$ENMA" ]; then
		it_fail "postfix: $ENMA exists (run make first)"
		return 1
	fi
	port=$(it_free_port) || return 1
	it_spawn milter "$IT_DIR/milter.log" "$ENMA" -f -c "$EQ_CONF" \
	    -o "milter.socket=inet:$port@127.0.0.1" -o milter.pidfile=
	it_ok "postfix: the milter starts" it_wait_listening milter "$port" &&
	    it_ok "postfix starts" it_postfix_start "inet:$port@127.0.0.1"
}
eq_send_postfix() { it_send postfix "$@"; }
eq_find_postfix() { it_wait_delivered postfix "$1"; }
eq_stop_postfix()
{
	it_postfix_stop
	it_stop milter KILL	# nothing is checked at its exit: skip 5 s
}

# Exim + enma_exim.so, the configuration named in the DATA ACL.
eq_start_exim()
{
	if [ ! -f "$EXIM_SO" ]; then
		it_fail "exim: $EXIM_SO exists (run make first)"
		return 1
	fi
	it_ok "exim starts" it_exim_start "$EXIM_SO" \
	    --acl-data "warn set acl_m_enma_conf = $EQ_CONF"
}
eq_send_exim() { it_send "$IT_EXIM_PORT" "$@"; }
eq_find_exim() { it_exim_wait_delivered "$1"; }
eq_stop_exim() { it_exim_stop; }

# OpenSMTPD + filter-enma (build/filter-enma), as test_opensmtpd.sh runs
# them: smtpd runs the filter as its user opensmtpd, so from a copy that
# user can reach, with a spill directory it can write to.
eq_start_opensmtpd()
{
	local bin=$IT_DIR/bin spill=$IT_DIR/spill
	if [ ! -x "$SMTPD_FILTER" ]; then
		it_fail "opensmtpd: $SMTPD_FILTER exists (run make first)"
		return 1
	fi
	mkdir -p "$bin" "$spill"
	cp "$SMTPD_FILTER" "$bin/filter-enma"
	chmod 755 "$bin" "$bin/filter-enma"
	chown "$IT_SMTPD_UID" "$spill"
	chmod 700 "$spill"
	it_ok "opensmtpd starts" it_smtpd_start \
	    "$bin/filter-enma -c $EQ_CONF -o opensmtpd.tmpdir=$spill"
}
eq_send_opensmtpd() { it_send "$IT_SMTPD_PORT" "$@"; }
eq_find_opensmtpd() { it_smtpd_wait_delivered "$1"; }
eq_stop_opensmtpd() { it_smtpd_stop; }

# --- the comparison -----------------------------------------------------------

# make_message ID TEMPLATE FROM SENDER - one data file, for every adapter
make_message()
{
	local out=$IT_DIR/msg.$1.eml
	sed -e "s/@TESTID@/$1/g" -e "s/@FROM@/$3/g" -e "s/@SENDER@/$4/g" \
	    "$HERE/msgs/$2.eml" >"$out"
	echo "$out"
}

# ours_count FILE - how many Authentication-Results carry our authserv-id
ours_count() { it_ours "$1" | grep -c .; }

# one_case LINE - send the case through every adapter, compare
one_case()
{
	local name src helo mfrom tmpl from sender nours id data
	local net=()
	read -r name src helo mfrom tmpl from sender nours <<<"$1"
	id=eq-$name
	if [ "$src" = ::1 ]; then
		if [ "$IT_IPV6" != 1 ]; then
			it_fail "$id: IPv6 client" "::1 is not configured on lo"
			return
		fi
		net=(--ipv6 --source ::1)
	else
		net=(--source "$src")
	fi
	data=$(make_message "$id" "$tmpl" "$from" "$sender")
	send_compare "$id" "$data" "$nours" "${net[@]}" --helo "$helo" \
	    --from "$mfrom"
}

# send_compare ID DATA NOURS SEND-ARGS... - DATA, the same bytes, through
# every adapter; each leaves NOURS headers of ours, all the same values
send_compare()
{
	local id=$1 data=$2 nours=$3 a f val first='' firstval=''
	shift 3
	for a in "${RUNNING[@]}"; do
		it_ok "$id: $a accepts" "eq_send_$a" "$@" --data "$data" ||
		    continue
		f=$("eq_find_$a" "^X-Enma-Test: ${id}[[:space:]]*$")
		if [ -z "$f" ]; then
			it_fail "$id: $a delivers"
			continue
		fi
		it_eq "$id: $a leaves $nours header(s) of ours" "$nours" \
		    "$(ours_count "$f")"
		val=$(it_authres "$f")
		if [ -z "$first" ]; then
			first=$a
			firstval=$val
		else
			it_eq "$id: $a's Authentication-Results = $first's" \
			    "$firstval" "$val"
		fi
	done
}

# one_dkim_case LINE - a DKIM_SCENARIOS line of dkim_cases.sh, signed
# once by dkimpy: every adapter gets the same signature
one_dkim_case()
{
	local name from prep expect id data
	read -r name from prep expect <<<"$1"
	id=eq-$name
	data=$(make_message "$id" dkim "$from" -)
	if ! dkim_prep "$data" "$prep" 2>"$IT_DIR/prep.$id.err"; then
		it_fail "$id: signed by dkimpy" "$(cat "$IT_DIR/prep.$id.err")"
		return
	fi
	send_compare "$id" "$data" 1 --source 127.0.0.2 \
	    --helo client.example.org --from alice@spf-pass.example.org
}

# run_dkim_cases - every DKIM_SCENARIOS line
run_dkim_cases()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		one_dkim_case "$line"
	done <<<"$DKIM_SCENARIOS"
}

# run_cases TABLE
run_cases()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		one_case "$line"
	done <<<"$1"
}

# --- main ---------------------------------------------------------------------

it_init equivalence
if [ ${#ADAPTERS[@]} -lt 2 ]; then
	it_fail "at least two adapters to compare (got: ${ADAPTERS[*]})"
	it_summary
	exit
fi

it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$HERE/zones/example.org.zone" \
    "$HERE/zones/dkim.example.org.zone"
EQ_CONF=$IT_DIR/enma.conf
cat >"$EQ_CONF" <<EOF
# enma.conf for test_equivalence.sh: one file for every adapter
authresult.identifier: $AUTHSERV
common.exclusion_addresses: 127.0.0.1
dns.nameservers: 127.0.0.1
dns.port: $IT_DNS_PORT
dns.timeout: 2
dns.retries: 1
dns.message_timeout: 10
EOF
chmod 644 "$EQ_CONF"

RUNNING=()
for a in "${ADAPTERS[@]}"; do
	if ! declare -F "eq_start_$a" >/dev/null; then
		it_fail "$a: no such adapter here"
	elif "eq_start_$a"; then
		RUNNING+=("$a")
	fi
done
if [ ${#RUNNING[@]} -eq ${#ADAPTERS[@]} ]; then
	run_cases "$CASES"
	run_dkim_cases
	it_dns_stop
	run_cases "$CASE_DNS_DOWN"
else
	it_fail "every adapter runs (running: ${RUNNING[*]:-none})"
fi
for a in "${RUNNING[@]}"; do
	"eq_stop_$a"
done
it_summary
