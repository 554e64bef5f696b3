#!/usr/bin/env bash
# test_dns_ldns.sh - the ldns resolver backend against real servers on
# loopback: unbound as lib.sh starts it (TCP on; SERVFAIL and silent zones),
# two more unbound instances from the same configuration (one without TCP,
# one answering at most 512 bytes over UDP), and ldns-testns for answers no
# sane server gives (AD, FORMERR, malformed, wrong ID or question, loops).
# The C driver tests/dnsprobe/dns_ldns_test.c holds the cases; this script
# serves the data they expect and checks with strace that every socket is
# opened close-on-exec.  ENMA_DNS_BENCH=N also times N lookups;
# DNS_LDNS_TEST=PATH runs that driver binary instead of building one.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

BIN=${DNS_LDNS_TEST:-build/tests/dns-ldns-test}

it_init dns-ldns

# build_driver - by the Makefile's rule if it has one, else by hand
build_driver()
{
	# a driver given from outside is taken as it is
	if [ -n "${DNS_LDNS_TEST:-}" ]; then
		[ -x "$BIN" ]
		return
	fi
	if grep -q 'dns-ldns-test' Makefile; then
		make -s "$BIN"
		return
	fi
	make -s build/libenma.a build/tests/dnsprobe/dns_ldns_test.o &&
	    mkdir -p "$(dirname "$BIN")" &&
	    cc -Wl,-z,relro,-z,now -o "$BIN" \
		build/tests/dnsprobe/dns_ldns_test.o build/libenma.a \
		-lldns -lcrypto -lpthread
}

# repeat CHAR N - CHAR N times
repeat() { printf "%*s" "$2" '' | tr ' ' "$1"; }

# --- zone data (the driver's expected values follow from it) ---------------

Z=$IT_DIR/example.org.conf
{
	cat <<'EOF'
local-zone: "example.org." static
local-data: "example.org. 300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300"
local-data: "a.example.org. 300 IN A 192.0.2.1"
local-data: "a.example.org. 300 IN A 192.0.2.2"
local-data: "a.example.org. 300 IN AAAA 2001:db8::1"
local-data: "example.org. 300 IN MX 10 mail.example.org."
local-data: "example.org. 300 IN MX 20 MX2.Example.ORG."
local-data: 'example.org. 300 IN SPF "v=spf1 " "-all"'
local-data: 'two.example.org. 300 IN TXT "v=spf1 " "ip4:192.0.2.0/24 -all"'
local-data: 'empty.example.org. 300 IN TXT ""'
local-data: "c1.example.org. 300 IN CNAME c2.example.org."
local-data: "c2.example.org. 300 IN CNAME a.example.org."
local-zone: "2.0.192.in-addr.arpa." static
local-data: "2.0.192.in-addr.arpa. 300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300"
local-data: "1.2.0.192.in-addr.arpa. 300 IN PTR a.example.org."
EOF
	# 900 bytes in four strings: over 512, under unbound's 1232
	printf "local-data: 'big.example.org. 300 IN TXT \"%s\" \"%s\" \"%s\" \"%s\"'\n" \
	    "$(repeat a 225)" "$(repeat b 225)" "$(repeat c 225)" \
	    "$(repeat d 225)"
	# 5000 bytes: 20 records of 250, over the 4096 of EDNS0
	for i in $(seq -w 1 20); do
		printf "local-data: 'huge.example.org. 300 IN TXT \"%s%s\"'\n" \
		    "$i" "$(repeat x 248)"
	done
	# ENMA_DNS_MAX_RR records, and one more
	for i in $(seq 1 257); do
		[ "$i" -le 256 ] && echo "local-data: \"many256.example.org." \
		    "300 IN A 10.0.$((i / 256)).$((i % 256))\""
		echo "local-data: \"many257.example.org." \
		    "300 IN A 10.1.$((i / 256)).$((i % 256))\""
	done
} >"$Z"

# --- ldns-testns answers ---------------------------------------------------

