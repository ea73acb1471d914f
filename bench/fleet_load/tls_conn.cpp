#include "bench/fleet_load/tls_conn.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

// clang-format off
#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on

namespace vigil::fleet {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::chrono::steady_clock::duration secs(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

struct TlsConn::Impl {
  Impl(asio::any_io_executor ex, asio::ssl::context& tls) : stream(ex, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buf;
  std::string host;
  bool broken = false;
};

TlsConn::TlsConn(asio::any_io_executor ex, asio::ssl::context& tls, const std::string& host)
    : impl_(std::make_unique<Impl>(ex, tls)) {
  impl_->host = host;
  SSL* ssl = impl_->stream.native_handle();
  // Check the certificate's subjectAltName against the URL's host, as the
  // agent does: an IP address against IP entries, a name against DNS ones.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
}

TlsConn::~TlsConn() = default;

asio::awaitable<std::string> TlsConn::open(tcp::endpoint server, asio::ip::address source, double timeout_s) {
  error_code ec;
  auto& sock = beast::get_lowest_layer(impl_->stream).socket();
  sock.open(server.protocol(), ec);
  if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
  if (ec) {
    impl_->broken = true;
    co_return "bind " + source.to_string() + ": " + ec.message();
  }
  beast::get_lowest_layer(impl_->stream).expires_after(secs(timeout_s));
  co_await beast::get_lowest_layer(impl_->stream)
      .async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    impl_->broken = true;
    co_return "connect: " + ec.message();
  }
  co_await impl_->stream.async_handshake(asio::ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    impl_->broken = true;
    co_return "TLS handshake: " + ec.message();
  }
  beast::get_lowest_layer(impl_->stream).expires_never();
  co_return std::string();
}

asio::awaitable<HttpResult> TlsConn::request(bool post, std::string_view target, std::string_view bearer,
                                             std::string body, bool gzip, double timeout_s) {
  HttpResult r;
  if (impl_->broken) {
    r.error = "connection already failed";
    co_return r;
  }
  http::request<http::string_body> req{post ? http::verb::post : http::verb::get,
                                       beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "vigil-fleet-load");
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + std::string(bearer));
  if (post) {
    req.set(http::field::content_type, "application/json");
    if (gzip) req.set(http::field::content_encoding, "gzip");
    req.body() = std::move(body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  error_code ec;
  beast::get_lowest_layer(impl_->stream).expires_after(secs(timeout_s));
  co_await http::async_write(impl_->stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    co_await http::async_read(impl_->stream, impl_->buf, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      auto& res = parser.get();
      r.transport_ok = true;
      r.status = static_cast<int>(res.result_int());
      r.keep_alive = res.keep_alive();
      r.body = std::move(res.body());
    }
  }
  beast::get_lowest_layer(impl_->stream).expires_never();
  if (ec) {
    r.error = ec == beast::error::timeout ? "timeout" : ec.message();
    impl_->broken = true;
  } else if (!r.keep_alive) {
    impl_->broken = true;
  }
  co_return r;
}

asio::awaitable<bool> TlsConn::write_raw(std::string_view bytes, double timeout_s) {
  if (impl_->broken) co_return false;
  error_code ec;
  beast::get_lowest_layer(impl_->stream).expires_after(secs(timeout_s));
  co_await asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  beast::get_lowest_layer(impl_->stream).expires_never();
  if (ec) impl_->broken = true;
  co_return !ec;
}

void TlsConn::close() {
  error_code ec;
  impl_->broken = true;
  beast::get_lowest_layer(impl_->stream).socket().close(ec);
}

}  // namespace vigil::fleet
