#include "registry/client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/hash.h"

namespace sluice::registry {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char k_table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k_table[v >> 18];
    out += k_table[(v >> 12) & 63];
    out += k_table[(v >> 6) & 63];
    out += k_table[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += k_table[v >> 18];
    out += k_table[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k_table[v >> 18];
    out += k_table[(v >> 12) & 63];
    out += k_table[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

struct Transfer {
  HttpResponse* response = nullptr;
  size_t max_body = 0;
  bool over = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view h(data, size * n);
  if (h.substr(0, 5) == "HTTP/") {  // a new response (after a redirect or 100-continue)
    t->response->headers.clear();
    t->response->links.clear();
    return size * n;
  }
  auto colon = h.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = lower(h.substr(0, colon));
  std::string_view value = h.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  if (name == "link") t->response->links.emplace_back(value);
  t->response->headers[name] = std::string(value);
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response->body.size() + size * n > t->max_body) {
    t->over = true;
    return 0;
  }
  t->response->body.append(data, size * n);
  return size * n;
}

// A request body read from a file while curl sends it, hashed on the way (Client::FileBody).
struct Stream {
  std::FILE* f = nullptr;
  std::string path;
  std::string digest;
  int64_t remaining = 0;
  base::Sha256 sha;
  std::string error;  // set when the file is not what its digest says; the transfer is aborted
  ~Stream() {
    if (f) std::fclose(f);
  }
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* s = static_cast<Stream*>(user);
  const size_t want = size_t(std::min<int64_t>(int64_t(size * n), s->remaining));
  if (want == 0) return 0;
  const size_t got = std::fread(buf, 1, want, s->f);
  if (got < want) {
    s->error = fmt::format("{}: {}", s->path,
                           std::ferror(s->f) ? "read error" : "shorter than its descriptor says (changed while pushing?)");
    return CURL_READFUNC_ABORT;
  }
  s->sha.update(std::string_view(buf, got));
  s->remaining -= int64_t(got);
  if (s->remaining == 0) {
    // The last bytes are handed to curl only when the whole file checked out: a corrupt or
    // changed file never completes an upload.
    if (std::fgetc(s->f) != EOF) {
      s->error = fmt::format("{}: longer than its descriptor says (changed while pushing?)", s->path);
      return CURL_READFUNC_ABORT;
    }
    if ("sha256:" + s->sha.hex_digest() != s->digest) {
      s->error = fmt::format("{}: content does not match its digest {}", s->path, s->digest);
      return CURL_READFUNC_ABORT;
    }
  }
  return got;
}

// A short, safe excerpt of an error reply: the registry's error codes and messages.
std::string error_excerpt(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    std::string out;
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      if (!out.empty()) out += "; ";
      out += e.value("code", "") + ": " + e.value("message", "");
    }
    if (!out.empty()) return out;
  }
  std::string body = r.body.substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body;
}

std::string accept_manifests() {
  return fmt::format("Accept: {}, {}, {}, {}", k_oci_manifest, k_oci_index, k_docker_manifest, k_docker_list);
}

}  // namespace

std::string digest_of(std::string_view bytes) { return "sha256:" + base::sha256_hex(bytes); }

std::optional<Challenge> parse_challenge(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  auto sp = h.find(' ');
  Challenge c;
  c.scheme = lower(h.substr(0, sp));
  if (c.scheme.empty()) return std::nullopt;
  if (sp == std::string_view::npos) return c;
  std::string_view rest = h.substr(sp + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = lower(rest.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < rest.size() && rest[i] != ',') value += rest[i++];
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    c.params[name] = value;
  }
  return c;
}

std::optional<std::string> next_link(const std::vector<std::string>& links, std::string_view base_url) {
  for (const auto& header : links) {
    // A header may hold several links: <a>; rel="next", <b>; rel="prev"
    size_t i = 0;
    while (i < header.size()) {
      auto open = header.find('<', i);
      if (open == std::string::npos) break;
      auto close = header.find('>', open);
      if (close == std::string::npos) break;
      auto end = header.find('<', close);
      std::string params = lower(header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1));
      std::string target = header.substr(open + 1, close - open - 1);
      params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
      if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos) {
        if (target.find("://") != std::string::npos) return target;
        if (!target.empty() && target.front() != '/') target = "/" + target;
        return std::string(base_url) + target;
      }
      if (end == std::string::npos) break;
      i = end;
    }
  }
  return std::nullopt;
}

struct Client::Handle {
  CURL* easy = nullptr;
  ~Handle() {
    if (easy) curl_easy_cleanup(easy);
  }
};

