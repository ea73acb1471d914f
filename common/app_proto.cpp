#include "common/app_proto.h"

namespace vigil {

std::string_view app_proto_name(AppProto p) {
  switch (p) {
    case AppProto::kHttp:
      return "http";
    case AppProto::kDns:
      return "dns";
    case AppProto::kTls:
      return "tls";
    case AppProto::kSsh:
      return "ssh";
    case AppProto::kSmb:
      return "smb";
    case AppProto::kFtp:
      return "ftp";
    case AppProto::kSmtp:
      return "smtp";
    case AppProto::kFtpData:
      return "ftp-data";
    case AppProto::kFailed:
      return "failed";
    default:
      return "";
  }
}

AppProto app_proto_from_name(std::string_view n) {
  if (n == "http" || n == "http1") return AppProto::kHttp;
  if (n == "dns") return AppProto::kDns;
  if (n == "tls" || n == "ssl") return AppProto::kTls;
  if (n == "ssh") return AppProto::kSsh;
  if (n == "smb" || n == "netbios-ssn") return AppProto::kSmb;
  if (n == "ftp") return AppProto::kFtp;
  if (n == "smtp") return AppProto::kSmtp;
  if (n == "ftp-data") return AppProto::kFtpData;
  if (n == "failed") return AppProto::kFailed;
  return AppProto::kUnknown;
}

}  // namespace vigil
