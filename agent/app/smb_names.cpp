#include "agent/app/smb_names.h"

#include <cstdio>
#include <utility>

namespace vigil::smb {

std::string smb2_command_name(uint16_t cmd) {
  static const char* const kNames[] = {"NEGOTIATE_PROTOCOL",
                                       "SESSION_SETUP",
                                       "SESSION_LOGOFF",
                                       "TREE_CONNECT",
                                       "TREE_DISCONNECT",
                                       "CREATE",
                                       "CLOSE",
                                       "FLUSH",
                                       "READ",
                                       "WRITE",
                                       "LOCK",
                                       "IOCTL",
                                       "CANCEL",
                                       "KEEPALIVE",
                                       "FIND",
                                       "CHANGE_NOTIFY",
                                       "GET_INFO",
                                       "SET_INFO",
                                       "OPLOCK_BREAK"};
  if (cmd < std::size(kNames)) return std::string("SMB2_COMMAND_") + kNames[cmd];
  return std::to_string(cmd);
}

std::string smb1_command_name(uint8_t cmd) {
  static const std::pair<uint8_t, const char*> kNames[] = {
      {0x00, "CREATE_DIRECTORY"},
      {0x01, "DELETE_DIRECTORY"},
      {0x02, "OPEN"},
      {0x03, "CREATE"},
      {0x04, "CLOSE"},
      {0x05, "FLUSH"},
      {0x06, "DELETE"},
      {0x07, "RENAME"},
      {0x08, "QUERY_INFORMATION"},
      {0x09, "SET_INFORMATION"},
      {0x0a, "READ"},
      {0x0b, "WRITE"},
      {0x0c, "LOCK_BYTE_RANGE"},
      {0x0d, "UNLOCK_BYTE_RANGE"},
      {0x0e, "CREATE_TEMPORARY"},
      {0x0f, "CREATE_NEW"},
      {0x10, "CHECK_DIRECTORY"},
      {0x11, "PROCESS_EXIT"},
      {0x12, "SEEK"},
      {0x13, "LOCK_AND_READ"},
      {0x14, "WRITE_AND_UNLOCK"},
      {0x1a, "READ_RAW"},
      {0x1d, "WRITE_RAW"},
      {0x22, "SET_INFORMATION2"},
      {0x23, "QUERY_INFORMATION2"},
      {0x24, "LOCKING_ANDX"},
      {0x25, "TRANS"},
      {0x26, "TRANS_SECONDARY"},
      {0x27, "IOCTL"},
      {0x28, "IOCTL_SECONDARY"},
      {0x29, "COPY"},
      {0x2a, "MOVE"},
      {0x2b, "ECHO"},
      {0x2c, "WRITE_AND_CLOSE"},
      {0x2d, "OPEN_ANDX"},
      {0x2e, "READ_ANDX"},
      {0x2f, "WRITE_ANDX"},
      {0x30, "NEW_FILE_SIZE"},
      {0x31, "CLOSE_AND_TREE_DISC"},
      {0x32, "TRANS2"},
      {0x33, "TRANS2_SECONDARY"},
      {0x34, "FIND_CLOSE2"},
      {0x35, "FIND_NOTIFY_CLOSE"},
      {0x70, "TREE_CONNECT"},
      {0x71, "TREE_DISCONNECT"},
      {0x72, "NEGOTIATE_PROTOCOL"},
      {0x73, "SESSION_SETUP_ANDX"},
      {0x74, "LOGOFF_ANDX"},
      {0x75, "TREE_CONNECT_ANDX"},
      {0x7e, "SECURITY_PACKAGE_ANDX"},
      {0x80, "QUERY_INFO_DISK"},
      {0x81, "SEARCH"},
      {0x82, "FIND"},
      {0x83, "FIND_UNIQUE"},
      {0x84, "FIND_CLOSE"},
      {0xa0, "NT_TRANS"},
      {0xa1, "NT_TRANS_SECONDARY"},
      {0xa2, "NT_CREATE_ANDX"},
      {0xa4, "NT_CANCEL"},
      {0xa5, "NT_RENAME"},
      {0xc0, "OPEN_PRINT_FILE"},
      {0xc1, "WRITE_PRINT_FILE"},
      {0xc2, "CLOSE_PRINT_FILE"},
      {0xc3, "GET_PRINT_QUEUE"},
      {0xd8, "READ_BULK"},
      {0xd9, "WRITE_BULK"},
      {0xda, "WRITE_BULK_DATA"},
      {0xfe, "INVALID"},
      {0xff, "NO_ANDX_COMMAND"},
  };
  for (auto& [c, n] : kNames)
    if (c == cmd) return std::string("SMB1_COMMAND_") + n;
  return std::to_string(cmd);
}

std::string ntstatus_name(uint32_t status) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {0x00000000, "STATUS_SUCCESS"},
      {0x00000103, "STATUS_PENDING"},
      {0x0000010C, "STATUS_NOTIFY_ENUM_DIR"},
      {0x80000005, "STATUS_BUFFER_OVERFLOW"},
      {0x80000006, "STATUS_NO_MORE_FILES"},
      {0x8000002D, "STATUS_STOPPED_ON_SYMLINK"},
      {0xC0000002, "STATUS_NOT_IMPLEMENTED"},
      {0xC0000003, "STATUS_INVALID_INFO_CLASS"},
      {0xC0000004, "STATUS_INFO_LENGTH_MISMATCH"},
      {0xC0000005, "STATUS_ACCESS_VIOLATION"},
      {0xC0000008, "STATUS_INVALID_HANDLE"},
      {0xC000000D, "STATUS_INVALID_PARAMETER"},
      {0xC000000F, "STATUS_NO_SUCH_FILE"},
      {0xC0000010, "STATUS_INVALID_DEVICE_REQUEST"},
      {0xC0000011, "STATUS_END_OF_FILE"},
      {0xC0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
      {0xC0000022, "STATUS_ACCESS_DENIED"},
      {0xC0000023, "STATUS_BUFFER_TOO_SMALL"},
      {0xC0000033, "STATUS_OBJECT_NAME_INVALID"},
      {0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
      {0xC0000035, "STATUS_OBJECT_NAME_COLLISION"},
      {0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND"},
      {0xC0000043, "STATUS_SHARING_VIOLATION"},
      {0xC0000054, "STATUS_FILE_LOCK_CONFLICT"},
      {0xC0000055, "STATUS_LOCK_NOT_GRANTED"},
      {0xC0000056, "STATUS_DELETE_PENDING"},
      {0xC0000064, "STATUS_NO_SUCH_USER"},
      {0xC000006A, "STATUS_WRONG_PASSWORD"},
      {0xC000006D, "STATUS_LOGON_FAILURE"},
      {0xC0000071, "STATUS_PASSWORD_EXPIRED"},
      {0xC0000072, "STATUS_ACCOUNT_DISABLED"},
      {0xC000007E, "STATUS_RANGE_NOT_LOCKED"},
      {0xC000007F, "STATUS_DISK_FULL"},
      {0xC00000B0, "STATUS_PIPE_DISCONNECTED"},
      {0xC00000B5, "STATUS_IO_TIMEOUT"},
      {0xC00000BA, "STATUS_FILE_IS_A_DIRECTORY"},
      {0xC00000BB, "STATUS_NOT_SUPPORTED"},
      {0xC00000C9, "STATUS_NETWORK_NAME_DELETED"},
      {0xC00000CA, "STATUS_NETWORK_ACCESS_DENIED"},
      {0xC00000CB, "STATUS_BAD_DEVICE_TYPE"},
      {0xC00000CC, "STATUS_BAD_NETWORK_NAME"},
      {0xC00000D0, "STATUS_REQUEST_NOT_ACCEPTED"},
      {0xC00000D4, "STATUS_NOT_SAME_DEVICE"},
      {0xC00000D9, "STATUS_PIPE_EMPTY"},
      {0xC0000101, "STATUS_DIRECTORY_NOT_EMPTY"},
      {0xC0000103, "STATUS_NOT_A_DIRECTORY"},
      {0xC0000120, "STATUS_CANCELLED"},
      {0xC0000128, "STATUS_FILE_CLOSED"},
      {0xC000014B, "STATUS_PIPE_BROKEN"},
      {0xC000019C, "STATUS_FS_DRIVER_REQUIRED"},
      {0xC0000203, "STATUS_USER_SESSION_DELETED"},
      {0xC0000205, "STATUS_INSUFF_SERVER_RESOURCES"},
      {0xC0000225, "STATUS_NOT_FOUND"},
      {0xC0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
      {0xC0000257, "STATUS_PATH_NOT_COVERED"},
      {0xC000035C, "STATUS_NETWORK_SESSION_EXPIRED"},
  };
  for (auto& [c, n] : kNames)
    if (c == status) return n;
  return std::to_string(status);
}

std::string smb2_dialect_name(uint16_t d) {
  switch (d) {
    case 0x0202:
      return "2.02";
    case 0x0210:
      return "2.10";
    case 0x0222:
      return "2.22";
    case 0x0224:
      return "2.24";
    case 0x02ff:
      return "2.??";
    case 0x0300:
      return "3.00";
    case 0x0302:
      return "3.02";
    case 0x0310:
      return "3.10";
    case 0x0311:
      return "3.11";
    default:
      return std::to_string(d);
  }
}

std::string fsctl_name(uint32_t code) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {0x00060194, "FSCTL_DFS_GET_REFERRALS"},
      {0x000601B0, "FSCTL_DFS_GET_REFERRALS_EX"},
      {0x0011400C, "FSCTL_PIPE_PEEK"},
      {0x00110018, "FSCTL_PIPE_WAIT"},
      {0x0011C017, "FSCTL_PIPE_TRANSCEIVE"},
      {0x001440F2, "FSCTL_SRV_COPYCHUNK"},
      {0x00144064, "FSCTL_SRV_ENUMERATE_SNAPSHOTS"},
      {0x00140078, "FSCTL_SRV_REQUEST_RESUME_KEY"},
      {0x001441bb, "FSCTL_SRV_READ_HASH"},
      {0x001480F2, "FSCTL_SRV_COPYCHUNK_WRITE"},
      {0x001401D4, "FSCTL_LMR_REQUEST_RESILIENCY"},
      {0x001401FC, "FSCTL_QUERY_NETWORK_INTERFACE_INFO"},
      {0x000900A4, "FSCTL_SET_REPARSE_POINT"},
      {0x000900A8, "FSCTL_GET_REPARSE_POINT"},
      {0x000980C8, "FSCTL_SET_ZERO_DATA"},
      {0x00140204, "FSCTL_VALIDATE_NEGOTIATE_INFO"},
  };
  for (auto& [c, n] : kNames)
    if (c == code) return n;
  return std::to_string(code);
}

std::string utf16le_to_utf8(std::string_view b) {
  std::string out;
  out.reserve(b.size() / 2);
  auto unit = [&](size_t i) { return uint32_t(uint8_t(b[i])) | (uint32_t(uint8_t(b[i + 1])) << 8); };
  auto put = [&](uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(char(cp));
    } else if (cp < 0x800) {
      out.push_back(char(0xC0 | (cp >> 6)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(char(0xE0 | (cp >> 12)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (cp >> 18)));
      out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    }
  };
  size_t n = b.size() & ~size_t{1};
  for (size_t i = 0; i < n; i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        put(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    put(u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u);
  }
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

uint64_t filetime_to_unix(uint64_t ft) {
  constexpr uint64_t kEpochDiff = 11644473600ULL;
  uint64_t s = ft / 10000000ULL;
  return s > kEpochDiff ? s - kEpochDiff : 0;
}

std::string guid_string(std::string_view g) {
  if (g.size() != 16) return "";
  auto u = [&](size_t i) { return unsigned(uint8_t(g[i])); };
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u(3),
                u(2), u(1), u(0), u(5), u(4), u(7), u(6), u(8), u(9), u(10), u(11), u(12), u(13), u(14),
                u(15));
  return buf;
}

}  // namespace vigil::smb
