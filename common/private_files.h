// Files that hold credentials, spooled events or captured traffic: created
// private to the program's user from the first byte (no window in which a
// freshly created file is readable by others before a chmod).
//
// Load-time and start-up code; any thread; never on the packet path.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>

namespace vigil {

// The umask vigil-agent and vigil-collector set first thing: whatever either
// creates without an explicit mode is at most 0640 (files) / 0750 (dirs).
constexpr mode_t kProgramUmask = 027;
void set_program_umask();

// Creates `path` if missing with `mode` (e.g. 0600) and closes it; an existing
// file keeps its content and loses any permission bit `mode` lacks (never
// gains one). "" or what went wrong.
std::string ensure_private_file(const std::string& path, mode_t mode);

// An existing file at `path` (symbolic links not followed) loses any
// permission bit `mode` lacks; a missing one is left missing. False when it
// exists and cannot be changed.
bool restrict_mode(const std::string& path, mode_t mode);

// The SQLite database at `path` and its -wal and -shm files, created 0600 /
// restricted to 0600 (SQLite gives the -wal and -shm files the database's
// mode when it creates them). "" or what went wrong.
std::string private_sqlite_files(const std::string& path);

// fopen(path, "a"), the file created with `mode` when missing (an existing
// file keeps its mode). Null and *error when it cannot be opened.
FILE* open_append(const std::string& path, mode_t mode, std::string* error);

}  // namespace vigil
