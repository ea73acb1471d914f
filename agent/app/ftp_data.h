// FTP data connections: the FTP parser announces each data transfer
// (RETR/STOR/LIST... after PORT/EPRT/PASV/EPSV) as an expectation; the first
// data of a new TCP flow that matches one (listening address and port, and the
// connecting address) makes that flow `ftp-data` and its bytes `file.data`.
//
// One FtpExpectations per worker (in AppLayer). The capture fan-out hashes
// the address pair only (agent/decode/fanout.cpp), so a data connection
// between the same two hosts reaches the worker of its control connection;
// a third host (FXP, a bounce) is not followed. Bounded: kMaxExpectations,
// the oldest dropped and counted (app_layer.limit.ftp.expectations).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "agent/app/parser.h"
#include "common/ip_addr.h"

namespace vigil {

struct FtpExpectation {
  IpAddr server;  // the side that listens (data flow's server)
  uint16_t port = 0;
  IpAddr client;  // the side that connects
  std::string command;
  std::string filename;
};

class FtpExpectations {
 public:
  static constexpr size_t kMaxExpectations = 256;
  void add(FtpExpectation e, AppCounters& ctr);
  // Removes and returns the expectation a new flow fulfils.
  std::optional<FtpExpectation> take(const Flow& f);
  size_t size() const { return q_.size(); }

 private:
  std::deque<FtpExpectation> q_;
};

std::unique_ptr<AppParser> make_ftp_data_parser(FtpExpectation e);

}  // namespace vigil
