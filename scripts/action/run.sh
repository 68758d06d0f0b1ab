#!/bin/bash
# The crier command of the composite action (action.yml). The inputs
# arrive in the environment, never pasted into a script: CRIER_CONFIG,
# CRIER_COMMAND (checked against a list) and CRIER_ARGS (split into words
# at white space; no quoting, globbing or substitution happens to them).
#
# - On a pull request crier sends nothing and writes no state: command
#   changed becomes the preview (preview.sh), check stays a check, and
#   every other command is refused.
# - changed without --base, --head or --since-state catches up with
#   everything since the last commit crier finished (the state): on a
#   push from github.event.before to github.event.after (a force-push or
#   a new branch included), otherwise up to the checked-out HEAD.
# - Exit 75 (a temporary failure: try again later) on a scheduled run is a
#   warning, not a failed run: the next scheduled run tries again.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

case "${CRIER_COMMAND:-}" in
check | list | preview | run | announce | changed | status | calendar) ;;
*)
  echo "::error::crier action: 'command' must be check, list, preview, run, announce, changed, status or calendar"
  exit 64
  ;;
esac
read -r -a words <<<"${CRIER_ARGS:-}"

case "${GITHUB_EVENT_NAME:-}" in
pull_request | pull_request_target)
  if [ "$CRIER_COMMAND" = changed ]; then
    exec "$here/preview.sh"
  fi
  if [ "$CRIER_COMMAND" != check ]; then
    echo "::error::crier action: on a pull request crier only previews (command: changed) or checks (command: check); it sends nothing"
    exit 64
  fi
  ;;
esac

if [ "$CRIER_COMMAND" = changed ]; then
  explicit=false
  for w in "${words[@]}"; do
    case "$w" in
    --base | --base=* | --head | --head=* | --since-state) explicit=true ;;
    esac
  done
  if ! $explicit && [ "${GITHUB_EVENT_NAME:-}" = push ]; then
    after=${CRIER_AFTER:-}
    if [ -z "${after//0/}" ]; then
      echo "crier: the push deleted the branch: nothing to announce"
      exit 0
    fi
    words=(--since-state --base "${CRIER_BEFORE:-}" --head "$after" "${words[@]}")
  elif ! $explicit; then
    words=(--since-state --head HEAD "${words[@]}")
  fi
fi

crier -c "${CRIER_CONFIG:-crier.yaml}" "$CRIER_COMMAND" "${words[@]}"
rc=$?
if [ "$rc" = 75 ] && [ "${GITHUB_EVENT_NAME:-}" = schedule ]; then
  echo "::warning title=crier $CRIER_COMMAND::a temporary failure (exit 75: a channel did not answer, or was busy): what was not sent is tried again by the next scheduled run"
  exit 0
fi
exit "$rc"
