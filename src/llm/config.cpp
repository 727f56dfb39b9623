#include "llm/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/strings.h"
#include "base/yaml_check.h"
#include "llm/schema.h"

namespace sluice::llm {

namespace yaml = base::yaml;

std::string_view to_string(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::openai: return "openai";
    case ProviderKind::anthropic: return "anthropic";
    case ProviderKind::replay: return "replay";
  }
  return "openai";
}

const ProviderConfig* LlmConfig::find_provider(std::string_view name) const {
  for (const auto& p : providers)
    if (p.name == name) return &p;
  return nullptr;
}

namespace {

using base::yaml::Checker;  // the one YAML checker, shared with the pipeline loader

// Durations of an LLM call must be positive (a zero timeout would fail every call).
std::optional<std::chrono::milliseconds> positive_duration(Checker& c, const yaml::Node& n, std::string_view key) {
  auto d = c.duration(n, key);
  if (d && d->count() <= 0) {
    c.error(n, fmt::format("{}: must be positive", base::quote(key)));
    return std::nullopt;
  }
  return d;
}

constexpr std::array<std::string_view, 4> k_top_keys = {"providers", "budget", "max_concurrency", "cache"};
constexpr std::array<std::string_view, 7> k_provider_keys = {"kind", "base_url", "api_key_env", "model",
                                                             "price", "cassettes", "description"};
constexpr std::array<std::string_view, 4> k_price_keys = {"input_per_mtok", "output_per_mtok",
                                                          "cached_input_per_mtok", "cache_write_per_mtok"};
constexpr std::array<std::string_view, 4> k_budget_keys = {"per_run_usd", "per_day_usd", "max_calls_per_run",
                                                           "max_tokens_per_run"};
constexpr std::array<std::string_view, 27> k_stage_keys = {
    "provider", "system", "prompt", "prompt_file", "context", "max_input_tokens", "truncate_context",
    "max_output_tokens", "temperature", "top_p", "stop", "output", "cache", "timeout", "connect_timeout",
    "stall_timeout", "retries", "on_truncation", "prompt_cache", "fallback", "repair", "description",
    "check_references", "references", "verdict", "samples", "agree"};
constexpr std::array<std::string_view, 2> k_references_keys = {"allow", "images"};
constexpr std::array<std::string_view, 2> k_images_keys = {"allow", "require_digest"};
constexpr std::array<std::string_view, 4> k_output_keys = {"path", "format", "schema", "send_schema"};

void parse_provider(Checker& c, const yaml::MapEntry& entry, LlmConfig& cfg) {
  ProviderConfig p;
  p.name = entry.key.scalar;
  p.mark = entry.key.mark;
  const yaml::Node& n = entry.value;
  if (!c.expect_map(n, fmt::format("provider \"{}\"", p.name))) return;
  c.check_keys(n, k_provider_keys, fmt::format("provider \"{}\"", p.name));
  const yaml::Node* kind = n.find("kind");
  if (kind == nullptr) {
    c.error(n.mark, fmt::format("provider \"{}\" needs kind: openai, anthropic or replay", p.name));
  } else if (kind->scalar == "openai") {
    p.kind = ProviderKind::openai;
  } else if (kind->scalar == "anthropic") {
    p.kind = ProviderKind::anthropic;
  } else if (kind->scalar == "replay") {
    p.kind = ProviderKind::replay;
  } else {
    constexpr std::array<std::string_view, 3> kinds = {"openai", "anthropic", "replay"};
    std::string msg = fmt::format("unknown provider kind {} (expected openai, anthropic or replay)", base::quote(kind->scalar));
    if (auto s = base::closest_match(kind->scalar, kinds)) msg += fmt::format(" (did you mean \"{}\"?)", *s);
    c.error(kind->mark, std::move(msg));
  }
  if (const auto* v = n.find("base_url")) {
    if (auto s = c.string(*v, "base_url")) {
      if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0)
        c.error(v->mark, fmt::format("base_url must start with http:// or https://, got {}", base::quote(*s)));
      p.base_url = *s;
      while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
    }
  } else if (p.kind == ProviderKind::openai) {
    p.base_url = "https://api.openai.com/v1";
  } else if (p.kind == ProviderKind::anthropic) {
    p.base_url = "https://api.anthropic.com/v1";
  }
  if (const auto* v = n.find("api_key_env")) {
    if (auto s = c.string(*v, "api_key_env")) p.api_key_env = *s;
  }
  if (const auto* v = n.find("model")) {
    if (auto s = c.string(*v, "model")) p.model = *s;
  } else {
    c.error(n.mark, fmt::format("provider \"{}\" needs model:{}", p.name,
                                p.kind == ProviderKind::replay ? " (the model its cassettes were recorded with)" : ""));
  }
  if (const auto* v = n.find("price")) {
    if (c.expect_map(*v, "price")) {
      c.check_keys(*v, k_price_keys, "price");
      Price price;
      const auto* in = v->find("input_per_mtok");
      const auto* out = v->find("output_per_mtok");
      if (in == nullptr || out == nullptr) c.error(v->mark, "price needs input_per_mtok and output_per_mtok");
      if (in != nullptr)
        if (auto d = c.number(*in, "input_per_mtok", 0)) price.input_per_mtok = *d;
      if (out != nullptr)
        if (auto d = c.number(*out, "output_per_mtok", 0)) price.output_per_mtok = *d;
      if (const auto* x = v->find("cached_input_per_mtok")) price.cached_input_per_mtok = c.number(*x, "cached_input_per_mtok", 0);
      if (const auto* x = v->find("cache_write_per_mtok")) price.cache_write_per_mtok = c.number(*x, "cache_write_per_mtok", 0);
      p.price = price;
    }
  }
  if (const auto* v = n.find("cassettes")) {
    if (auto s = c.string(*v, "cassettes")) p.cassettes = *s;
    if (p.kind != ProviderKind::replay) c.error(v->mark, "cassettes: is only for kind: replay");
  } else if (p.kind == ProviderKind::replay) {
    c.error(n.mark, fmt::format("replay provider \"{}\" needs cassettes: (a directory)", p.name));
  }
  cfg.providers.push_back(std::move(p));
}

}  // namespace

