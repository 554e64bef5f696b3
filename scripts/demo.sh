#!/usr/bin/env bash
# demo.sh - ENMA at work: real Postfix 3.7 with the enma milter, unbound on
# loopback serving example zones, a handful of messages, and the
# Authentication-Results: header each one was delivered with.  Run by
# `make demo` after the build (needs root: private mount namespaces, as in
# the integration tests).  Everything started here is stopped at the end.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
IT=$TOP/tests/integration
ENMA=${ENMA:-$TOP/build/enma}
SIDFQUERY=$TOP/build/sidfquery
AUTHSERV=mx.example.test

bash "$TOP/scripts/deps.sh" mta || exit 1
. "$IT/lib.sh"
for b in "$ENMA" "$SIDFQUERY"; do
	[ -x "$b" ] || { echo "demo: $b missing: run make first" >&2; exit 1; }
done

# Each sample: label, MAIL FROM, From:, and what RFC 7208 says of it.
SAMPLES=$(cat <<'EOF'
pass       alice@spf-pass.example.org      the record lists the client's address (ip4:127.0.0.2)
fail       alice@spf-fail.example.org      the record ends in -all and nothing matched
softfail   alice@spf-softfail.example.org  ~all: probably not authorised
neutral    alice@spf-neutral.example.org   ?all: the domain makes no assertion
none       alice@spf-none.example.org      the domain has no SPF record
permerror  alice@spf-permerror.example.org the record has a syntax error ("bogus")
temperror  alice@servfail.example.org      the DNS server answers SERVFAIL
sender-id  alice@spf-none.example.org      From: alice@sid-pass.example.org, checked with spf2.0/pra
EOF
)

ENMA_DEMO_PID=
demo_cleanup()
{
	if [ -n "$ENMA_DEMO_PID" ]; then
		kill -KILL "$ENMA_DEMO_PID" 2>/dev/null
		wait "$ENMA_DEMO_PID" 2>/dev/null
	fi
	_it_cleanup
}

# txt NAME - the TXT records of NAME on the demo DNS server
txt()
{
	timeout 3 drill -p "$IT_DNS_PORT" @127.0.0.1 "$1" TXT |
	    awk -v n="$1." '$1 == n && $4 == "TXT" { sub(/^[^"]*/, ""); print }'
}

# show LABEL MAILFROM WHY - send one sample and print its delivered header
show()
{
	local label=$1 mfrom=$2 why=$3 from=$2 data f rec
	[ "$label" = sender-id ] && from=alice@sid-pass.example.org
	data=$IT_DIR/demo-$label.eml
	sed -e "s/@TESTID@/demo-$label/g" -e "s/@FROM@/$from/g" \
	    "$IT/msgs/basic.eml" >"$data"
	printf '\n== %s: %s\n' "$label" "$why"
	printf '   sent:      from 127.0.0.2, HELO client.example.org, MAIL FROM:<%s>, From: %s\n' \
	    "$mfrom" "$from"
	rec=$(txt "${mfrom#*@}")
	printf '   DNS:       %s TXT %s\n' "${mfrom#*@}" "${rec:-(none)}"
	if [ "$label" = sender-id ]; then
		printf '   DNS:       sid-pass.example.org TXT %s\n' \
		    "$(txt sid-pass.example.org)"
	fi
	if ! it_send postfix --source 127.0.0.2 --from "$mfrom" --data "$data"; then
		echo "   NOT ACCEPTED; transcript:"
		sed 's/^/      /' "$IT_SEND_LOG"
		return
	fi
	f=$(it_wait_delivered postfix "^X-Enma-Test: demo-$label[[:space:]]*$")
	if [ -z "$f" ]; then
		echo "   not delivered within ${IT_DELIVERY_TIMEOUT}s"
		return
	fi
	echo "   delivered:"
	# The whole field, folded as delivered.
	awk '/^$/ { exit }
	    /^[^ \t]/ { on = tolower($0) ~ /^authentication-results:/ }
	    on { print "      " $0 }' "$f"
}

it_init demo
trap demo_cleanup EXIT

echo "Starting unbound (zone $IT/zones/example.org.zone), enma and Postfix ..."
it_dns_start --servfail servfail.example.org --timeout timeout.example.org \
    "$IT/zones/example.org.zone" || exit 1
EPORT=$(it_free_port) || exit 1
"$ENMA" -f -o "milter.socket=inet:$EPORT@127.0.0.1" -o milter.pidfile= \
    -o "authresult.identifier=$AUTHSERV" \
    -o common.exclusion_addresses=127.0.0.1 \
    -o dns.nameservers=127.0.0.1 -o "dns.port=$IT_DNS_PORT" \
    -o dns.timeout=2 -o dns.retries=1 \
    </dev/null >"$IT_DIR/enma.log" 2>&1 &
ENMA_DEMO_PID=$!
it_wait_until 10 eval "[[ \$(ss -Hltn 'sport = :$EPORT') == *127.0.0.1:$EPORT* ]]" || {
	echo "demo: enma did not start:" >&2
	cat "$IT_DIR/enma.log" >&2
	exit 1
}
it_postfix_start "inet:$EPORT@127.0.0.1" || exit 1
printf 'DNS on 127.0.0.1:%s, enma on 127.0.0.1:%s, Postfix on 127.0.0.1:%s\n' \
    "$IT_DNS_PORT" "$EPORT" "$IT_POSTFIX_PORT"
echo "Each message goes to Postfix over SMTP; enma adds Authentication-Results (RFC 8601)."

while read -r label mfrom why; do
	show "$label" "$mfrom" "$why"
done <<<"$SAMPLES"

printf '\n== enma logged one line per message:\n'
grep -E ': client=' "$IT_DIR/enma.log" | sed 's/^/   /'

printf '\n== sidfquery -v explains a verdict against the same DNS server:\n'
echo "   \$ sidfquery -v -S 127.0.0.1 -P $IT_DNS_PORT alice@spf-fail.example.org 127.0.0.2"
"$SIDFQUERY" -v -S 127.0.0.1 -P "$IT_DNS_PORT" alice@spf-fail.example.org \
    127.0.0.2 2>&1 | sed 's/^/   /'

printf '\nStopping Postfix, enma (libmilter takes about 5 s) and unbound ...\n'
it_postfix_stop
kill -TERM "$ENMA_DEMO_PID"
wait "$ENMA_DEMO_PID"
ENMA_DEMO_PID=
it_dns_stop
echo "Done."