Client::Client(RepoRef repo, ClientOptions options) : m_repo(std::move(repo)), m_options(std::move(options)) {
  global_init();
}

Client::~Client() = default;

std::unique_ptr<Client::Handle> Client::take_handle() {
  {
    std::lock_guard lock(m_mu);
    if (!m_idle.empty()) {
      auto h = std::move(m_idle.back());
      m_idle.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->easy = curl_easy_init();
  return h;
}

void Client::give_back(std::unique_ptr<Handle> h) {
  std::lock_guard lock(m_mu);
  m_idle.push_back(std::move(h));
}

std::string Client::url_for(std::string_view path_or_url) const {
  if (path_or_url.find("://") != std::string_view::npos) return std::string(path_or_url);
  return m_repo.base_url() + std::string(path_or_url);
}

std::optional<std::string> Client::auth_header() {
  std::lock_guard lock(m_mu);
  if (m_auth.empty()) return std::nullopt;
  return "Authorization: " + m_auth;
}

Expected<HttpResponse> Client::perform(std::string_view method, const std::string& url,
                                       const std::vector<std::string>& headers, std::string_view body,
                                       size_t max_body, const FileBody* file) {
  // Opened for each attempt, so a retry sends the file from its start.
  std::unique_ptr<Stream> stream;
  if (file) {
    stream = std::make_unique<Stream>();
    stream->path = file->path->string();
    stream->digest = std::string(file->digest);
    stream->remaining = file->size;
    stream->f = std::fopen(stream->path.c_str(), "rb");
    if (!stream->f) {
      return make_error(ErrorCode::io, fmt::format("{}: {}", stream->path, std::strerror(errno)));
    }
  }
  auto handle = take_handle();
  CURL* easy = handle->easy;
  if (!easy) return make_error(ErrorCode::internal, "curl_easy_init failed");
  curl_easy_reset(easy);
  HttpResponse response;
  Transfer t{&response, max_body, false};
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip on PUT
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, long(m_options.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, long(m_options.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "sluice-registry/" SLUICE_VERSION);
  // Blob GETs may redirect to storage elsewhere; curl does not send our Authorization header
  // to another host.
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, method == "GET" ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    if (stream) {
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, stream.get());
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(file->size));
      // A large blob takes as long as it takes: no limit on the whole transfer, but one that
      // stalls (under 1 byte/s for the timeout) fails.
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 0L);
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, long(std::max<int64_t>(1, m_options.timeout.count() / 1000)));
    } else if (method == "PUT" || method == "POST" || !body.empty()) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
    }
  }
  CURLcode rc = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(list);
  give_back(std::move(handle));
  if (stream && !stream->error.empty()) return make_error(ErrorCode::integrity, stream->error);
  if (t.over) {
    return make_error(ErrorCode::network, fmt::format("{} {}: the reply is larger than {} bytes", method, url, max_body));
  }
  if (rc != CURLE_OK) {
    return make_error(ErrorCode::network, fmt::format("{} {}: {}", method, url, curl_easy_strerror(rc)));
  }
  return response;
}

