#include "cli/doctor_state.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/files.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "store/database.h"
#include "store/state_layout.h"

namespace sluice::cli::doctor {
namespace fs = std::filesystem;

namespace {

constexpr auto k_connect_timeout = std::chrono::seconds(3);

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::optional<int> parse_port(std::string_view s) {
  int port = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port <= 0 || port > 65535) return std::nullopt;
  return port;
}

// A connected socket, closed on scope exit.
struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Connects a non-blocking socket to `addr`; an empty string on success, else why not.
std::string connect_to(Socket& s, int family, const sockaddr* addr, socklen_t len,
                       std::chrono::steady_clock::time_point deadline) {
  s.fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return std::strerror(errno);
  if (::connect(s.fd, addr, len) == 0) return {};
  if (errno != EINPROGRESS) return std::strerror(errno);
  if (!wait_for(s.fd, POLLOUT, deadline)) return "timed out";
  int err = 0;
  socklen_t el = sizeof err;
  ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &el);
  return err == 0 ? std::string() : std::string(std::strerror(err));
}

// PostgreSQL's SSLRequest (length 8, code 80877103): a server answers one byte, 'S' or 'N',
// before any authentication, so this proves the protocol without credentials.
std::string speaks_postgres(Socket& s, std::chrono::steady_clock::time_point deadline) {
  const unsigned char req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  if (::send(s.fd, req, sizeof req, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof req)) {
    return fmt::format("cannot send: {}", std::strerror(errno));
  }
  if (!wait_for(s.fd, POLLIN, deadline)) return "no answer to the PostgreSQL SSLRequest (timed out)";
  char c = 0;
  const ssize_t n = ::recv(s.fd, &c, 1, 0);
  if (n == 1 && (c == 'S' || c == 'N')) return {};
  return "it answered, but not as a PostgreSQL server does";
}

Check check_postgres(const StateTarget& target) {
  Check c{"state", Status::fail, "", ""};
  const std::string shown = mask_url_password(target.url);
  auto url = parse_postgres_url(target.url);
  if (!url) {
    c.message = fmt::format("state {} (from {}) is not a PostgreSQL URL sluice can read", shown, target.source);
    c.fix = "write it as postgres://USER@HOST:PORT/DBNAME (the password from PGPASSWORD or ~/.pgpass)";
    return c;
  }
  const auto deadline = std::chrono::steady_clock::now() + k_connect_timeout;
  Socket sock;
  std::string where;
  std::string why;
  if (url->host.empty() || url->host[0] == '/') {
    const std::string dir = url->host.empty() ? "/var/run/postgresql" : url->host;
    const std::string path = fmt::format("{}/.s.PGSQL.{}", dir, url->port);
    where = path;
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) {
      why = "socket path too long";
    } else {
      std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
      why = connect_to(sock, AF_UNIX, reinterpret_cast<const sockaddr*>(&sun), sizeof sun, deadline);
    }
  } else {
    where = fmt::format("{}:{}", url->host, url->port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(url->port);
    const int rc = ::getaddrinfo(url->host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      why = fmt::format("cannot resolve {}: {}", url->host, ::gai_strerror(rc));
    } else {
      why = "no address";
      for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
        Socket attempt;
        why = connect_to(attempt, a->ai_family, a->ai_addr, a->ai_addrlen, deadline);
        if (why.empty()) {
          std::swap(sock.fd, attempt.fd);
          break;
        }
      }
      ::freeaddrinfo(res);
    }
  }
  if (why.empty()) why = speaks_postgres(sock, deadline);
  if (!why.empty()) {
    c.message = fmt::format("PostgreSQL {} (from {}) is not reachable at {}: {}", shown, target.source, where, why);
    c.fix = "start the server, or correct the URL in " + target.source +
            " (the network, port and unix socket directory are those of the server's listen_addresses, port "
            "and unix_socket_directories)";
    return c;
  }
  c.status = Status::ok;
  c.message = fmt::format("PostgreSQL {} (from {}): a PostgreSQL server answers at {}", shown, target.source, where);
  return c;
}

