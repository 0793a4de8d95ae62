#!/usr/bin/env bash
# The first ```c block of README.md must be examples/readme_example.c (minus
# its first line, a comment naming the file), so the README's example is
# the one ctest compiles and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
diff <(awk '/^```c$/ {n++; f = (n == 1); next} /^```$/ {f = 0} f' README.md) \
     <(sed 1d examples/readme_example.c)
