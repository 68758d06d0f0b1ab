#!/bin/bash
# crier's state between runs of the composite action (action.yml): the
# journal (what was sent, where; no secrets) and its tokens file (the
# rotating Meetup refresh token), kept on a branch of the site's own
# repository (input state-branch, default crier-state), with an Actions
# cache in front of it.
#
#   state.sh tip      to $GITHUB_OUTPUT: the branch's commit (tip; empty
#                     when there is no branch yet), the cache key of that
#                     state (key; empty when there is nothing to fetch)
#                     and the cache directory (dir)
#   state.sh restore  puts the journal where crier.yaml says, from the
#                     cache when it holds the tip, else from the branch;
#                     the tokens file is unsealed with $CRIER_STATE_KEY
#   state.sh save     when the journal or the tokens changed: one new
#                     commit, pushed only if the branch is still at the
#                     commit that was restored (a compare-and-swap); the
#                     cache key of the new state to $GITHUB_OUTPUT
#
# The branch holds a single commit without parents: a checkout with
# fetch-depth 0 fetches one journal, not every journal there ever was. Runs
# must not overlap (the workflow's concurrency group); if one did, its push
# is refused, its journal is pushed to a branch of its own and the step
# fails, so that nothing is overwritten. The tokens file is committed only
# sealed (crier state seal, libsodium secretbox) and only with a key:
# without one it is not kept, with a warning.
#
# Environment: CRIER_CONFIG, CRIER_STATE_BRANCH, CRIER_STATE_KEY (may be
# empty), CRIER_STATE_TIP (restore), RUNNER_TEMP, GITHUB_OUTPUT; git runs in
# the site's checkout (the working directory) against its remote origin,
# with the checkout's credentials.
set -euo pipefail
branch=${CRIER_STATE_BRANCH:?}
book="${RUNNER_TEMP:?}/crier-state"   # what this job restored
cache="$RUNNER_TEMP/crier-state-cache" # what the Actions cache keeps
out=${GITHUB_OUTPUT:-/dev/null}
mkdir -p "$book"
tmp=$(mktemp -d "$RUNNER_TEMP/crier-state.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

paths() {
  crier -c "${CRIER_CONFIG:?}" --json state paths >"$tmp/paths" || {
    echo "::error::crier: cannot read ${CRIER_CONFIG}"
    exit 78
  }
  journal=$(jq -r .journal "$tmp/paths")
  tokens=$(jq -r .tokens "$tmp/paths")
}

have_key() { [ -n "${CRIER_STATE_KEY:-}" ]; }

case "${1:-}" in
tip)
  if ! git ls-remote --heads origin >"$tmp/heads"; then
    echo "::error::crier: cannot reach the repository's remote (origin) to find the state branch $branch"
    exit 69
  fi
  tip=$(awk -v r="refs/heads/$branch" '$2 == r { print $1 }' "$tmp/heads")
  key=""
  if [ -n "$tip" ] && [ "$(cat "$book/commit" 2>/dev/null)" != "$tip" ]; then
    key="crier-state-$tip"
  fi
  {
    echo "tip=$tip"
    echo "key=$key"
    echo "dir=$cache"
  } >>"$out"
  ;;
restore)
  paths
  tip=${CRIER_STATE_TIP:-}
  if [ -f "$journal" ] && [ "$(cat "$book/commit" 2>/dev/null)" = "${tip:-none}" ]; then
    echo "crier: the journal is the state of $branch (${tip:-empty}) already"
    exit 0
  fi
  if [ -e "$journal" ]; then
    echo "::warning::crier: $journal was there before the state was restored; the journal of the branch $branch replaces it"
  fi
  rm -f "$journal" "$journal-wal" "$journal-shm" "$tokens"
  mkdir -p "$(dirname "$journal")"
  : >"$book/tokens.sha256"
  : >"$book/tokens.blob"
  if [ -z "$tip" ]; then
    echo "crier: there is no branch $branch yet: an empty journal"
    echo none >"$book/commit"
    : >"$book/tree"
    exit 0
  fi
  if [ "$(cat "$cache/commit" 2>/dev/null)" = "$tip" ]; then
    for f in journal.db journal.db-wal tokens.sealed; do
      if [ -f "$cache/$f" ]; then cp "$cache/$f" "$tmp/$f"; fi
    done
    cp "$cache/tree" "$book/tree"
    echo "crier: the state $tip from the cache"
  else
    git fetch --quiet --no-tags --depth=1 origin "+refs/heads/$branch:refs/crier/state"
    # the branch may have moved since tip was read: this is what we hold
    tip=$(git rev-parse refs/crier/state)
    for f in journal.db journal.db-wal tokens.sealed; do
      if git cat-file -e "$tip:$f" 2>/dev/null; then
        git cat-file blob "$tip:$f" >"$tmp/$f"
      fi
    done
    git rev-parse "$tip^{tree}" >"$book/tree"
    echo "crier: the state $tip from the branch $branch"
  fi
  [ -f "$tmp/journal.db" ] && mv "$tmp/journal.db" "$journal"
  [ -f "$tmp/journal.db-wal" ] && mv "$tmp/journal.db-wal" "$journal-wal"
  chmod 600 "$journal"* 2>/dev/null || true
  if [ -f "$tmp/tokens.sealed" ]; then
    git hash-object -w "$tmp/tokens.sealed" >"$book/tokens.blob"
    if have_key; then
      if ! crier state unseal "$tmp/tokens.sealed" "$tokens"; then
        echo "::error::crier: the tokens in the branch $branch do not open with the state-key input (was CRIER_STATE_KEY changed?)"
        exit 78
      fi
      sha256sum <"$tokens" >"$book/tokens.sha256"
    else
      echo "::warning::crier: the branch $branch holds sealed tokens (a Meetup refresh token), but the state-key input is empty: crier cannot use them"
    fi
  fi
  echo "$tip" >"$book/commit"
  echo "commit=$tip" >>"$out"
  ;;
