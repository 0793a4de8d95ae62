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

# kill_at PID PATTERN DELAY: as soon as a file matching PATTERN appears,
# wait DELAY seconds (busy) and kill -9 PID.  Exit 2 if PID ended first.
# The watcher sleeps in inotify (IN_CREATE on PATTERN's folder, through
# libc by ctypes) and the kernel wakes it on the creation: a polling loop
# shares the cores with the writer and, on a loaded machine, missed a
# small file's whole write (create, write, fsync, rename) again and again.
# Polling remains the fallback where inotify cannot be had.
kill_at() {
  /usr/bin/python3 - "$@" <<'EOF'
import ctypes, fnmatch, glob, os, select, signal, struct, sys, time
pid, pattern, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
folder, name = os.path.split(pattern)
folder = folder or "."
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
def strike():
    t = time.perf_counter() + delay
    while time.perf_counter() < t:
        pass
    os.kill(pid, signal.SIGKILL)
    sys.exit(0)
deadline = time.monotonic() + 120
def give_up():
    return not alive() or time.monotonic() > deadline
# The folder may not exist yet (a fresh run makes it).
while not os.path.isdir(folder):
    if give_up():
        sys.exit(2)
    time.sleep(0.0005)
fd = -1
try:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd >= 0 and libc.inotify_add_watch(fd, folder.encode(), 0x100 | 0x80) < 0:
        os.close(fd)                      # IN_CREATE | IN_MOVED_TO
        fd = -1
except (OSError, AttributeError):
    fd = -1
if glob.glob(pattern):                    # created before the watch
    strike()
if fd < 0:
    n = 0
    while not glob.glob(pattern):
        n += 1
        if n % 256 == 0 and give_up():
            sys.exit(2)
    strike()
while True:
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        if give_up():
            sys.exit(2)
        continue
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        continue
    off = 0
    while off + 16 <= len(buf):
        ln = struct.unpack_from("iIII", buf, off)[3]
        entry = buf[off + 16:off + 16 + ln].split(b"\0", 1)[0].decode(errors="replace")
        off += 16 + ln
        if fnmatch.fnmatchcase(entry, name):
            strike()
EOF
}
