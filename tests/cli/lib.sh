# lib.sh -- shared by the gan CLI tests (tests/cli/*.sh), sourced with the
# gan binary as $1 and a scratch directory as $2.
set -euo pipefail
GAN=$(realpath "${1:?usage: $0 path/to/gan scratch-dir}")
WORK=${2:?usage: $0 path/to/gan scratch-dir}
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
# The runs are bit-reproducible only at a fixed thread count.
COMMON=(--limit 256 --batch 64 --threads 1 --log-every 1)

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# expect_exit CODE PATTERN CMD...: CMD exits with CODE and its stderr
# matches PATTERN (grep -E).
expect_exit() {
  local want=$1 pat=$2 rc=0
  shift 2
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc == "$want" ]] || { cat out.txt err.txt >&2; fail "'$*' exited $rc, expected $want"; }
  grep -Eq -- "$pat" err.txt || { cat err.txt >&2; fail "'$*': stderr does not match '$pat'"; }
  ok "$* -> exit $rc, '$(head -1 err.txt)'"
}

# png_ok FILE WxH: a valid PNG of that size (pngcheck).
png_ok() {
  local line
  line=$(pngcheck "$1") || { echo "$line" >&2; fail "$1: pngcheck failed"; }
  [[ -z ${2:-} || $line == *"($2,"* ]] || fail "$1: expected $2: $line"
}

# csv_rows FILE N: the CSV log has the header and N rows of 7 columns.
csv_rows() {
  [[ $(head -1 "$1") == "step,epoch,d_loss,g_loss,d_real,d_fake,seconds" ]] || fail "$1: bad header"
  local n
  n=$(tail -n +2 "$1" | awk -F, 'NF == 7 && $1 == NR' | wc -l)
  [[ $n == "$2" && $(wc -l <"$1") == $(($2 + 1)) ]] || fail "$1: expected $2 numbered rows, found $n"
}

# losses FILE: the CSV without its seconds column (what must be identical
# between an uninterrupted and a resumed run).
losses() { cut -d, -f1-6 "$1"; }

# kill_at PID PATTERN DELAY: poll (~20 us a round) for a file matching
# PATTERN, then wait DELAY seconds (busy) and kill -9 PID.  Exit 2 if PID
# ended first.
kill_at() {
  /usr/bin/python3 - "$@" <<'EOF'
import glob, os, signal, sys, time
pid, pattern, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
deadline, n = time.monotonic() + 120, 0
while not glob.glob(pattern):
    n += 1
    if n % 256 == 0 and (not alive() or time.monotonic() > deadline):
        sys.exit(2)
t = time.perf_counter() + delay
while time.perf_counter() < t:
    pass
os.kill(pid, signal.SIGKILL)
EOF
}
