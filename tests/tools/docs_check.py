#!/usr/bin/env python3
"""Checks the user guides in docs/ against the programs and the web UI.

Usage: docs_check.py SRC AGENT COLLECTOR

- Every `vigil-agent ...` / `vigil-collector ...` command the guides show
  (in code blocks and inline code) names subcommands and options that the
  program's --help lists for that (sub)command.
- Every dotted configuration key in inline code exists in the program's
  configuration reference (--config-docs, config docs); a dotted name that is
  not a key (a counter, an audit action) must appear quoted in the sources,
  and one that starts like a key or counter but is neither fails.
- Every **bold** text is a label of the web UI in the file's language
  (collector/web/i18n/en.js or vi.js): bold is kept for what the UI shows.
- docs/en/X.md and docs/vi/X.md exist in pairs with the same number of "##"
  sections and of code blocks; relative links resolve.
Prints what it checked; exits 1 naming every problem.
"""
import os
import re
import subprocess
import sys

src, agent, collector = sys.argv[1:4]
problems = []
counts = {"commands": 0, "options": 0, "keys": 0, "names": 0, "labels": 0}


def run(cmd):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")
    return r.stdout


help_cache = {}


def help_of(prog, path):
    key = (prog, tuple(path))
    if key not in help_cache:
        text = run([prog, *path, "--help"])
        opts = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text.split("Options:", 1)[-1].split("Subcommands:", 1)[0]))
        subs = set()
        if "Subcommands:" in text:
            subs = set(re.findall(r"^  ([a-z][\w-]*)\s", text.split("Subcommands:", 1)[1], re.M))
        help_cache[key] = (opts, subs)
    return help_cache[key]


PROGS = {"vigil-agent": agent, "vigil-collector": collector}


def check_command(where, name, rest):
    prog = PROGS[name]
    # The command ends at a comment, a redirection or the next command.
    rest = re.split(r"\s(?:#|<|>|\||;|&&)", " " + rest, maxsplit=1)[0]
    words = rest.split()
    path = []
    opts, subs = help_of(prog, path)
    i = 0
    # Subcommands come before the options: `vigil-collector token create ...`.
    while i < len(words) and not words[i].startswith("-") and subs:
        if words[i] not in subs:
            break
        path.append(words[i])
        opts, subs = help_of(prog, path)
        i += 1
    if i < len(words) and not words[i].startswith("-") and not path and name == "vigil-collector":
        problems.append(f"{where}: `{name} {words[i]}`: no such subcommand")
        return
    if i < len(words) and not words[i].startswith("-") and subs:
        problems.append(f"{where}: `{name} {' '.join(path + [words[i]])}`: no such subcommand")
        return
    counts["commands"] += 1
    for w in words[i:]:
        if not re.fullmatch(r"--?[A-Za-z][\w-]*(=.*)?", w):
            continue
        opt = w.split("=", 1)[0]
        counts["options"] += 1
        if opt not in opts:
            problems.append(f"{where}: `{name} {' '.join(path)}` has no option {opt}")


CMD_RE = re.compile(r"(?:^|(?<=-- )|(?<=sudo )|(?<=[;&|] ))(vigil-agent|vigil-collector)(?=\s|$)(.*)")


def commands_in(where, segment):
    for m in CMD_RE.finditer(segment.strip()):
        check_command(where, m.group(1), m.group(2))


# Configuration keys, from the programs' own references.
def keys_of(doc):
    keys = set(re.findall(r"^\| `([^`]+)` \|", doc, re.M))
    return keys, {k.split(".", 1)[0] for k in keys}


agent_keys, agent_sections = keys_of(run([agent, "--config-docs"]))
collector_keys, collector_sections = keys_of(run([collector, "config", "docs"]))
if len(agent_keys) < 50 or len(collector_keys) < 30:
    sys.exit(f"configuration references too short: {len(agent_keys)} agent keys, {len(collector_keys)} collector keys")
# Dotted names that are neither keys nor files: counters and the like.
COUNTER_PREFIXES = {"capture", "spool", "uplink", "heartbeat", "tcp", "flow", "defrag", "detect", "alert", "session"}
source_text = []
for d in ("agent", "common", "collector", "rules"):
    for root, _, files in os.walk(os.path.join(src, d)):
        for f in files:
            if f.endswith((".cpp", ".h")):
                with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                    source_text.append(fh.read())
