#!/usr/bin/env bash
# Does the suite depend on timing? Runs two full test suites at once, ROUNDS times (default 3), each
# in its own clean copy of this working tree (tracked and untracked files, not what git ignores),
# installed and built from nothing. Prints each suite's pass/fail counts per round and a verdict;
# exits non-zero if any suite failed. Two suites at once on a 2-core machine is the load the suite
# must pass under. Logs are kept in the directory it prints.
#
#   scripts/suite-twice.sh          # 3 rounds, ~30–45 min on a loaded 2-core machine
#   ROUNDS=1 scripts/suite-twice.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-suite-twice.XXXXXX")
echo "suite-twice: $rounds round(s) of two suites at once; logs in $work"

# Two clean copies: exactly what git would commit from here, so nothing built or cached leaks in.
for copy in a b; do
  mkdir -p "$work/$copy"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
  done | tar --null -T - -cf - | tar -xf - -C "$work/$copy"
done
for copy in a b; do
  (
    cd "$work/$copy"
    npm ci --prefer-offline --no-audit --no-fund >"$work/setup-$copy.log" 2>&1
    npm run build >>"$work/setup-$copy.log" 2>&1
  ) || {
    echo "suite-twice: setting up copy $copy failed (see $work/setup-$copy.log)" >&2
    exit 2
  }
done

# The closing counts of node --test: "ℹ pass N" (spec, on a TTY) or "# pass N" (TAP, piped).
count() { sed -n "s/^\(#\|ℹ\) $2 \([0-9]*\)$/\2/p" "$1" | tail -1; }

failures=0
for round in $(seq 1 "$rounds"); do
  pids=()
  for copy in a b; do
    # `npm test` exactly as the README runs it (its pretest build finds nothing left to do). Not
    # `--ignore-scripts`: npm would pass it on to every npm the tests run, skipping install scripts.
    (cd "$work/$copy" && exec npm test) >"$work/round$round-$copy.log" 2>&1 &
    pids+=("$!")
  done
  for i in 0 1; do
    copy=$([ "$i" = 0 ] && echo a || echo b)
    rc=0
    wait "${pids[$i]}" || rc=$?
    log="$work/round$round-$copy.log"
    pass=$(count "$log" pass)
    fail=$(count "$log" fail)
    verdict=$([ "$rc" = 0 ] && [ "${fail:-1}" = 0 ] && echo green || echo RED)
    [ "$verdict" = green ] || failures=$((failures + 1))
    echo "round $round, suite $copy: ${pass:-?} passed, ${fail:-?} failed (exit $rc): $verdict"
    if [ "$verdict" != green ]; then
      grep -E "^not ok|^# Subtest|✖" "$log" | head -20 | sed 's/^/    /' || true
    fi
  done
done

total=$((rounds * 2))
if [ "$failures" = 0 ]; then
  echo "suite-twice: all $total suites green"
else
  echo "suite-twice: $failures of $total suites failed (logs in $work)"
  exit 1
fi