Parsed<LlmConfig> parse_llm_config(const yaml::Node& section, std::string_view file) {
  Checker c(file);
  LlmConfig cfg;
  if (!c.expect_map(section, "llm")) return tl::unexpected(c.take());
  c.check_keys(section, k_top_keys, "llm");
  if (const auto* providers = section.find("providers")) {
    if (c.expect_map(*providers, "llm.providers")) {
      for (const auto& e : providers->entries) parse_provider(c, e, cfg);
      if (providers->entries.empty()) c.error(providers->mark, "llm.providers is empty");
    }
  } else {
    c.error(section.mark, "llm needs providers:");
  }
  if (const auto* b = section.find("budget")) {
    if (c.expect_map(*b, "llm.budget")) {
      c.check_keys(*b, k_budget_keys, "llm.budget");
      if (const auto* v = b->find("per_run_usd")) cfg.budget.per_run_usd = c.number(*v, "per_run_usd", 0);
      if (const auto* v = b->find("per_day_usd")) cfg.budget.per_day_usd = c.number(*v, "per_day_usd", 0);
      if (const auto* v = b->find("max_calls_per_run"))
        cfg.budget.max_calls_per_run = c.integer(*v, "max_calls_per_run", 0);
      if (const auto* v = b->find("max_tokens_per_run"))
        cfg.budget.max_tokens_per_run = c.integer(*v, "max_tokens_per_run", 0);
    }
  }
  if (const auto* v = section.find("max_concurrency")) {
    if (auto i = c.integer(*v, "max_concurrency", 1)) cfg.max_concurrency = static_cast<int>(std::min<int64_t>(*i, 1024));
  }
  if (const auto* v = section.find("cache")) {
    if (v->is_scalar() && (v->scalar == "shared" || v->scalar == "local")) cfg.shared_cache = v->scalar == "shared";
    else c.error(v->mark, "llm.cache must be \"local\" (the default) or \"shared\" (also the remote cache, cache.remote)");
  }
  if (!c.ok()) return tl::unexpected(c.take());
  return cfg;
}

