// Factories of the per-protocol parsers (one file pair per protocol).
#pragma once

#include <memory>

#include "agent/app/parser.h"

namespace vigil {

std::unique_ptr<AppParser> make_http_parser();
std::unique_ptr<AppParser> make_dns_parser(bool over_tcp);
std::unique_ptr<AppParser> make_tls_parser();
std::unique_ptr<AppParser> make_ssh_parser();
std::unique_ptr<AppParser> make_smtp_parser();
std::unique_ptr<AppParser> make_ftp_parser();
std::unique_ptr<AppParser> make_smb_parser();
// upgraded: the flow began as HTTP/1.1 and switched by Upgrade: h2c.
std::unique_ptr<AppParser> make_http2_parser(bool upgraded = false);

}  // namespace vigil
