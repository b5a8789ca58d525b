#!/usr/bin/env bash
# Install the ExecutionBroker conformance suite and run it against a broker's URL.
#
# The one script behind the reusable CI templates of this repository (the GitHub action in
# .github/actions/conformance/ and the GitLab template in ci/gitlab/), and run by this
# project's own tests (tests/conformance/test_ci_templates.py), so that it cannot rot unseen.
# Inputs are environment variables (documented in docs/howto/conformance.md, "Reusable CI"):
#
#   EB_URL            base URL of the broker under test (required)
#   EB_LEVEL          must | should | may: the level whose failure fails the job (default must)
#   EB_SELECT         space-separated globs of checks to run (default: all)
#   EB_DESELECT       space-separated globs of checks to leave out (default: none)
#   EB_TIME_BUDGET    seconds for the whole run (default 300)
#   EB_REPORT_DIR     folder for conformance.xml (JUnit), .json, .html, .md (default conformance-report)
#   EB_HEADERS        extra headers, one 'Name: value' per line (e.g. credentials)
#   EB_EXTRA_ARGS     further arguments for `ivoa-eb-conformance run`
#   EB_INSTALL        pip requirement(s) of the suite, space-separated; default: the spec and
#                     conformance folders of the repository this script is in; 'skip' to use
#                     the suite already installed for EB_PYTHON
#   EB_PYTHON         the Python to install into and run with (default: a new virtual
#                     environment in EB_VENV, made with python3)
#   EB_VENV           where to make that environment (default .eb-conformance-venv)
#
# Exit status: the suite's (0 conforms, 1 a requirement at EB_LEVEL fails, 3 the broker claims
# another major version of the standard), 2 for a usage error of this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ -z "${EB_URL:-}" ]; then
  echo "run-conformance.sh: EB_URL (the broker's base URL) is required" >&2
  exit 2
fi
level="${EB_LEVEL:-must}"
case "$level" in must|should|may) ;; *)
  echo "run-conformance.sh: EB_LEVEL must be must, should or may, not '$level'" >&2
  exit 2 ;;
esac
reports="${EB_REPORT_DIR:-conformance-report}"
install="${EB_INSTALL:-$root/spec $root/conformance}"

if [ -n "${EB_PYTHON:-}" ]; then
  python="$EB_PYTHON"
else
  venv="${EB_VENV:-.eb-conformance-venv}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  python="$venv/bin/python"
fi
if [ "$install" != "skip" ]; then
  # shellcheck disable=SC2086  # several requirements, split on spaces on purpose
  "$python" -m pip install --quiet --disable-pip-version-check $install
fi
"$python" -m ivoa_eb_conformance --version

args=(run --url "$EB_URL" --level "$level" --time-budget "${EB_TIME_BUDGET:-300}" --quiet)
for pattern in ${EB_SELECT:-}; do args+=(--select "$pattern"); done
for pattern in ${EB_DESELECT:-}; do args+=(--deselect "$pattern"); done
while IFS= read -r header; do
  [ -n "$header" ] && args+=(--header "$header")
done <<< "${EB_HEADERS:-}"
mkdir -p "$reports"
args+=(--junit-xml "$reports/conformance.xml" --json "$reports/conformance.json")
args+=(--html "$reports/conformance.html" --markdown "$reports/conformance.md")
# shellcheck disable=SC2206  # further arguments, split on spaces on purpose
args+=(${EB_EXTRA_ARGS:-})

status=0
"$python" -m ivoa_eb_conformance "${args[@]}" || status=$?
echo "ivoa-eb-conformance exit status $status; reports in $reports/"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$reports/conformance.md" ]; then
  cat "$reports/conformance.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
