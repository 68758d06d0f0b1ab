#!/bin/sh
# A private Postfix with Dovecot SASL for the postfix conformance test, in a
# directory of its own: its own config_directory, queue, data directory,
# Maildirs, certificates and Dovecot base_dir, listening only on 127.0.0.1.
# The machine's own mail setup (/etc/postfix, /etc/dovecot, port 25) is not
# read, changed or used.
#
#   postfix.sh check                      why it cannot run (exit 77), or 0
#   postfix.sh start DIR POLICY SUBMIT SMTPS PLAIN SMALL NOAUTH
#   postfix.sh stop DIR
#
# start needs root (Postfix's master runs as root and drops to 'postfix').
# Ports (127.0.0.1):
#   SUBMIT  STARTTLS offered, AUTH (PLAIN, LOGIN via Dovecot) only after it
#   SMTPS   TLS from the first byte (wrapper mode)
#   PLAIN   no TLS at all, AUTH offered in the clear
#   SMALL   like SUBMIT, with message_size_limit 4000 (SIZE in EHLO)
#   NOAUTH  like SUBMIT, without AUTH
#   POLICY  a policy service (Postfix's policy delegation protocol) that the
#           test runs; asked at RCPT and at the end of DATA, its answers
#           make the temporary and permanent refusals the test needs
# Mailboxes (Maildir, under DIR/mail/crier.test/NAME/): list, other,
# second, deferred; any other address at crier.test is unknown (550 5.1.1).
# SASL users (Dovecot passwd-file): crier / smtp-pass.
set -eu

check() {
  for p in /usr/sbin/postfix /usr/lib/postfix/sbin/master /usr/sbin/dovecot \
    /usr/bin/openssl; do
    if [ ! -x "$p" ]; then
      echo "$p is absent (scripts/deps.sh installs postfix, dovecot-core, openssl)"
      return 77
    fi
  done
  if [ "$(id -u)" != 0 ]; then
    echo "Postfix's master must be started as root (this is uid $(id -u))"
    return 77
  fi
  if ! id postfix >/dev/null 2>&1 || ! getent group postdrop >/dev/null; then
    echo "the postfix user or the postdrop group is missing"
    return 77
  fi
  return 0
}

tls() {
  t=$1/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=crier test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=mx.crier.test" \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:mx.crier.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
    -CAcreateserial -days 2 -extfile "$t/ext" -out "$t/server.pem" 2>/dev/null
  chmod 600 "$t/server.key" "$t/ca.key"
}

start() {
  d=$1 policy=$2 submit=$3 smtps=$4 plain=$5 small=$6 noauth=$7
  mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/mail" "$d/log" "$d/dovecot/run"
  chmod 755 "$d" "$d/etc" "$d/spool" "$d/log" "$d/dovecot"
  chown postfix "$d/data"
  chown nobody:nogroup "$d/mail"
  tls "$d"
  : >"$d/log/maillog"
  for box in list other second deferred; do
    echo "$box@crier.test crier.test/$box/"
  done >"$d/etc/vmailbox"
  cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $d/log/maillog
maillog_file_prefixes = $d/log
myhostname = mx.crier.test
mydomain = crier.test
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks =
relayhost =
alias_maps =
alias_database =
local_transport = error:5.1.1 no local delivery here
default_transport = error:5.4.4 no delivery outside crier.test
virtual_mailbox_domains = crier.test
virtual_mailbox_base = $d/mail
virtual_mailbox_maps = texthash:$d/etc/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtputf8_enable = yes
smtpd_banner = \$myhostname ESMTP
smtpd_tls_cert_file = $d/tls/server.pem
smtpd_tls_key_file = $d/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = yes
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient,
    check_policy_service { inet:127.0.0.1:$policy, default_action=DUNNO },
    permit_sasl_authenticated, reject
smtpd_end_of_data_restrictions =
    check_policy_service { inet:127.0.0.1:$policy, default_action=DUNNO }
smtpd_policy_service_timeout = 60s
smtpd_policy_service_request_limit = 1
EOF
  sed -e "s|@SUBMIT@|$submit|" -e "s|@SMTPS@|$smtps|" -e "s|@PLAIN@|$plain|" \
    -e "s|@SMALL@|$small|" -e "s|@NOAUTH@|$noauth|" >"$d/etc/master.cf" <<'EOF'
127.0.0.1:@SUBMIT@ inet n - n - - smtpd
127.0.0.1:@SMTPS@ inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:@PLAIN@ inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no
127.0.0.1:@SMALL@ inet n - n - - smtpd -o message_size_limit=4000
127.0.0.1:@NOAUTH@ inet n - n - - smtpd -o smtpd_sasl_auth_enable=no
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
  # Dovecot: only the auth service, its socket in Postfix's private queue
  # directory, users from a passwd-file
  v=$d/dovecot
  echo "crier:{PLAIN}smtp-pass" >"$v/users"
  chmod 644 "$v/users"
  cat >"$v/dovecot.conf" <<EOF
base_dir = $v/run
state_dir = $v/run
instance_name = crier-test-$$
protocols =
listen = 127.0.0.1
ssl = no
log_path = $d/log/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $v/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service auth {
  unix_listener $d/spool/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
  unix_listener auth-userdb {
    mode = 0600
  }
}
service anvil {
  chroot =
}
EOF
  if ! {
    postfix -c "$d/etc" check && postfix -c "$d/etc" start &&
      dovecot -c "$v/dovecot.conf"
  } >>"$d/log/start.log" 2>&1; then
    cat "$d/log/start.log" >&2
    stop "$d"
    return 1
  fi
}

# Waits (at most 10 s) until the process in pid file $1 is gone.
gone() {
  pid=$(tr -d ' ' <"$1" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
}

# Stops this instance's Postfix and Dovecot (by their pid files, never by
# name) and waits until both are gone.
stop() {
  d=$1
  if [ -f "$d/etc/main.cf" ]; then
    postfix -c "$d/etc" stop >/dev/null 2>&1 || true
    gone "$d/spool/pid/master.pid"
  fi
  if [ -f "$d/dovecot/run/master.pid" ]; then
    pidfile=$d/dovecot/run/master.pid
    kill "$(cat "$pidfile")" 2>/dev/null || true
    gone "$pidfile"
  fi
}

cmd=${1:-}
case $cmd in
check) check ;;
start) shift; check >&2 || exit $?; start "$@" ;;
stop) shift; stop "$@" ;;
*) echo "usage: $0 check | start DIR POLICY SUBMIT SMTPS PLAIN SMALL NOAUTH | stop DIR" >&2; exit 64 ;;
esac
