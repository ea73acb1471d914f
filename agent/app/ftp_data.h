// FTP data connections: the FTP parser announces each data transfer
// (RETR/STOR/LIST... after PORT/EPRT/PASV/EPSV) as an expectation; the first
// data of a new TCP flow that matches one (listening address and port, and the
// connecting address) makes that flow `ftp-data` and its bytes `file.data`.
//
// One FtpExpectations per worker (in AppLayer). The capture fan-out hashes
// the address pair only (agent/decode/fanout.cpp), so a data connection
// between the same two hosts reaches the worker of its control connection;
// a third host (FXP, a bounce) is not followed. Bounded: kMaxExpectations,
// the oldest dropped and counted (app_layer.limit.ftp.expectations); an
// expectation no data connection took within kExpireSec seconds of packet
// time is dropped and counted (app_layer.ftp.expectations_expired), checked
// whenever one is added or looked up.
//
// Files (agent/app/file_tracker.h), when tracked: the data connection of a
// RETR, STOR or APPE is one TrackedFile named by the command's argument, in
// the direction the command moves it (RETR to_client, STOR/APPE to_server),
// closed when that direction ends with a FIN, truncated on a RST, a gap, the
// reassembly depth, or when the flow ends (timeout, shutdown) before its FIN.
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
  int64_t added_sec = 0;  // packet time it was announced
};

class FtpExpectations {
 public:
  static constexpr size_t kMaxExpectations = 256;
  static constexpr int64_t kExpireSec = 60;
  // e.added_sec is its packet time; older expectations expire first.
  void add(FtpExpectation e, AppCounters& ctr);
  // Removes and returns the expectation a new flow fulfils at packet time now_sec.
  std::optional<FtpExpectation> take(const Flow& f, int64_t now_sec, AppCounters& ctr);
  // Drops (and counts) the expectations older than kExpireSec at now_sec.
  void expire(int64_t now_sec, AppCounters& ctr);
  size_t size() const { return q_.size(); }

 private:
  std::deque<FtpExpectation> q_;
};

std::unique_ptr<AppParser> make_ftp_data_parser(FtpExpectation e);

}  // namespace vigil
