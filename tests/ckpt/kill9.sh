#!/usr/bin/env bash
# kill -9 at random moments of a save loop (about 9 MB per save): the file
# on disk always loads, holding a complete generation no older than the
# last one reported saved; temporaries a kill leaves behind are swept by
# the next save.
set -euo pipefail
tool=$1
rounds=${GAN_KILL_ROUNDS:-16}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
path=$dir/gen.gan
RANDOM=42
last=0 torn=0 max=0
# Run `rounds` kills, and go on (up to 80) until at least two of them tore a
# save mid-write, so the test never passes without exercising that window.
for ((i = 1; i <= rounds || (torn < 2 && i <= 80); i++)); do
    "$tool" saveloop "$path" > "$dir/log" &
    pid=$!
    # From the first completed save on, the loop does nothing but save, so
    # a kill at a random moment after it lands inside a save (building,
    # writing, syncing or renaming), however loaded the machine is.
    w=0
    while [[ ! -s $dir/log ]] && ((w++ < 600)); do sleep 0.05; done
    if ((i % 2)); then
        # Odd rounds: anywhere in the next saves (mostly while encoding).
        sleep "0.$(printf '%03d' $((RANDOM % 800)))"
    else
        # Even rounds: inside the write-fsync-rename window, the one that
        # matters: the moment a temporary exists.  Bounded by time, not by
        # a count of polls: an instrumented build on a loaded machine can
        # spend seconds encoding before the temporary appears.
        deadline=$((SECONDS + 60))
        while ! compgen -G "$dir/.gen.gan.tmp-*" > /dev/null && ((SECONDS < deadline)); do
            :
        done
    fi
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    # A temporary left now means the kill landed inside a save.
    torn=$((torn + $(find "$dir" -name '.gen.gan.tmp-*' | wc -l)))
    if [[ -f $path ]]; then
        gen=$("$tool" check "$path")
        saved=$(tail -n 1 "$dir/log" || true)
        # The file holds the last reported generation or the one after it
        # (renamed but not yet reported).
        if [[ -n $saved ]] && ((gen < saved || gen > saved + 1)); then
            echo "round $i: file holds generation $gen, last saved $saved" >&2
            exit 1
        fi
        last=$gen
        ((gen > max)) && max=$gen
    fi
done
orphans=$(find "$dir" -name '.gen.gan.tmp-*' | wc -l)
if ((torn == 0)); then
    echo "no kill landed inside a save: the test proved nothing" >&2
    exit 1
fi
timeout 20 "$tool" saveloop "$path" > "$dir/log" &
pid=$!
while [[ ! -s $dir/log ]]; do sleep 0.05; done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
left=$(find "$dir" -name '.gen.gan.tmp-*' | wc -l)
echo "kill9: $((i - 1)) kills, $torn inside a save; the file always loaded a complete generation (up to $max); $orphans orphan temporaries before the final save, $left after"
((left <= 1))
