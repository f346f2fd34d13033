#!/usr/bin/env bash
# Print the path of a working Python interpreter, trying the versions given in order (nearest first):
#   tools/find_python.sh 3.12 3.11 3.13
# A version counts when `pythonX.Y` (on PATH, or in pyenv's versions folder, where the shims may not
# resolve) starts and can create virtual environments. Says on stderr when it falls back.
set -u
wanted=$1
for version in "$@"; do
  for candidate in "python$version" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version"*/bin/"python$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      [ "$version" = "$wanted" ] || echo "note: no Python $wanted here; using Python $version, the nearest this machine has" >&2
      command -v "$candidate"
      exit 0
    fi
  done
done
echo "error: none of Python $* found (with venv); install one, or run make with COLAB_PYTHON=/path/to/python" >&2
exit 1
