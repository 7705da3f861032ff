#!/usr/bin/env bash
# Make sure Debian packages a test needs are installed: `ensure_debian.sh "PACKAGES" PROGRAM...`
# installs PACKAGES with apt-get (as root, or through sudo) when any PROGRAM is missing,
# and does nothing when all are there. The Makefile's poppler and chromium targets use it:
# the monthly report's tests turn PDFs into pages and text (pdftoppm, pdftotext), the
# docs-page test drives Debian's headless Chromium through selenium (chromedriver).
set -euo pipefail

packages=$1
shift
have() { command -v "$1" >/dev/null 2>&1; }
all_there() { for program in "$@"; do have "$program" || return 1; done; }

if all_there "$@"; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  have sudo || { echo "ensure_debian: run as root, or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

echo "ensure_debian: installing $packages (Debian packages)" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # a list of package names, split on purpose
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  $packages >/dev/null

all_there "$@" || { echo "ensure_debian: one of $* still missing after apt-get" >&2; exit 1; }
