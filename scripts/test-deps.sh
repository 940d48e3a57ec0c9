#!/usr/bin/env bash
# Make sure the system packages the tests use are present: Debian's Chromium and a CJK font
# (browser tests), a Java runtime (the Spark engine's tests, PySpark in local mode) and
# libfaketime (the suite's second pass with the clock moved), poppler-utils (pdftoppm / pdftotext:
# the quality report's PDF is read back as a person reads it).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "MISSING: ${need[*]} (install as root: apt-get install ${need[*]})" >&2; exit 1
fi
echo "Installing ${need[*]} from Debian's packages..." >&2
(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}") >&2 \
  || { echo "MISSING: ${need[*]} (apt-get failed)" >&2; exit 1; }
