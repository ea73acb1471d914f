// `vigil-collector user add|list|disable|enable|set-role|passwd`: the CLI
// side of the user accounts (the first admin is made here). Passwords come on
// standard input (the first line), never on the command line where `ps`
// shows them. Every change is audited with actor "cli".
//
// Called by main() once, on the main thread; the server may run at once on
// the same database (SQLite WAL).
#pragma once

#include <iosfwd>
#include <string>

#include "collector/store/account_store.h"
#include "collector/store/store.h"

namespace vigil::collector {

struct UserCommand {
  std::string verb;  // add, list, disable, enable, set-role, passwd
  std::string name;
  std::string role;  // add, set-role
};

// Appends one entry for a command-line change to the audit log: actor "cli",
// peer "local", and the operating-system user who ran it in the detail
// ("os_user"). A failure to write it is a warning on `err`, not a failed
// command: the change itself is done.
void audit_cli(Store& store, const std::string& action, const std::string& target, nlohmann::json detail,
               std::ostream& err);

// Returns the process exit status (0 ok, 1 refused or failed, 2 bad usage).
int run_user_command(const UserCommand& cmd, Store& store, AccountStore& accounts, std::istream& in,
                     std::ostream& out, std::ostream& err);

}  // namespace vigil::collector
