#!/usr/bin/env bash
# Maintainer set-up in one command: install the pinned test environment into
# ./.venv-test and the instructor environment (nbgrader) into ./.venv-instructor (first run
# only; later runs just update them) and run the whole suite:
#   1. library, widget and exercise tests, plus chapters/ and solutions/ executed by
#      nbval with their committed outputs compared (both cores, one notebook per worker);
#   2. the dashboards driven in a real JupyterLab and Notebook 7 by headless Chromium
#      (skipped, with a notice, where /usr/bin/chromium is missing; CI requires them);
#   3. exercises/ executed by nbval in lax mode (they are committed unexecuted);
#   4. the course on a real JupyterHub on localhost (tests/hub; as root only: it makes local
#      users), from ./.venv-hub (requirements-hub.txt) and the proxy in ./.hub-node (npm).
# Between 1 and 2, chapters/ and solutions/ run again with numpy's SIMD kernels narrowed, so an
# output that depends on round-off fails here, not on the next machine with another CPU; and the
# library, widget and exercise tests run again on the oldest supported versions (./.venv-min).
# Extra arguments go to both pytest runs, e.g.  bash scripts/test.sh -x
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "The tests need Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)." >&2
    exit 1
fi
if [ ! -x .venv-test/bin/python ]; then
    echo "Creating the test environment in .venv-test ..."
    "$PYTHON" -m venv .venv-test
fi
VPY=.venv-test/bin/python
$VPY -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
# The instructor environment (nbgrader), kept apart so the learner and browser tests run
# without nbgrader's Jupyter extensions; tests/test_nbgrader.py drives nbgrader from it.
if [ ! -x .venv-instructor/bin/python ]; then
    echo "Creating the instructor environment (nbgrader) in .venv-instructor ..."
    "$PYTHON" -m venv .venv-instructor
fi
.venv-instructor/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-instructor.txt

# Build matplotlib's font cache now, so a first run does not print a notice into a notebook.
$VPY -c "import matplotlib.pyplot"

echo "== lint (ruff) =="
$VPY -m ruff check .

# One BLAS thread per process: the matrices here are tiny, and two pytest workers each
# running two BLAS threads on two cores only fight (same results, steadier times).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

NBVAL=(--nbval-current-env)
echo "== library, widgets, exercises tooling; chapters/ and solutions/ under nbval (strict) =="
$VPY -m pytest -n 2 --dist loadfile tests chapters solutions -m "not browser and not hub" \
    --nbval "${NBVAL[@]}" --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
# Round-off differs between CPUs (numpy's SIMD kernels, OpenBLAS's kernels), so no committed
# output may depend on it. Run chapters/ and solutions/ again with numpy's SIMD dispatch narrowed
# to its baseline: other exp/log/reduction kernels, other float tails, the same outputs.
# (OPENBLAS_CORETYPE is never set here: some machines need their own setting to stay correct.)
NARROWED=$($VPY -c "from numpy._core import _multiarray_umath as m; \
print(' '.join(f for f in m.__cpu_dispatch__ if m.__cpu_features__.get(f)))")
if [ -n "$NARROWED" ]; then
    echo "== chapters/ and solutions/ again with numpy's SIMD kernels narrowed (disabled: $NARROWED) =="
    NPY_DISABLE_CPU_FEATURES="$NARROWED" $VPY -m pytest -n 2 --dist loadfile chapters solutions -p no:cacheprovider \
        --nbval "${NBVAL[@]}" --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
else
    echo "== (numpy dispatches no SIMD kernels beyond its baseline on this CPU: nothing to narrow) =="
fi
# The oldest supported versions (pyproject.toml's minimums, pinned in requirements-minimum.txt):
# the library, widget and exercise tests again on them, so each declared minimum is tested.
if [ ! -x .venv-min/bin/python ]; then
    echo "Creating the minimum-versions environment in .venv-min ..."
    "$PYTHON" -m venv .venv-min
fi
.venv-min/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-minimum.txt
.venv-min/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "== library, widgets and exercises on the oldest supported versions (requirements-minimum.txt) =="
.venv-min/bin/python -m pytest -n 2 --dist loadfile tests -p no:cacheprovider \
    --ignore=tests/browser --ignore=tests/hub --ignore=tests/test_grade.py --ignore=tests/test_nbgrader.py "$@"
