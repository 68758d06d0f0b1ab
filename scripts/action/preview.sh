#!/bin/bash
# The pull-request preview of the composite action (action.yml), for
# command changed on a pull_request event. Nothing is sent, no state is
# written:
#
# 1. crier check on the event files the pull request adds or changes (on
#    the whole site when it changes none: crier.yaml, the locations): its
#    problems become annotations on the diff, and fail the step;
# 2. crier changed --dry-run --markdown over the same range (the journal of
#    the state decides what is new and what is an update): what merging
#    would send, per channel and language;
# 3. both go to the job summary and into ONE comment on the pull request,
#    found again by its first line (a marker) among comments written by a
#    bot, and edited on every push. A token that may not comment (a pull
#    request from a fork) leaves the summary only.
#
# Environment: CRIER_CONFIG, PR_NUMBER, PR_BASE_SHA, CRIER_TOKEN,
# CRIER_COMMENT (true|false), GITHUB_REPOSITORY, GITHUB_API_URL,
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT; the checkout is the pull request's
# merge commit (or its head).
set -uo pipefail
cfg=${CRIER_CONFIG:-crier.yaml}
marker='<!-- crier:preview -->'
limit=60000 # GitHub takes comments of up to 65,536 characters
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! crier -c "$cfg" --json state paths >"$tmp/paths"; then
  exit 78
fi
events=$(jq -r .events "$tmp/paths")
top=$(git rev-parse --show-toplevel)
rel=$(realpath -m --relative-to="$top" "$events")
# what the pull request changes: GitHub's merge commit against the base
# branch it was made on, else the head against the merge base
if git rev-parse -q --verify 'HEAD^2' >/dev/null; then
  base=$(git rev-parse 'HEAD^1')
else
  base=$(git merge-base "${PR_BASE_SHA:?}" HEAD) || exit 65
fi
head=$(git rev-parse HEAD)
files=()
while IFS= read -r -d '' f; do
  case "$f" in
  *.md | *.markdown) f=$(realpath -m --relative-to=. "$top/$f") ;;
  *) continue ;;
  esac
  case "$f" in -*) f="./$f" ;; esac # a name is never an option
  files+=("$f")
done < <(git diff --name-only -z --diff-filter=d "$base" "$head" -- "$rel")

# 1. the check: annotations (stdout) go to the log, where the runner
# reads them; the report (stderr) to the log and the comment
crier -c "$cfg" check "${files[@]}" 2>"$tmp/check"
check=$?
cat "$tmp/check" >&2

# 2. what merging would send (annotations and the summary table off: the
# check made them, and the summary gets the Markdown)
GITHUB_ACTIONS=false GITHUB_STEP_SUMMARY='' crier -c "$cfg" changed \
  --dry-run --markdown --base "$base" --head "$head" >"$tmp/preview" 2>"$tmp/err"
preview=$?
cat "$tmp/err" >&2

# a code fence longer than any run of backticks in the text it holds
fence() {
  awk '{ while (match($0, /`+/)) { if (RLENGTH > n) n = RLENGTH; $0 = substr($0, RSTART + RLENGTH) } }
    END { n = n < 3 ? 3 : n + 1; s = ""; for (i = 0; i < n; i++) s = s "`"; print s }' "$1"
}

