#!/usr/bin/env bash
# test_milter.sh - the enma milter behind real Postfix 3.7 and Sendmail 8.17
#
#	bash tests/integration/test_milter.sh [postfix] [sendmail]
#
# unbound serves zones/example.org.zone and zones/dkim.example.org.zone on
# loopback; one enma (foreground) serves both MTAs; every scenario of the
# tables below is sent to each MTA with swaks and checked in the DELIVERED
# message, never in a log.  The expected verdicts were derived by hand from
# RFC 7208 (SPF), RFC 4406/4407 (Sender ID), RFC 6376, 8301 and 8463
# (DKIM), RFC 5617 (ADSP) and RFC 8601 (Authentication-Results) for the
# zone data, whose comments give the rule for each name; the DKIM messages
# are signed at test time by dkimpy (dkim_sign.py), an independent signer.  Then the daemon itself: its flags,
# a configuration error (exit 78, "file:line: reason"), the sample
# conf/enma.conf in daemon mode (pid file, user switch after binding a unix
# socket with its mode, the pid file's directory made), command-line
# errors (exit 64), the default /etc/enma/enma.conf, the warning for an
# authserv-id without a dot, and a clean stop on SIGTERM.  Needs root and
# `scripts/deps.sh mta`.  Prints "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

ENMA=${ENMA:-$TOP/build/enma}
AUTHSERV=mx.example.test
MTAS=("$@")
[ ${#MTAS[@]} -gt 0 ] || MTAS=(postfix sendmail)

# Scenarios shared by both MTAs.  Columns: name, client address (::1 =
# IPv6), HELO name, MAIL FROM ('<>' = null sender), message template in
# msgs/, From: address, Sender: address ('-' = none), then the checks on
# the delivered message:
#   METHOD=RESULT   our Authentication-Results has that verdict
#   PTYPE.PROP=VAL  ... and that property (RFC 8601 2.2)
#   re:ERE          ... matches ERE (lower-cased header)
#   no-ours         no Authentication-Results with our authserv-id
#   one-ours        exactly one, and it is ours
#   foreign         the other.example.net field is still there
#   no-forged       no trace of the forged fields' text
#   top             ours is above the MTA's Received: (DESIGN; PITFALLS 9)
# Client 127.0.0.1 is excluded (-o common.exclusion_addresses=127.0.0.1).
SCENARIOS=$(cat <<'EOF'
# RFC 7208 results for the MAIL FROM identity; the From: domain has the
# same v=spf1 record, used for the PRA too (RFC 4406 3.4).
pass       127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@spf-pass.example.org  - spf=pass smtp.mailfrom=alice@spf-pass.example.org sender-id=pass header.from=alice@spf-pass.example.org one-ours top
fail       127.0.0.2 client.example.org alice@spf-fail.example.org     basic  alice@spf-fail.example.org  - spf=fail smtp.mailfrom=alice@spf-fail.example.org sender-id=fail one-ours top
softfail   127.0.0.2 client.example.org alice@spf-softfail.example.org basic alice@spf-softfail.example.org - spf=softfail sender-id=softfail one-ours
neutral    127.0.0.2 client.example.org alice@spf-neutral.example.org  basic  alice@spf-neutral.example.org - spf=neutral sender-id=neutral one-ours
none       127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@spf-none.example.org  - spf=none sender-id=none one-ours
permerror  127.0.0.2 client.example.org alice@spf-permerror.example.org basic alice@spf-permerror.example.org - spf=permerror sender-id=permerror one-ours
include    127.0.0.2 client.example.org alice@spf-include.example.org  basic  alice@spf-pass.example.org  - spf=pass smtp.mailfrom=alice@spf-include.example.org one-ours
# DNS errors: SERVFAIL, and no answer at all (RFC 7208 2.6.6, 4.4); the
# PRA's domain answers, so Sender ID still passes.
servfail   127.0.0.2 client.example.org alice@servfail.example.org     basic  alice@spf-pass.example.org  - spf=temperror sender-id=pass one-ours
timeout    127.0.0.2 client.example.org alice@timeout.example.org      basic  alice@spf-pass.example.org  - spf=temperror sender-id=pass one-ours
# Null sender: the identity is postmaster@<HELO name> (RFC 7208 2.4).
null       127.0.0.2 helo-pass.example.org <>                          basic  alice@spf-pass.example.org  - spf=pass re:smtp\.(mailfrom=postmaster@|helo=)helo-pass\.example\.org one-ours
# IPv6 client.
ipv6       ::1       client.example.org alice@spf-v6.example.org       basic  alice@spf-v6.example.org    - spf=pass sender-id=pass one-ours
# Excluded client: nothing added, the forged field still removed.
excluded   127.0.0.1 client.example.org alice@spf-pass.example.org     forged-excluded alice@spf-pass.example.org - no-ours no-forged
# Two forged fields with our authserv-id (one in another case), one
# foreign: both of ours gone, the foreign kept, our verdict added.
forged     127.0.0.2 client.example.org alice@spf-fail.example.org     forged-two alice@spf-fail.example.org - one-ours spf=fail sender-id=fail foreign no-forged top
# Sender ID (RFC 4406, 4407): spf2.0/pra records; the PRA is From:, or
# Sender: when there is one (RFC 4407 2).
sid-pass   127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@sid-pass.example.org  - sender-id=pass header.from=alice@sid-pass.example.org spf=none one-ours
sid-fail   127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@sid-fail.example.org  - sender-id=fail header.from=alice@sid-fail.example.org spf=pass one-ours
sid-sender 127.0.0.2 client.example.org alice@spf-pass.example.org     sender alice@sid-fail.example.org bob@sid-pass.example.org sender-id=pass header.sender=bob@sid-pass.example.org spf=pass one-ours
EOF
)
# DKIM (RFC 6376) and ADSP (RFC 5617): the DKIM_SCENARIOS table of
# dkim_cases.sh (shared with test_exim.sh), run by run_dkim_table below.
. "$HERE/dkim_cases.sh"

# Sent after the DNS server is stopped: still delivered, with temperror.
SCENARIO_DNS_DOWN='dns-down 127.0.0.2 client.example.org alice@spf-pass.example.org basic alice@spf-pass.example.org - spf=temperror sender-id=temperror one-ours top'

declare -A ENMA_PID=() ENMA_RC=()

# milter_cleanup - our daemons first (by PID), then the harness's
milter_cleanup()
{
	local n
	for n in "${!ENMA_PID[@]}"; do
		kill -KILL "${ENMA_PID[$n]}" 2>/dev/null
		wait "${ENMA_PID[$n]}" 2>/dev/null
	done
	[ -s "$IT_DIR/run/pid/enma.pid" ] &&
	    kill -KILL "$(tr -dc 0-9 <"$IT_DIR/run/pid/enma.pid")" 2>/dev/null
	_it_cleanup
}

# tcp_listening PORT - something listens on 127.0.0.1:PORT
tcp_listening() { [[ $(ss -Hltn "sport = :$1") == *"127.0.0.1:$1 "* ]]; }

# enma_start NAME PORT ARGS... - enma in the foreground as our direct child
enma_start()
{
	local name=$1 port=$2
	shift 2
	# -c /dev/null: not the host's /etc/enma/enma.conf, should it have one
	"$ENMA" -f -c /dev/null "$@" </dev/null >>"$IT_DIR/$name.log" 2>&1 &
	ENMA_PID[$name]=$!
	it_wait_until 10 tcp_listening "$port" && kill -0 "${ENMA_PID[$name]}"
}

# enma_stop NAME - SIGTERM one enma and reap it: ENMA_RC[NAME]
enma_stop()
{
	local pid=${ENMA_PID[$1]}
	unset "ENMA_PID[$1]"
	kill -TERM "$pid"
	it_wait_until 30 _it_dead "$pid" || kill -KILL "$pid"
	wait "$pid"
	ENMA_RC[$1]=$?
}

# enma_stop_all - SIGTERM every enma at once (libmilter takes ~5 s each),
# then reap them: ENMA_RC[NAME] is each one's exit status.  Not in $(...):
# only this shell can wait for its children.
enma_stop_all()
{
	local n
	for n in "${!ENMA_PID[@]}"; do
		kill -TERM "${ENMA_PID[$n]}"
	done
	for n in "${!ENMA_PID[@]}"; do
		it_wait_until 20 _it_dead "${ENMA_PID[$n]}" ||
		    kill -KILL "${ENMA_PID[$n]}"
		wait "${ENMA_PID[$n]}"
		ENMA_RC[$n]=$?
		unset "ENMA_PID[$n]"
	done
}

# drain_test MTA - SIGTERM while a message waits on the DNS (11 s, the
# timeout scenario): enma finishes it (the mail is delivered with its
# header) before it exits 0 and removes its pid file
drain_test()
{
	local mta=$1 id=$1-drain data spid rc f t
	data=$(make_message "$id" basic alice@spf-pass.example.org -)
	# In the background; only this shell can wait for it.
	it_send "$mta" --source 127.0.0.2 --from alice@timeout.example.org \
	    --data "$data" &
	spid=$!
	sleep 3
	enma_stop enma
	wait "$spid"
	rc=$?
	it_eq "$id: accepted while enma stops" 0 "$rc"
	f=$(it_wait_delivered "$mta" "^X-Enma-Test: $id[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: delivered while enma stops"
	else
		it_pass "$id: delivered while enma stops"
		for t in spf=temperror sender-id=pass one-ours; do
			check "$id" "$f" "$t"
		done
	fi
	it_eq "enma exits 0 on SIGTERM with a message in flight" 0 \
	    "${ENMA_RC[enma]}"
	it_ok "enma removes its pid file" test ! -e "$IT_DIR/enma.pid"
}

# make_message ID TEMPLATE FROM SENDER - the data file for one send
make_message()
{
	local out=$IT_DIR/msg.$1.eml
	sed -e "s/@TESTID@/$1/g" -e "s/@FROM@/$3/g" -e "s/@SENDER@/$4/g" \
	    "$HERE/msgs/$2.eml" >"$out"
	echo "$out"
}

# check ID FILE TOKEN - one expectation on a delivered message
check() { it_check_delivered "$1" "$2" "$3" "the MTA's"; }

# scenario MTA LINE - send one table line to MTA and check the delivery
scenario()
{
	local mta=$1 name src helo mfrom tmpl from sender expect id data f t
	local net=()
	read -r name src helo mfrom tmpl from sender expect <<<"$2"
	id=$mta-$name
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
	it_ok "$id: message accepted" it_send "$mta" "${net[@]}" \
	    --helo "$helo" --from "$mfrom" --data "$data"
	f=$(it_wait_delivered "$mta" "^X-Enma-Test: $id[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: message delivered"
		return
	fi
	it_pass "$id: message delivered"
	for t in $expect; do
		check "$id" "$f" "$t"
	done
}

# run_table MTA TABLE - every scenario line of TABLE
run_table()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		scenario "$1" "$line"
	done <<<"$2"
}

# dkim_scenario MTA LINE - one DKIM_SCENARIOS line
dkim_scenario()
{
	local mta=$1 name from prep expect id data f t
	read -r name from prep expect <<<"$2"
	id=$mta-$name
	data=$(make_message "$id" dkim "$from" -)
	if ! dkim_prep "$data" "$prep" 2>"$IT_DIR/prep.$id.err"; then
		it_fail "$id: signed by dkimpy" "$(cat "$IT_DIR/prep.$id.err")"
		return
	fi
	it_ok "$id: message accepted" it_send "$mta" --source 127.0.0.2 \
	    --from alice@spf-pass.example.org --data "$data"
	f=$(it_wait_delivered "$mta" "^X-Enma-Test: $id[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: message delivered"
		return
	fi
	it_pass "$id: message delivered"
	for t in $expect; do
		check "$id" "$f" "$t"
	done
}

# run_dkim_table MTA - every DKIM_SCENARIOS line
run_dkim_table()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		dkim_scenario "$1" "$line"
	done <<<"$DKIM_SCENARIOS"
}

# --- the milter protocol without an MTA (miltertest) -------------------------

# The cases no MTA here produces on demand: a client address only in
# Sendmail's {client_addr} macro (no sockaddr), an IPv4-mapped IPv6 client,
# no address at all, SMTP AUTH, two messages on one connection, and the
# Sendmail 8.13 mode (no option negotiation).  Globals from -D: PORT,
# MODE ("leadspc": header values sent with their leading space, as the
# negotiated SMFIP_HDR_LEADSPC asks; "813": without, no negotiation).
MT_LUA=$(cat <<'EOF'
local SP = (MODE ~= "813") and " " or ""
local tag = "mt-" .. MODE .. ": "

local function report(ok, name, why)
	if ok then
		mt.echo("ok      " .. tag .. name)
	else
		mt.echo("FAILED  " .. tag .. name .. ": " .. tostring(why))
	end
end

local function step(c, what, rc)
	if rc ~= nil then error(what .. " failed: " .. tostring(rc)) end
	local r = mt.getreply(c)
	if r ~= SMFIR_CONTINUE then
		error(what .. ": reply " .. tostring(r) .. ", not continue")
	end
end

local function open(host, ip, client_addr)
	local c = mt.connect("inet:" .. PORT .. "@127.0.0.1", 40, 0.05)
	if c == nil then error("cannot connect to enma on " .. PORT) end
	if client_addr ~= nil then
		mt.macro(c, SMFIC_CONNECT, "{client_addr}", client_addr)
	end
	step(c, "conninfo", mt.conninfo(c, host, ip))
	step(c, "helo", mt.helo(c, "client.example.org"))
	return c
end

-- message: send one; return the header we inserted (or nil)
local function message(c, mailfrom, from, extra, auth)
	if auth ~= nil then
		mt.macro(c, SMFIC_MAIL, "i", "MTQID1", "{auth_authen}", auth)
	else
		mt.macro(c, SMFIC_MAIL, "i", "MTQID1")
	end
	step(c, "mailfrom", mt.mailfrom(c, mailfrom))
	-- steps the filter declined at negotiation (SMFIP_NO*) are not sent
	if not mt.test_option(c, SMFIP_NORCPT) then
		step(c, "rcptto", mt.rcptto(c, "<bob@example.test>"))
	end
	for _, h in ipairs(extra or {}) do
		step(c, "header " .. h[1], mt.header(c, h[1], SP .. h[2]))
	end
	step(c, "header From", mt.header(c, "From", SP .. "Alice <" .. from .. ">"))
	step(c, "header Subject", mt.header(c, "Subject", SP .. "miltertest"))
	if not mt.test_option(c, SMFIP_NOEOH) then
		step(c, "eoh", mt.eoh(c))
	end
	step(c, "body", mt.bodystring(c, "hello\r\n"))
	if mt.eom(c) ~= nil then error("eom failed") end
	local r = mt.getreply(c)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		error("eom: reply " .. tostring(r) .. ", not accepted")
	end
	if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results") then
		return nil
	end
	return mt.getheader(c, "Authentication-Results", 0)
end

local function has(v, pat) return v ~= nil and string.find(v, pat) ~= nil end

local function case(name, fn)
	local ok, err = pcall(fn)
	if not ok then report(false, name, err) end
end

-- "abandon": only the case below, against an enma that waits 1 s
if MODE ~= "abandon" then

case("client only in {client_addr}", function()
	local c = open("[IPv6:0:0:0:0:0:0:0:1]", "unspec", "IPv6:0:0:0:0:0:0:0:1")
	local v = message(c, "<alice@spf-v6.example.org>", "alice@spf-v6.example.org")
	report(has(v, "spf=pass"), "client only in {client_addr} (IPv6: form): spf=pass", v)
	-- our value as negotiated: a leading space only when the MTA keeps
	-- it (SMFIP_HDR_LEADSPC), so that the field reads "Name: value"
	local lead = (MODE == "leadspc") and "^ mx%.example%.test;" or "^mx%.example%.test;"
	report(has(v, lead), "inserted value starts '" .. SP .. "mx.example.test;'", v)
	mt.disconnect(c)
end)

case("IPv4-mapped client", function()
	local c = open("client.example.org", "::ffff:127.0.0.2")
	local v = message(c, "<alice@spf-pass.example.org>", "alice@spf-pass.example.org")
	report(has(v, "spf=pass"), "IPv4-mapped client is 127.0.0.2: spf=pass", v)
	mt.disconnect(c)
end)

case("no client address", function()
	local c = open("localhost", "unspec")
	local v = message(c, "<alice@spf-pass.example.org>", "alice@spf-pass.example.org")
	report(v ~= nil, "no client address: header still added", v)
	report(v ~= nil and not has(v, "spf=pass"), "no client address: no spf=pass", v)
	mt.disconnect(c)
end)

case("authenticated client", function()
	local c = open("client.example.org", "127.0.0.2")
	local v = message(c, "<alice@spf-fail.example.org>", "alice@spf-fail.example.org",
	    { { "Authentication-Results", "mx.example.test; spf=pass" } }, "alice")
	report(v == nil, "authenticated client: no header added", v)
	report(mt.eom_check(c, MT_HDRDELETE, "Authentication-Results") or
	    mt.eom_check(c, MT_HDRCHANGE, "Authentication-Results"),
	    "authenticated client: forged header deleted", "not deleted")
	mt.disconnect(c)
end)

case("two messages, one connection", function()
	local c = open("client.example.org", "127.0.0.2")
	local v1 = message(c, "<alice@spf-fail.example.org>", "alice@spf-fail.example.org")
	local v2 = message(c, "<alice@spf-pass.example.org>", "alice@spf-pass.example.org")
	report(has(v1, "spf=fail") and has(v2, "spf=pass") and
	    not has(v2, "fail"), "two messages, one connection: each its own verdict",
	    tostring(v1) .. " / " .. tostring(v2))
	mt.disconnect(c)
end)

else

-- The verification outlasts milter.verify_timeout (1 s): MAIL FROM's
-- domain never answers (dns.timeout 11 s).  The message goes on with the
-- engine's fallback header: every method on by default, temperror, the
-- reason a comment, no property (RFC 8601 2.2), folded after each ";";
-- the forged field is still removed.  The next message on the same
-- connection gets a new session and its own verdict.
case("abandoned verification", function()
	local c = open("client.example.org", "127.0.0.2")
	local v = message(c, "<alice@timeout.example.org>", "alice@spf-pass.example.org",
	    { { "Authentication-Results", "mx.example.test; spf=pass" } })
	local why = " (verification abandoned after 1 s)"
	local want = " mx.example.test;\n\tspf=temperror" .. why ..
	    ";\n\tsender-id=temperror" .. why .. ";\n\tdkim=temperror" .. why ..
	    ";\n\tdkim-adsp=temperror" .. why
	report(v == want, "abandoned: the fallback header, temperror for every method",
	    tostring(v))
	report(mt.eom_check(c, MT_HDRDELETE, "Authentication-Results") or
	    mt.eom_check(c, MT_HDRCHANGE, "Authentication-Results"),
	    "abandoned: forged header deleted", "not deleted")
	local v2 = message(c, "<alice@spf-pass.example.org>", "alice@spf-pass.example.org")
	report(has(v2, "spf=pass smtp%.mailfrom=alice@spf%-pass%.example%.org"),
	    "abandoned: the next message on the connection is verified", v2)
	mt.disconnect(c)
end)

end
EOF
)

# mt_run MODE PORT - run the Lua cases against the enma on PORT; count
# the "ok"/"FAILED" lines they print
mt_run()
{
	local out line
	printf '%s\n' "$MT_LUA" >"$IT_DIR/cases.lua"
	out=$(miltertest -D "MODE=$1" -D "PORT=$2" -s "$IT_DIR/cases.lua" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok      "*) it_pass "${line#ok      }" ;;
		"FAILED  "*) it_fail "${line#FAILED  }" ;;
		*) [ -n "$line" ] && it_fail "mt-$1: miltertest" "$line" ;;
		esac
	done <<<"$out"
	[[ $out == *ok* || $out == *FAILED* ]] || it_fail "mt-$1: no case ran"
}

# --- the daemon's command line --------------------------------------------

daemon_flags()
{
	local out keys k missing=''
	out=$("$ENMA" -h 2>&1)
	it_eq "-h exits 0" 0 $?
	# conf/enma.conf documents every key, and -h lists every key.
	keys=$(grep -oE '^[a-z0-9_]+\.[a-z0-9_.]+:' "$TOP/conf/enma.conf" |
	    tr -d :)
	for k in $keys; do
		grep -q -- "-o $k=" <<<"$out" || missing+=" $k"
	done
	it_eq "-h lists every key of conf/enma.conf" "" "$missing"
	it_eq "-h lists no key conf/enma.conf lacks" "$(wc -w <<<"$keys")" \
	    "$(grep -cE -- '-o [a-z0-9_]+\.[a-z0-9_.]+=' <<<"$out")"

	printf 'milter.socket: inet:1@127.0.0.1\nmilter.timeout: soon\n' \
	    >"$IT_DIR/bad.conf"
	out=$("$ENMA" -f -c "$IT_DIR/bad.conf" 2>&1)
	it_eq "bad value: exit 78 (EX_CONFIG)" 78 $?
	it_match "bad value: file:line: reason" "$IT_DIR/bad.conf:2: " "$out"
	# -o is the command line: its errors are usage errors (64), each one
	# line and the synopsis, not the list of keys
	out=$("$ENMA" -f -o no.such.key=1 2>&1)
	it_eq "unknown -o key: exit 64 (EX_USAGE)" 64 $?
	it_match "unknown -o key: named" 'no\.such\.key' "$out"
	it_eq "unknown -o key: two lines" 2 "$(wc -l <<<"$out")"
	"$ENMA" -f -o milter.timeout=soon >/dev/null 2>&1
	it_eq "bad -o value: exit 64" 64 $?
	"$ENMA" -f -o milter.timeout >/dev/null 2>&1
	it_eq "-o without =: exit 64" 64 $?
	out=$("$ENMA" -f -x 2>&1)
	it_eq "unknown flag: exit 64 (EX_USAGE)" 64 $?
	it_match "unknown flag: named, synopsis" \
	    '^enma: unknown option -x.usage: enma ' "$(tr '\n' . <<<"$out")"
	it_eq "unknown flag: two lines" 2 "$(wc -l <<<"$out")"
	out=$("$ENMA" -f -c 2>&1)
	it_eq "-c without a file: exit 64, two lines" "64 2" \
	    "$? $(wc -l <<<"$out")"

	# Without -c, /etc/enma/enma.conf is read when it exists: here a
	# broken one, in an /etc overlay of our own (mount namespace)
	mkdir -p "$IT_DIR/etc-extra/enma"
	printf 'milter.timeout: soon\n' >"$IT_DIR/etc-extra/enma/enma.conf"
	out=$(unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=$1:/etc" \
	    /etc && shift && exec "$@"' sh "$IT_DIR/etc-extra" "$ENMA" -f 2>&1)
	it_eq "no -c: /etc/enma/enma.conf read, exit 78" 78 $?
	it_match "no -c: its error named" \
	    '/etc/enma/enma\.conf:1: milter\.timeout' "$out"
	unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc &&
	    shift && exec "$@"' sh "$IT_DIR/etc-extra" "$ENMA" -f -c /dev/null \
	    -o milter.socket=bad >/dev/null 2>&1
	it_eq "-c: /etc/enma/enma.conf not read (the -o error, 64)" 64 $?
	# the original ENMA's milter.conffile: -o milter.conffile=F is -c F;
	# in a file it is accepted, and one naming another file is reported
	out=$("$ENMA" -f -o "milter.conffile=$IT_DIR/bad.conf" 2>&1)
	it_eq "-o milter.conffile=FILE reads FILE (its error, 78)" 78 $?
	it_match "-o milter.conffile=FILE: named" "$IT_DIR/bad.conf:2: " "$out"
	printf 'milter.conffile: /elsewhere.conf\n' >"$IT_DIR/cf.conf"
	out=$("$ENMA" -f -c "$IT_DIR/cf.conf" -o milter.socket=bad 2>&1)
	it_match "milter.conffile in a file: accepted, reported" \
	    'cf\.conf: milter\.conffile has no effect in a file' "$out"

	# An authserv-id without a dot is not the FQDN RFC 8601 2.5 asks
	# for: a warning at start
	local port pid
	port=$(it_free_port)
	"$ENMA" -f -c /dev/null -o "milter.socket=inet:$port@127.0.0.1" \
	    -o milter.pidfile= -o authresult.identifier=mx </dev/null \
	    >"$IT_DIR/nodot.log" 2>&1 &
	pid=$!
	it_wait_until 10 grep -q 'starting' "$IT_DIR/nodot.log"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	it_match "authserv-id without a dot: warned" \
	    'warning: authserv-id "mx" is not a fully qualified name' \
	    "$(cat "$IT_DIR/nodot.log")"
}

# daemon_start PORTFILE - the sample configuration, daemonised: the user
# switch (daemon), a unix socket with its mode, the pid file
daemon_start()
{
	local run=$IT_DIR/run
	mkdir -p "$run"
	# the pid file's directory is not there: enma makes it, owned by
	# milter.user, who removes the file after the switch
	"$ENMA" -c "$TOP/conf/enma.conf" -o "milter.socket=unix:$run/enma.sock" \
	    -o "milter.pidfile=$run/pid/enma.pid" -o milter.socket_mode=0620 \
	    -o "dns.nameservers=127.0.0.1" -o "dns.port=$IT_DNS_PORT" \
	    >"$IT_DIR/daemon.out" 2>&1
	it_eq "daemon mode: parent exits 0" 0 $?
	if ! it_wait_until 5 test -s "$run/pid/enma.pid"; then
		it_fail "daemon mode: pid file written" "$(cat "$IT_DIR/daemon.out")"
		return
	fi
	it_pass "daemon mode: pid file written"
	it_eq "daemon mode: pid directory made, owned by milter.user" \
	    daemon "$(stat -c %U "$run/pid")"
	DAEMON_PID=$(tr -dc 0-9 <"$run/pid/enma.pid")
	it_ok "daemon mode: process alive" kill -0 "$DAEMON_PID"
	it_eq "daemon mode: runs as milter.user" daemon \
	    "$(ps -o user= -p "$DAEMON_PID" | tr -d ' ')"
	# Double fork: the daemon is in a session of its own, which it does
	# not lead (so it can never get a controlling terminal back).
	it_eq "daemon mode: new session, no terminal" "new ?" \
	    "$(ps -o sid=,tty= -p "$DAEMON_PID" | awk -v me="$(ps -o sid= -p $$)" \
	    -v pid="$DAEMON_PID" '{ print ($1 != me + 0 && $1 != pid ? "new" : $1), $2 }')"
	it_eq "daemon mode: socket mode and owner" "620 daemon" \
	    "$(stat -c '%a %U' "$run/enma.sock" 2>&1)"
}

# daemon_stop - SIGTERM: the process ends and removes its pid file
daemon_stop()
{
	local run=$IT_DIR/run
	[ -n "${DAEMON_PID:-}" ] || return
	kill -TERM "$DAEMON_PID"
	if it_wait_until 20 _it_dead "$DAEMON_PID"; then
		it_pass "daemon mode: exits on SIGTERM"
	else
		it_fail "daemon mode: exits on SIGTERM"
		kill -KILL "$DAEMON_PID"
	fi
	it_ok "daemon mode: pid file removed" test ! -e "$run/pid/enma.pid"
}

# sourced by test_sanitized_daemons.sh for its functions: stop here
[ -z "${ENMA_IT_LIBRARY:-}" ] || return 0

# --- main ---------------------------------------------------------------------

it_init milter
trap milter_cleanup EXIT

if [ ! -x "$ENMA" ]; then
	it_fail "build/enma exists (run make first)"
	it_summary
	exit
fi

daemon_flags

it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$HERE/zones/example.org.zone" \
    "$HERE/zones/dkim.example.org.zone"

# dns.timeout 11 s: the no-answer scenario keeps end of message past
# Sendmail's 10 s reply timeout (T=...R:10s), so the mail only gets
# through if enma reports progress (smfi_progress) while it waits.
EPORT=$(it_free_port)
ENMA_ARGS=(-o "milter.socket=inet:$EPORT@127.0.0.1"
    -o "milter.pidfile=$IT_DIR/enma.pid"
    -o "authresult.identifier=$AUTHSERV"
    -o "common.exclusion_addresses=127.0.0.1"
    -o "dns.nameservers=127.0.0.1" -o "dns.port=$IT_DNS_PORT"
    -o dns.timeout=11 -o dns.retries=1 -o dns.message_timeout=15)
it_ok "enma starts" enma_start enma "$EPORT" "${ENMA_ARGS[@]}"
it_ok "enma writes its pid file" test -s "$IT_DIR/enma.pid"
EPORT813=$(it_free_port)
it_ok "enma (sendmail813) starts" enma_start enma813 "$EPORT813" \
    -o "milter.socket=inet:$EPORT813@127.0.0.1" -o milter.pidfile= \
    -o milter.sendmail813=true -o "authresult.identifier=$AUTHSERV" \
    -o "common.exclusion_addresses=127.0.0.1" \
    -o "dns.nameservers=127.0.0.1" -o "dns.port=$IT_DNS_PORT"

# milter.verify_timeout 1 s, below the DNS budget: a message whose DNS
# never answers is abandoned (the fallback header, then the next message)
EPORTAB=$(it_free_port)
it_ok "enma (verify_timeout 1 s) starts" enma_start enmaab "$EPORTAB" \
    -o "milter.socket=inet:$EPORTAB@127.0.0.1" -o milter.pidfile= \
    -o milter.verify_timeout=1 -o "authresult.identifier=$AUTHSERV" \
    -o "common.exclusion_addresses=127.0.0.1" \
    -o "dns.nameservers=127.0.0.1" -o "dns.port=$IT_DNS_PORT" \
    -o dns.timeout=11 -o dns.retries=1 -o dns.message_timeout=15

daemon_start
mt_run leadspc "$EPORT"
mt_run 813 "$EPORT813"
mt_run abandon "$EPORTAB"
it_match "abandoned: warned at start that the wait is below the DNS budget" \
    'milter\.verify_timeout 1 s is below dns\.message_timeout 15 s' \
    "$(cat "$IT_DIR/enmaab.log")"
it_match "abandoned: logged with the verdicts and the reason" \
    'client=127\.0\.0\.2 spf=temperror sender-id=temperror dkim=temperror dkim-adsp=temperror deleted-forged=1 \(verification abandoned after 1 s\)' \
    "$(cat "$IT_DIR/enmaab.log")"

for mta in "${MTAS[@]}"; do
	it_ok "$mta starts" "it_${mta}_start" "inet:$EPORT@127.0.0.1"
done
for mta in "${MTAS[@]}"; do
	run_table "$mta" "$SCENARIOS"
	run_dkim_table "$mta"
done

# One log line per message, with the MTA's queue id and the verdicts.
it_match "log line with queue id and verdicts" \
    ': client=127\.0\.0\.2 .*spf=pass' "$(cat "$IT_DIR/enma.log")"

drain_test "${MTAS[0]}"
daemon_stop

# The DNS server gone: a new enma on the same socket (the MTAs still
# point there), the same settings.
it_ok "enma starts again" enma_start enma "$EPORT" "${ENMA_ARGS[@]}"
it_dns_stop
for mta in "${MTAS[@]}"; do
	run_table "$mta" "$SCENARIO_DNS_DOWN"
done

for mta in "${MTAS[@]}"; do
	"it_${mta}_stop"
done
enma_stop_all
it_eq "enma exits 0 on SIGTERM, idle" 0 "${ENMA_RC[enma]}"
it_eq "enma (sendmail813) exits 0 on SIGTERM" 0 "${ENMA_RC[enma813]}"

it_summary