echo "== dashboards in a real browser: JupyterLab and Notebook 7 in headless Chromium =="
$VPY -m pytest tests/browser -m browser "$@"
echo "== exercises/ under nbval (lax) =="
$VPY -m pytest exercises --nbval-lax "${NBVAL[@]}" "$@"

# The hub environment. Learners' servers and kernels run .venv-hub's Python as local users, so
# they must reach it: its base Python must be one any user can run ($PYTHON if so, else the
# system's python3; a Python under /root, e.g. pyenv's, is not), and so must the venv and bplib.
# A checkout other users cannot enter (under /root, in a `mktemp -d` folder) gets its venv in
# /var/tmp/bplib-venv-hub instead, linked from .venv-hub. bplib is always copied in, not editable.
# Only root can run the hub tests (they add users); for anyone else nothing is installed.
HUB_VENV_OUTSIDE=/var/tmp/bplib-venv-hub
NBGRADER_INSTRUCTOR_TOOLS="@jupyter/nbgrader:formgrader @jupyter/nbgrader:create-assignment @jupyter/nbgrader:course-list"
hub_python() {
    local candidate
    for candidate in "$("$PYTHON" -c 'import sys; print(sys.executable)')" /usr/bin/python3; do
        if runuser -u nobody -- "$candidate" -c \
            'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
if [ "$(id -u)" = 0 ]; then
    CHECKOUT_REACHABLE=1
    runuser -u nobody -- test -r "$PWD/bplib/__init__.py" 2>/dev/null || CHECKOUT_REACHABLE=0
    if [ ! -x .venv-hub/bin/python ]; then
        if ! HUB_PYTHON=$(hub_python); then
            echo "No Python 3.11+ that every user can run: .venv-hub not created (the hub tests say why)." >&2
        elif [ "$CHECKOUT_REACHABLE" = 1 ]; then
            echo "Creating the hub environment (JupyterHub, nbgitpuller) in .venv-hub from $HUB_PYTHON ..."
            "$HUB_PYTHON" -m venv .venv-hub
        else
            echo "Other users cannot enter $PWD: the hub environment goes to $HUB_VENV_OUTSIDE (linked from .venv-hub)"
            [ -x "$HUB_VENV_OUTSIDE/bin/python" ] || "$HUB_PYTHON" -m venv "$HUB_VENV_OUTSIDE"
            rm -rf .venv-hub && ln -s "$HUB_VENV_OUTSIDE" .venv-hub
        fi
    fi
    if [ -x .venv-hub/bin/python ]; then
        # pip through the venv's real path: the scripts it writes (jupyterhub-singleuser) start
        # with that path, which the users must be able to follow.
        HUB_PIP=("$(readlink -f .venv-hub)/bin/python" -m pip install --quiet --disable-pip-version-check)
        "${HUB_PIP[@]}" -r requirements-hub.txt
        # As README's workshop guide does on a hub: bplib as a copy (not a link into a checkout
        # other users may not reach), one OpenBLAS thread per kernel, nbgrader's instructor tools
        # out of the learners' menus.
        "${HUB_PIP[@]}" --no-deps --force-reinstall .
        "$(readlink -f .venv-hub)/bin/python" -m ipykernel install --sys-prefix --name python3 --env OPENBLAS_NUM_THREADS 1 > /dev/null
        "$(readlink -f .venv-hub)/bin/jupyter" labextension disable --level=sys_prefix $NBGRADER_INSTRUCTOR_TOOLS > /dev/null 2>&1
    fi
    # configurable-http-proxy, exactly as tests/hub/package-lock.json pins it (npm ci), when changed
    if command -v npm > /dev/null && ! cmp -s tests/hub/package-lock.json .hub-node/package-lock.json; then
        rm -rf .hub-node && mkdir .hub-node
        cp tests/hub/package.json tests/hub/package-lock.json .hub-node/
        npm ci --prefix .hub-node --no-audit --no-fund --loglevel=error
    fi
fi
echo "== the course on a real JupyterHub: handing out, chapter 01 and exercise 01 in the browser, an update, collecting and grading =="
$VPY -m pytest tests/hub -m hub "$@"