Check check_sqlite(const StateTarget& target, const fs::path& workspace) {
  Check c{"state", Status::fail, "", ""};
  const auto layout = store::StateLayout::of_workspace(workspace);
  const fs::path db_path = layout.database();
  std::error_code ec;
  auto open_and_version = [](const fs::path& path) -> Expected<int64_t> {
    auto db = store::Database::open(path, store::all_migrations());
    if (!db) return tl::unexpected(db.error());
    auto q = (*db)->prepare("PRAGMA user_version");
    if (!q) return tl::unexpected(q.error());
    auto row = q->step();
    if (!row) return tl::unexpected(row.error());
    return *row ? q->column_int(0) : 0;
  };
  if (fs::exists(db_path, ec)) {
    auto v = open_and_version(db_path);
    if (!v) {
      c.message = fmt::format("SQLite {} (from {}): {}", db_path.string(), target.source, v.error().message);
      c.fix = "a database written by a newer sluice needs that sluice; a corrupt one can be moved aside "
              "(the next run starts a new history and cache)";
      return c;
    }
    c.status = Status::ok;
    c.message = fmt::format("SQLite {} (from {}): opened, schema version {}", db_path.string(), target.source, *v);
    return c;
  }
  // No database yet: create one with every migration in a scratch directory where the first run
  // will create it, so the filesystem's support for SQLite's WAL and locks is what is checked.
  const fs::path parent = fs::is_directory(layout.dir(), ec) ? layout.dir() : workspace;
  std::string tmpl = (parent / ".sluice-doctor-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    c.message = fmt::format("SQLite {} (from {}): cannot create it: {}: {}", db_path.string(), target.source,
                            parent.string(), std::strerror(errno));
    c.fix = fmt::format("make {} writable for this user, or run sluice in a writable checkout", parent.string());
    return c;
  }
  auto v = open_and_version(fs::path(tmpl) / "state.db");
  fs::remove_all(tmpl, ec);
  if (!v) {
    c.message = fmt::format("SQLite {} (from {}): a new database cannot be created here: {}", db_path.string(),
                            target.source, v.error().message);
    c.fix = "put the workspace on a local filesystem (SQLite's WAL needs shared memory and POSIX locks)";
    return c;
  }
  c.status = Status::ok;
  c.message = fmt::format("SQLite {} (from {}): not created yet; a new one with schema version {} works here",
                          db_path.string(), target.source, *v);
  return c;
}

}  // namespace

std::optional<PostgresUrl> parse_postgres_url(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (url.substr(0, scheme.size()) == scheme) rest = url.substr(scheme.size());
  }
  if (rest.data() == nullptr) return std::nullopt;
  PostgresUrl out;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    out.dbname = percent_decode(rest.substr(slash + 1));
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    out.user = percent_decode(userinfo.substr(0, userinfo.find(':')));
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {  // [IPv6]:port
    auto close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return std::nullopt;
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.find(',') != std::string_view::npos) return std::nullopt;  // several hosts: not read here
  out.host = percent_decode(host);
  if (!port.empty()) {
    auto p = parse_port(port);
    if (!p) return std::nullopt;
    out.port = *p;
  }
  for (std::string_view kv : base::split(query, '&')) {
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view k = kv.substr(0, eq);
    const std::string v = percent_decode(kv.substr(eq + 1));
    if (k == "host") {
      out.host = v;
    } else if (k == "port") {
      auto p = parse_port(v);
      if (!p) return std::nullopt;
      out.port = *p;
    } else if (k == "dbname") {
      out.dbname = v;
    } else if (k == "user") {
      out.user = v;
    }
  }
  return out;
}

std::string mask_url_password(std::string_view url) {
  std::string out(url);
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return out;
  const auto start = scheme_end + 3;
  const auto end = url.find_first_of("/?", start);
  const std::string_view authority = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (const auto colon = authority.substr(0, at).find(':'); colon != std::string_view::npos) {
      out = std::string(url.substr(0, start + colon + 1)) + "***" + std::string(url.substr(start + at));
    }
  }
  // A password in the query string (?password=...) is masked too.
  for (std::string_view key : {"?password=", "&password="}) {
    const auto p = out.find(key);
    if (p == std::string::npos) continue;
    const auto v = p + key.size();
    const auto amp = out.find('&', v);
    out.replace(v, amp == std::string::npos ? out.npos : amp - v, "***");
  }
  return out;
}

StateTarget resolve_state(const Setup& setup) {
  if (!setup.state_flag.empty()) return {setup.state_flag, "--state"};
  if (auto v = setup.getenv("SLUICE_STATE_URL"); v && !v->empty()) return {*v, "SLUICE_STATE_URL"};
  const fs::path file = fs::path(setup.pipeline_file).is_absolute() ? fs::path(setup.pipeline_file)
                                                                   : setup.workspace / setup.pipeline_file;
  if (auto text = base::read_file(file)) {
    if (auto docs = base::yaml::parse(*text, setup.pipeline_file); docs && !docs->empty()) {
      const auto& root = docs->front().root;
      if (root.is_map()) {
        if (const auto* s = root.find("state"); s != nullptr && s->is_scalar() && !s->scalar.empty()) {
          return {s->scalar, setup.pipeline_file + " state:"};
        }
      }
    }
  }
  return {"sqlite", "default"};
}

Check check_state(const StateTarget& target, const fs::path& workspace) {
  if (target.url == "sqlite") return check_sqlite(target, workspace);
  if (target.url.rfind("postgres://", 0) == 0 || target.url.rfind("postgresql://", 0) == 0) {
    return check_postgres(target);
  }
  return Check{"state", Status::fail,
               fmt::format("unknown state backend {} (from {})", base::quote(mask_url_password(target.url)),
                           target.source),
               "use sqlite (the default) or a postgres://USER@HOST:PORT/DBNAME URL"};
}

}  // namespace sluice::cli::doctor