source_text = "\n".join(source_text)


def check_name(where, token):
    m = re.match(r"[A-Za-z][\w-]*(?:\.[\w-]+)+", token)
    if not m or m.group(0) != token.split(":")[0].split("=")[0].split()[0]:
        return
    name = m.group(0)
    first = name.split(".", 1)[0]
    base = re.sub(r"^(vars\.(?:address|port)-groups)\..*", r"\1", name)
    if base in agent_keys or base in collector_keys:
        counts["keys"] += 1
        return
    if f'"{name}"' in source_text:
        counts["names"] += 1
        return
    if first in agent_sections | collector_sections | COUNTER_PREFIXES:
        problems.append(f"{where}: `{token}`: not a configuration key of either program, nor a name in the sources")


def catalogue(lang):
    path = os.path.join(src, "collector", "web", "i18n", f"{lang}.js")
    with open(path, encoding="utf-8") as fh:
        vals = re.findall(r"^\s*'[^']+': '((?:[^'\\]|\\.)*)',\s*$", fh.read(), re.M)
    return {v.replace("\\'", "'") for v in vals}


labels = {"en": catalogue("en"), "vi": catalogue("vi")}


def check_file(path, lang):
    rel = os.path.relpath(path, src)
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    prose = []
    block = None
    structure = {"sections": 0, "code blocks": 0}
    for n, line in enumerate(lines, 1):
        where = f"{rel}:{n}"
        if line.startswith("```"):
            if block is None:
                block = ""
                structure["code blocks"] += 1
            else:
                block = None
            prose.append((n, ""))
            continue
        if block is not None:
            block += line
            if line.endswith("\\"):
                block = block[:-1] + " "
                continue
            commands_in(where, block)
            block = ""
            continue
        if line.startswith("## "):
            structure["sections"] += 1
        if line.count("**") % 2:
            problems.append(f"{where}: bold text must open and close on one line")
        for b in re.findall(r"\*\*(.+?)\*\*", line):
            counts["labels"] += 1
            if lang and b not in labels[lang]:
                problems.append(f"{where}: **{b}** is not a label of the {lang} web UI (collector/web/i18n/{lang}.js)")
            elif not lang and b not in labels["en"] | labels["vi"]:
                problems.append(f"{where}: **{b}** is not a label of the web UI")
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", line):
            if "://" not in target and not os.path.exists(os.path.join(os.path.dirname(path), target)):
                problems.append(f"{where}: link to {target}, which does not exist")
        prose.append((n, line))
    # Inline code may run over a line break: join each paragraph.
    para, start = [], 1
    for n, line in prose + [(len(lines) + 1, "")]:
        if line.strip():
            if not para:
                start = n
            para.append(line)
            continue
        text = " ".join(para)
        for code in re.findall(r"`([^`]+)`", text):
            commands_in(f"{rel}:{start}", code)
            check_name(f"{rel}:{start}", code)
        para = []
    return structure


docs = os.path.join(src, "docs")
check_file(os.path.join(docs, "README.md"), None)
check_file(os.path.join(docs, "deploy.md"), None)
en = sorted(f for f in os.listdir(os.path.join(docs, "en")) if f.endswith(".md"))
vi = sorted(f for f in os.listdir(os.path.join(docs, "vi")) if f.endswith(".md"))
if en != vi:
    problems.append(f"docs/en has {en}, docs/vi has {vi}: every guide in both languages")
if len(en) < 2:
    problems.append(f"docs/en has only {en}")
for f in sorted(set(en) & set(vi)):
    s_en = check_file(os.path.join(docs, "en", f), "en")
    s_vi = check_file(os.path.join(docs, "vi", f), "vi")
    if s_en != s_vi:
        problems.append(f"docs/en/{f} has {s_en}, docs/vi/{f} has {s_vi}: the translations must have the same structure")
    print(f"{f}: {s_en['sections']} sections, {s_en['code blocks']} code blocks in both languages")

for what, least in (("commands", 40), ("options", 60), ("keys", 40), ("labels", 150)):
    if counts[what] < least:
        problems.append(f"only {counts[what]} {what} checked (expected at least {least}): is the parser still finding them?")
print(", ".join(f"{v} {k}" for k, v in counts.items()) + " checked")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