T=$IT_DIR/testns.data
# entry MATCH-EXTRA FLAGS QNAME QTYPE [RR...] - one canned answer
entry()
{
	local m=$1 flags=$2 q=$3 t=$4 rr
	shift 4
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname%s\nADJUST copy_id\n' "$m"
	printf 'REPLY QR RD RA %s\nSECTION QUESTION\n%s IN %s\n' \
	    "$flags" "$q" "$t"
	printf 'SECTION ANSWER\n'
	for rr; do printf '%s\n' "$rr"; done
	printf 'ENTRY_END\n\n'
}
{
	entry ' DO' 'AD NOERROR' ad.test. A 'ad.test. 300 IN A 192.0.2.10'
	entry '' NOERROR noad.test. A 'noad.test. 300 IN A 192.0.2.12'
	# first match wins: without EDNS old.test answers, with EDNS FORMERR
	entry ' noedns' NOERROR old.test. A 'old.test. 300 IN A 192.0.2.11'
	entry '' FORMERR old.test. A
	entry '' FORMERR formerr.test. A
	entry '' SERVFAIL servfail.test. A
	entry '' REFUSED refused.test. A
	entry '' NXDOMAIN cnamenx.test. A \
	    'cnamenx.test. 300 IN CNAME gone.test.'
	entry '' NOERROR chain.test. A 'chain.test. 300 IN CNAME mid.test.' \
	    'other.test. 300 IN A 192.0.2.52' \
	    'MID.test. 300 IN CNAME end.test.' \
	    'end.test. 300 IN A 192.0.2.50' 'end.test. 300 IN A 192.0.2.51'
	entry '' NOERROR chain.test. CNAME \
	    'chain.test. 300 IN CNAME mid.test.'
	entry '' NOERROR cnodata.test. A \
	    'cnodata.test. 300 IN CNAME target.test.'
	entry '' NOERROR loop.test. A 'loop.test. 300 IN CNAME loop2.test.' \
	    'loop2.test. 300 IN CNAME loop.test.'
	entry '' NOERROR owners.test. A 'other.test. 300 IN A 192.0.2.20' \
	    'OwNeRs.test. 300 IN A 192.0.2.21' \
	    'owners.test. 300 IN AAAA 2001:db8::21' \
	    'owners.test. 300 IN TXT "not an A"'
	entry '' NOERROR escape.test. PTR \
	    'escape.test. 300 IN PTR We\.Ird\032Name.Example.'
	entry '' NOERROR nullmx.test. MX 'nullmx.test. 300 IN MX 0 .'
	entry '' 'TC NOERROR' tc.test. A 'tc.test. 300 IN A 192.0.2.30'
	# no copy_id: the ID of the answer is 0, ours is random
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\n'
	printf 'REPLY QR RD RA NOERROR\nSECTION QUESTION\nbadid.test. IN A\n'
	printf 'SECTION ANSWER\nbadid.test. 300 IN A 192.0.2.41\n'
	printf 'ENTRY_END\n\n'
	# bad.test A: the answer's rdata stops after 2 of its 4 bytes
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
	printf 'REPLY QR\nSECTION QUESTION\nbad.test. IN A\n'
	printf 'HEX_ANSWER_BEGIN\n'
	printf '0000 8180 0001 0001 0000 0000\n'
	printf '03 626164 04 74657374 00 0001 0001\n'
	printf 'c00c 0001 0001 0000012c 0004 c000\n'
	printf 'HEX_ANSWER_END\nENTRY_END\n\n'
	# last, for any other A query (wrongq.test): an answer about
	# another name, which the resolver must not take
	printf 'ENTRY_BEGIN\nMATCH opcode qtype\nADJUST copy_id\n'
	printf 'REPLY QR RD RA NOERROR\nSECTION QUESTION\nother.test. IN A\n'
	printf 'SECTION ANSWER\nother.test. 300 IN A 192.0.2.40\n'
	printf 'ENTRY_END\n'
} >"$T"

# --- servers ----------------------------------------------------------------

it_ok "build the driver" build_driver
it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$Z"

# start_variant NAME LINE - another unbound from the same configuration,
# at a free port, with LINE added to its server clause; prints the port
start_variant()
{
	local name=$1 line=$2 d=$IT_DIR/$1 port
	mkdir -p "$d"
	port=$(it_free_port) || return 1
	sed -e "s/^    port: .*/    port: $port/" \
	    -e "s|^    directory: .*|    directory: \"$d\"|" \
	    -e "s|^    pidfile: .*|    pidfile: \"$d/unbound.pid\"|" \
	    -e "s/^server:\$/server:\n    $line/" \
	    "$IT_DIR/dns/unbound.conf" >"$d/unbound.conf"
	it_spawn "$name" "$d/unbound.log" \
	    "$IT_PKG/unbound/usr/sbin/unbound" -d -c "$d/unbound.conf"
	it_wait_listening "$name" "$port" u 127.0.0.1 || return 1
	eval "PORT_$name=$port"
}

PORT_notcp=0 PORT_small=0 PORT_testns=0
it_ok "unbound without TCP starts" start_variant notcp 'do-tcp: no'
it_ok "unbound with 512-byte UDP starts" start_variant small \
    'max-udp-size: 512'

# ldns-testns binds the wildcard address
PORT_testns=$(it_free_port)
it_spawn testns "$IT_DIR/testns.log" ldns-testns -p "$PORT_testns" "$T"
it_ok "ldns-testns starts" it_wait_listening testns "$PORT_testns" u 0.0.0.0

# --- the driver -------------------------------------------------------------

args=(-p "$IT_DNS_PORT" -n "$PORT_notcp" -u "$PORT_small" -x "$PORT_testns")
[ "$IT_IPV6" = 1 ] && args+=(-6)
[ -n "${ENMA_DNS_BENCH:-}" ] && args+=(-b "$ENMA_DNS_BENCH")
out=$IT_DIR/driver.out
# strace slows every system call: not while timing
if command -v strace >/dev/null && [ -z "${ENMA_DNS_BENCH:-}" ]; then
	strace -f -qq -e trace=socket -o "$IT_DIR/strace.out" \
	    "$BIN" "${args[@]}" >"$out" 2>&1
else
	"$BIN" "${args[@]}" >"$out" 2>&1
fi
rc=$?
cat "$out"
line=$(grep -E '^dns_ldns: [0-9]+ passed, [0-9]+ failed$' "$out")
if [ -n "$line" ]; then
	p=${line#dns_ldns: }
	IT_PASSED=$((IT_PASSED + ${p%% passed*}))
	f=${p#*passed, }
	IT_FAILED=$((IT_FAILED + ${f%% failed}))
	it_eq "driver exit status" 0 "$rc"
else
	it_fail "driver ran to the end" "exit $rc, no summary line"
fi

if [ -s "$IT_DIR/strace.out" ]; then
	n=$(grep -c 'socket(' "$IT_DIR/strace.out")
	bad=$(grep 'socket(' "$IT_DIR/strace.out" | grep -vc SOCK_CLOEXEC)
	it_match "sockets were opened ($n)" '^[1-9][0-9]*$' "$n"
	it_eq "every socket close-on-exec" 0 "$bad"
fi

it_summary
