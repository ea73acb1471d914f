#!/usr/bin/env python3
"""Writes one ingest batch for web_ui_test.sh (stdlib only): N ordinary
alerts over the last hours (two signatures, three severities, several
sources, HTTP/DNS/TLS context) and one hostile alert whose signature,
category, HTTP fields, DNS name and payload are HTML and script, as an
attacker would put them in a packet.
Usage: web_alerts.py AGENT_ID OUT_FILE N [live]
With "live": batch 2, one alert of now ("VIGIL WEB live alert"), for the
live-update check."""
import base64
import hashlib
import json
import sys
import time

agent_id, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = int(time.time())
HOSTILE_SIG = '<img src=x onerror=window.__xss=1>'
HOSTILE_URL = '/"><script>window.__xss=1</script>'
HOSTILE_UA = '"><svg onload=window.__xss=1>'
HOSTILE_DNS = '<script>window.__xss=1</script>.evil.example'
HOSTILE_PAYLOAD = b'GET /"><script>window.__xss=1</script> HTTP/1.1\r\n\r\n<img src=x onerror=window.__xss=1>'


def eve_time(t):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.000000+0000'


def alert(i, t, sid, sig, sev, src, extra):
    e = {
        'timestamp': eve_time(t), 'flow_id': 1000 + i % 5, 'event_type': 'alert',
        'src_ip': src, 'src_port': 40000 + i, 'dest_ip': '192.168.50.%d' % (1 + i % 3), 'dest_port': 80,
        'proto': 'TCP', 'host': 'web-e2e-host',
        'alert': {'action': 'allowed', 'gid': 1, 'signature_id': sid, 'rev': 1, 'signature': sig,
                  'category': 'Attempted Information Leak', 'severity': sev},
    }
    e.update(extra)
    return e


events = []
if len(sys.argv) > 4 and sys.argv[4] == 'live':
    e = alert(900, now, 2100030, 'VIGIL WEB live alert', 2, '10.9.9.9', {})
    with open(out, 'w') as f:
        json.dump({'agent_id': agent_id, 'batch_seq': 2, 'events': [
            {'uid': hashlib.sha256(b'live').hexdigest(), 'eve': e}]}, f)
    sys.exit(0)
for i in range(n):
    src = '10.1.%d.%d' % (i % 2, 10 + i % 4)
    if i % 2 == 0:
        ex = {'app_proto': 'http', 'http': {'hostname': 'intranet.example', 'url': '/login.php?id=%d' % i,
                                            'http_method': 'GET', 'protocol': 'HTTP/1.1',
                                            'http_user_agent': 'curl/8.0', 'status': 200}}
        events.append(alert(i, now - 60 * i, 2100010, 'VIGIL WEB probe of login page', 1 + i % 3, src, ex))
    else:
        ex = {'app_proto': 'dns', 'dns': {'type': 'query', 'rrname': 'c2-%d.example.net' % i, 'rrtype': 'A'}}
        events.append(alert(i, now - 60 * i, 2100020, 'VIGIL WEB suspicious DNS lookup', 2, src, ex))
hostile = alert(n, now - 30, 2100666, HOSTILE_SIG, 1, '10.66.66.66', {
    'app_proto': 'http',
    'http': {'hostname': '"><script>window.__xss=1</script>', 'url': HOSTILE_URL, 'http_method': 'GET',
             'protocol': 'HTTP/1.1', 'http_user_agent': HOSTILE_UA,
             'request_headers': [{'name': 'X-Evil', 'value': '<img src=x onerror=window.__xss=1>'}]},
    'dns': {'type': 'query', 'rrname': HOSTILE_DNS, 'rrtype': 'A'},
    'tls': {'sni': '<svg onload=window.__xss=1>', 'subject': 'CN=<script>window.__xss=1</script>'},
    'payload': base64.b64encode(HOSTILE_PAYLOAD).decode(),
    'payload_printable': HOSTILE_PAYLOAD.decode(),
})
hostile['alert']['category'] = '<b onmouseover=window.__xss=1>cat</b>'
events.append(hostile)
batch = {'agent_id': agent_id, 'batch_seq': 1, 'events': [
    {'uid': hashlib.sha256(json.dumps(e, sort_keys=True).encode()).hexdigest(), 'eve': e} for e in events]}
with open(out, 'w') as f:
    json.dump(batch, f)
