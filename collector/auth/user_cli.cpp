#include "collector/auth/user_cli.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "collector/auth/password.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

std::string fmt_time(int64_t t) {
  char buf[32];
  std::tm tm{};
  time_t tt = static_cast<time_t>(t);
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The first line of standard input, without its line end; the password is
// checked against the documented minimum.
bool read_password(std::istream& in, std::string* pw, std::ostream& err) {
  if (!std::getline(in, *pw)) {
    err << "vigil-collector: give the password on standard input\n";
    return false;
  }
  if (!pw->empty() && pw->back() == '\r') pw->pop_back();
  if (auto why = password_problem(*pw); !why.empty()) {
    err << "vigil-collector: password refused: " << why << "\n";
    return false;
  }
  return true;
}

}  // namespace

void audit_cli(Store& store, const std::string& action, const std::string& target, nlohmann::json detail,
               std::ostream& err) {
  if (!detail.is_object()) detail = nlohmann::json::object();
  struct passwd* pw = getpwuid(getuid());
  detail["os_user"] = pw ? std::string(pw->pw_name) : std::to_string(getuid());
  AuditEntry e{0, unix_now_s(), "cli", action, target, "local", std::move(detail)};
  if (auto st = store.append_audit(e); !st.ok)
    err << "vigil-collector: warning: audit log: " << st.message << "\n";
}

int run_user_command(const UserCommand& cmd, Store& store, AccountStore& accounts, std::istream& in,
                     std::ostream& out, std::ostream& err) {
  int64_t now = unix_now_s();
  if (cmd.verb == "list") {
    out << "name                 role     state     created\n";
    for (const auto& u : accounts.list_users()) {
      char line[200];
      std::snprintf(line, sizeof line, "%-20s %-8s %-9s %s\n", u.name.c_str(), role_name(u.role),
                    u.disabled ? "disabled" : "active", fmt_time(u.created_at).c_str());
      out << line;
    }
    return 0;
  }
  std::optional<Role> role;
  if (cmd.verb == "add" || cmd.verb == "set-role") {
    role = role_from_string(cmd.role);
    if (!role) {
      err << "vigil-collector: --role must be admin, analyst or viewer\n";
      return 2;
    }
  }
  if (cmd.verb == "add") {
    if (auto why = user_name_problem(cmd.name); !why.empty()) {
      err << "vigil-collector: bad user name: " << why << "\n";
      return 2;
    }
    if (accounts.get_user(cmd.name)) {
      err << "vigil-collector: user " << cmd.name << " exists\n";
      return 1;
    }
    std::string pw;
    if (!read_password(in, &pw, err)) return 1;
    UserRecord u;
    u.name = cmd.name;
    u.role = *role;
    u.created_at = u.updated_at = now;
    u.password_hash = hash_password(pw);
    if (u.password_hash.empty()) {
      err << "vigil-collector: cannot hash the password (out of memory?)\n";
      return 1;
    }
    if (auto st = accounts.add_user(u); !st.ok) {
      err << "vigil-collector: " << st.message << "\n";
      return 1;
    }
    audit_cli(store, "user.add", cmd.name, {{"role", role_name(*role)}}, err);
    out << "user " << cmd.name << " added (" << role_name(*role) << ")\n";
    return 0;
  }
  UserUpdate up;
  nlohmann::json detail = nlohmann::json::object();
  std::string action = "user.update";
  if (cmd.verb == "disable" || cmd.verb == "enable") {
    up.disabled = cmd.verb == "disable";
    detail["disabled"] = *up.disabled;
  } else if (cmd.verb == "set-role") {
    up.role = role;
    detail["role"] = role_name(*role);
  } else if (cmd.verb == "passwd") {
    std::string pw;
    if (!read_password(in, &pw, err)) return 1;
    up.password_hash = hash_password(pw);
    if (up.password_hash->empty()) return 1;
    detail["password_changed"] = true;
    action = "user.passwd";
  } else {
    err << "vigil-collector: unknown user command " << cmd.verb << "\n";
    return 2;
  }
  bool found = false;
  if (auto st = accounts.update_user(cmd.name, up, now, &found); !st.ok) {
    err << "vigil-collector: " << st.message << "\n";
    return 1;
  }
  if (!found) {
    err << "vigil-collector: no user " << cmd.name << " (see user list)\n";
    return 1;
  }
  audit_cli(store, action, cmd.name, detail, err);
  out << "user " << cmd.name << ": " << cmd.verb << " done\n";
  return 0;
}

}  // namespace vigil::collector
