#include "engine/redaction.h"

#include "secrets/redactor.h"
#include "secrets/rule_loader.h"
#include "secrets/scanner.h"

namespace sluice::engine {

struct SecretRedaction::Impl {
  std::shared_ptr<const secrets::Redactor> redactor;
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
SecretRedaction::~SecretRedaction() = default;

Expected<SecretRedaction::Built> SecretRedaction::create(const std::vector<SecretValue>& values,
                                                         const std::filesystem::path& rules_cache_dir) {
  auto rules = secrets::default_rules();
  if (!rules) return tl::unexpected(rules.error());
  secrets::Scanner::Options opts;
  opts.cache_dir = rules_cache_dir;
  auto scanner = secrets::Scanner::create(std::move(*rules), opts);
  if (!scanner) return tl::unexpected(scanner.error());
  std::vector<secrets::NamedValue> named;
  for (const auto& v : values) named.push_back({v.name, v.value});
  auto known = secrets::KnownValues::create(named);
  if (!known) return tl::unexpected(known.error());
  auto impl = std::make_unique<Impl>();
  impl->redactor = std::make_shared<const secrets::Redactor>(known->values, *scanner);
  Built out;
  out.redaction.reset(new SecretRedaction(std::move(impl)));
  out.ignored = known->ignored;
  return out;
}

std::unique_ptr<StreamFilter> SecretRedaction::make() const { return std::make_unique<Stream>(m_impl->redactor); }

std::string SecretRedaction::redact(std::string_view text) const { return m_impl->redactor->redact(text); }

}  // namespace sluice::engine
