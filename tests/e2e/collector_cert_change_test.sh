#!/usr/bin/env bash
# The collector comes back with a new certificate (its TLS files regenerated:
# an impostor, as far as the agents know). An agent enrolled with the CA file
# and one enrolled with a pin must both refuse it: nothing sent, their events
# kept in the spool, a log line that says the certificate does not match and
# to re-enrol if the change was meant, and uplink.cert_mismatch counted. Once
# the collector has its original certificate again, everything arrives.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
K=200
for i in 1 2 3; do python3 "$E2E/make_pcap.py" "$WORK/p$i.pcap" $K VIGILTEST$i $((i * 1000)); done
python3 "$E2E/make_pcap.py" "$WORK/p0.pcap" 0
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/ca-agent" || fail "enrolment with the CA file"
fingerprint() {
  python3 - "$1" <<'PY'
import hashlib, ssl, sys
pem = open(sys.argv[1]).read()
end = "-----END CERTIFICATE-----"
print(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem[: pem.index(end) + len(end)])).hexdigest())  # the leaf
PY
}
PIN=$(fingerprint "$DATA/server.pem")
"$AGENT" enroll --collector "$URL" --token "$(new_token)" --pin "$PIN" --state-dir "$WORK/pin-agent" >/dev/null ||
  fail "enrolment with a pin"

# run NAME PCAP DRAIN: the agent NAME over pPCAP.pcap; its log is NAME-PCAP.log
run() {
  "$AGENT" -k none -r "$WORK/p$2.pcap" -S "$RULES" -l "$WORK/log-$1-$2" --state-dir "$WORK/$1" \
    --drain-timeout "$3" >"$WORK/$1-$2.log" 2>&1 || fail "$1 over p$2 exited with $?: $(tail -5 "$WORK/$1-$2.log")"
}
counter() { sed -n "s/.* $2 \([0-9]*\)\$/\1/p" "$WORK/$1.log" | tail -1; }

run ca-agent 1 60
[ "$(alert_total)" = $K ] || fail "before the change: collector has $(alert_total) alerts, expected $K"

# The impostor: same address, same store, TLS files made anew.
kill9_collector
mkdir "$WORK/tls"
mv "$DATA"/ca.pem "$DATA"/ca.key "$DATA"/server.pem "$DATA"/server.key "$WORK/tls/"
start_collector
[ -f "$DATA/server.pem" ] || fail "the collector did not make new TLS files"
[ "$(fingerprint "$DATA/server.pem")" != "$PIN" ] || fail "the new certificate is the old one"
run ca-agent 2 3
run pin-agent 3 3
for log in ca-agent-2 pin-agent-3; do
  grep -m1 "refusing the collector" "$WORK/$log.log" || fail "$log: no log line about the certificate"
  grep -q "re-enrol this agent" "$WORK/$log.log" || fail "$log: the log does not say what to do"
  n=$(counter $log uplink.cert_mismatch)
  [ "${n:-0}" -ge 1 ] || fail "$log: uplink.cert_mismatch is '$n'"
  [ "$(counter $log spool.depth)" = $K ] || fail "$log: $(counter $log spool.depth) events spooled, expected $K"
  [ "$(counter $log uplink.batches_acked)" = 0 ] || fail "$log: batches acknowledged by the impostor"
done
grep -q "does not verify against the CA" "$WORK/ca-agent-2.log" || fail "CA agent: reason not given"
grep -q "not the one pinned at enrolment ($PIN)" "$WORK/pin-agent-3.log" || fail "pinned agent: reason not given"
[ "$(alert_total)" = $K ] || fail "the impostor received alerts: $(alert_total)"

# The original certificate is back: everything spooled arrives.
kill9_collector
mv "$WORK/tls"/* "$DATA/"
start_collector
run ca-agent 0 60
mv "$WORK/ca-agent-0.log" "$WORK/ca-agent-back.log"
run pin-agent 0 60
for log in ca-agent-back pin-agent-0; do
  [ "$(counter $log spool.depth)" = 0 ] || fail "$log: $(counter $log spool.depth) events still spooled"
done
[ "$(alert_total)" = $((3 * K)) ] || fail "collector has $(alert_total) alerts, expected $((3 * K))"
[ "$(distinct_stored)" = $((3 * K)) ] || fail "alerts missing or duplicated"
echo "PASS: both agents refused the new certificate, kept $K events each, delivered them to the original"
