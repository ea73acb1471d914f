#include "agent/capture/fanout_bpf.h"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vigil {

namespace {

// A small assembler for classic BPF with forward labels. Conditional jumps
// have 8-bit offsets; one whose target is further away is given a `ja`
// (32-bit) right after it, and the layout is redone until every jump fits.
class Asm {
 public:
  int label() {
    labels_.push_back(-1);
    return int(labels_.size()) - 1;
  }
  // Binds `l` to the next instruction.
  void bind(int l) { pending_.push_back(l); }
  void op(uint16_t code, uint32_t k) { add({code, k, kNext, kNext, -1}); }
  // A conditional jump: to `t` when true, to `f` when false (kNext: the
  // following instruction).
  void jmp(uint16_t code, uint32_t k, int t, int f) { add({code, k, t, f, -1}); }
  void ja(int l) { add({BPF_JMP | BPF_JA, 0, kNext, kNext, l}); }

  static constexpr int kNext = -1;

  bool finish(std::vector<sock_filter>* out) {
    for (int round = 0; round < 64; ++round) {
      std::vector<int> pos(labels_.size(), -1);
      for (size_t i = 0; i < code_.size(); ++i) {
        for (int l : code_[i].binds) pos[size_t(l)] = int(i);
      }
      for (int l : pending_) pos[size_t(l)] = int(code_.size());
      bool grew = false;
      for (size_t i = 0; i < code_.size() && !grew; ++i) {
        Ins& in = code_[i];
        for (int* target : {&in.t, &in.f}) {
          if (*target == kNext || in.ja >= 0) continue;
          int off = pos[size_t(*target)] - int(i) - 1;
          if (off < 0) return false;  // only forward jumps
          if (off > 255) {
            // Retarget through a new `ja` right after this instruction.
            int far = *target;
            int near = label();
            *target = near;
            Ins j{BPF_JMP | BPF_JA, 0, kNext, kNext, far};
            j.binds.push_back(near);
            // The other branch, when it meant "next", now skips the ja.
            int* other = target == &in.t ? &in.f : &in.t;
            if (*other == kNext) {
              int skip = label();
              *other = skip;
              if (i + 1 < code_.size()) {
                code_[i + 1].binds.push_back(skip);
              } else {
                pending_.push_back(skip);
              }
            }
            code_.insert(code_.begin() + long(i) + 1, j);
            grew = true;
            break;
          }
        }
      }
      if (grew) continue;
      out->clear();
      for (size_t i = 0; i < code_.size(); ++i) {
        const Ins& in = code_[i];
        sock_filter f{in.code, 0, 0, in.k};
        if (in.ja >= 0) {
          f.k = uint32_t(pos[size_t(in.ja)] - int(i) - 1);
          if (pos[size_t(in.ja)] <= int(i)) return false;
        } else if (BPF_CLASS(in.code) == BPF_JMP) {
          f.jt = in.t == kNext ? 0 : uint8_t(pos[size_t(in.t)] - int(i) - 1);
          f.jf = in.f == kNext ? 0 : uint8_t(pos[size_t(in.f)] - int(i) - 1);
        }
        out->push_back(f);
      }
      return pending_.empty();
    }
    return false;
  }

