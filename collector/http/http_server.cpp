#include "collector/http/http_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <limits>
#include <thread>
#include <vector>

#include "collector/http/body_decoder.h"
#include "collector/http/connection_limiter.h"

namespace vigil::collector {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kBodyBuffer = 64 << 10;  // body bytes per read, allocated only while reading one
constexpr size_t kIdleRead = 4 << 10;     // first read of a keep-alive request
constexpr auto kLingerTime = std::chrono::seconds(2);  // drain after a refusal so the answer is seen
constexpr uint64_t kLingerBytes = 8 << 20;

void count_response(HttpCounters& c, int status) {
  switch (status / 100) {
    case 1:
      return bump(c.responses_1xx);
    case 2:
      return bump(c.responses_2xx);
    case 3:
      return bump(c.responses_3xx);
    case 4:
      return bump(c.responses_4xx);
    default:
      return bump(c.responses_5xx);
  }
}

// What every connection shares; owned by the server, outlives the sessions.
struct Shared {
  HttpLimits limits;
  HttpCounters& counters;
  AdmitFn admit;
  net::thread_pool& pool;      // agents' requests (ingest waits for fsync)
  net::thread_pool& api_pool;  // everyone else: officers' and scripts' requests never queue behind ingest
};

// Agents authenticate as "Bearer AGENT_ID.KEY"; their batches and heartbeats
// take the agent pool, so a fleet's ingest cannot delay the API.
net::thread_pool& pool_for(const Shared& sh, const RequestHead& h) {
  const std::string* auth = h.header("authorization");
  return auth && auth->find('.') != std::string::npos ? sh.pool : sh.api_pool;
}

// What a handler thread decided about a request whose head was read.
struct Decision {
  std::optional<Response> answer;  // send this (the body, if any, stays unread)
  Admission plan;                  // otherwise read the body under these caps, then plan.handle
  BodyEncoding encoding = BodyEncoding::kIdentity;
};

// Route code runs here, on a handler thread: admission, the transport's own
// checks (411, 413 by Content-Length, 415), and for a request without a body
// the route itself. Nothing thrown leaves.
Decision decide(Shared& sh, const RequestHead& head) {
  Decision d;
  try {
    Admission a = sh.admit(head);
    if (a.answer) {
      d.answer = std::move(a.answer);
      return d;
    }
    if (a.body_required && !head.chunked && !head.content_length) {
      bump(sh.counters.length_required);
      d.answer = Response::error(411, "length required",
                                 "send the body with Content-Length or Transfer-Encoding: chunked");
      return d;
    }
    if (head.content_length && *head.content_length > a.max_body) {
      bump(sh.counters.body_too_large);
      d.answer = Response::error(413, "body too large",
                                 "at most " + std::to_string(a.max_body) + " bytes on this path");
      return d;
    }
    const std::string* ce = head.header("content-encoding");
    auto enc = parse_content_encoding(ce ? *ce : "");
    if (!enc) {
      bump(sh.counters.unsupported_encoding);
      d.answer = Response::error(415, "unsupported content encoding", "send the body as is or with gzip");
      return d;
    }
    d.encoding = *enc;
    if (!head.has_body()) {
      d.answer = a.handle(head, std::string());
      return d;
    }
    d.plan = std::move(a);
  } catch (const std::exception& e) {
    bump(sh.counters.handler_exceptions);
    spdlog::error("http: {} {}: {}", head.method, head.path, e.what());
    d.answer = Response::error(500, "internal error");
  }
  return d;
}

Response run_handler(Shared& sh, const Admission& plan, const RequestHead& head, std::string body) {
  try {
    return plan.handle(head, std::move(body));
  } catch (const std::exception& e) {
    bump(sh.counters.handler_exceptions);
    spdlog::error("http: {} {}: {}", head.method, head.path, e.what());
    return Response::error(500, "internal error");
  }
}

// One client connection: TLS handshake, then requests one after another
// (keep-alive). Every member is touched only on the connection's strand; the
// handler pool sees copies (the head) and posts its answer back.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& sock, ssl::context& ctx, Shared& sh, ConnectionLimiter::Slot slot, std::string peer)
      : stream_(std::move(sock), ctx), sh_(sh), slot_(std::move(slot)), peer_(std::move(peer)) {}
  ~Session() { drop(sh_.counters.connections_open); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->handshake(); });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  std::chrono::seconds secs(int s) { return std::chrono::seconds(std::max(1, s)); }

  void handshake() {
    lowest().expires_after(secs(sh_.limits.handshake_timeout_s));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      bump(ec == beast::error::timeout ? sh_.counters.timeouts_handshake : sh_.counters.tls_handshake_failed);
      return;  // the last reference goes: the socket closes
    }
    read_head();  // the first request's head is due at once, under the head timeout
  }

  // Between keep-alive requests: wait (idle timeout) for the next request's
  // first bytes, then give its head the head timeout.
  void wait_request() {
    if (buffer_.size() > 0) return read_head();  // pipelined: already here
    buffer_.shrink_to_fit();                     // an idle connection keeps no buffer
    lowest().expires_after(secs(sh_.limits.idle_timeout_s));
    stream_.async_read_some(buffer_.prepare(kIdleRead),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) {
                                if (ec == beast::error::timeout) bump(self->sh_.counters.timeouts_idle);
                                return;
                              }
                              self->read_head();
                            });
  }

  void read_head() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(std::clamp<int64_t>(sh_.limits.max_header_bytes, 1024, 1 << 20)));
    // The route's cap is applied once the head is read. (Not boost::none:
    // Beast 1.74 compares Content-Length with an empty optional as "over".)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(secs(sh_.limits.head_timeout_s));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
  }

  void on_head(beast::error_code ec) {
    // A buffer_body parser that already holds body bytes asks for a buffer:
    // the head is complete, which is all this step wants.
    if (ec == http::error::need_buffer && parser_->is_header_done()) ec = {};
    if (ec == beast::error::timeout) return bump(sh_.counters.timeouts_head);
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::ssl::error::stream_truncated || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted)
      return;
    if (ec == http::error::header_limit) {
      bump(sh_.counters.header_too_large);
      return send(
          Response::error(431, "request header too large",
                          "at most " + std::to_string(sh_.limits.max_header_bytes) + " bytes of headers"),
          true);
    }
    if (ec) {
      bump(sh_.counters.bad_request);
      spdlog::debug("http: {}: bad request head: {}", peer_, ec.message());
      return send(Response::error(400, "malformed request", "send HTTP/1.1"), true);
    }
    bump(sh_.counters.requests);
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    auto head = std::make_shared<RequestHead>();
    head->method = std::string(req.method_string());
    head->target = std::string(req.target());
    if (!parse_target(head->target, &head->path, &head->query)) {
      bump(sh_.counters.bad_request);
      return send(Response::error(400, "malformed request target", "percent-encode the path and query"),
                  true);
    }
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      head->headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (auto cl = parser_->content_length()) head->content_length = *cl;
    head->chunked = parser_->chunked();
    head->expect_continue = iequals(req[http::field::expect], "100-continue");
    head->peer = peer_;
    head_ = head;
    lowest().expires_never();  // the handler pool may take a while (an ingest waits for fsync)
    pool_ = &pool_for(sh_, *head);
    net::post(*pool_, [self = shared_from_this(), head] {
      auto d = std::make_shared<Decision>(decide(self->sh_, *head));
      net::post(self->stream_.get_executor(), [self, d] { self->on_decision(std::move(*d)); });
    });
  }

  void on_decision(Decision d) {
    bool body_unread = !parser_->is_done();
    if (d.answer) return send(std::move(*d.answer), body_unread);
    plan_ = std::move(d.plan);
    uint64_t decoded_cap = d.encoding == BodyEncoding::kGzip ? plan_.max_inflated : plan_.max_body;
    decoder_.emplace(d.encoding, decoded_cap);
    if (head_->expect_continue) {
      cont_ = http::response<http::empty_body>(http::status::continue_, version_);
      count_response(sh_.counters, 100);
      lowest().expires_after(secs(sh_.limits.write_timeout_s));
      return http::async_write(stream_, cont_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->on_write_error(ec);
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    parser_->body_limit(plan_.max_body);  // applies to chunked bodies; Content-Length was checked
    body_buf_ = std::make_unique<char[]>(kBodyBuffer);
    lowest().expires_after(secs(sh_.limits.body_timeout_s));  // the whole body, not each read
    read_body_some();
  }

  void read_body_some() {
    auto& b = parser_->get().body();
    b.data = body_buf_.get();
    b.size = kBodyBuffer;
    // read_some, not read: each piece is decoded (and the caps checked) as it comes.
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == beast::error::timeout) return bump(sh_.counters.timeouts_body);
    if (ec == http::error::body_limit) return too_large(false);
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::ssl::error::stream_truncated || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted)
      return;
    if (ec) {
      bump(sh_.counters.bad_request);
      return send(Response::error(400, "malformed request body", "check the chunked encoding"), true);
    }
    size_t got = kBodyBuffer - parser_->get().body().size;
    auto st = decoder_->feed(body_buf_.get(), got);
    if (st == BodyDecoder::Status::kTooLarge) return too_large(true);
    if (st == BodyDecoder::Status::kCorrupt) return corrupt();
    if (!parser_->is_done()) return read_body_some();
    st = decoder_->finish();
    if (st != BodyDecoder::Status::kOk) return corrupt();
    body_buf_.reset();
    lowest().expires_never();
    auto body = std::make_shared<std::string>(decoder_->take());
    decoder_.reset();
    net::post(*pool_, [self = shared_from_this(), body] {
      auto r =
          std::make_shared<Response>(run_handler(self->sh_, self->plan_, *self->head_, std::move(*body)));
      body->clear();
      body->shrink_to_fit();
      net::post(self->stream_.get_executor(), [self, r] {
        self->plan_ = Admission();
        self->send(std::move(*r), false);
      });
    });
  }

  void too_large(bool decoded) {
    bool inflated = decoded && decoder_ && plan_.max_inflated != plan_.max_body;
    bump(inflated ? sh_.counters.inflate_too_large : sh_.counters.body_too_large);
    uint64_t cap = decoder_ ? decoder_->max_decoded() : plan_.max_body;
    if (!decoded) cap = plan_.max_body;
    send(Response::error(413, inflated ? "inflated body too large" : "body too large",
                         "at most " + std::to_string(cap) + " bytes on this path"),
         true);
  }

  void corrupt() {
    bump(sh_.counters.bad_request);
    send(Response::error(400, "corrupt body", "the gzip stream does not decode"), true);
  }

  void send(Response r, bool close) {
    body_buf_.reset();
    decoder_.reset();
    count_response(sh_.counters, r.status);
    if (r.stream) return send_stream(std::move(r), close);
    res_ = http::response<http::string_body>(static_cast<http::status>(r.status), version_ ? version_ : 11);
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers) res_.insert(name, value);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !close && !r.close);
    res_.prepare_payload();
    lowest().expires_after(secs(sh_.limits.write_timeout_s));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->on_write_error(ec);
      self->after_write();
    });
  }

  void on_write_error(beast::error_code ec) {
    if (ec == beast::error::timeout) bump(sh_.counters.timeouts_write);
  }

  // A streamed response: the head, then one chunk per piece the producer
  // gives (asked on a handler thread, after the previous piece is written:
  // a slow reader holds the producer, not memory), then the last chunk.
  void send_stream(Response r, bool close) {
    sres_ = http::response<http::empty_body>(static_cast<http::status>(r.status), version_ ? version_ : 11);
    sres_.set(http::field::content_type, r.content_type);
    sres_.set(http::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers) sres_.insert(name, value);
    sres_.keep_alive(keep_alive_ && !close && !r.close);
    sres_.chunked(true);
    producer_ = std::move(r.stream);
    sser_.emplace(sres_);
    lowest().expires_after(secs(sh_.limits.write_timeout_s));
    http::async_write_header(stream_, *sser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->on_write_error(ec);
      self->next_piece();
    });
  }

  void next_piece() {
    net::post(*pool_, [self = shared_from_this()] {
      auto piece = std::make_shared<std::string>();
      bool more = false, failed = false;
      try {
        more = self->producer_(piece.get());
      } catch (const std::exception& e) {
        bump(self->sh_.counters.handler_exceptions);
        spdlog::error("http: streamed {}: {}", self->head_ ? self->head_->path : "", e.what());
        failed = true;
      }
      net::post(self->stream_.get_executor(),
                [self, piece, more, failed] { self->write_piece(piece, more, failed); });
    });
  }

  void write_piece(std::shared_ptr<std::string> piece, bool more, bool failed) {
    if (failed) {
      producer_ = nullptr;
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    if (piece->empty()) return more ? next_piece() : finish_stream();
    lowest().expires_after(secs(sh_.limits.write_timeout_s));
    net::async_write(stream_, http::make_chunk(net::buffer(*piece)),
                     [self = shared_from_this(), piece, more](beast::error_code ec, size_t) {
                       if (ec) return self->on_write_error(ec);
                       if (more) return self->next_piece();
                       self->finish_stream();
                     });
  }

  void finish_stream() {
    lowest().expires_after(secs(sh_.limits.write_timeout_s));
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->on_write_error(ec);
                       self->producer_ = nullptr;
                       self->sser_.reset();
                       bool keep = self->sres_.keep_alive();
                       self->sres_ = {};
                       self->after_write(keep);
                     });
  }

  void after_write() { after_write(res_.keep_alive()); }
  void after_write(bool keep) {
    res_ = {};
    head_.reset();
    if (!keep) return linger();
    parser_.reset();
    wait_request();
  }

  // Closing right after an answer while the client still sends (a refused
  // body) would make the kernel answer its data with a reset, which can
  // destroy our answer before the client reads it. So stop sending, then read
  // and discard for a short, bounded while (nginx's lingering close).
  void linger() {
    parser_.reset();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    body_buf_ = std::make_unique<char[]>(kBodyBuffer);
    lowest().expires_after(kLingerTime);
    linger_some();
  }

  void linger_some() {
    stream_.async_read_some(net::buffer(body_buf_.get(), kBodyBuffer),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) return;
                              self->linger_some();
                            });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  Shared& sh_;
  ConnectionLimiter::Slot slot_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::shared_ptr<RequestHead> head_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  Admission plan_;
  std::optional<BodyDecoder> decoder_;
  std::unique_ptr<char[]> body_buf_;
  http::response<http::empty_body> cont_;
  http::response<http::string_body> res_;
  http::response<http::empty_body> sres_;  // a streamed response's head
  std::optional<http::response_serializer<http::empty_body>> sser_;
  std::function<bool(std::string*)> producer_;
  uint64_t lingered_ = 0;
  net::thread_pool* pool_ = nullptr;  // the pool of the request in progress (pool_for)
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpLimits l, int handler_threads, AdmitFn admit, HttpCounters& c)
      : pool(std::make_unique<net::thread_pool>(static_cast<size_t>(std::max(1, handler_threads)))),
        api_pool(std::make_unique<net::thread_pool>(static_cast<size_t>(std::max(2, handler_threads / 4)))),
        shared{l, c, std::move(admit), *pool, *api_pool},
        limiter(std::make_shared<ConnectionLimiter>(l.max_connections, l.max_connections_per_ip)) {}

  void do_accept() {
    acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket sock) {
      on_accept(ec, std::move(sock));
    });
  }

  void on_accept(beast::error_code ec, tcp::socket sock) {
    HttpCounters& c = shared.counters;
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      // Out of descriptors or memory: back off instead of spinning on the same error.
      bump(c.accept_errors);
      if (c.accept_errors.load(std::memory_order_relaxed) % 1000 == 1)
        spdlog::warn("http: accept failed: {}", ec.message());
      backoff->expires_after(std::chrono::milliseconds(50));
      backoff->async_wait([this](beast::error_code e) {
        if (!e) do_accept();
      });
      return;
    }
    beast::error_code ignore;
    auto ep = sock.remote_endpoint(ignore);
    std::string peer = ignore ? std::string("?") : ep.address().to_string();
    ConnectionLimiter::Slot slot;
    switch (limiter->try_acquire(peer, &slot)) {
      case ConnectionLimiter::Verdict::kOk:
        bump(c.accepted);
        bump(c.connections_open);
        sock.set_option(tcp::no_delay(true), ignore);
        std::make_shared<Session>(std::move(sock), *ssl_ctx, shared, std::move(slot), std::move(peer))
            ->start();
        break;
      case ConnectionLimiter::Verdict::kTotalLimit:
        bump(c.refused_total_limit);
        sock.close(ignore);
        break;
      case ConnectionLimiter::Verdict::kPerAddressLimit:
        bump(c.refused_per_ip_limit);
        sock.close(ignore);
        break;
    }
    do_accept();
  }

  // Jobs queued on the pool hold sessions, whose sockets belong to ioc: the
  // pool is destroyed first, explicitly (~HttpServer), while ioc still exists.
  std::unique_ptr<net::thread_pool> pool, api_pool;
  Shared shared;
  std::shared_ptr<ConnectionLimiter> limiter;
  std::unique_ptr<ssl::context> ssl_ctx;  // outlives the sessions (declared before the loop)
  net::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> backoff;
  int port = 0;
};

