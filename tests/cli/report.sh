#!/usr/bin/env bash
# gan report (issue 19): gan train writes OUT/report.html; gan report DIR
# writes the same page again; the page holds the curves, every sample grid
# and the settings, and loads nothing (tests/cli/report_check.py).  With
# GAN_REPORT_BROWSER=1 (tests/packaging: report_browser) the page is also
# opened in headless Chromium and checked on a screenshot.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
check=(/usr/bin/python3 "$here/report_check.py")

# A short real run: 2 epochs of 4 steps, FID and IS after each.
"$GAN" train "${COMMON[@]}" --epochs 2 --fid-every 1 --fid-samples 100 --out run >train.log 2>&1 ||
  { cat train.log; fail "gan train"; }
grep -q "^report: run/report.html$" train.log || { cat train.log; fail "gan train did not write its report"; }
[[ -f run/report.html && -f run/metrics.csv ]] || fail "no run/report.html or run/metrics.csv"
"${check[@]}" html run run/report.html || fail "the report of gan train"
ok "gan train wrote run/report.html"

# gan report rewrites the same page (it has no time stamp: identical bytes).
"$GAN" report run --out again.html >out.txt || fail "gan report run"
grep -q "^report: again.html$" out.txt || fail "gan report did not name its output"
cmp -s run/report.html again.html || fail "gan report run differs from gan train's report"
"$GAN" report --quiet run >out.txt || fail "gan report --quiet"
[[ ! -s out.txt ]] || fail "gan report --quiet printed: $(cat out.txt)"
ok "gan report DIR is reproducible"

if [[ ${GAN_REPORT_BROWSER:-0} == 1 ]]; then
  rc=0
  "${check[@]}" browser run run/report.html screenshot.png ${GAN_REPORT_DOCS:+--docs "$GAN_REPORT_DOCS"} || rc=$?
  ((rc == 0 || rc == 77)) || fail "the report in headless Chromium"
  ((rc == 0)) && ok "headless Chromium shows the curves and the sample grids ($WORK/screenshot.png)"
  exit "$rc"
fi

# A run without metrics.csv (no --fid-every) and a resumed one.
"$GAN" train "${COMMON[@]}" --steps 3 --epochs 0 --out short >short.log 2>&1 ||
  { cat short.log; fail "gan train --steps 3"; }
"${check[@]}" html short short/report.html || fail "the report of a run without FID"
grep -q "train with <code>--fid-every N</code>" short/report.html || fail "no hint about --fid-every"
"$GAN" train --resume short --steps 5 --log-every 1 >resume.log 2>&1 || { cat resume.log; fail "resume"; }
grep -q '<div class="card"><span>steps</span><b>5</b>' short/report.html ||
  fail "the resumed run's report does not show 5 steps"
ok "reports without FID and after --resume"

# A directory with only run.txt: a page that says what is missing.
mkdir -p bare && cp run/run.txt bare/
"$GAN" report bare >/dev/null || fail "gan report of a directory with only run.txt"
grep -q "No log.csv" bare/report.html && grep -q "No sample grids" bare/report.html ||
  fail "the bare report does not say what is missing"
ok "a run directory with only run.txt"

# Errors: exit 2 for usage, 1 for a directory that is not a run.
expect_exit 2 "no DIR given" "$GAN" report
expect_exit 2 "unexpected argument" "$GAN" report run run
expect_exit 2 "unknown option" "$GAN" report --bogus run
expect_exit 2 "needs a value" "$GAN" report run --out
expect_exit 1 "nope: no such directory" "$GAN" report nope
mkdir -p empty
expect_exit 1 "not a gan train output directory" "$GAN" report empty
expect_exit 1 "write failed|No such file" "$GAN" report run --out no/such/dir/r.html
"$GAN" report --help | grep -q "self-contained HTML" || fail "gan report --help"
ok "gan report: all checks passed"
