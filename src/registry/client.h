#pragma once
// An OCI Distribution API client over libcurl: tags (following `Link` pagination), manifests
// (GET, HEAD, PUT, DELETE by digest), blobs (GET, HEAD, monolithic upload, from memory or
// streamed from a file). Authentication
// follows the registry's `WWW-Authenticate` challenge: anonymous first, then Basic with the
// credentials given, or a Bearer token fetched from the challenge's realm (with the credentials,
// if any) for the challenge's scope and every action pruning needs on the repository, reused
// until refused. Credentials never appear in errors.
// Thread-safe: calls may run concurrently (each borrows its own curl handle from a small pool,
// which keeps connections open between calls).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "registry/reference.h"

namespace sluice::registry {

struct Credentials {
  std::string username;
  std::string password;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value of each
  std::vector<std::string> links;              // every Link header value, in order
  std::string body;
};

// One parsed `WWW-Authenticate` challenge: the scheme ("basic", "bearer", lower-case) and its
// parameters (names lower-case), e.g. realm, service, scope.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
[[nodiscard]] std::optional<Challenge> parse_challenge(std::string_view header);

// The target of the `rel="next"` link among `links`, resolved against `base_url`
// (scheme://host) when it is a path; nullopt when there is none.
[[nodiscard]] std::optional<std::string> next_link(const std::vector<std::string>& links, std::string_view base_url);

struct Manifest {
  std::string digest;      // sha256:... of the bytes (Docker-Content-Digest when the registry sends it)
  std::string media_type;  // Content-Type as served
  std::string body;
};

struct ClientOptions {
  std::optional<Credentials> credentials;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};
};

class Client {
 public:
  Client(RepoRef repo, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] const RepoRef& repo() const { return m_repo; }

  // Every tag of the repository (all pages). A repository the registry does not know has none.
  [[nodiscard]] Expected<std::vector<std::string>> list_tags(int page_size = 1000);
  // The manifest `ref` (a tag or a digest) points at, accepting OCI and Docker schema 2 types.
  [[nodiscard]] Expected<Manifest> get_manifest(std::string_view ref);
  // The digest `ref` points at now (HEAD); nullopt when it does not exist.
  [[nodiscard]] Expected<std::optional<std::string>> head_manifest(std::string_view ref);
  // Stores `body` under `ref` (a tag, or its digest); returns the digest.
  [[nodiscard]] Expected<std::string> put_manifest(std::string_view ref, std::string_view media_type,
                                                   std::string_view body);
  // Deletes the manifest `digest` (and so every tag on it). A 404 is not an error (gone already).
  [[nodiscard]] Expected<void> delete_manifest(std::string_view digest);
  // The blob's bytes (at most `max_bytes`; more is an error).
  [[nodiscard]] Expected<std::string> get_blob(std::string_view digest, size_t max_bytes);
  [[nodiscard]] Expected<bool> blob_exists(std::string_view digest);
  // Uploads `bytes` (POST then a monolithic PUT) unless the blob is there; returns its digest.
  [[nodiscard]] Expected<std::string> push_blob(std::string_view bytes);
  // Uploads `bytes` as blob `digest` (POST then a monolithic PUT), without asking first.
  [[nodiscard]] Expected<void> upload_blob(std::string_view digest, std::string_view bytes);
  // Uploads the `size` bytes of `file` as blob `digest` (POST then a monolithic PUT whose body
  // is read from the file as it is sent: memory does not grow with the blob). The SHA-256 of
  // what is read is checked as it goes: a file of another length or content is refused (code
  // integrity, naming the file) before its last bytes are sent, so the registry stores nothing.
  // A retried request (a 401 challenge) reads the file again from its start.
  [[nodiscard]] Expected<void> upload_blob_file(std::string_view digest, const std::filesystem::path& file,
                                                int64_t size);

  // One request against the registry, with the authentication dance. `url` is absolute or a
  // path from the registry's root. Exposed for tests.
  [[nodiscard]] Expected<HttpResponse> request(std::string_view method, std::string_view url,
                                               const std::vector<std::string>& headers = {},
                                               std::string_view body = {}, size_t max_body = 16 << 20);

 private:
  struct Handle;
  // A request body streamed from a file (upload_blob_file).
  struct FileBody {
    const std::filesystem::path* path = nullptr;
    std::string_view digest;
    int64_t size = 0;
  };
  [[nodiscard]] Expected<HttpResponse> request_with(std::string_view method, std::string_view url,
                                                    const std::vector<std::string>& headers, std::string_view body,
                                                    size_t max_body, const FileBody* file);
  [[nodiscard]] Expected<void> upload(std::string_view digest, std::string_view bytes, const FileBody* file);
  [[nodiscard]] Expected<HttpResponse> perform(std::string_view method, const std::string& url,
                                               const std::vector<std::string>& headers, std::string_view body,
                                               size_t max_body, const FileBody* file = nullptr);
  [[nodiscard]] Expected<void> authenticate(const Challenge& c);
  [[nodiscard]] std::optional<std::string> auth_header();
  [[nodiscard]] std::string url_for(std::string_view path_or_url) const;
  [[nodiscard]] std::unique_ptr<Handle> take_handle();
  void give_back(std::unique_ptr<Handle> h);

  RepoRef m_repo;
  ClientOptions m_options;
  std::mutex m_mu;  // guards the fields below
  std::vector<std::unique_ptr<Handle>> m_idle;
  std::string m_auth;  // the Authorization header value that worked last ("Basic ...", "Bearer ...")
};

// "sha256:" + the hex SHA-256 of `bytes`.
[[nodiscard]] std::string digest_of(std::string_view bytes);

// The media types this client asks for and understands.
inline constexpr std::string_view k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view k_oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view k_docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view k_docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view k_oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view k_docker_config = "application/vnd.docker.container.image.v1+json";

}  // namespace sluice::registry
