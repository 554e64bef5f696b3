#!/usr/bin/env bash
# deps.sh - install what ENMA needs to build and test, on Debian 12.
#
#   scripts/deps.sh         build and test packages (apt-get, only if missing)
#   scripts/deps.sh mta     also fetch and unpack Postfix, Sendmail, Exim
#                           (exim4-daemon-heavy), OpenSMTPD, unbound and nsd into
#                           ${ENMA_MTA_CACHE:-/var/tmp/enma-mta} for the
#                           integration tests (never installed system-wide:
#                           the MTAs conflict with each other and with the host)
#
# Idempotent and quiet: one line per action taken, nothing when all is there.
# See ../shared/mta/RECIPES.md section 1 for why it is done this way.
set -euo pipefail

PKGS=(gcc make pkg-config libc6-dev m4 libssl-dev libldns-dev libmilter-dev
    libyaml-dev libunbound-dev libspf2-dev clang libclang-rt-14-dev
    swaks miltertest ldnsutils openssl iproute2 libio-socket-inet6-perl
    python3-dkim exim4-dev valgrind libopendkim-dev)
# Unpacked into the cache; sendmail-* share one root, like an installed system.
MTA_DEBS=(postfix sendmail-bin sendmail-base sendmail-cf unbound nsd
    exim4-daemon-heavy)
# OpenSMTPD 6.8 for the filter-enma tests (RECIPES.md section 6).
MTA_DEBS+=(opensmtpd)
CACHE=${ENMA_MTA_CACHE:-/var/tmp/enma-mta}

# --no-upgrade always: naming an installed library without it upgrades half
# the system (RECIPES.md section 1).
APT_INSTALL=(apt-get install -y -q --no-install-recommends --no-upgrade)
apt_updated=

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

# quietly CMD... - run CMD, show its output only if it fails
quietly()
{
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" >&2
	return "$rc"
}

installed()
{
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# apt_ensure PKG... - install the packages that are not installed yet
apt_ensure()
{
	local p missing=()
	for p in "$@"; do
		installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; as root run: apt-get update &&" \
		    "${APT_INSTALL[*]} ${missing[*]}"
	fi
	apt_update
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive quietly "${APT_INSTALL[@]}" "${missing[@]}"
}

# apt_update - once per run, and only when something is to be fetched
apt_update()
{
	[ -n "$apt_updated" ] && return 0
	[ "$(id -u)" -eq 0 ] || return 0   # non-root: use the lists as they are
	say "apt-get update"
	quietly apt-get update -q
	apt_updated=1
}

# newest_deb NAME - path of the newest cached .deb of package NAME, if any
newest_deb()
{
	local debs=("$CACHE/debs/$1"_*.deb)
	[ -e "${debs[0]}" ] || return 1
	printf '%s\n' "${debs[@]}" | sort -V | tail -n 1
}

# fetch_debs - apt-get download the .debs that are not in the cache yet
fetch_debs()
{
	local p missing=()
	for p in "${MTA_DEBS[@]}"; do
		newest_deb "$p" >/dev/null || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update
	say "downloading ${missing[*]} to $CACHE/debs"
	# As root apt warns "Download is performed unsandboxed": harmless.
	(cd "$CACHE/debs" && quietly apt-get download -q "${missing[@]}" &&
	    chmod a+r ./*.deb)
}

# unpack ROOT DEB... - dpkg -x the .debs into $CACHE/pkg/ROOT, once; a
# half-finished unpack (interrupted run) is redone because it lands under a
# temporary name and is renamed only when complete.
unpack()
{
	local root=$1 dest tmp deb
	shift
	dest=$CACHE/pkg/$root
	[ -d "$dest" ] && return 0
	tmp=$dest.partial
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for deb in "$@"; do
		dpkg -x "$(newest_deb "$deb")" "$tmp"
	done
	# Tests may run daemons as other users: dirs need x, files need r.
	chmod -R a+rX "$tmp"
	mv "$tmp" "$dest"
	say "unpacked $* into $dest"
}

# lib_depends - every lib* package named in the cached .debs' Depends
lib_depends()
{
	local p
	for p in "${MTA_DEBS[@]}"; do
		dpkg-deb -f "$(newest_deb "$p")" Depends
	done | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g' | grep '^lib' | sort -u
}

# public_dir DIR - make DIR, readable by all, unless it exists
public_dir()
{
	[ -d "$1" ] && return 0
	mkdir -p "$1"
	chmod 755 "$1"
}

mta_cache()
{
	public_dir "$CACHE"
	public_dir "$CACHE/debs"
	public_dir "$CACHE/pkg"
	fetch_debs
	unpack postfix postfix
	unpack sendmail sendmail-bin sendmail-base sendmail-cf
	unpack unbound unbound
	unpack nsd nsd
	unpack opensmtpd opensmtpd
	# Only the daemon: exim4-base's scripts and config are not needed
	# (RECIPES.md section 5); the binary is set-uid root as unpacked.
	unpack exim4-daemon-heavy exim4-daemon-heavy
	# mapfile, not $(...): a failing lib_depends must stop the script
	local libs
	mapfile -t libs < <(lib_depends)
	apt_ensure "${libs[@]}"
}

main()
{
	case ${1:-} in
	'') apt_ensure "${PKGS[@]}" ;;
	mta) apt_ensure "${PKGS[@]}"; mta_cache ;;
	*) die "usage: $0 [mta]" ;;
	esac
}

main "$@"
