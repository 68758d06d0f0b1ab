#!/bin/sh
# Installs what crier needs to build and test on Debian 12 (as root).
# Packages already installed are not fetched again.
set -eu
PKGS="build-essential cmake pkg-config git ca-certificates tzdata time openssl
clang libclang-rt-14-dev clang-format
libcurl4-openssl-dev libjansson-dev libyaml-dev libsodium-dev libcmark-dev
libsqlite3-dev libssl-dev libmicrohttpd-dev libunistring-dev shellcheck
postfix dovecot-core python3 python3-icalendar curl jq"
# postfix and dovecot-core are the real SMTP server and SASL service the
# postfix conformance test starts on loopback ports with a configuration of
# its own; python3's email package parses what they deliver; curl's own
# trace of a login is that test's control for its secret check.
# jq and curl are what the GitHub Action's scripts (scripts/action/) use,
# run by its tests as a runner would.
# python3-icalendar is the second iCalendar parser the calendar tests read
# crier's feed and invitations with (ical.js from npm is the first).
# Node.js and npm install the reference implementations the conformance
# tests use; Debian's are enough where the machine has none of its own.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "crier: these packages are missing:$missing" >&2
  echo "crier: run this script as root, or: sudo apt-get install$missing" >&2
  exit 1
fi
echo "crier: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix is installed unconfigured ("No configuration": no main.cf, no
# mail system for this machine), and no service starts during the install:
# the tests start their own instances. A policy-rc.d that is already there
# (containers have one) is left alone; one made here is removed again.
echo "postfix postfix/main_mailer_type select No configuration" |
  debconf-set-selections
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# crier scripts/deps.sh: no service starts during its install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=600 $missing >/dev/null
