#!/usr/bin/env bash
# The web UI's message catalogues and its no-HTML rule, checked by node
# without a browser (tests/web/i18n_test.mjs). Skipped only without node.
SRC=$2
command -v node >/dev/null || { echo "SKIP: node not installed (scripts/install-deps.sh installs nodejs)"; exit 77; }
exec timeout 60 node "$SRC/tests/web/i18n_test.mjs" "$SRC"
