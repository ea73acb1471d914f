#!/usr/bin/env python3
"""Writes, for web_ui_test.sh, a capture whose traffic carries HTML and
script the way an attacker would send it, and the rules that alert on each
piece (their messages HTML too), so that a real agent reading the capture sends real alerts with
hostile strings to the collector:
  - an HTTP GET whose URI is /"><script>window.__xss=1</script> and whose
    User-Agent is <img src=x onerror=window.__xss=1> (one rule on each);
  - a DNS query for <svg onload=window.__xss=1>.evil.example (the label's
    bytes as they are: the agent's DNS parser keeps any byte of a label);
  - a UDP payload "><svg onload=window.__xss=1>.
Packet times start START seconds after the epoch (default two days ago, so
the dashboard's last 24 hours stay the crafted alerts').
Usage: web_capture.py OUT.pcap OUT.rules [START]
Python 3 standard library only (the packet builders of tests/tools)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import eve_traffic as ev  # noqa: E402

URI = b'/"><script>window.__xss=1</script>'
UA = b"<img src=x onerror=window.__xss=1>"
DNS_NAME = "<svg onload=window.__xss=1>.evil.example"
PAYLOAD = b'"><svg onload=window.__xss=1>'

RULES = """\
alert http any any -> any any (msg:"VIGIL PCAP <script>window.__xss=1</script> in URI"; http.uri; content:"<script>"; sid:2100701; rev:1;)
alert http any any -> any any (msg:"VIGIL PCAP <svg onload=window.__xss=1> in user agent"; http.user_agent; content:"onerror="; sid:2100702; rev:1;)
alert dns any any -> any any (msg:"VIGIL PCAP <b onmouseover=window.__xss=1>DNS</b>"; dns.query; content:"<svg onload"; sid:2100703; rev:1;)
alert udp any any -> any 7777 (msg:"VIGIL PCAP <iframe src=javascript:window.__xss=1> payload"; content:"|22|><svg onload"; sid:2100704; rev:1;)
"""


def main():
    out, rules = sys.argv[1], sys.argv[2]
    start = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time()) - 2 * 86400
    c = ev.Capture()
    c.t = start * 1000000
    c.tcp_session("10.77.0.5", 41777, "10.77.0.80", 80, [
        (True, b"GET " + URI + b" HTTP/1.1\r\nHost: intranet.example\r\nUser-Agent: " + UA + b"\r\n\r\n"),
        (False, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    ])
    q = ev.dns_msg(0x5151, 0x0100, [(DNS_NAME, ev.A)])
    c.add(ev.udp("10.77.0.5", 25151, "10.77.0.53", 53, q))
    c.add(ev.udp("10.77.0.5", 37777, "10.77.0.99", 7777, PAYLOAD))
    c.write(out)
    with open(rules, "w") as f:
        f.write(RULES)


if __name__ == "__main__":
    main()
