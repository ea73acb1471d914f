// The web UI's static files (collector/web/: HTML, CSS, JavaScript modules),
// served by CollectorServer at GET / and GET /ui/...: embedded into the
// binary at build time (collector/web_embed.cmake), or read from a folder on
// every request when collector.yaml sets web.dir (development: edit, reload).
//
// Called on handler threads; a WebUi is immutable after construction, so
// serve() is safe from any number of them. Every answer, 404 included,
// carries the strict Content-Security-Policy and the other browser-hardening
// headers below; no file under collector/web/ may need inline script or style.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/http/message.h"

namespace vigil::collector {

// Generated (web_files.cpp): (path relative to collector/web/, text), sorted by path.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_web_files();

// The policy every UI answer carries.
inline constexpr std::string_view kWebCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

class WebUi {
 public:
  // dir empty: the embedded files; otherwise files are read from dir.
  explicit WebUi(std::string dir = {});

  // True for "/", "/ui" and "/ui/..." : the paths serve() answers.
  static bool handles(std::string_view path);

  // GET only (405 otherwise). "/", "/ui", "/ui/" and any /ui path whose last
  // segment has no dot (a page of the single-page app: /ui/alerts/42) get
  // index.html; /ui/FILE gets that file with its Content-Type; anything else
  // (an unknown file, "..", a hidden name, an unknown extension) is 404.
  Response serve(const RequestHead& head) const;

  // The Content-Type for a file name; empty for an extension not served.
  static std::string content_type(std::string_view name);

 private:
  // The text of a file relative to the root; false when there is none.
  bool read(const std::string& rel, std::string* out) const;
  std::string dir_;
};

}  // namespace vigil::collector
