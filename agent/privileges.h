// Running vigil-agent as root with --user U: the capture (and the files read
// at start) are opened as root, then the agent drops to U for good. What it
// writes after the drop must be U's:
//   - the enrolled state directory (agent.json, collector-ca.pem, spool.db
//     and its -wal/-shm, collector.rules*, rulefiles/, rule-cache/) is the
//     agent's own: it and everything in it are handed over to U, wherever
//     they were created as root (enrolment, an earlier start, this start);
//   - eve.json is handed over to U (its directory is handed over only when
//     the agent created it: an existing log directory may be shared, and
//     nothing else is created in it after the drop);
//   - a detect.cache-dir outside the state directory: handed over when the
//     agent created it, else it must already be writable by U (warned).
// Start-up only, on the main thread, before any other thread exists.
#pragma once

#include <sys/types.h>

#include <string>

namespace vigil {

struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks the user up. False and *error (saying what to do) when there is none.
bool lookup_run_as(const std::string& name, RunAs* out, std::string* error);

// Makes `path` and, for a directory, everything under it owned by U (group:
// U's primary group). Symbolic links are never followed (the link itself is
// changed). A regular file with a second hard link is refused: it could be
// another file's name, planted by whoever owned the directory before. False
// and *error on the first failure.
bool hand_over_tree(const std::string& path, const RunAs& u, std::string* error);

// Supplementary groups, group, then user; checks that root cannot be
// regained. False and *error when any step fails (the agent must then stop).
bool drop_to(const RunAs& u, std::string* error);

}  // namespace vigil
