#include "common/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace vigil {
namespace {

bool hand_over_one(const std::string& path, const RunAs& u, std::string* error) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    *error = "cannot stat " + path + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    *error = path + " has " + std::to_string(st.st_nlink) + " hard links: refusing to give it to user " +
             u.name + " (remove the other names)";
    return false;
  }
  if (st.st_uid == u.uid && st.st_gid == u.gid) return true;
  if (lchown(path.c_str(), u.uid, u.gid) != 0) {
    *error = "cannot give " + path + " to user " + u.name + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool lookup_run_as(const std::string& name, RunAs* out, std::string* error) {
  errno = 0;
  struct passwd* pw = getpwnam(name.c_str());
  if (!pw) {
    *error =
        "--user " + name + ": no such user (create one, e.g. useradd --system --no-create-home " + name + ")";
    return false;
  }
  if (pw->pw_uid == 0) {
    *error = "--user " + name + ": that is root; give an unprivileged user";
    return false;
  }
  out->name = pw->pw_name;
  out->uid = pw->pw_uid;
  out->gid = pw->pw_gid;
  out->known = true;
  return true;
}

bool owner_run_as(const std::string& path, RunAs* out) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || st.st_uid == 0) return false;
  out->uid = st.st_uid;
  out->gid = st.st_gid;
  struct passwd* pw = getpwuid(st.st_uid);
  out->name = pw ? pw->pw_name : "uid " + std::to_string(st.st_uid);
  out->known = pw != nullptr;
  return true;
}

bool hand_over_tree(const std::string& path, const RunAs& u, std::string* error) {
  namespace fs = std::filesystem;
  if (!hand_over_one(path, u, error)) return false;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(path, ec))) return true;
  // Not following directory links: a link is changed itself, never what it names.
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!hand_over_one(it->path().string(), u, error)) return false;
  }
  if (ec) {
    *error = "cannot list " + path + ": " + ec.message();
    return false;
  }
  return true;
}

bool drop_to(const RunAs& u, std::string* error) {
  auto fail = [&](const char* step) {
    *error = "--user " + u.name + ": " + step + " failed: " + std::strerror(errno);
    return false;
  };
  // A uid without a user database entry gets its group and nothing else.
  if (u.known ? initgroups(u.name.c_str(), u.gid) != 0 : setgroups(1, &u.gid) != 0) return fail("initgroups");
  if (setgid(u.gid) != 0) return fail("setgid");
  if (setuid(u.uid) != 0) return fail("setuid");
  if (setuid(0) == 0 || geteuid() == 0) {
    *error = "--user " + u.name + ": root could be regained after the drop";
    return false;
  }
  return true;
}

}  // namespace vigil
