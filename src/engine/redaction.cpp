#include "engine/redaction.h"

#include <mutex>

#include "secrets/redactor.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"

namespace sluice::engine {

// The rule scanner (tens of milliseconds to load even from its on-disk cache) is built on first
// use: a run whose stages are all cache hits prints nothing and never needs it.
struct SecretRedaction::Impl {
  std::shared_ptr<const secrets::KnownValues> known;
  std::filesystem::path cache_dir;
  std::once_flag once;
  std::shared_ptr<const secrets::Redactor> redactor;

  const std::shared_ptr<const secrets::Redactor>& get() {
    // Called from worker threads too, so it never throws: the built-in rules are checked by the
    // test suite (`sluice secrets rules check`), and should they ever fail to compile, the known
    // secret values are still masked.
    std::call_once(once, [this] {
      std::shared_ptr<const secrets::Scanner> scanner;
      if (auto rules = secrets::default_rules()) {
        secrets::Scanner::Options opts;
        opts.cache_dir = cache_dir;
        opts.lazy_confirmers = true;  // the built-in rules, which the test suite checks
        if (auto s = secrets::Scanner::create(std::move(*rules), opts)) scanner = *s;
      }
      redactor = std::make_shared<const secrets::Redactor>(known, scanner);
    });
    return redactor;
  }
};

namespace {
class Stream final : public StreamFilter {
 public:
  explicit Stream(std::shared_ptr<const secrets::Redactor> r) : m_stream(std::move(r)) {}
  std::string write(std::string_view chunk) override { return m_stream.write(chunk); }
  std::string flush() override { return m_stream.flush(); }

 private:
  secrets::StreamRedactor m_stream;
};
}  // namespace

SecretRedaction::SecretRedaction(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SecretRedaction::~SecretRedaction() {
  if (m_prefetch.joinable()) m_prefetch.join();
}

void SecretRedaction::prefetch() {
  if (m_prefetch.joinable()) return;
  m_prefetch = std::thread([impl = m_impl.get()] { (void)impl->get(); });
}

Expected<SecretRedaction::Built> SecretRedaction::create(
    const std::vector<SecretValue>& values, const std::filesystem::path& rules_cache_dir) {
  std::vector<secrets::NamedValue> named;
  for (const auto& v : values) named.push_back({v.name, v.value});
  auto known = secrets::KnownValues::create(named);
  if (!known) return tl::unexpected(known.error());
  auto impl = std::make_unique<Impl>();
  impl->known = known->values;
  impl->cache_dir = rules_cache_dir;
  Built out;
  out.redaction.reset(new SecretRedaction(std::move(impl)));
  out.ignored = known->ignored;
  return out;
}

std::unique_ptr<StreamFilter> SecretRedaction::make() const {
  return std::make_unique<Stream>(m_impl->get());
}

std::string SecretRedaction::redact(std::string_view text) const {
  return m_impl->get()->redact(text);
}

}  // namespace sluice::engine