save)
  case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target)
    echo "crier: nothing is saved from a pull request"
    exit 0
    ;;
  esac
  have=$(cat "$book/commit" 2>/dev/null) || {
    echo "crier: the state was not restored: nothing to save"
    exit 0
  }
  paths
  if [ ! -f "$journal" ]; then
    echo "crier: no journal at $journal: nothing to save"
    exit 0
  fi
  export GIT_AUTHOR_NAME="github-actions[bot]" GIT_COMMITTER_NAME="github-actions[bot]"
  export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
  export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
  printf '100644 blob %s\tjournal.db\n' "$(git hash-object -w "$journal")" >"$tmp/tree"
  if [ -s "$journal-wal" ]; then
    printf '100644 blob %s\tjournal.db-wal\n' "$(git hash-object -w "$journal-wal")" >>"$tmp/tree"
  fi
  sealed=""
  if [ ! -f "$tokens" ] && [ -s "$book/tokens.blob" ]; then
    # tokens this run could not unseal (no key): kept as they are
    sealed=$(cat "$book/tokens.blob")
    printf '100644 blob %s\ttokens.sealed\n' "$sealed" >>"$tmp/tree"
  elif [ -f "$tokens" ] && ! have_key; then
    echo "::warning::crier: $tokens (the rotating Meetup refresh token) is not kept: the state-key input is empty, and the branch $branch would publish it. The next run cannot use it: use Meetup's JWT flow in CI, or set state-key (see crier's README, State in GitHub Actions)"
  elif [ -f "$tokens" ]; then
    if [ -s "$book/tokens.blob" ] && sha256sum <"$tokens" | cmp -s - "$book/tokens.sha256"; then
      sealed=$(cat "$book/tokens.blob") # unchanged: the same sealed bytes
    else
      crier state seal "$tokens" "$tmp/tokens.sealed"
      sealed=$(git hash-object -w "$tmp/tokens.sealed")
    fi
    printf '100644 blob %s\ttokens.sealed\n' "$sealed" >>"$tmp/tree"
  fi
  readme=$(git hash-object -w --stdin <<'TEXT'
# crier's state

Written by the crier GitHub Action after each run that changed it:
journal.db is crier's journal (what was sent where; it holds no secret),
tokens.sealed the rotating Meetup refresh token, sealed with the
CRIER_STATE_KEY secret. The branch has one commit, replaced at every
save, and only when the branch is still where the run found it. Do not
edit it; keep it out of branch rules that forbid force-pushes.
TEXT
  )
  printf '100644 blob %s\tREADME.md\n' "$readme" >>"$tmp/tree"
  tree=$(git mktree <"$tmp/tree")
  if [ "$tree" = "$(cat "$book/tree" 2>/dev/null)" ]; then
    echo "crier: the state did not change"
    exit 0
  fi
  new=$(git commit-tree "$tree" -m "crier state after run ${GITHUB_RUN_ID:-local} (${GITHUB_EVENT_NAME:-} ${CRIER_COMMAND:-})")
  expect=""
  [ "$have" = none ] || expect=$have
  if git push --quiet --force-with-lease="refs/heads/$branch:$expect" origin \
      "$new:refs/heads/$branch" 2>"$tmp/push"; then
    echo "$new" >"$book/commit"
    echo "$tree" >"$book/tree"
    if [ -n "$sealed" ]; then echo "$sealed" >"$book/tokens.blob"; fi
    if [ -n "$sealed" ] && [ -f "$tokens" ]; then
      sha256sum <"$tokens" >"$book/tokens.sha256"
    fi
    rm -rf "$cache"
    mkdir -p "$cache"
    cp "$journal" "$cache/journal.db"
    if [ -s "$journal-wal" ]; then cp "$journal-wal" "$cache/journal.db-wal"; fi
    if [ -n "$sealed" ]; then git cat-file blob "$sealed" >"$cache/tokens.sealed"; fi
    echo "$tree" >"$cache/tree"
    echo "$new" >"$cache/commit"
    echo "key=crier-state-$new" >>"$out"
    echo "commit=$new" >>"$out"
    echo "crier: the state saved to $branch ($new)"
  else
    cat "$tmp/push" >&2
    side="$branch-conflict-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}"
    git push --quiet origin "$new:refs/heads/$side" || true
    echo "::error::crier: the branch $branch was not updated: it is no longer at ${expect:-nothing}, where this run found it (another run of crier wrote it: every workflow that runs crier with this state must share one concurrency group). This run's journal is in the branch $side; what only it recorded as sent may be sent again"
    exit 1
  fi
  ;;
*)
  echo "usage: state.sh tip|restore|save" >&2
  exit 64
  ;;
esac
