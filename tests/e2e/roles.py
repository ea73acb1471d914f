#!/usr/bin/env python3
"""People against a running collector (stdlib only), for roles_test.sh:
login per role, cookies, CSRF, role checks, disabling, role changes, user
tokens, failed-login delays and lock-out per user and per address, and the
audit log. Client addresses other than 127.0.0.1 are other loopback
addresses (127.0.0.2, ...), bound as the source of the connection.
Usage: roles.py PORT CAFILE COLLECTOR DATA_DIR
Prints PASS or exits non-zero with FAIL: why."""
import http.client
import json
import ssl
import subprocess
import sys
import time

PORT, CAFILE, COLLECTOR, DATA = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
CTX = ssl.create_default_context(cafile=CAFILE)
PW = {"admin1": "admin-password-1", "ana": "analyst-password-1", "vic": "viewer-password-1",
      "victim": "victim-password-1"}


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def request(method, path, body=None, cookie=None, csrf=None, bearer=None, src="127.0.0.1"):
    conn = http.client.HTTPSConnection("127.0.0.1", PORT, context=CTX, timeout=30, source_address=(src, 0))
    headers = {}
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers["Content-Type"] = "application/json"
    if cookie:
        headers["Cookie"] = "other=1; vigil_session=" + cookie
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    if bearer:
        headers["Authorization"] = "Bearer " + bearer
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    raw = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return r.status, parsed, hdrs


def expect(status, want, what, body=None):
    if status != want:
        fail("%s: expected %d, got %d %s" % (what, want, status, body))


class Session:
    def __init__(self, user, password=None, src="127.0.0.1"):
        st, body, hdrs = request("POST", "/api/v1/session", {"username": user, "password": password or PW[user]},
                                 src=src)
        expect(st, 200, "login " + user, body)
        sc = hdrs.get("set-cookie", "")
        for attr in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
            if attr not in sc:
                fail("cookie lacks %s: %s" % (attr, sc))
        self.cookie = sc.split(";")[0].split("=", 1)[1]
        if len(self.cookie) != 64:
            fail("session cookie is not 256 bits of hex: " + self.cookie)
        self.csrf, self.user, self.role = body["csrf_token"], body["user"], body["role"]

    def call(self, method, path, body=None, csrf=True):
        token = self.csrf if csrf is True else (csrf or None)
        return request(method, path, body, cookie=self.cookie, csrf=token)