Parsed<LlmStageSpec> parse_llm_stage(const yaml::Node& n, std::string_view file) {
  Checker c(file);
  LlmStageSpec s;
  s.mark = n.mark;
  if (!c.expect_map(n, "stage llm")) return tl::unexpected(c.take());
  c.check_keys(n, k_stage_keys, "stage llm");
  if (const auto* v = n.find("provider")) {
    s.provider_mark = v->mark;
    if (auto str = c.string(*v, "provider")) s.provider = *str;
  }
  if (const auto* v = n.find("system"))
    if (auto str = c.string(*v, "system")) s.system = *str;
  const auto* prompt = n.find("prompt");
  const auto* prompt_file = n.find("prompt_file");
  if (prompt != nullptr && prompt_file != nullptr) {
    c.error(prompt_file->mark, "give prompt or prompt_file, not both");
  } else if (prompt == nullptr && prompt_file == nullptr) {
    c.error(n.mark, "stage llm needs prompt: or prompt_file:");
  }
  if (prompt != nullptr)
    if (auto str = c.string(*prompt, "prompt")) s.prompt = *str;
  if (prompt_file != nullptr)
    if (auto str = c.string(*prompt_file, "prompt_file")) s.prompt_file = *str;
  if (const auto* v = n.find("context")) s.context = c.strings(*v, "context");
  if (const auto* v = n.find("max_input_tokens")) s.max_input_tokens = c.integer(*v, "max_input_tokens", 1);
  if (const auto* v = n.find("truncate_context")) {
    if (v->is_bool()) s.truncate_context = v->as_bool();
    else c.error(v->mark, fmt::format("truncate_context must be true or false, got {}", base::quote(v->scalar)));
  }
  if (const auto* v = n.find("max_output_tokens"))
    if (auto i = c.integer(*v, "max_output_tokens", 1)) s.max_output_tokens = *i;
  if (const auto* v = n.find("temperature")) {
    if (auto d = c.number(*v, "temperature", 0)) {
      if (*d > 2) c.error(v->mark, fmt::format("temperature must be between 0 and 2, got {}", v->scalar));
      s.temperature = *d;
    }
  }
  if (const auto* v = n.find("top_p")) {
    if (auto d = c.number(*v, "top_p", 0)) {
      if (*d > 1) c.error(v->mark, fmt::format("top_p must be between 0 and 1, got {}", v->scalar));
      s.top_p = *d;
    }
  }
  if (const auto* v = n.find("stop")) s.stop = c.strings(*v, "stop");
  if (const auto* v = n.find("output")) {
    if (c.expect_map(*v, "output")) {
      c.check_keys(*v, k_output_keys, "output");
      OutputSpec o;
      if (const auto* p = v->find("path")) {
        if (auto str = c.string(*p, "output.path")) o.path = *str;
      } else {
        c.error(v->mark, "output needs path:");
      }
      if (const auto* f = v->find("format")) {
        if (f->scalar == "yaml") o.format = OutputFormat::yaml;
        else if (f->scalar == "json") o.format = OutputFormat::json;
        else if (f->scalar == "text") o.format = OutputFormat::text;
        else c.error(f->mark, fmt::format("output.format must be yaml, json or text, got {}", base::quote(f->scalar)));
      }
      if (const auto* ss = v->find("send_schema")) {
        if (ss->is_bool()) o.send_schema = ss->as_bool();
        else c.error(ss->mark, fmt::format("output.send_schema must be true or false, got {}", base::quote(ss->scalar)));
      }
      if (const auto* sc = v->find("schema")) {
        o.schema_mark = sc->mark;
        if (sc->is_map()) o.schema_json = yaml_to_json(*sc).dump();
        else if (auto str = c.string(*sc, "output.schema")) o.schema_path = *str;
        if (o.format == OutputFormat::text) c.error(sc->mark, "output.schema needs format json or yaml");
      }
      s.output = std::move(o);
    }
  }
  if (const auto* v = n.find("cache")) {
    if (v->is_bool()) s.cache = v->as_bool() ? CacheMode::on : CacheMode::off;
    else if (v->scalar == "on") s.cache = CacheMode::on;
    else if (v->scalar == "off") s.cache = CacheMode::off;
    else if (v->scalar == "auto") s.cache = CacheMode::automatic;
    else c.error(v->mark, fmt::format("cache must be auto, on or off, got {}", base::quote(v->scalar)));
  }
  if (const auto* v = n.find("timeout"))
    if (auto d = positive_duration(c, *v, "timeout")) s.timeout = *d;
  if (const auto* v = n.find("connect_timeout"))
    if (auto d = positive_duration(c, *v, "connect_timeout")) s.connect_timeout = *d;
  if (const auto* v = n.find("stall_timeout"))
    if (auto d = positive_duration(c, *v, "stall_timeout")) s.stall_timeout = *d;
  if (const auto* v = n.find("retries"))
    if (auto i = c.integer(*v, "retries", 0)) s.retries = static_cast<int>(std::min<int64_t>(*i, 20));
  if (const auto* v = n.find("repair")) {
    if (auto i = c.integer(*v, "repair", 0)) {
      if (*i > 3) c.error(v->mark, fmt::format("repair must be between 0 and 3, got {}", *i));
      else s.repair = static_cast<int>(*i);
    }
  }
  if (const auto* v = n.find("fallback")) {
    s.fallback = c.strings(*v, "fallback");
    if (v->is_seq())
      for (const auto& item : v->items) s.fallback_marks.push_back(item.mark);
  }
  if (const auto* v = n.find("prompt_cache")) {
    if (v->is_bool()) s.prompt_cache = v->as_bool();
    else c.error(v->mark, fmt::format("prompt_cache must be true or false, got {}", base::quote(v->scalar)));
  }
  if (const auto* v = n.find("on_truncation")) {
    if (v->scalar == "fail") s.on_truncation = TruncationPolicy::fail;
    else if (v->scalar == "warn") s.on_truncation = TruncationPolicy::warn;
    else c.error(v->mark, fmt::format("on_truncation must be fail or warn, got {}", base::quote(v->scalar)));
  }
  if (const auto* v = n.find("check_references")) {
    if (v->is_bool()) s.check_references = v->as_bool();
    else c.error(v->mark, fmt::format("check_references must be true or false, got {}", base::quote(v->scalar)));
  }
  if (const auto* v = n.find("references")) {
    if (c.expect_map(*v, "references")) {
      c.check_keys(*v, k_references_keys, "references");
      if (const auto* a = v->find("allow")) s.references.allow = c.strings(*a, "references.allow");
      if (const auto* im = v->find("images")) {
        if (c.expect_map(*im, "references.images")) {
          c.check_keys(*im, k_images_keys, "references.images");
          if (const auto* a = im->find("allow")) s.references.image_allow = c.strings(*a, "references.images.allow");
          if (const auto* d = im->find("require_digest")) {
            if (d->is_bool()) s.references.require_digest = d->as_bool();
            else c.error(d->mark, fmt::format("references.images.require_digest must be true or false, got {}",
                                              base::quote(d->scalar)));
          }
        }
      }
    }
  }
  if (const auto* v = n.find("verdict")) {
    if (v->is_bool()) s.verdict = v->as_bool();
    else c.error(v->mark, fmt::format("verdict must be true or false, got {}", base::quote(v->scalar)));
    if (s.verdict && s.output && s.output->format != OutputFormat::json)
      c.error(v->mark, "verdict: true needs output.format json (the verdict is JSON), or no output:");
  }
  const auto* samples = n.find("samples");
  const auto* agree = n.find("agree");
  if (samples != nullptr) {
    if (auto i = c.integer(*samples, "samples", 1)) {
      if (*i > 15) c.error(samples->mark, fmt::format("samples must be between 1 and 15, got {}", *i));
      else s.samples = static_cast<int>(*i);
    }
    if (!s.verdict) c.error(samples->mark, "samples: is only for verdict stages (verdict: true)");
  }
  s.agree = s.samples / 2 + 1;  // default: a strict majority
  if (agree != nullptr) {
    if (samples == nullptr) c.error(agree->mark, "agree: needs samples:");
    if (auto i = c.integer(*agree, "agree", 1)) {
      if (*i > s.samples) c.error(agree->mark, fmt::format("agree must be between 1 and samples ({}), got {}", s.samples, *i));
      else if (*i * 2 <= s.samples)
        c.error(agree->mark, fmt::format("agree must be more than half of samples ({}), or both pass and fail could "
                                         "win; got {}", s.samples, *i));
      else s.agree = static_cast<int>(*i);
    }
  }
  if (!c.ok()) return tl::unexpected(c.take());
  return s;
}

