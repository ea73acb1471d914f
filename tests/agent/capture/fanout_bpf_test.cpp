// The kernel fan-out program (agent/capture/fanout_bpf.cpp), run here by a
// classic BPF interpreter that reads as the kernel does for a fan-out: loads
// relative to the network header (SKF_NET_OFF) and the protocol and VLAN tag
// from the packet's metadata. The reference is the reader's own fan-out
// (fanout_hash, agent/decode/fanout.cpp): over a corpus of flows in both
// directions, fragments, ICMP errors (good and bad quotes), IPv6 extension
// headers and VLAN tags, two packets must go to one worker under the program
// exactly when they do under fanout_hash. And the kernel itself must accept
// the program (as root: a real packet socket on lo joins a group with it).
#include "agent/capture/fanout_bpf.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "agent/decode/decoder.h"
#include "tests/tools/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {

struct Meta {
  uint16_t proto = 0;
  bool vlan = false;
  uint16_t tci = 0;
};

// What the kernel gives the program for an Ethernet frame: the outer tag
// taken off into the metadata, data from the network header on.
struct KernelView {
  Meta meta;
  Buf net;
};

KernelView kernel_view(const Buf& frame) {
  KernelView v;
  size_t off = 12;
  uint16_t type = uint16_t(frame[off] << 8 | frame[off + 1]);
  if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
    v.meta.vlan = true;
    v.meta.tci = uint16_t(frame[off + 2] << 8 | frame[off + 3]);
    off += 4;
    type = uint16_t(frame[off] << 8 | frame[off + 1]);
  }
  v.meta.proto = type;
  v.net.assign(frame.begin() + long(off) + 2, frame.end());
  return v;
}

// Classic BPF as the kernel runs it; a load past the data ends the program
// with 0, as in the kernel.
uint32_t run(const std::vector<sock_filter>& prog, const KernelView& v) {
  uint32_t A = 0, X = 0, M[16] = {};
  bool written[16] = {};
  auto load = [&](int64_t k, int size, uint32_t* out) -> bool {
    if (k >= int64_t(SKF_AD_OFF) && k < 0) {
      switch (k - SKF_AD_OFF) {
        case SKF_AD_PROTOCOL:
          *out = v.meta.proto;
          return true;
        case SKF_AD_VLAN_TAG:
          *out = v.meta.tci;
          return true;
        case SKF_AD_VLAN_TAG_PRESENT:
          *out = v.meta.vlan ? 1 : 0;
          return true;
      }
      FAIL("unexpected ancillary load " << (k - SKF_AD_OFF));
    }
    REQUIRE(k >= int64_t(SKF_NET_OFF));
    REQUIRE(k < int64_t(SKF_AD_OFF));
    int64_t off = k - SKF_NET_OFF;
    if (off < 0 || off + size > int64_t(v.net.size())) return false;
    uint32_t r = 0;
    for (int i = 0; i < size; ++i) r = r << 8 | v.net[size_t(off) + size_t(i)];
    *out = r;
    return true;
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    uint32_t src = BPF_SRC(f.code) == BPF_X ? X : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t val = 0;
        int size = BPF_SIZE(f.code) == BPF_W ? 4 : BPF_SIZE(f.code) == BPF_H ? 2 : 1;
        switch (BPF_MODE(f.code)) {
          case BPF_IMM:
            val = f.k;
            break;
          case BPF_MEM:
            REQUIRE(f.k < 16);
            REQUIRE(written[f.k]);  // the kernel refuses reads of unwritten words
            val = M[f.k];
            break;
          case BPF_ABS:
            if (!load(int32_t(f.k), size, &val)) return 0;
            break;
          case BPF_IND:
            if (!load(int64_t(int32_t(f.k)) + X, size, &val)) return 0;
            break;
          default:
            FAIL("unexpected load mode");
        }
        (BPF_CLASS(f.code) == BPF_LD ? A : X) = val;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        REQUIRE(f.k < 16);
        M[f.k] = BPF_CLASS(f.code) == BPF_ST ? A : X;
        written[f.k] = true;
        break;
      case BPF_ALU:
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            A += src;
            break;
          case BPF_SUB:
            A -= src;
            break;
          case BPF_MUL:
            A *= src;
            break;
          case BPF_AND:
            A &= src;
            break;
          case BPF_OR:
            A |= src;
            break;
          case BPF_XOR:
            A ^= src;
            break;
          case BPF_LSH:
            A = src >= 32 ? 0 : A << src;
            break;
          case BPF_RSH:
            A = src >= 32 ? 0 : A >> src;
            break;
          default:
            FAIL("unexpected ALU op");
        }
        break;
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += f.k;
          break;
        }
        bool c = false;
        switch (BPF_OP(f.code)) {
          case BPF_JEQ:
            c = A == src;
            break;
          case BPF_JGT:
            c = A > src;
            break;
          case BPF_JGE:
            c = A >= src;
            break;
          case BPF_JSET:
            c = (A & src) != 0;
            break;
          default:
            FAIL("unexpected jump");
        }
        pc += c ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? A : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) {
          X = A;
        } else {
          A = X;
        }
        break;
      default:
        FAIL("unexpected class");
    }
  }
  FAIL("the program ran off its end");
  return 0;
}