{
  echo "### crier: what merging this pull request sends"
  echo
  if [ "${#files[@]}" = 0 ]; then
    what="the site (no event file changed)"
  else
    what="${#files[@]} changed event file$([ "${#files[@]}" = 1 ] || echo s)"
  fi
  if [ "$check" = 0 ]; then
    echo "**crier check** of $what: no errors."
  else
    echo "**crier check** of $what: **errors** (exit $check); they are annotated on the diff."
  fi
  grep ': \(error\|warning\): ' "$tmp/check" >"$tmp/problems"
  if [ -s "$tmp/problems" ]; then
    echo
    echo "$(fence "$tmp/problems")text"
    cat "$tmp/problems"
    fence "$tmp/problems"
  fi
  echo
  cat "$tmp/preview"
  if [ "$preview" != 0 ]; then
    echo
    echo "**crier changed --dry-run** exited $preview:"
    echo
    grep -v '^event=\|^crier: dry run' "$tmp/err" >"$tmp/why"
    echo "$(fence "$tmp/why")text"
    cat "$tmp/why"
    fence "$tmp/why"
  fi
  echo
  echo "<sub>For ${head:0:12}: nothing has been sent. The messages go out when the pull request is merged; the journal on the state branch decides what is new and what is an update.</sub>"
} >"$tmp/body"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$tmp/body" >>"$GITHUB_STEP_SUMMARY"
fi

# 3. the comment
comment() {
  if [ "${CRIER_COMMENT:-true}" != true ] || [ -z "${PR_NUMBER:-}" ]; then
    return 0
  fi
  if [ -z "${CRIER_TOKEN:-}" ]; then
    echo "::notice::crier: no token: the preview is in the job summary only"
    return 0
  fi
  # the body: the marker first, cut after a whole message when too long
  { echo "$marker"; cat "$tmp/body"; } >"$tmp/comment"
  if [ "$(wc -c <"$tmp/comment")" -gt "$limit" ]; then
    cut=$(grep -b -o '</details>' "$tmp/comment" | awk -F: -v l="$limit" '$1 < l - 200 { o = $1 } END { print o + 10 }')
    head -c "$cut" "$tmp/comment" >"$tmp/short"
    printf '\n\n**Cut short:** the whole preview is in the summary of this run.\n' >>"$tmp/short"
    mv "$tmp/short" "$tmp/comment"
  fi
  jq -Rs '{body: .}' <"$tmp/comment" >"$tmp/request"
  (
    umask 077
    printf 'Authorization: Bearer %s\n' "$CRIER_TOKEN" >"$tmp/auth"
  )
  api() { # METHOD PATH [BODY]: the status; the answer in $tmp/answer
    local body=()
    if [ -n "${3:-}" ]; then
      body=(-H 'Content-Type: application/json' --data-binary @"$3")
    fi
    curl -sS -o "$tmp/answer" -w '%{http_code}' -X "$1" \
      -H 'Accept: application/vnd.github+json' \
      -H 'X-GitHub-Api-Version: 2022-11-28' -H 'User-Agent: crier-action' \
      -H @"$tmp/auth" "${body[@]}" \
      "${GITHUB_API_URL:-https://api.github.com}$2" || true
  }
  repo=${GITHUB_REPOSITORY:?}
  id=""
  for page in $(seq 1 30); do
    status=$(api GET "/repos/$repo/issues/$PR_NUMBER/comments?per_page=100&page=$page")
    if [ "$status" != 200 ]; then
      echo "::warning::crier: the pull request's comments could not be read (HTTP $status): the preview is in the job summary only"
      return 0
    fi
    id=$(jq -r --arg m "$marker" 'map(select(.user.type == "Bot" and ((.body // "") | startswith($m)))) | .[0].id // empty' "$tmp/answer")
    if [ -n "$id" ] || [ "$(jq length "$tmp/answer")" -lt 100 ]; then break; fi
  done
  if [ -n "$id" ]; then
    status=$(api PATCH "/repos/$repo/issues/comments/$id" "$tmp/request")
  else
    status=$(api POST "/repos/$repo/issues/$PR_NUMBER/comments" "$tmp/request")
  fi
  case "$status" in
  200 | 201)
    url=$(jq -r '.html_url // empty' "$tmp/answer")
    echo "crier: the preview is in $url"
    echo "comment-url=$url" >>"${GITHUB_OUTPUT:-/dev/null}"
    ;;
  403 | 404)
    echo "::notice::crier: this token may not comment on the pull request (HTTP $status; a pull request from a fork gets a read-only token): the preview is in the job summary only"
    ;;
  *)
    echo "::warning::crier: the preview comment was not written (HTTP $status): it is in the job summary"
    ;;
  esac
}
comment

if [ "$check" != 0 ]; then exit "$check"; fi
exit "$preview"
