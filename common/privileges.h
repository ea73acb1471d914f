// Started as root, a Vigil program drops to an unprivileged user for good,
// once what needs root is open, and hands what it will write afterwards to
// that user first.
//   - vigil-agent --user U: after the capture and the files read at start
//     are open. The enrolled state directory (agent.json, collector-ca.pem,
//     spool.db and its -wal/-shm, collector.rules*, rulefiles/, rule-cache/)
//     is handed to U with everything in it; eve.json is (its directory only
//     when the agent created it: a log directory may be shared); a
//     detect.cache-dir outside the state directory is when the agent created
//     it, else it must already be writable by U (warned).
//   - vigil-collector serve --user U: after the listening socket is bound
//     (so a port below 1024 works), with the data directory (database, keys,
//     forward dead-letter files) handed to U.
//   - the collector's admin commands, run as root on a data directory that
//     belongs to someone else, act as that owner (owner_run_as) so that
//     nothing in it becomes root's.
// Start-up only, on the main thread.
#pragma once

#include <sys/types.h>

#include <string>

namespace vigil {

struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  bool known = true;  // in the user database (its supplementary groups are used)
};

// Looks the user up. False and *error (saying what to do) when there is none.
bool lookup_run_as(const std::string& name, RunAs* out, std::string* error);

// The owner of `path` (symbolic links not followed) when it exists and is not
// root: its uid and gid, and its name from the user database ("uid N" when
// it has none). False otherwise.
bool owner_run_as(const std::string& path, RunAs* out);

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