std::string v4(std::mt19937& r) {
  return "10." + std::to_string(r() % 4) + "." + std::to_string(r() % 256) + "." +
         std::to_string(1 + r() % 250);
}
std::string v6(std::mt19937& r) {
  char b[64];
  snprintf(b, sizeof b, "2001:db8:%x::%x:%x", unsigned(r() % 3), unsigned(r() % 65536),
           unsigned(1 + r() % 65535));
  return b;
}

// A corpus: every kind of packet the fan-out must route by flow.
std::vector<Buf> corpus(uint32_t seed) {
  std::mt19937 r(seed);
  std::vector<Buf> out;
  for (int i = 0; i < 60; ++i) {
    FrameOpts o;
    int vl = int(r() % 4);
    if (vl >= 2) o.vlans = {uint16_t(100 + r() % 3)};
    if (vl == 3) {
      o.vlans.push_back(uint16_t(200 + r() % 3));
      o.outer_tpid = 0x88a8;
    }
    bool six = r() % 2;
    std::string a = six ? v6(r) : v4(r), b = six ? v6(r) : v4(r), router = six ? v6(r) : v4(r);
    uint16_t sp = uint16_t(1024 + r() % 60000), dp = uint16_t(r() % 1024);
    auto tcp = [&](const std::string& s, const std::string& d, uint16_t x, uint16_t y, const FrameOpts& fo) {
      return six ? tcp6(s, d, x, y, 1, 2, kAck, "data", fo) : tcp4(s, d, x, y, 1, 2, kAck, "data", fo);
    };
    auto udp = [&](const std::string& s, const std::string& d, const FrameOpts& fo) {
      return six ? udp6(s, d, sp, dp, std::string(40, 'u'), fo)
                 : udp4(s, d, sp, dp, std::string(40, 'u'), fo);
    };
    out.push_back(tcp(a, b, sp, dp, o));
    out.push_back(tcp(b, a, dp, sp, o));
    out.push_back(udp(a, b, o));
    // The quoted datagram: the IP packet as it left `a`.
    Buf sent = udp(a, b, FrameOpts{});
    Buf quoted(sent.begin() + 14, sent.end());
    auto error = [&](const std::string& from, const std::string& to, std::span<const uint8_t> q,
                     FrameOpts fo) {
      return six ? icmp6_error(from, to, 3, 0, q, 0, fo) : icmp4_error(from, to, 11, 0, q, 0, fo);
    };
    out.push_back(error(router, a, quoted, o));  // from a router on the way
    out.push_back(error(b, a, quoted, o));       // from the peer
    // A quote too short to name the flow (no ports): stays on its own pair.
    std::span<const uint8_t> short_q(quoted.data(), six ? 42 : 22);
    out.push_back(error(router, a, short_q, o));
    // An error about an echo request; and one about an error (stays apart).
    Buf echo = six ? icmp6(a, b, 128, 0, 7, 1, "ping") : icmp4(a, b, 8, 0, 7, 1, "ping");
    Buf eq(echo.begin() + 14, echo.end());
    out.push_back(error(router, a, eq, o));
    Buf err2 = error(router, a, quoted, FrameOpts{});
    Buf err2q(err2.begin() + 14, err2.end());
    out.push_back(error(b, router, err2q, o));
    // IPv6: the error behind extension headers.
    if (six) {
      FrameOpts x = o;
      x.ext = {{0, Buf(6, 0)}, {60, Buf(14, 0)}};
      out.push_back(icmp6_error(router, a, 1, 4, quoted, 0, x));
      out.push_back(icmp6_error(b, a, 2, 0, quoted, 1280, x));
    } else {
      // A fragmented error is not read as one; fragments follow their pair.
      FrameOpts mf = o;
      mf.mf = true;
      out.push_back(icmp4_error(router, a, 3, 3, quoted, 0, mf));
      Buf big = ipv4_datagram(a, b, 17, Buf(300, 'f'));
      for (const Buf& frag : fragment_ipv4(big, 128)) out.push_back(link_frame(frag, o));
    }
  }
  out.push_back(arp_request("10.0.0.1", "10.0.0.2"));
  return out;
}

}  // namespace

