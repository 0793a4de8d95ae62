#!/bin/sh
# make_man.sh -- one manual page of gan from its --help (help2man), run by
# CMake at build time (tools/gan/CMakeLists.txt).
#
#   sh make_man.sh HELP2MAN WRAPPER NAME OUT INCLUDE...
#
# WRAPPER is a script named like the page (gan, gan-train, ...) that runs
# the command and answers --version with "PAGE (libgan) VERSION".  After
# help2man, a list under a line ending in "one of:" (the presets of gan
# train) gets one line per entry instead of one flowed paragraph.
set -eu
help2man=$1 wrapper=$2 name=$3 out=$4
shift 4
set -- "$@"
incs=""
for i in "$@"; do incs="$incs --include=$i"; done
# shellcheck disable=SC2086 # $incs is a list of options
"$help2man" --no-info --section=1 --source=libgan "--manual=libgan manual" "--name=$name" \
  $incs --output="$out.tmp" "$wrapper"
awk '
  /^\.(TP|SS|SH|PP|IP)/ { inlist = 0 }
  inlist { print ".br" }
  { print }
  /one of:$/ { inlist = 1 }
' "$out.tmp" >"$out"
rm -f "$out.tmp"
