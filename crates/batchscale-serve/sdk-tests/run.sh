#!/usr/bin/env bash
# The SDK suite of emulator.md 9.1: two Python venvs under target/ built from the pinned
# requirements files beside this script (a failed install fails the run), then pytest
# against the release binary: azure-batch 14.2.0 in one venv, 15.1.0 (and the raw-HTTP
# and process tests, which need only the standard library) in the other.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# Without BATCHSCALE_BIN, build (a no-op when up to date) rather than test a stale binary.
if [ -z "${BATCHSCALE_BIN:-}" ]; then
  (cd "$root" && cargo build --release -q -p batchscale-cli)
fi
bin=${BATCHSCALE_BIN:-$root/target/release/batchscale}
export BATCHSCALE_BIN="$bin" PYTHONDONTWRITEBYTECODE=1
for gen in 14 15; do
  venv="$root/target/sdk-venv-$gen"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements-$gen.txt" "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check --no-input -q -r "$here/requirements-$gen.txt"
    cp "$here/requirements-$gen.txt" "$venv/requirements.txt"
  fi
done
cd "$here"
"$root/target/sdk-venv-14/bin/python" -m pytest -p no:cacheprovider -q test_sdk14.py
"$root/target/sdk-venv-15/bin/python" -m pytest -p no:cacheprovider -q test_sdk15.py test_raw.py test_rows.py test_process.py test_readme.py
