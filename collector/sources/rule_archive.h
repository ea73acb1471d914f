// Reading a rule feed download with libarchive: a tar (plain, gzip, bzip2 or
// xz; ustar, GNU and pax, so long names work), a zip, or a bare .rules /
// .rules.gz file. Only regular members whose names end in ".rules" are kept;
// directories, symlinks, hard links and devices are skipped (a feed is text,
// never a tree to recreate: nothing is written to disk).
//
// A feed is input from the network: the number of members and the bytes
// inflated (kept or skipped) are capped, so an archive bomb is refused with a
// message instead of growing the collector without bound.
//
// Called from the rule-source update (CLI or serve's scheduler thread);
// stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::collector {

struct RuleFile {
  std::string name, text;
};

struct ArchiveLimits {
  uint64_t max_members = 10000;             // entries of any kind
  uint64_t max_member_bytes = 64ull << 20;  // one .rules file, inflated
  uint64_t max_total_bytes = 256ull << 20;  // everything inflated, kept or skipped
};

// `name` is the download's file name (the URL's last path segment): a bare
// feed is recognised by ".rules" or ".rules.gz" when the data is no archive,
// and its member is named after it (without ".gz"). False + *error (what was
// wrong, in words) on corrupt, unsupported or over-limit input; *out then
// holds nothing.
bool read_rule_feed(const std::string& data, const std::string& name, std::vector<RuleFile>* out,
                    std::string* error, const ArchiveLimits& limits = {});

}  // namespace vigil::collector