def cli(*args, stdin=None):
    r = subprocess.run([COLLECTOR, "user", *args, "--data-dir", DATA], input=stdin, text=True,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        fail("user %s: %s" % (" ".join(args), r.stderr))


RULES = 'alert udp any any -> any any (msg:"roles"; content:"x"; sid:7;)\n'

# No credentials: 401; the OpenAPI document needs none.
st, body, _ = request("GET", "/api/v1/session")
expect(st, 401, "session without cookie", body)
st, body, _ = request("GET", "/api/v1/alerts")
expect(st, 401, "alerts without credentials", body)
st, body, _ = request("GET", "/api/v1/alerts", cookie="0" * 64)
expect(st, 401, "alerts with an unknown cookie", body)
st, doc, _ = request("GET", "/api/v1/openapi.json")
expect(st, 200, "openapi.json", doc)
if "/api/v1/session" not in doc["paths"] or "/api/v1/users/{name}" not in doc["paths"]:
    fail("openapi.json lacks the people routes")

admin, ana, vic = Session("admin1"), Session("ana"), Session("vic")
for s, role in ((admin, "admin"), (ana, "analyst"), (vic, "viewer")):
    if s.role != role:
        fail("%s logged in as %s" % (s.user, s.role))
    st, body, _ = s.call("GET", "/api/v1/session")
    expect(st, 200, "who am I " + s.user, body)
    if body["user"] != s.user or body["role"] != role or body["csrf_token"] != s.csrf:
        fail("GET /api/v1/session: %s" % body)
    st, body, _ = s.call("GET", "/api/v1/alerts", csrf=False)  # a GET needs no CSRF token
    expect(st, 200, "alerts as " + role, body)

# Rule set: viewer and analyst 403, admin only with the right CSRF token.
expect(vic.call("PUT", "/api/v1/ruleset", RULES)[0], 403, "viewer PUT ruleset")
expect(ana.call("PUT", "/api/v1/ruleset", RULES)[0], 403, "analyst PUT ruleset")
expect(admin.call("PUT", "/api/v1/ruleset", RULES, csrf=False)[0], 403, "admin PUT ruleset without CSRF")
expect(admin.call("PUT", "/api/v1/ruleset", RULES, csrf="0" * 64)[0], 403, "admin PUT ruleset, wrong CSRF")
expect(admin.call("PUT", "/api/v1/ruleset", RULES, csrf=ana.csrf)[0], 403, "admin PUT ruleset, another's CSRF")
st, body, _ = admin.call("PUT", "/api/v1/ruleset", RULES)
expect(st, 200, "admin PUT ruleset", body)

# Users: analyst and viewer cannot manage them; admin can.
expect(ana.call("GET", "/api/v1/users")[0], 403, "analyst GET users")
newbie = {"name": "newbie", "role": "viewer", "password": "newbie-password-1"}
expect(ana.call("POST", "/api/v1/users", newbie)[0], 403, "analyst POST users")
expect(vic.call("PATCH", "/api/v1/users/ana", {"role": "admin"})[0], 403, "viewer PATCH another user")
expect(ana.call("PATCH", "/api/v1/users/ana", {"role": "admin"})[0], 403, "analyst promotes self")
expect(admin.call("POST", "/api/v1/users", newbie, csrf=False)[0], 403, "admin POST users without CSRF")
expect(admin.call("POST", "/api/v1/users", dict(newbie, password="short"))[0], 400, "short password")
st, body, _ = admin.call("POST", "/api/v1/users", newbie)
expect(st, 201, "admin POST users", body)
expect(admin.call("POST", "/api/v1/users", newbie)[0], 409, "duplicate user")
st, body, _ = admin.call("GET", "/api/v1/users")
expect(st, 200, "admin GET users", body)
if sorted(u["name"] for u in body["users"]) != ["admin1", "ana", "newbie", "vic", "victim"]:
    fail("users: %s" % body)

# Own password: with the old one only; the change ends the user's sessions.
nb = Session("newbie", "newbie-password-1")
expect(nb.call("PATCH", "/api/v1/users/newbie", {"password": "newbie-password-2"})[0], 403, "passwd without old")
expect(nb.call("PATCH", "/api/v1/users/newbie", {"password": "newbie-password-2", "old_password": "nope"})[0], 403,
       "passwd with a wrong old password")
st, body, _ = nb.call("PATCH", "/api/v1/users/newbie", {"password": "newbie-password-2",
                                                        "old_password": "newbie-password-1"})
expect(st, 200, "passwd with the old password", body)
expect(nb.call("GET", "/api/v1/session")[0], 401, "session after a password change")
Session("newbie", "newbie-password-2")

# A role change (CLI, another process) holds from the next request.
expect(vic.call("GET", "/api/v1/users")[0], 403, "viewer GET users")
cli("set-role", "vic", "--role", "admin")
expect(vic.call("GET", "/api/v1/users")[0], 200, "viewer made admin, next request")
cli("set-role", "vic", "--role", "viewer")
expect(vic.call("GET", "/api/v1/users")[0], 403, "admin made viewer again, next request")

# User tokens: the user's current role, no CSRF (no ambient credential), revocable.
st, body, _ = ana.call("POST", "/api/v1/users/me/tokens", {"name": "ci", "expires_in_s": 3600}, csrf=False)
expect(st, 403, "token create without CSRF", body)
st, body, _ = ana.call("POST", "/api/v1/users/me/tokens", {"name": "ci", "expires_in_s": 3600})
expect(st, 201, "token create", body)
tok, tok_id = body["token"], body["id"]
expect(request("GET", "/api/v1/alerts", bearer=tok)[0], 200, "user token GET alerts")
expect(request("PUT", "/api/v1/ruleset", RULES, bearer=tok)[0], 403, "analyst token PUT ruleset")
st, body, _ = request("GET", "/api/v1/users/me/tokens", bearer=tok)
expect(st, 200, "token list", body)
if [t["id"] for t in body["tokens"]] != [tok_id] or "token" in body["tokens"][0]:
    fail("token list: %s" % body)
expect(vic.call("DELETE", "/api/v1/users/me/tokens/" + tok_id)[0], 404, "viewer revokes another's token")
st, body, _ = request("POST", "/api/v1/users/me/tokens", {"name": "second"}, bearer=tok)
expect(st, 201, "token create with a token", body)
tok2 = body["token"]
expect(request("DELETE", "/api/v1/users/me/tokens/" + tok_id, bearer=tok2)[0], 200, "token revoke")
expect(request("GET", "/api/v1/alerts", bearer=tok)[0], 401, "revoked user token")

# Disabling a user refuses their open session and their tokens at once.
expect(request("GET", "/api/v1/alerts", bearer=tok2)[0], 200, "token before disabling")
st, body, _ = admin.call("PATCH", "/api/v1/users/ana", {"disabled": True})
expect(st, 200, "admin disables analyst", body)
expect(ana.call("GET", "/api/v1/alerts")[0], 401, "disabled user's open session")
expect(request("GET", "/api/v1/alerts", bearer=tok2)[0], 401, "disabled user's token")
st, body, _ = request("POST", "/api/v1/session", {"username": "ana", "password": PW["ana"]})
expect(st, 403, "disabled user logs in", body)
expect(admin.call("PATCH", "/api/v1/users/admin1", {"disabled": True})[0], 403, "admin disables self")

# Logout deletes the session.
expect(vic.call("DELETE", "/api/v1/session", csrf=False)[0], 403, "logout without CSRF")
expect(vic.call("DELETE", "/api/v1/session")[0], 200, "logout")
expect(vic.call("GET", "/api/v1/session")[0], 401, "session after logout")


# Failed logins per user name: from several addresses, the user is delayed,
# then locked; even the right password is refused meanwhile; others are not.
def login(user, password, src):
    return request("POST", "/api/v1/session", {"username": user, "password": password}, src=src)


for i in range(3):  # login.delay_after: 2, so the third failure starts a 1 s delay
    expect(login("victim", "wrong-password-%d" % i, "127.0.0.2")[0], 401, "victim failure %d" % i)
st, body, hdrs = login("victim", PW["victim"], "127.0.0.3")
expect(st, 429, "victim, right password during the delay, other address", body)
if hdrs.get("retry-after") != "1":
    fail("Retry-After after 3 failures: %s" % hdrs.get("retry-after"))
time.sleep(1.2)
expect(login("victim", "wrong-again", "127.0.0.3")[0], 401, "victim fourth failure")  # login.lockout_after: 4
st, body, hdrs = login("victim", PW["victim"], "127.0.0.4")
expect(st, 429, "victim locked out", body)
if "locked" not in body["error"] or int(hdrs.get("retry-after", "0")) < 50:
    fail("lock-out answer: %s %s" % (body, hdrs.get("retry-after")))
Session("admin1", src="127.0.0.4")  # another user from that address is not affected

# Failed logins per address: names that do not exist, then a good account.
for i in range(3):
    expect(login("nobody%d" % i, "wrong-password", "127.0.0.5")[0], 401, "unknown user %d" % i)
st, body, hdrs = login("newbie", "newbie-password-2", "127.0.0.5")
expect(st, 429, "right password from a delayed address", body)
time.sleep(1.2)
expect(login("nobody9", "wrong-password", "127.0.0.5")[0], 401, "address fourth failure")
st, body, hdrs = login("newbie", "newbie-password-2", "127.0.0.5")
expect(st, 429, "address locked out", body)
if "locked" not in body["error"]:
    fail("address lock-out answer: %s" % body)
Session("newbie", "newbie-password-2", src="127.0.0.6")

# An unknown name costs a password check too, so names cannot be probed by
# timing (without the dummy hash it would answer in a few milliseconds).
def timed_login(user, src):
    t0 = time.monotonic()
    expect(login(user, "wrong-password", src)[0], 401, "timed failure of " + user)
    return time.monotonic() - t0


known = min(timed_login("vic", "127.0.0.7"), timed_login("vic", "127.0.0.8"))
unknown = min(timed_login("ghost1", "127.0.0.9"), timed_login("ghost2", "127.0.0.10"))
if unknown < 0.3 * known:
    fail("an unknown name answers faster than a known one: %.3f s vs %.3f s" % (unknown, known))

# The audit log: each change with its author and peer; no route writes it.
st, body, _ = admin.call("GET", "/api/v1/audit?limit=1000")
expect(st, 200, "admin GET audit", body)
entries = body["entries"]


def has(action, actor, target, peer=None):
    return any(e["action"] == action and e["actor"] == actor and e["target"] == target and
               (peer is None or e["peer"] == peer) for e in entries)


checks = [("user.add", "cli", "admin1", "local"), ("user.add", "admin1", "newbie", "127.0.0.1"),
          ("ruleset.upload", "admin1", None, "127.0.0.1"), ("user.update", "cli", "vic", "local"),
          ("user.passwd", "newbie", "newbie", "127.0.0.1"), ("token.create", "ana", tok_id, "127.0.0.1"),
          ("token.revoke", "ana", tok_id, "127.0.0.1"), ("user.update", "admin1", "ana", "127.0.0.1"),
          ("session.login", "vic", "vic", "127.0.0.1"), ("session.logout", "vic", "vic", "127.0.0.1"),
          ("session.login_failed", "victim", "victim", "127.0.0.2"),
          ("session.login_failed", "victim", "victim", "127.0.0.3"),
          ("session.login_failed", "nobody0", "nobody0", "127.0.0.5")]
for action, actor, target, peer in checks:
    if target is None:
        ok = any(e["action"] == action and e["actor"] == actor and e["peer"] == peer for e in entries)
    else:
        ok = has(action, actor, target, peer)
    if not ok:
        fail("audit lacks %s by %s on %s from %s" % (action, actor, target, peer))
ids = [e["id"] for e in entries]
if ids != sorted(ids, reverse=True):
    fail("audit not newest first")
st, body, _ = admin.call("GET", "/api/v1/audit?actor=admin1&action=user.add")
if st != 200 or [e["target"] for e in body["entries"]] != ["newbie"]:
    fail("audit filter: %d %s" % (st, body))
st, body, _ = admin.call("GET", "/api/v1/audit?limit=2")
st2, body2, _ = admin.call("GET", "/api/v1/audit?limit=2&before_id=%d" % body["next_before_id"])
if [e["id"] for e in body["entries"] + body2["entries"]] != ids[:4]:
    fail("audit paging: %s %s" % (body, body2))
n = len(entries)
for method in ("POST", "PATCH", "DELETE", "PUT"):
    expect(admin.call(method, "/api/v1/audit", {"action": "x"})[0], 405, method + " audit")
expect(Session("newbie", "newbie-password-2", src="127.0.0.6").call("GET", "/api/v1/audit")[0], 403,
       "viewer GET audit")
st, body, _ = admin.call("GET", "/api/v1/audit?limit=1000&action=session.login_failed")
if len([e for e in body["entries"] if e["target"] == "victim"]) != 4:
    fail("four failed logins of victim expected: %s" % body)
st, body, _ = request("GET", "/api/v1/server/stats", cookie=admin.cookie)
if st != 200 or body["auth.login_failed"] < 8 or body["auth.login_locked"] < 2 or body["auth.csrf_refused"] < 5:
    fail("auth counters: %d %s" % (st, body))
print("PASS")