Expected<void> Client::authenticate(const Challenge& c) {
  const auto& creds = m_options.credentials;
  if (c.scheme == "basic") {
    if (!creds) {
      return make_error(ErrorCode::network,
                        fmt::format("{} asks for a user name and password (Basic auth); none were given",
                                    m_repo.host));
    }
    std::lock_guard lock(m_mu);
    m_auth = "Basic " + base64(creds->username + ":" + creds->password);
    return {};
  }
  if (c.scheme != "bearer") {
    return make_error(ErrorCode::network,
                      fmt::format("{} asks for authentication scheme \"{}\", which sluice does not speak", m_repo.host,
                                  c.scheme));
  }
  auto realm = c.params.find("realm");
  if (realm == c.params.end() || realm->second.empty()) {
    return make_error(ErrorCode::network, fmt::format("{}: a Bearer challenge without a realm", m_repo.host));
  }
  CURL* esc = curl_easy_init();
  auto escape = [&](const std::string& s) {
    char* e = curl_easy_escape(esc, s.c_str(), int(s.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
  };
  std::string url = realm->second;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (auto s = c.params.find("service"); s != c.params.end()) {
    url += sep + std::string("service=") + escape(s->second);
    sep = '&';
  }
  // The scope the challenge names, and every action pruning needs on the repository, so one
  // token serves reads, pushes and deletes (requests run concurrently with one token; a token
  // service grants what the account may, which may be less).
  const std::string full = "repository:" + m_repo.name + ":pull,push,delete";
  if (auto s = c.params.find("scope"); s != c.params.end() && !s->second.empty() && s->second != full) {
    url += sep + std::string("scope=") + escape(s->second);
    sep = '&';
  }
  url += sep + std::string("scope=") + escape(full);
  curl_easy_cleanup(esc);
  std::vector<std::string> headers;
  if (creds) headers.push_back("Authorization: Basic " + base64(creds->username + ":" + creds->password));
  auto r = perform("GET", url, headers, {}, 1 << 20);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 200) {
    return make_error(ErrorCode::network, fmt::format("the token service {} answered {} ({})", realm->second,
                                                      r->status, error_excerpt(*r)));
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
    else if (j.contains("access_token") && j["access_token"].is_string()) token = j["access_token"].get<std::string>();
  }
  if (token.empty()) {
    return make_error(ErrorCode::network, fmt::format("the token service {} sent no token", realm->second));
  }
  std::lock_guard lock(m_mu);
  m_auth = "Bearer " + token;
  return {};
}

Expected<HttpResponse> Client::request(std::string_view method, std::string_view path_or_url,
                                       const std::vector<std::string>& headers, std::string_view body,
                                       size_t max_body) {
  return request_with(method, path_or_url, headers, body, max_body, nullptr);
}

Expected<HttpResponse> Client::request_with(std::string_view method, std::string_view path_or_url,
                                            const std::vector<std::string>& headers, std::string_view body,
                                            size_t max_body, const FileBody* file) {
  const std::string url = url_for(path_or_url);
  // Only to the registry itself: an absolute URL elsewhere (an upload location on another
  // host) gets no credentials.
  const bool own_host = url.rfind(m_repo.base_url() + "/", 0) == 0;
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> all = headers;
    std::optional<std::string> auth;
    if (own_host) auth = auth_header();
    if (auth) all.push_back(*auth);
    auto r = perform(method, url, all, body, max_body, file);
    if (!r) return r;
    if (r->status != 401 || attempt >= 2 || !own_host) return r;
    auto www = r->headers.find("www-authenticate");
    if (www == r->headers.end()) return r;
    auto c = parse_challenge(www->second);
    if (!c) return r;
    // The same Basic credentials refused again: they are wrong, not missing.
    if (c->scheme == "basic" && auth && auth->find("Basic ") != std::string::npos) {
      return make_error(ErrorCode::network, fmt::format("{}: the user name and password were refused (401)",
                                                        m_repo.host));
    }
    SLUICE_TRY(authenticate(*c));
  }
}

Expected<std::vector<std::string>> Client::list_tags(int page_size) {
  std::vector<std::string> tags;
  std::string url = fmt::format("/v2/{}/tags/list?n={}", m_repo.name, page_size);
  for (int page = 0; page < 100'000; ++page) {
    auto r = request("GET", url);
    if (!r) return tl::unexpected(r.error());
    if (r->status == 404) return tags;
    if (r->status != 200) {
      return make_error(ErrorCode::network,
                        fmt::format("listing the tags of {}: {} ({})", m_repo.display(), r->status, error_excerpt(*r)));
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object()) return make_error(ErrorCode::network, "the tag list is not a JSON object");
    if (j.contains("tags") && j["tags"].is_array()) {
      for (const auto& t : j["tags"]) {
        if (t.is_string()) tags.push_back(t.get<std::string>());
      }
    }
    auto next = next_link(r->links, m_repo.base_url());
    if (!next) break;
    url = *next;
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

Expected<Manifest> Client::get_manifest(std::string_view ref) {
  auto r = request("GET", fmt::format("/v2/{}/manifests/{}", m_repo.name, ref), {accept_manifests()}, {}, 4 << 20);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 200) {
    return make_error(r->status == 404 ? ErrorCode::not_found : ErrorCode::network,
                      fmt::format("GET manifest {}:{}: {} ({})", m_repo.display(), ref, r->status, error_excerpt(*r)));
  }
  Manifest m;
  m.body = std::move(r->body);
  m.digest = digest_of(m.body);
  if (auto ct = r->headers.find("content-type"); ct != r->headers.end()) m.media_type = ct->second;
  if (m.media_type.empty() || m.media_type == "application/json") {
    auto j = nlohmann::json::parse(m.body, nullptr, false);
    if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) m.media_type = j["mediaType"];
  }
  if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
  return m;
}

Expected<std::optional<std::string>> Client::head_manifest(std::string_view ref) {
  auto r = request("HEAD", fmt::format("/v2/{}/manifests/{}", m_repo.name, ref), {accept_manifests()});
  if (!r) return tl::unexpected(r.error());
  if (r->status == 404) return std::optional<std::string>{};
  if (r->status != 200) {
    return make_error(ErrorCode::network, fmt::format("HEAD manifest {}:{}: {}", m_repo.display(), ref, r->status));
  }
  auto d = r->headers.find("docker-content-digest");
  if (d != r->headers.end() && !d->second.empty()) return std::optional<std::string>(d->second);
  // Without the header, the digest is the hash of the bytes.
  auto m = get_manifest(ref);
  if (!m) return tl::unexpected(m.error());
  return std::optional<std::string>(m->digest);
}

