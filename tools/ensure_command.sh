#!/usr/bin/env bash
# Makes sure a command the tests need is on PATH: `ensure_command.sh <command> <Debian package>`.
set -euo pipefail

command_name="$1"
package="$2"

if command -v "$command_name" >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "ensure_command: $command_name is not installed and installing it needs root (no sudo here)." >&2
    echo "ensure_command: install the '$package' package, then run the tests again." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_command: $command_name is not installed and there is no apt-get to install it with." >&2
    echo "ensure_command: install '$package' so that '$command_name' is on PATH, then run the tests again." >&2
    exit 1
fi

echo "ensure_command: installing $package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq || ! "${as_root[@]}" apt-get install -y -qq "$package" >/dev/null; then
    echo "ensure_command: apt-get could not install $package; the tests that need $command_name cannot run." >&2
    exit 1
fi

if ! command -v "$command_name" >/dev/null 2>&1; then
    echo "ensure_command: $package was installed but $command_name is not on PATH." >&2
    exit 1
fi
