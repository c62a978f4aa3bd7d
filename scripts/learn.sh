#!/usr/bin/env bash
# Learner set-up in one command: install the pinned course environment into
# ./.venv (first run only; later runs just update it) and open the course in JupyterLab.
#   bash scripts/learn.sh                 # opens chapter 01 in your browser
#   bash scripts/learn.sh --no-browser    # extra arguments go to JupyterLab
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "The course needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)." >&2
    echo "Install a newer Python, or point PYTHON at one: PYTHON=python3.12 bash scripts/learn.sh" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating the course environment in .venv ..."
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
EXTRA=()
if [ "$(id -u)" = 0 ]; then
    EXTRA+=(--allow-root)  # JupyterLab refuses to run as root without it (containers, VMs)
fi
echo "Opening the course. Stop JupyterLab with Ctrl+C (twice)."
exec .venv/bin/python -m jupyterlab "${EXTRA[@]}" chapters/01_sigmoid_derivative.ipynb "$@"