 private:
  struct Ins {
    uint16_t code;
    uint32_t k;
    int t, f;  // labels of a conditional jump
    int ja;    // label of an unconditional jump
    std::vector<int> binds{};
  };
  void add(Ins in) {
    in.binds = std::move(pending_);
    pending_.clear();
    code_.push_back(std::move(in));
  }
  std::vector<Ins> code_;
  std::vector<int> labels_;
  std::vector<int> pending_;  // labels bound to the next instruction
};

constexpr uint32_t kNet = uint32_t(SKF_NET_OFF);
constexpr uint32_t kAd = uint32_t(SKF_AD_OFF);

// Scratch memory.
enum : uint32_t {
  kOff = 0,     // ICMP header offset from the IP header
  kEnd = 1,     // end of the IP payload (total length)
  kQuote = 2,   // offset of the quoted IP header
  kL4 = 3,      // offset of the quoted transport header
  kNeed = 4,    // bytes the quoted transport header must have
  kQProto = 5,  // quoted IP protocol
  kAcc = 6,     // the address sum
  kOuter = 7,   // outer IP version (4 or 6)
  kTmp = 8,     // scratch
  kTmp2 = 9,    // scratch
  kQVer = 10,   // quoted IP version (4 or 6)
  kVlan = 15,   // VLAN ids
  kMemWords = 16
};

// Salts per address word position (the same for source and destination).
constexpr uint32_t kSalt[4] = {0x9e3779b9u, 0x7f4a7c15u, 0x94d049bbu, 0xbf58476du};

class Program {
 public:
  std::vector<sock_filter> build() {
    // Every scratch word is written before anything can read it (the
    // kernel's checker refuses a read of an unwritten word).
    a_.op(BPF_LD | BPF_IMM, 0);
    for (uint32_t m = 0; m < kMemWords; ++m) a_.op(BPF_ST, m);
    // VLAN id from the metadata: the kernel has taken the outer tag off.
    int novlan = a_.label(), vlan_done = a_.label();
    a_.op(BPF_LD | BPF_W | BPF_ABS, kAd + SKF_AD_VLAN_TAG_PRESENT);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, novlan, Asm::kNext);
    a_.op(BPF_LD | BPF_W | BPF_ABS, kAd + SKF_AD_VLAN_TAG);
    a_.op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 1);  // present (even id 0) differs from absent
    a_.op(BPF_ST, kVlan);
    a_.ja(vlan_done);
    a_.bind(novlan);
    a_.bind(vlan_done);
    int v4 = a_.label(), v6 = a_.label(), qinq = a_.label(), other = a_.label();
    a_.op(BPF_LD | BPF_W | BPF_ABS, kAd + SKF_AD_PROTOCOL);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, v4, Asm::kNext);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, v6, Asm::kNext);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, qinq, Asm::kNext);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, qinq, other);
    a_.bind(other);
    a_.op(BPF_RET | BPF_K, 0);
    // A second tag still in the packet: its id, then IP 4 bytes further on.
    int v4q = a_.label(), v6q = a_.label();
    a_.bind(qinq);
    a_.op(BPF_LD | BPF_H | BPF_ABS, kNet + 0);
    a_.op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 1);
    a_.op(BPF_MISC | BPF_TAX, 0);
    a_.op(BPF_LD | BPF_MEM, kVlan);
    a_.op(BPF_ALU | BPF_MUL | BPF_K, 4099);
    a_.op(BPF_ALU | BPF_ADD | BPF_X, 0);
    a_.op(BPF_ST, kVlan);
    a_.op(BPF_LD | BPF_H | BPF_ABS, kNet + 2);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, v4q, Asm::kNext);
    int other2 = a_.label();
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, v6q, other2);
    a_.bind(other2);
    a_.op(BPF_RET | BPF_K, 0);
    ip_blocks(v4, v6, 0);
    ip_blocks(v4q, v6q, 4);
    std::vector<sock_filter> out;
    if (!a_.finish(&out)) out.clear();
    return out;
  }

 private:
  // A = A ^ (A >> s), using X.
  void xorshift(uint32_t s) {
    a_.op(BPF_MISC | BPF_TAX, 0);
    a_.op(BPF_ALU | BPF_RSH | BPF_K, s);
    a_.op(BPF_ALU | BPF_XOR | BPF_X, 0);
  }
  // The 32-bit finaliser of MurmurHash3 on A (uses X).
  void fmix() {
    xorshift(16);
    a_.op(BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6bu);
    xorshift(13);
    a_.op(BPF_ALU | BPF_MUL | BPF_K, 0xc2b2ae35u);
    xorshift(16);
  }
  // acc += fmix(word ^ salt), the word in A.
  void add_word(uint32_t salt) {
    a_.op(BPF_ALU | BPF_XOR | BPF_K, salt);
    fmix();
    a_.op(BPF_MISC | BPF_TAX, 0);
    a_.op(BPF_LD | BPF_MEM, kAcc);
    a_.op(BPF_ALU | BPF_ADD | BPF_X, 0);
    a_.op(BPF_ST, kAcc);
  }
  // Adds the address words at base+off (words of 4 bytes, `words` per
  // address, source then destination) to the sum; `ind`: off is relative to
  // the scratch word `from` (loaded into X before each read).
  void add_pair(uint32_t base, uint32_t off, int words, bool ind, uint32_t from) {
    for (int side = 0; side < 2; ++side) {
      for (int w = 0; w < words; ++w) {
        uint32_t k = kNet + base + off + uint32_t(side * words * 4 + w * 4);
        if (ind) {
          a_.op(BPF_LDX | BPF_MEM, from);
          a_.op(BPF_LD | BPF_W | BPF_IND, k);
        } else {
          a_.op(BPF_LD | BPF_W | BPF_ABS, k);
        }
        add_word(kSalt[w]);
      }
    }
  }
  // The end: the sum with the VLAN ids, mixed.
  void finish_hash() {
    a_.op(BPF_LD | BPF_MEM, kVlan);
    a_.op(BPF_ALU | BPF_MUL | BPF_K, 0x27d4eb2fu);
    a_.op(BPF_MISC | BPF_TAX, 0);
    a_.op(BPF_LD | BPF_MEM, kAcc);
    a_.op(BPF_ALU | BPF_XOR | BPF_X, 0);
    fmix();
    a_.op(BPF_RET | BPF_A, 0);
  }
  // Jumps to `fail` unless M[end] >= M[at] + add (A and X used).
  void need_bytes(uint32_t at, uint32_t add, int fail) {
    a_.op(BPF_LD | BPF_MEM, at);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, add);
    a_.op(BPF_MISC | BPF_TAX, 0);
    a_.op(BPF_LD | BPF_MEM, kEnd);
    a_.jmp(BPF_JMP | BPF_JGE | BPF_X, 0, Asm::kNext, fail);
  }
  // A = the byte at M[from] + k (X used).
  void load_byte_at(uint32_t base, uint32_t from, uint32_t k) {
    a_.op(BPF_LDX | BPF_MEM, from);
    a_.op(BPF_LD | BPF_B | BPF_IND, kNet + base + k);
  }
  // Jumps to `yes` when A is one of `vals`, else to `no`.
  void one_of(std::initializer_list<uint32_t> vals, int yes, int no) {
    size_t i = 0;
    for (uint32_t v : vals) {
      bool last = ++i == vals.size();
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, v, yes, last ? no : Asm::kNext);
    }
  }

  // The IPv4 and IPv6 code for an IP header `base` bytes after the network header.
  void ip_blocks(int v4, int v6, uint32_t base) {
    int pair4 = a_.label(), pair6 = a_.label();
    int quote4 = a_.label(), quote6 = a_.label(), icmp1 = a_.label(), icmp58 = a_.label();

    // --- IPv4: an unfragmented ICMP (or ICMPv6) error with a quote? ---
    a_.bind(v4);
    a_.op(BPF_LD | BPF_IMM, 4);
    a_.op(BPF_ST, kOuter);
    {
      int icmp = a_.label();
      a_.op(BPF_LD | BPF_B | BPF_ABS, kNet + base + 9);
      a_.op(BPF_ST, kTmp);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 1, icmp, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 58, icmp, pair4);
      a_.bind(icmp);
      a_.op(BPF_LD | BPF_B | BPF_ABS, kNet + base + 0);
      a_.op(BPF_ALU | BPF_RSH | BPF_K, 4);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 4, Asm::kNext, pair4);
      a_.op(BPF_LD | BPF_H | BPF_ABS, kNet + base + 6);
      a_.jmp(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, pair4, Asm::kNext);  // MF or an offset
      a_.op(BPF_LD | BPF_H | BPF_ABS, kNet + base + 2);
      a_.op(BPF_ST, kEnd);
      a_.op(BPF_LD | BPF_B | BPF_ABS, kNet + base + 0);
      a_.op(BPF_ALU | BPF_AND | BPF_K, 0x0f);
      a_.op(BPF_ALU | BPF_LSH | BPF_K, 2);
      a_.op(BPF_ST, kOff);
      a_.jmp(BPF_JMP | BPF_JGE | BPF_K, 20, Asm::kNext, pair4);
      need_bytes(kOff, 8, pair4);
      a_.op(BPF_LD | BPF_MEM, kTmp);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 1, icmp1, icmp58);
    }

    // --- IPv6: walk extension headers to an ICMP (or ICMPv6) header ---
    a_.bind(v6);
    a_.op(BPF_LD | BPF_IMM, 6);
    a_.op(BPF_ST, kOuter);
    a_.op(BPF_LD | BPF_B | BPF_ABS, kNet + base + 0);
    a_.op(BPF_ALU | BPF_RSH | BPF_K, 4);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 6, Asm::kNext, pair6);
    a_.op(BPF_LD | BPF_H | BPF_ABS, kNet + base + 4);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 40);
    a_.op(BPF_ST, kEnd);
    a_.op(BPF_LD | BPF_IMM, 40);
    a_.op(BPF_ST, kOff);
    a_.op(BPF_LD | BPF_B | BPF_ABS, kNet + base + 6);
    int icmp6_found = a_.label();
    for (int i = 0; i < 8; ++i) {
      // A: the next header; M[off]: where it starts.
      int ext = a_.label();
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, ext, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 43, ext, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 60, ext, Asm::kNext);
      a_.ja(icmp6_found);
      a_.bind(ext);
      need_bytes(kOff, 8, pair6);
      load_byte_at(base, kOff, 1);  // X = off
      a_.op(BPF_ALU | BPF_ADD | BPF_K, 1);
      a_.op(BPF_ALU | BPF_LSH | BPF_K, 3);
      a_.op(BPF_ALU | BPF_ADD | BPF_X, 0);
      a_.op(BPF_ST, kTmp);                               // the header after this one
      a_.op(BPF_LD | BPF_B | BPF_IND, kNet + base + 0);  // its type, X still = off
      a_.op(BPF_ST, kTmp2);
      a_.op(BPF_LD | BPF_MEM, kTmp);
      a_.op(BPF_ST, kOff);
      a_.op(BPF_LD | BPF_MEM, kTmp2);
    }
    a_.bind(icmp6_found);
    {
      int icmp = a_.label();
      a_.op(BPF_ST, kTmp);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 58, icmp, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 1, icmp, pair6);
      a_.bind(icmp);
      need_bytes(kOff, 8, pair6);
      a_.op(BPF_LD | BPF_MEM, kTmp);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 1, icmp1, icmp58);
    }

    // --- ICMPv4 error type? Then the quote is IPv4. ---
    int fail = a_.label();
    a_.bind(icmp1);
    load_byte_at(base, kOff, 0);
    one_of({3, 4, 5, 11, 12}, quote4, fail);
    // --- ICMPv6 error type? Then the quote is IPv6. ---
    a_.bind(icmp58);
    load_byte_at(base, kOff, 0);
    a_.jmp(BPF_JMP | BPF_JGE | BPF_K, 1, Asm::kNext, fail);
    a_.jmp(BPF_JMP | BPF_JGT | BPF_K, 4, fail, quote6);

    // The quoted packet: IP header of the ICMP's version, then TCP/UDP ports
    // or an echo-like ICMP message (parse_icmp_quote).
    int transport = a_.label();
    a_.bind(quote4);
    a_.op(BPF_LD | BPF_IMM, 4);
    a_.op(BPF_ST, kQVer);
    a_.op(BPF_LD | BPF_MEM, kOff);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 8);
    a_.op(BPF_ST, kQuote);
    need_bytes(kQuote, 20, fail);
    load_byte_at(base, kQuote, 0);
    a_.op(BPF_ALU | BPF_RSH | BPF_K, 4);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 4, Asm::kNext, fail);
    load_byte_at(base, kQuote, 0);
    a_.op(BPF_ALU | BPF_AND | BPF_K, 0x0f);
    a_.op(BPF_ALU | BPF_LSH | BPF_K, 2);
    a_.jmp(BPF_JMP | BPF_JGE | BPF_K, 20, Asm::kNext, fail);
    a_.op(BPF_LDX | BPF_MEM, kQuote);
    a_.op(BPF_ALU | BPF_ADD | BPF_X, 0);
    a_.op(BPF_ST, kL4);
    load_byte_at(base, kQuote, 9);
    a_.op(BPF_ST, kQProto);
    a_.ja(transport);

    a_.bind(quote6);
    a_.op(BPF_LD | BPF_IMM, 6);
    a_.op(BPF_ST, kQVer);
    a_.op(BPF_LD | BPF_MEM, kOff);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 8);
    a_.op(BPF_ST, kQuote);
    need_bytes(kQuote, 40, fail);
    load_byte_at(base, kQuote, 0);
    a_.op(BPF_ALU | BPF_RSH | BPF_K, 4);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 6, Asm::kNext, fail);
    a_.op(BPF_LD | BPF_MEM, kQuote);
    a_.op(BPF_ALU | BPF_ADD | BPF_K, 40);
    a_.op(BPF_ST, kL4);
    load_byte_at(base, kQuote, 6);
    a_.op(BPF_ST, kQProto);

    a_.bind(transport);
    {
      int ports = a_.label(), icmpq = a_.label(), icmp6q = a_.label(), echo = a_.label(), hash = a_.label();
      a_.op(BPF_LD | BPF_MEM, kQProto);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 6, ports, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 17, ports, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 1, icmpq, Asm::kNext);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 58, icmp6q, fail);
      a_.bind(ports);
      need_bytes(kL4, 4, fail);
      a_.ja(hash);
      a_.bind(icmpq);
      need_bytes(kL4, 8, fail);
      load_byte_at(base, kL4, 0);
      one_of({0, 8, 13, 14, 15, 16, 17, 18}, echo, fail);
      a_.bind(icmp6q);
      need_bytes(kL4, 8, fail);
      load_byte_at(base, kL4, 0);
      one_of({128, 129}, echo, fail);
      a_.bind(echo);
      a_.bind(hash);
      // The quoted pair: IPv4 at +12 (2 x 1 word), IPv6 at +8 (2 x 4 words),
      // as the ICMP protocol says.
      int q6 = a_.label();
      a_.op(BPF_LD | BPF_MEM, kQVer);
      a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 6, q6, Asm::kNext);
      add_pair(base, 12, 1, true, kQuote);
      finish_hash();
      a_.bind(q6);
      add_pair(base, 8, 4, true, kQuote);
      finish_hash();
    }

    // Not a quote: the packet's own pair.
    a_.bind(fail);
    a_.op(BPF_LD | BPF_MEM, kOuter);
    a_.jmp(BPF_JMP | BPF_JEQ | BPF_K, 4, pair4, pair6);
    a_.bind(pair4);
    add_pair(base, 12, 1, false, 0);
    finish_hash();
    a_.bind(pair6);
    add_pair(base, 8, 4, false, 0);
    finish_hash();
  }

  Asm a_;
};

}  // namespace

std::vector<sock_filter> fanout_bpf_program() {
  return Program().build();
}

std::string join_fanout_group(int fd, std::optional<uint16_t>* group) {
  std::vector<sock_filter> prog = fanout_bpf_program();
  if (prog.empty()) return "internal error: the fan-out program does not assemble";
  uint32_t arg = uint32_t(group->value_or(0)) | (uint32_t(PACKET_FANOUT_CBPF) << 16);
  if (!*group) arg |= uint32_t(PACKET_FANOUT_FLAG_UNIQUEID) << 16;
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
    return std::string("cannot join a packet fan-out group (PACKET_FANOUT): ") + std::strerror(errno);
  }
  if (!*group) {
    uint32_t v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, &len) != 0) {
      return std::string("cannot read the packet fan-out group id: ") + std::strerror(errno);
    }
    *group = uint16_t(v & 0xffff);
  }
  sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) != 0) {
    return std::string("cannot set the packet fan-out program (PACKET_FANOUT_DATA): ") + std::strerror(errno);
  }
  return "";
}

}  // namespace vigil
