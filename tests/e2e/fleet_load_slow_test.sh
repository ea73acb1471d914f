#!/usr/bin/env bash
# Fleet load, province size (labelled slow): 5,000 agents' TLS keep-alive
# connections + 200 hostile idle connections for 60 s against a real
# collector, with the assertions of fleet_load_lib.sh. A few minutes.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
. "$2/tests/e2e/fleet_load_lib.sh"
fleet_load 5000 200 60 600
echo "PASS"
