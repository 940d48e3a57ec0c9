#!/usr/bin/env bash
# Make sure Debian's Chromium and a CJK font are present for the browser tests.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "MISSING: ${need[*]} (install as root: apt-get install ${need[*]})" >&2; exit 1
fi
echo "Installing ${need[*]} from Debian's packages..." >&2
(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}") >&2 \
  || { echo "MISSING: ${need[*]} (apt-get failed)" >&2; exit 1; }