bool sends_schema(const OutputSpec& output) {
  return output.format == OutputFormat::json && output.send_schema &&
         (!output.schema_path.empty() || !output.schema_json.empty());
}

bool checks_references(const LlmStageSpec& stage) {
  if (stage.check_references) return *stage.check_references;
  if (!stage.output || stage.verdict) return false;
  std::string_view path = stage.output->path;
  const size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name == "Dockerfile" || name.starts_with("Dockerfile.") || name == "Containerfile") return true;
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(name.substr(dot + 1));
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static constexpr std::array<std::string_view, 25> k_code = {
      "py", "pyi", "pyw", "js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts", "go", "c", "h", "cc",
      "cpp", "cxx", "hpp", "hh", "hxx", "sh", "bash", "zsh", "ksh", "dockerfile"};
  return std::find(k_code.begin(), k_code.end(), ext) != k_code.end();
}

base::Diagnostics validate_llm_stage(const LlmStageSpec& stage, const LlmConfig& config, std::string_view file) {
  base::Diagnostics out;
  if (config.find_provider(stage.provider) == nullptr) {
    std::vector<std::string> names;
    for (const auto& p : config.providers) names.push_back(p.name);
    std::string msg = fmt::format("unknown provider {}", base::quote(stage.provider));
    if (auto s = base::closest_match(stage.provider, names)) msg += fmt::format(" (did you mean \"{}\"?)", *s);
    else if (!names.empty()) msg += fmt::format(" (known: {})", base::join(names, ", "));
    const auto& at = stage.provider_mark.line > 0 ? stage.provider_mark : stage.mark;
    out.push_back({std::string(file), at.line, at.column, std::move(msg)});
  }
  // An inline schema the providers' strict modes would refuse is refused here, before any call
  // (a schema file is checked when the stage starts: an earlier stage may write it).
  if (stage.output && sends_schema(*stage.output) && !stage.output->schema_json.empty()) {
    auto schema = nlohmann::json::parse(stage.output->schema_json, nullptr, false);
    for (const auto& p : strict_schema_problems(schema))
      out.push_back({std::string(file), stage.output->schema_mark.line, stage.output->schema_mark.column,
                     fmt::format("output.schema: {} (set output.send_schema: false to keep only the local check)", p)});
  }
  for (size_t i = 0; i < stage.fallback.size(); ++i) {
    const std::string& name = stage.fallback[i];
    if (config.find_provider(name) != nullptr) continue;
    std::vector<std::string> names;
    for (const auto& p : config.providers) names.push_back(p.name);
    std::string msg = fmt::format("unknown fallback provider {}", base::quote(name));
    if (auto s = base::closest_match(name, names)) msg += fmt::format(" (did you mean \"{}\"?)", *s);
    const auto& at = i < stage.fallback_marks.size() ? stage.fallback_marks[i] : stage.mark;
    out.push_back({std::string(file), at.line, at.column, std::move(msg)});
  }
  return out;
}

}  // namespace sluice::llm
