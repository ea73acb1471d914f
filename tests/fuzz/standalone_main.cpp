// A main() for the fuzz targets when they are not linked with libFuzzer
// (g++ has none): replays a corpus, then mutates it for a while, calling
// LLVMFuzzerTestOneInput with each input. No coverage feedback: the short
// runs of the test suite (ctest -L fuzz) replay every seed and try random
// variations of them, under ASan/UBSan in the sanitizer build. A long,
// coverage-guided search is libFuzzer's job (-DVIGIL_FUZZ=ON with clang).
//
//   fuzz_x [-seconds=N] [-seed=S] [-artifact_prefix=DIR/] [-max_len=N] PATH...
//
// PATH: a file (replayed) or a directory (every regular file in it replayed,
// and used as seeds). With -seconds=N (default 0) the seeds are then mutated
// for N seconds: bit flips, byte changes, inserts, deletes, duplicated chunks,
// interesting integers, splices of two inputs. The seed (printed; -seed=S
// repeats a run) makes the sequence of inputs deterministic. Before each call
// the input is kept where a crash handler can reach it: when the input
// crashes (ASan/UBSan report, abort, SIGSEGV...), it is written to
// <artifact_prefix>crash-<hash> and its path printed, to be replayed with
// `fuzz_x FILE`. Exit status: 0 when every input passed, 2 on bad usage or
// when a directory holds no seeds (so a run can never pass on nothing).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_FUZZ_ASAN 1
#endif
#endif
#ifdef VIGIL_FUZZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

using Input = std::vector<uint8_t>;

// What the crash handler writes: the input being run and where to put it.
// Plain globals read with async-signal-safe calls only.
const uint8_t* volatile g_cur = nullptr;
volatile size_t g_cur_size = 0;
char g_prefix[4096] = "./";
volatile sig_atomic_t g_written = 0;

void put(const char* s) {
  ssize_t r = write(2, s, strlen(s));
  (void)r;
}

void write_artifact() {
  if (g_written) return;
  g_written = 1;
  const uint8_t* d = g_cur;
  size_t n = g_cur_size;
  if (d == nullptr) return;
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ull;
  char path[4200];
  size_t p = strlen(g_prefix);
  memcpy(path, g_prefix, p);
  memcpy(path + p, "crash-", 6);
  p += 6;
  for (int i = 15; i >= 0; --i) path[p++] = "0123456789abcdef"[(h >> (i * 4)) & 15];
  path[p] = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t off = 0;
    while (off < n) {
      ssize_t w = write(fd, d + off, n - off);
      if (w <= 0) break;
      off += size_t(w);
    }
    close(fd);
    put("== the input that failed was written to ");
    put(path);
    put(" (replay: this program with that file as its argument)\n");
  }
}

void on_signal(int sig) {
  write_artifact();
  signal(sig, SIG_DFL);
  raise(sig);
}

bool number_arg(const std::string& a, const char* name, uint64_t* out) {
  std::string p = std::string("-") + name + "=";
  if (a.rfind(p, 0) != 0) return false;
  *out = std::strtoull(a.c_str() + p.size(), nullptr, 10);
  return true;
}