Expected<std::string> Client::put_manifest(std::string_view ref, std::string_view media_type, std::string_view body) {
  auto r = request("PUT", fmt::format("/v2/{}/manifests/{}", m_repo.name, ref),
                   {fmt::format("Content-Type: {}", media_type)}, body);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 201 && r->status != 200) {
    return make_error(ErrorCode::network,
                      fmt::format("PUT manifest {}:{}: {} ({})", m_repo.display(), ref, r->status, error_excerpt(*r)));
  }
  // The registry's own digest when it says one, so a caller can check it stored what was sent.
  if (auto h = r->headers.find("docker-content-digest"); h != r->headers.end() && !h->second.empty()) return h->second;
  return digest_of(body);
}

Expected<void> Client::delete_manifest(std::string_view digest) {
  Expected<HttpResponse> r;
  // docker-registry 2.8 answers 500 when concurrent deletes race over the repository's tags;
  // deleting is idempotent (a 404 afterwards means done), so try again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    r = request("DELETE", fmt::format("/v2/{}/manifests/{}", m_repo.name, digest));
    if (!r) return tl::unexpected(r.error());
    if (r->status < 500) break;
  }
  if (r->status == 202 || r->status == 200 || r->status == 404) return {};
  std::string hint;
  if (r->status == 405) hint = " (the registry does not allow deletes: enable storage.delete)";
  return make_error(ErrorCode::network, fmt::format("DELETE manifest {}@{}: {} ({}){}", m_repo.display(), digest,
                                                    r->status, error_excerpt(*r), hint));
}

Expected<std::string> Client::get_blob(std::string_view digest, size_t max_bytes) {
  auto r = request("GET", fmt::format("/v2/{}/blobs/{}", m_repo.name, digest), {}, {}, max_bytes);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 200) {
    return make_error(r->status == 404 ? ErrorCode::not_found : ErrorCode::network,
                      fmt::format("GET blob {}@{}: {} ({})", m_repo.display(), digest, r->status, error_excerpt(*r)));
  }
  return std::move(r->body);
}

Expected<bool> Client::blob_exists(std::string_view digest) {
  auto r = request("HEAD", fmt::format("/v2/{}/blobs/{}", m_repo.name, digest));
  if (!r) return tl::unexpected(r.error());
  if (r->status == 200) return true;
  if (r->status == 404) return false;
  return make_error(ErrorCode::network, fmt::format("HEAD blob {}@{}: {}", m_repo.display(), digest, r->status));
}

Expected<std::string> Client::push_blob(std::string_view bytes) {
  const std::string digest = digest_of(bytes);
  auto have = blob_exists(digest);
  if (!have) return tl::unexpected(have.error());
  if (*have) return digest;
  SLUICE_TRY(upload_blob(digest, bytes));
  return digest;
}

Expected<void> Client::upload_blob(std::string_view digest, std::string_view bytes) {
  return upload(digest, bytes, nullptr);
}

Expected<void> Client::upload_blob_file(std::string_view digest, const std::filesystem::path& file, int64_t size) {
  FileBody body{&file, digest, size};
  return upload(digest, {}, &body);
}

Expected<void> Client::upload(std::string_view digest, std::string_view bytes, const FileBody* file) {
  auto start = request("POST", fmt::format("/v2/{}/blobs/uploads/", m_repo.name), {"Content-Length: 0"}, "");
  if (!start) return tl::unexpected(start.error());
  auto loc = start->headers.find("location");
  if (start->status != 202 || loc == start->headers.end()) {
    return make_error(ErrorCode::network, fmt::format("starting an upload to {}: {} ({})", m_repo.display(),
                                                      start->status, error_excerpt(*start)));
  }
  std::string url = loc->second;
  if (url.find("://") == std::string::npos) url = m_repo.base_url() + url;
  url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + std::string(digest);
  auto put = request_with("PUT", url, {"Content-Type: application/octet-stream"}, bytes, 16 << 20, file);
  if (!put) return tl::unexpected(put.error());
  if (put->status != 201) {
    return make_error(ErrorCode::network, fmt::format("uploading blob {} to {}: {} ({})", digest, m_repo.display(),
                                                      put->status, error_excerpt(*put)));
  }
  return {};
}

}  // namespace sluice::registry
