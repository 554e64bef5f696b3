#!/usr/bin/env bash
# selftest.sh - prove the integration harness itself, with no milter:
# unbound answers data, SERVFAIL and silence as configured; Postfix and
# Sendmail accept mail from another loopback address, over IPv6 and from the
# null sender, and deliver it where the helpers look; every daemon and its
# children are gone after a stop.  Needs root and `scripts/deps.sh mta`.
set -u
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

it_init selftest

# --- DNS --------------------------------------------------------------------

# One zone in each accepted format.
cat >"$IT_DIR/example.org.conf" <<'EOF'
local-zone: "example.org." static
local-data: "example.org. 300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300"
local-data: 'example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
EOF
cat >"$IT_DIR/example.net.zone" <<'EOF'
$ORIGIN example.net.
$TTL 300
@	IN SOA	ns hostmaster 1 3600 600 86400 300
@	IN TXT	"v=spf1 -all"
sel._domainkey IN TXT "v=DKIM1; k=rsa; p=AAAA" "BBBB"
quote	IN TXT	"it's"
EOF

# rcode NAME [SERVER] - the rcode of a TXT query, or "none" when no answer
# comes within 1 s (drill's own timeout is 15 s; a loopback answer takes ms)
rcode()
{
	timeout 1 drill -p "$IT_DNS_PORT" "@${2:-127.0.0.1}" "$1" TXT |
	    sed -n 's/.*rcode: \([A-Z]*\),.*/\1/p' | grep . || echo none
}

# txt NAME - the TXT record data of NAME
txt()
{
	timeout 2 drill -p "$IT_DNS_PORT" @127.0.0.1 "$1" TXT |
	    awk -v n="$1." '$1 == n && $4 == "TXT" { sub(/^[^"]*/, ""); print }'
}

it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org \
    "$IT_DIR/example.org.conf" "$IT_DIR/example.net.zone"

it_eq "TXT from local-data" '"v=spf1 ip4:192.0.2.0/24 -all"' "$(txt example.org)"
it_eq "TXT of two strings from a zone file" '"v=DKIM1; k=rsa; p=AAAA" "BBBB"' \
    "$(txt sel._domainkey.example.net)"
it_eq "a quote in a zone file survives" '"it'\''s"' "$(txt quote.example.net)"
it_eq "empty non-terminal is NOERROR" NOERROR "$(rcode _domainkey.example.net)"
it_eq "unknown name in a test zone is NXDOMAIN" NXDOMAIN "$(rcode nx.example.org)"
it_eq "name outside every test zone is NXDOMAIN" NXDOMAIN "$(rcode www.example.com)"
it_eq "servfail zone answers SERVFAIL" SERVFAIL "$(rcode servfail.example.org)"
it_eq "names under it too" SERVFAIL "$(rcode a.b.servfail.example.org)"
start=$SECONDS
it_eq "timeout zone never answers" none "$(rcode timeout.example.org)"
it_ok "... and the wait was bounded" test $((SECONDS - start)) -le 2
it_eq "names under it neither" none "$(rcode x.timeout.example.org)"
if [ "$IT_IPV6" = 1 ]; then
	it_eq "answers on ::1" NOERROR "$(rcode example.org ::1)"
fi
it_match "query log names each query" 'sel\._domainkey\.example\.net\. TXT' \
    "$(it_dns_queries)"

# --- MTAs -------------------------------------------------------------------

# A message with a folded Authentication-Results header, for it_authres.
# No final newline: swaks would add an empty line after it.
{
	printf '%s\n' 'From: <alice@example.org>' 'To: <bob@example.test>' \
	    'Subject: selftest' 'Authentication-Results: mx.example.test;' \
	    '	spf=pass smtp.mailfrom=example.org' 'X-Selftest: null-sender' ''
	printf 'body'
} >"$IT_DIR/null.eml"

# check_mta MTA - send from 127.0.0.7, over IPv6 and from the null sender;
# check each delivery
check_mta()
{
	local mta=$1 msg

	it_ok "$mta: accepts mail from 127.0.0.7" it_send "$mta" \
	    --source 127.0.0.7 --helo h4.example.org --header "X-Selftest: $mta-v4"
	msg=$(it_wait_delivered "$mta" "^X-Selftest: $mta-v4")
	it_ok "$mta: delivered it" test -f "$msg"
	it_match "$mta: Received shows HELO and source address" \
	    'from h4\.example\.org .*\[127\.0\.0\.7\]' \
	    "$(it_header "$msg" Received | head -n 1)"

	if [ "$IT_IPV6" = 1 ]; then
		it_ok "$mta: accepts mail over IPv6" it_send "$mta" --ipv6 \
		    --header "X-Selftest: $mta-v6"
		msg=$(it_wait_delivered "$mta" "^X-Selftest: $mta-v6")
		it_match "$mta: Received shows ::1" 'IPv6:(::1|0:0:0:0:0:0:0:1)' \
		    "$(it_header "$msg" Received | head -n 1)"
	fi

	it_ok "$mta: accepts the null sender and a data file" it_send "$mta" \
	    --from '<>' --data "$IT_DIR/null.eml"
	it_ok "$mta: ... sent as MAIL FROM:<>" grep -q -- '-> MAIL FROM:<>' "$IT_SEND_LOG"
	msg=$(it_wait_delivered "$mta" '^X-Selftest: null-sender')
	it_eq "$mta: Authentication-Results unfolded" \
	    "$(printf 'mx.example.test;\tspf=pass smtp.mailfrom=example.org')" \
	    "$(it_authres "$msg")"
	it_eq "$mta: last message is the newest" "$msg" "$(it_last_message "$mta")"
}

# gone PID... - no such processes, not even zombies: all were reaped
gone()
{
	local p
	for p; do
		[ ! -e "/proc/$p" ] || { ps -o pid=,stat=,args= -p "$p"; return 1; }
	done
}

# check_stop MTA PORT - stopping MTA leaves no process and no listener
check_stop()
{
	local mta=$1 port=$2 tree
	mapfile -t tree < <(_it_tree "$(it_pid "$mta")")
	it_ok "$mta: its process tree is known" test "${#tree[@]}" -gt 1
	it_stop "$mta"
	it_ok "$mta: stopped, all its processes reaped" gone "${tree[@]}"
	it_ok "$mta: port $port closed" test -z "$(ss -Hltn "sport = :$port")"
}

# check_tempfail MTA REPLY - with the milter unreachable, MAIL gets REPLY
check_tempfail()
{
	it_rc "$1: unreachable milter tempfails MAIL" 23 it_send "$1"
	it_ok "$1: ... with $2" grep -q "<\*\* $2" "$IT_SEND_LOG"
}

it_ok "postfix starts without a milter" it_postfix_start ""
it_ok "sendmail starts without a milter" it_sendmail_start ""
check_mta postfix
check_mta sendmail
check_stop postfix "$IT_POSTFIX_PORT"
check_stop sendmail "$IT_SENDMAIL_PORT"

# The milter wiring, still without a milter: a socket nobody listens on.
no_milter="inet:$(it_free_port)@127.0.0.1"
it_ok "postfix restarts with a milter" it_postfix_start "$no_milter"
it_ok "sendmail restarts with a milter" it_sendmail_start "$no_milter"
check_tempfail postfix '451 4.7.1'
check_tempfail sendmail '451 4.3.2'

it_summary
