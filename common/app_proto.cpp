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
    case AppProto::kHttp2:
      return "http2";
    case AppProto::kDoh2:
      return "doh2";
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
  if (n == "http2") return AppProto::kHttp2;
  if (n == "doh2") return AppProto::kDoh2;
  if (n == "failed") return AppProto::kFailed;
  return AppProto::kUnknown;
}

uint32_t app_proto_match_mask(std::string_view n) {
  AppProto a = app_proto_from_name(n);
  if (a == AppProto::kUnknown) return 0;
  auto bit = [](AppProto p) { return 1u << unsigned(p); };
  if (n == "http") return bit(AppProto::kHttp) | bit(AppProto::kHttp2);
  if (a == AppProto::kDns || a == AppProto::kHttp2) return bit(a) | bit(AppProto::kDoh2);
  if (a == AppProto::kDoh2) return bit(a) | bit(AppProto::kHttp2) | bit(AppProto::kDns);
  return bit(a);
}

}  // namespace vigil
