#!/usr/bin/env bash
# The quick start: `bash run.sh reproduce` runs the main job, `bash run.sh test` the tests.
# Each creates .venv (Python >= 3.11) on first use and installs what it needs.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

setup() {  # $1: pip extras to install, e.g. "test"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
    # torch 2.13.0 CPU is the build this project is developed and tested with.
    "$VENV/bin/python" -m pip install -q "torch==2.13.0" -e ".[$1]"
}

command=${1:-}
shift || true
case "$command" in
    reproduce)
        setup dask
        exec "$VENV/bin/skastro" reproduce "$@" ;;
    test)
        setup test
        exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
    docs)   # runs the examples/plot_*.py gallery; the pages must read offline
        setup docs
        "$VENV/bin/python" -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
        if grep -rlE '<(script|link)[^>]+(src|href)="(https?:)?//' docs/_build/html --include='*.html'; then
            echo "run.sh docs: the pages above load scripts or styles from another host" >&2
            exit 1
        fi
        echo "Documentation: docs/_build/html/index.html" ;;
    *)
        echo "usage: bash run.sh {reproduce|test|docs} [args...]" >&2
        exit 2 ;;
esac