Input read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void run_one(const Input& in) {
  // A copy of exactly the input's size, so reading one byte past it is an
  // ASan report, as under libFuzzer.
  uint8_t* copy = new uint8_t[in.size() + (in.empty() ? 1 : 0)];
  if (!in.empty()) memcpy(copy, in.data(), in.size());
  g_cur = copy;
  g_cur_size = in.size();
  LLVMFuzzerTestOneInput(copy, in.size());
  g_cur = nullptr;
  delete[] copy;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len) : rng_(seed), max_len_(max_len) {}

  size_t below(size_t n) { return n == 0 ? 0 : size_t(rng_() % n); }

  // One to four stacked mutations of `base`; `other` is a second input for splices.
  Input mutate(const Input& base, const Input& other) {
    Input d = base;
    int rounds = 1 + int(below(4));
    for (int r = 0; r < rounds; ++r) once(d, other);
    if (d.size() > max_len_) d.resize(max_len_);
    return d;
  }

 private:
  void once(Input& d, const Input& other) {
    static const int64_t kInteresting[] = {0,     1,      -1,     0x7f,   0x80,       0xff,
                                           0x100, 0x7fff, 0x8000, 0xffff, 0x10000,    0x7fffffff,
                                           -128,  16,     64,     4096,   0x80000000, 0xffffffff};
    switch (below(11)) {
      case 0:  // flip a bit
        if (!d.empty()) d[below(d.size())] ^= uint8_t(1u << below(8));
        break;
      case 1:  // random byte
        if (!d.empty()) d[below(d.size())] = uint8_t(rng_());
        break;
      case 2: {  // small add/sub
        if (!d.empty()) d[below(d.size())] += uint8_t(int(below(33)) - 16);
        break;
      }
      case 3: {  // insert random bytes
        size_t n = 1 + below(8), at = below(d.size() + 1);
        Input ins(n);
        for (auto& b : ins) b = uint8_t(rng_());
        d.insert(d.begin() + ptrdiff_t(at), ins.begin(), ins.end());
        break;
      }
      case 4: {  // delete a chunk
        if (d.empty()) break;
        size_t at = below(d.size()), n = 1 + below(std::min<size_t>(d.size() - at, 64));
        d.erase(d.begin() + ptrdiff_t(at), d.begin() + ptrdiff_t(at + n));
        break;
      }
      case 5: {  // duplicate a chunk somewhere else
        if (d.empty()) break;
        size_t at = below(d.size()), n = 1 + below(std::min<size_t>(d.size() - at, 128));
        Input chunk(d.begin() + ptrdiff_t(at), d.begin() + ptrdiff_t(at + n));
        d.insert(d.begin() + ptrdiff_t(below(d.size() + 1)), chunk.begin(), chunk.end());
        break;
      }
      case 6: {  // copy a chunk over another place
        if (d.size() < 2) break;
        size_t from = below(d.size()), to = below(d.size());
        size_t n = 1 + below(std::min(d.size() - from, d.size() - to));
        std::memmove(d.data() + to, d.data() + from, n);
        break;
      }
      case 7: {  // interesting integer, 1/2/4 bytes, either byte order
        if (d.empty()) break;
        auto v = uint64_t(kInteresting[below(std::size(kInteresting))]);
        size_t w = size_t(1) << below(3), at = below(d.size());
        bool big = below(2) == 0;
        for (size_t i = 0; i < w && at + i < d.size(); ++i) {
          size_t shift = big ? (w - 1 - i) * 8 : i * 8;
          d[at + i] = uint8_t(v >> shift);
        }
        break;
      }
      case 8: {  // splice: a prefix of this input, a suffix of the other
        if (other.empty()) break;
        size_t cut = below(d.size() + 1), from = below(other.size());
        d.resize(cut);
        d.insert(d.end(), other.begin() + ptrdiff_t(from), other.end());
        break;
      }
      case 9: {  // insert a chunk of the other input
        if (other.empty()) break;
        size_t from = below(other.size()), n = 1 + below(std::min<size_t>(other.size() - from, 128));
        d.insert(d.begin() + ptrdiff_t(below(d.size() + 1)), other.begin() + ptrdiff_t(from),
                 other.begin() + ptrdiff_t(from + n));
        break;
      }
      default: {  // truncate
        if (!d.empty()) d.resize(below(d.size()));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
};

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  uint64_t seconds = 0, seed = 0, max_len = 0;
  bool seed_given = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    uint64_t v = 0;
    if (number_arg(a, "seconds", &v) || number_arg(a, "max_total_time", &v)) {
      seconds = v;
    } else if (number_arg(a, "seed", &v)) {
      seed = v;
      seed_given = true;
    } else if (number_arg(a, "max_len", &v)) {
      max_len = v;
    } else if (a.rfind("-artifact_prefix=", 0) == 0) {
      std::string p = a.substr(17);
      if (p.size() >= sizeof g_prefix - 32) {
        std::fprintf(stderr, "artifact prefix too long\n");
        return 2;
      }
      std::snprintf(g_prefix, sizeof g_prefix, "%s", p.c_str());
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr,
                   "unknown option %s\nusage: %s [-seconds=N] [-seed=S] [-artifact_prefix=DIR/] "
                   "[-max_len=N] FILE|DIR...\n",
                   a.c_str(), argv[0]);
      return 2;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr,
                 "usage: %s [-seconds=N] [-seed=S] [-artifact_prefix=DIR/] [-max_len=N] FILE|DIR...\n",
                 argv[0]);
    return 2;
  }

#ifdef VIGIL_FUZZ_ASAN
  __sanitizer_set_death_callback(write_artifact);
#endif
  for (int s : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(s, on_signal);

  std::vector<Input> seeds;
  size_t replayed = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      if (ec || files.empty()) {
        std::fprintf(stderr, "%s: no seed files in %s\n", argv[0], p.c_str());
        return 2;
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        seeds.push_back(read_file(f));
        run_one(seeds.back());
        ++replayed;
      }
    } else if (std::filesystem::is_regular_file(p, ec)) {
      std::printf("replaying %s\n", p.c_str());
      std::fflush(stdout);
      seeds.push_back(read_file(p));
      run_one(seeds.back());
      ++replayed;
    } else {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], p.c_str());
      return 2;
    }
  }

  uint64_t runs = 0;
  if (seconds > 0) {
    if (!seed_given) seed = std::random_device()() ^ (uint64_t(std::random_device()()) << 32);
    size_t longest = 0;
    for (const auto& s : seeds) longest = std::max(longest, s.size());
    if (max_len == 0) max_len = std::min<size_t>(std::max<size_t>(4096, 2 * longest), 1 << 20);
    std::printf("mutating %zu seeds for %llu s with -seed=%llu (rerun with it to repeat this run)\n",
                seeds.size(), static_cast<unsigned long long>(seconds),
                static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    Mutator m(seed, max_len);
    // Recent mutants are mutated further too, so changes can stack up.
    std::vector<Input> recent;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      auto pick = [&]() -> const Input& {
        if (!recent.empty() && m.below(2) == 0) return recent[m.below(recent.size())];
        return seeds[m.below(seeds.size())];
      };
      const Input& base = pick();
      const Input& other = pick();
      Input in = m.mutate(base, other);
      run_one(in);
      ++runs;
      if (recent.size() < 256) {
        recent.push_back(std::move(in));
      } else {
        recent[m.below(recent.size())] = std::move(in);
      }
    }
  }
  std::printf("done: %zu inputs replayed, %llu mutated inputs run, no failure\n", replayed,
              static_cast<unsigned long long>(runs));
  return 0;
}