TEST_CASE("the kernel fan-out program assembles within the kernel's limits", "[fanout]") {
  auto prog = fanout_bpf_program();
  REQUIRE(!prog.empty());
  CHECK(prog.size() < BPF_MAXINSNS);
  for (size_t i = 0; i < prog.size(); ++i) {
    const sock_filter& f = prog[i];
    if (BPF_CLASS(f.code) == BPF_JMP) {
      size_t far = BPF_OP(f.code) == BPF_JA ? f.k : std::max(f.jt, f.jf);
      CHECK(i + 1 + far < prog.size());
    }
  }
  CHECK(BPF_CLASS(prog.back().code) == BPF_RET);
}

TEST_CASE("the kernel fan-out groups packets exactly as the reader's fan-out does", "[fanout]") {
  auto prog = fanout_bpf_program();
  REQUIRE(!prog.empty());
  for (uint32_t seed : {1u, 2u, 3u}) {
    auto frames = corpus(seed);
    std::map<uint32_t, uint32_t> user_to_kernel, kernel_to_user;
    for (const Buf& f : frames) {
      uint32_t u = fanout_hash(1, f);
      uint32_t k = run(prog, kernel_view(f));
      if (u == 0) {
        CHECK(k == 0);
        continue;
      }
      auto [it, fresh] = user_to_kernel.emplace(u, k);
      CHECK(it->second == k);
      auto [jt, fresh2] = kernel_to_user.emplace(k, u);
      CHECK(jt->second == u);
    }
    // Enough distinct groups that the check means something.
    CHECK(user_to_kernel.size() > 150);
  }
}

TEST_CASE("the kernel fan-out sends an ICMP error to the worker of the flow it quotes", "[fanout]") {
  auto prog = fanout_bpf_program();
  Buf sent = udp4("10.0.0.1", "10.9.0.2", 5000, 53, "query");
  Buf quoted(sent.begin() + 14, sent.end());
  uint32_t flow = run(prog, kernel_view(sent));
  CHECK(flow == run(prog, kernel_view(udp4("10.9.0.2", "10.0.0.1", 53, 5000, "answer"))));
  CHECK(flow == run(prog, kernel_view(icmp4_error("192.0.2.1", "10.0.0.1", 11, 0, quoted))));
  Buf sent6 = tcp6("2001:db8::1", "2001:db8:9::2", 40000, 443, 1, 0, kSyn, "");
  Buf quoted6(sent6.begin() + 14, sent6.end());
  FrameOpts x;
  x.ext = {{0, Buf(6, 0)}};
  CHECK(run(prog, kernel_view(sent6)) ==
        run(prog, kernel_view(icmp6_error("2001:db8:ff::1", "2001:db8::1", 1, 0, quoted6, 0, x))));
  // Worker spread: 400 pairs over 4 workers, none far from a quarter.
  std::mt19937 r(7);
  int per[4] = {};
  for (int i = 0; i < 400; ++i) ++per[run(prog, kernel_view(udp4(v4(r), v4(r), 1, 2, "x"))) % 4];
  for (int n : per) CHECK((n > 60 && n < 140));
}

TEST_CASE("the kernel accepts the fan-out program on a packet socket", "[fanout]") {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) {
    WARN("no packet socket here (needs CAP_NET_RAW): " << strerror(errno) << "; the kernel check is skipped");
    return;
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = int(if_nametoindex("lo"));
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) == 0);
  std::optional<uint16_t> group;
  CHECK(join_fanout_group(fd, &group) == "");
  REQUIRE(group.has_value());
  int fd2 = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  REQUIRE(fd2 >= 0);
  REQUIRE(bind(fd2, reinterpret_cast<sockaddr*>(&sll), sizeof sll) == 0);
  std::optional<uint16_t> same = group;
  CHECK(join_fanout_group(fd2, &same) == "");
  CHECK(same == group);
  close(fd2);
  close(fd);
}
