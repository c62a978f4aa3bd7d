#!/usr/bin/env bash
# Learner set-up in one command: install the pinned course environment into
# ./.venv (first run only; later runs just update it) and open the course in JupyterLab:
# the whole repository (chapters/, exercises/, solutions/, README.md), with chapter 01 open.
#   bash scripts/learn.sh                 # opens chapter 01 in your browser
#   bash scripts/learn.sh --no-browser    # extra arguments go to JupyterLab
# BPLIB_VENV=path uses another environment, and BPLIB_SKIP_INSTALL=1 leaves it as it is
# (the browser test of this script runs it on the test environment that way).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${BPLIB_VENV:-.venv}"

if [ "${BPLIB_SKIP_INSTALL:-0}" != 1 ]; then
    if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        echo "The course needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)." >&2
        echo "Install a newer Python, or point PYTHON at one: PYTHON=python3.12 bash scripts/learn.sh" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "Creating the course environment in $VENV ..."
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
EXTRA=()
if [ "$(id -u)" = 0 ]; then
    EXTRA+=(--allow-root)  # JupyterLab refuses to run as root without it (containers, VMs)
fi
echo "Opening the course. Stop JupyterLab with Ctrl+C (twice)."
# The repository is JupyterLab's root, so every chapter's links to its exercise (and back)
# open; a notebook path given as an argument would make its folder the root instead.
exec "$VENV/bin/python" -m jupyterlab "${EXTRA[@]}" \
    --ServerApp.root_dir="$PWD" \
    --LabApp.default_url=/lab/tree/chapters/01_sigmoid_derivative.ipynb "$@"
