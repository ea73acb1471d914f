#include "common/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil {

void set_program_umask() {
  umask(kProgramUmask);
}

std::string ensure_private_file(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  struct stat st {};
  std::string err;
  if (fstat(fd, &st) != 0) {
    err = "cannot stat " + path + ": " + std::strerror(errno);
  } else if ((st.st_mode & 07777 & ~mode) != 0 && fchmod(fd, st.st_mode & 07777 & mode) != 0) {
    err = "cannot restrict the mode of " + path + ": " + std::strerror(errno);
  }
  ::close(fd);
  return err;
}

bool restrict_mode(const std::string& path, mode_t mode) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return true;
  mode_t want = st.st_mode & 07777 & mode;
  return want == (st.st_mode & 07777) || chmod(path.c_str(), want) == 0;
}

std::string private_sqlite_files(const std::string& path) {
  if (std::string err = ensure_private_file(path, 0600); !err.empty()) return err;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (!restrict_mode(path + suffix, 0600)) return "cannot restrict the mode of " + path + suffix;
  }
  return "";
}

FILE* open_append(const std::string& path, mode_t mode, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode);
  FILE* f = fd < 0 ? nullptr : fdopen(fd, "a");
  if (!f) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
  }
  return f;
}

}  // namespace vigil
