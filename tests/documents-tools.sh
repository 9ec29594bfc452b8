#!/usr/bin/env bash
# Installs what the document tests read documents back with, and prints (last line on stdout)
# the Python interpreter that has openpyxl:
#
#     export OFFGRID_TEST_PYTHON="$(tests/documents-tools.sh | tail -1)"
#
# Debian's poppler-utils (pdftotext, pdftoppm, pdffonts, pdfdetach, pdfimages) and zbar-tools
# (zbarimg), if missing; a virtualenv in $OFFGRID_DOCS_VENV (default /tmp/offgrid-docs-venv)
# with the pinned openpyxl of tests/documents-requirements.txt. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'documents-tools.sh: %s\n' "$*" >&2; }

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

venv="${OFFGRID_DOCS_VENV:-/tmp/offgrid-docs-venv}"
if ! "$venv/bin/python" -c 'import openpyxl' >/dev/null 2>&1; then
    log "creating $venv with openpyxl"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q -r tests/documents-requirements.txt >&2
fi
echo "$venv/bin/python"
