#!/usr/bin/env bash
# Fleet load, normal size: 1,000 agents' TLS keep-alive connections + 200
# hostile idle connections for 40 s against a real collector; every agent
# connection held, no failed heartbeat, API p99 < 1 s, ingest going on and
# stored exactly as acknowledged (see fleet_load_lib.sh). About 1-2 minutes.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
. "$2/tests/e2e/fleet_load_lib.sh"
fleet_load 1000 200 40 300
echo "PASS"
