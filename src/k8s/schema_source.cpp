#include "k8s/schema_source.h"

#include <cctype>
#include <memory>

#include <curl/curl.h>
#include <fmt/format.h>

#include "base/files.h"
#include "base/hash.h"
#include "base/strings.h"

namespace sluice::k8s {
namespace {

bool is_url(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t on_data(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

}  // namespace

TemplateVars template_vars(std::string_view api_version, std::string_view kind,
                           std::string_view kubernetes_version, bool strict) {
  TemplateVars v;
  v.kind = lower(kind);
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) {
    v.version = std::string(api_version);
  } else {
    v.group = std::string(api_version.substr(0, slash));
    v.version = std::string(api_version.substr(slash + 1));
  }
  if (kubernetes_version.empty() || kubernetes_version == "master") {
    v.kubernetes_version = "master";
  } else {
    v.kubernetes_version = kubernetes_version.starts_with('v') ? std::string(kubernetes_version)
                                                               : fmt::format("v{}", kubernetes_version);
  }
  v.strict_suffix = strict ? "-strict" : "";
  // As kubeconform: "-" + first label of the group + "-" + version, or "-" + version for core.
  if (v.group.empty()) {
    v.kind_suffix = fmt::format("-{}", lower(v.version));
  } else {
    v.kind_suffix = fmt::format("-{}-{}", lower(v.group.substr(0, v.group.find('.'))), lower(v.version));
  }
  return v;
}

Expected<std::string> expand_template(std::string_view tmpl, const TemplateVars& vars) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    out.append(tmpl.substr(pos, open - pos));
    size_t close = tmpl.find("}}", open);
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::invalid_input, fmt::format("schema location {}: unclosed {{{{", base::quote(tmpl)));
    }
    std::string_view name = base::trim(tmpl.substr(open + 2, close - open - 2));
    if (name == ".ResourceKind") out += vars.kind;
    else if (name == ".ResourceAPIVersion") out += vars.version;
    else if (name == ".Group") out += vars.group;
    else if (name == ".NormalizedKubernetesVersion") out += vars.kubernetes_version;
    else if (name == ".StrictSuffix") out += vars.strict_suffix;
    else if (name == ".KindSuffix") out += vars.kind_suffix;
    else {
      return make_error(ErrorCode::invalid_input,
                        fmt::format("schema location {}: unknown placeholder {}", base::quote(tmpl), base::quote(name)));
    }
    pos = close + 2;
  }
  return out;
}

Expected<std::optional<std::string>> http_get(const std::string& url) {
  static const bool k_init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!k_init) return make_error(ErrorCode::network, "libcurl: global init failed");
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return make_error(ErrorCode::network, "libcurl: cannot create a handle");
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return make_error(ErrorCode::network,
                      fmt::format("{}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 404) return std::optional<std::string>();
  if (status < 200 || status >= 300) {
    return make_error(ErrorCode::network, fmt::format("{}: HTTP status {}", url, status));
  }
  return std::optional<std::string>(std::move(body));
}

SchemaSource::SchemaSource(std::vector<std::string> locations, std::string kubernetes_version,
                           std::filesystem::path cache_dir, bool strict)
    : m_locations(std::move(locations)),
      m_kubernetes_version(std::move(kubernetes_version)),
      m_cache_dir(std::move(cache_dir)),
      m_strict(strict) {}

Expected<std::optional<SchemaText>> SchemaSource::fetch_url(const std::string& url) {
  std::filesystem::path cached;
  if (!m_cache_dir.empty()) {
    cached = m_cache_dir / (base::sha256_hex(url).substr(0, 32) + ".json");
    std::error_code ec;
    if (std::filesystem::is_regular_file(cached, ec)) {
      auto text = base::read_file(cached);
      if (!text) return tl::unexpected(text.error());
      return std::optional<SchemaText>(SchemaText{std::move(*text), url});
    }
  }
  auto body = http_get(url);
  if (!body) return tl::unexpected(body.error());
  if (!*body) return std::optional<SchemaText>();
  if (!cached.empty()) {
    // A cache that cannot be written only costs a download next time.
    (void)base::atomic_write(cached, **body);
  }
  return std::optional<SchemaText>(SchemaText{std::move(**body), url});
}

Expected<std::optional<SchemaText>> SchemaSource::fetch(std::string_view api_version, std::string_view kind) {
  TemplateVars vars = template_vars(api_version, kind, m_kubernetes_version, m_strict);
  for (const std::string& loc : m_locations) {
    std::string where;
    if (loc.find("{{") != std::string::npos) {
      auto expanded = expand_template(loc, vars);
      if (!expanded) return tl::unexpected(expanded.error());
      where = std::move(*expanded);
    } else {
      std::string base = loc;
      while (base.size() > 1 && base.back() == '/') base.pop_back();
      where = fmt::format("{}/{}/{}_{}.json", base, vars.group.empty() ? "core" : vars.group, vars.kind,
                          lower(vars.version));
    }
    if (is_url(where)) {
      auto r = fetch_url(where);
      if (!r) return r;
      if (*r) return r;
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(where, ec)) continue;
    auto text = base::read_file(where);
    if (!text) return tl::unexpected(text.error());
    return std::optional<SchemaText>(SchemaText{std::move(*text), where});
  }
  return std::optional<SchemaText>();
}

}  // namespace sluice::k8s
