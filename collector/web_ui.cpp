#include "collector/web_ui.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace vigil::collector {
namespace {

void harden(Response* r) {
  r->headers.emplace_back("Content-Security-Policy", std::string(kWebCsp));
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
  // No fingerprints in the file names, so the browser asks every time (a
  // 304-less revalidation is cheap on loopback and keeps upgrades visible).
  r->headers.emplace_back("Cache-Control", "no-cache");
}

Response plain(int status, std::string_view text) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(text);
  harden(&r);
  return r;
}

// A relative path made of segments [A-Za-z0-9_-][A-Za-z0-9._-]*: no "..", no
// hidden file, nothing a folder on disk could be escaped with.
bool safe_rel(std::string_view rel) {
  if (rel.empty() || rel.size() > 200) return false;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view seg = rel.substr(start, end - start);
    if (seg.empty() || seg[0] == '.') return false;
    for (char c : seg) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

WebUi::WebUi(std::string dir) : dir_(std::move(dir)) {}

bool WebUi::handles(std::string_view path) {
  return path == "/" || path == "/ui" || path.rfind("/ui/", 0) == 0;
}

std::string WebUi::content_type(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string_view ext = name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  return {};
}

bool WebUi::read(const std::string& rel, std::string* out) const {
  if (dir_.empty()) {
    const auto& files = embedded_web_files();
    auto it = std::lower_bound(files.begin(), files.end(), rel,
                               [](const auto& f, const std::string& k) { return f.first < k; });
    if (it == files.end() || it->first != rel) return false;
    *out = std::string(it->second);
    return true;
  }
  std::ifstream in(dir_ + "/" + rel, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return false;
  *out = ss.str();
  return true;
}

Response WebUi::serve(const RequestHead& h) const {
  if (h.method != "GET") {
    Response r = plain(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  std::string rel;
  if (h.path != "/" && h.path != "/ui" && h.path != "/ui/") rel = h.path.substr(4);
  size_t slash = rel.rfind('/');
  std::string_view last = std::string_view(rel).substr(slash == std::string::npos ? 0 : slash + 1);
  if (last.find('.') == std::string_view::npos) rel = "index.html";  // a page of the app, or the root
  std::string type = content_type(rel);
  Response r;
  if (!safe_rel(rel) || type.empty() || !read(rel, &r.body)) return plain(404, "not found");
  r.status = 200;
  r.content_type = std::move(type);
  harden(&r);
  return r;
}

}  // namespace vigil::collector