HttpServer::HttpServer(HttpLimits limits, int handler_threads, AdmitFn admit, HttpCounters& counters)
    : impl_(std::make_unique<Impl>(limits, handler_threads, std::move(admit), counters)) {}

HttpServer::~HttpServer() {
  stop();
  impl_->pool->join();
  impl_->api_pool->join();
  // Destroys the jobs still queued (and the sessions they hold) now, while
  // the io_context their sockets are registered with is alive; destroying the
  // pool after it corrupted the heap at shutdown with connections open.
  impl_->pool.reset();
  impl_->api_pool.reset();
}

bool HttpServer::start(const std::string& host, int port, const std::string& cert_path,
                       const std::string& key_path, std::string* error) {
  raise_fd_limit();
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // Idle connections give their TLS read/write buffers back (thousands of agents wait between heartbeats).
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cert_path, ec);
  if (!ec) ctx->use_private_key_file(key_path, ssl::context::pem, ec);
  if (ec) {
    *error = "cannot load TLS certificate " + cert_path + " / key " + key_path + ": " + ec.message();
    return false;
  }
  impl_->ssl_ctx = std::move(ctx);

  auto addr = net::ip::make_address(host, ec);
  if (ec) {
    *error = "cannot listen on " + host + ":" + std::to_string(port) + ": not an IP address";
    return false;
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  auto acc = std::make_unique<tcp::acceptor>(impl_->ioc);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return false;
  }
  impl_->port = acc->local_endpoint().port();
  impl_->acceptor = std::move(acc);
  impl_->backoff = std::make_unique<net::steady_timer>(impl_->ioc);
  impl_->do_accept();
  return true;
}

int HttpServer::port() const {
  return impl_->port;
}

void HttpServer::run() {
  int n = impl_->shared.limits.io_threads;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto loop = [this] {
    for (;;) {
      try {
        impl_->ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http: event loop: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
  spdlog::info("http: stopped; counters {}", impl_->shared.counters.to_json().dump());
}

void HttpServer::stop() {
  impl_->ioc.stop();
  impl_->pool->stop();
  impl_->api_pool->stop();
}

uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur;
}

}  // namespace vigil::collector
