#include "k8s/validator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/files.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "k8s/checks.h"
#include "k8s/layout.h"
#include "k8s/semantics.h"

namespace sluice::k8s {

using base::yaml::Node;

namespace {

constexpr std::array<CheckInfo, 9> k_checks = {{
    {"image-tag", "container image without a tag, or with :latest"},
    {"resources", "container without resource requests or limits"},
    {"privileged", "container with securityContext.privileged: true"},
    {"privilege-escalation", "container with securityContext.allowPrivilegeEscalation: true"},
    {"run-as-non-root", "container not forced to run as non-root (runAsNonRoot: true on pod or container)"},
    {"host-path", "pod with a hostPath volume"},
    {"host-network", "pod with hostNetwork: true"},
    {"readiness-probe", "Deployment container without a readinessProbe"},
    {"service-selector", "Service whose selector matches no pod template in the input"},
}};

constexpr std::string_view k_template_note =
    "template, not validated: render it first (helm template CHART | sluice validate k8s -)";

std::string_view issue_rule(SchemaIssue::Kind k) {
  switch (k) {
    case SchemaIssue::Kind::type: return "type";
    case SchemaIssue::Kind::unknown_field: return "unknown-field";
    case SchemaIssue::Kind::required: return "required";
    case SchemaIssue::Kind::enum_value: return "enum";
    case SchemaIssue::Kind::format: return "format";
    case SchemaIssue::Kind::pattern: return "pattern";
    case SchemaIssue::Kind::range: return "range";
    case SchemaIssue::Kind::quantity: return "quantity";
    case SchemaIssue::Kind::one_of: return "one-of";
    case SchemaIssue::Kind::not_schema: return "not";
  }
  return "schema";
}

// base::read_file's contract (same errors), for regular files with one fstat and one read into
// a buffer that keeps its capacity between files.
Expected<void> read_into(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                      fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    auto t = base::read_file(path);
    if (!t) return tl::unexpected(t.error());
    out = std::move(*t);
    return {};
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error(ErrorCode::io, fmt::format("{}: cannot read: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return {};
}

std::string join_path(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  return fmt::format("{}.{}", a, b);
}

const Node* scalar_field(const Node& obj, std::string_view key) {
  const Node* n = obj.find(key);
  return n != nullptr && n->is_scalar() && !n->is_null() ? n : nullptr;
}

// Cross-object rules keep copies of the few nodes they need, so that each file's documents can
// be dropped (and their memory reused) as soon as the file is checked.
struct Workload {
  std::string ns;
  Node labels;
};

// An object of a file that belongs to a wider apply unit (a kustomization, a declared directory);
// duplicates are found once every file is read.
struct ObjectRecord {
  std::string id;  // group/kind/namespace/name
  uint32_t file;   // index into State::files
  base::yaml::Mark mark;
  std::string resource;
  std::string path;
};

struct ServiceRef {
  std::string ns;
  std::string file;
  std::string resource;
  std::string path;
  Node selector;
};

}  // namespace

size_t Report::count(Severity s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [&](const Finding& f) { return f.severity == s; }));
}

bool Report::failed(Severity fail_on) const {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.severity >= fail_on; });
}

std::span<const CheckInfo> best_practice_checks() { return k_checks; }

struct Validator::State {
  ValidateOptions options;
  SchemaSource source;
  // apiVersion + " " + kind -> compiled schema; nullptr once known missing.
  std::unordered_map<std::string, std::shared_ptr<const CompiledSchema>> schemas;
  std::vector<SchemaIssue> scratch;
  base::yaml::Parser yaml_parser;  // reused for every input

  // Per validate call.
  Report* report = nullptr;
  std::vector<std::string> unit_names;   // apply unit id -> how messages name it
  std::vector<std::string> files;        // names of the inputs met so far
  std::vector<std::vector<uint32_t>> file_units;  // per input: its units beyond itself
  std::unordered_map<std::string, int> file_seen;  // identity -> line, within the current input
  std::vector<ObjectRecord> records;  // objects of inputs that belong to wider units
  bool may_be_template = false;       // the current input is a file outside a rendered stream
  std::vector<Workload> workloads;
  std::vector<ServiceRef> services;
  std::vector<std::string> schema_errors_reported;

  State(ValidateOptions o)
      : options(std::move(o)),
        source(options.schema_locations, options.kubernetes_version, options.cache_dir,
               options.strictness == Strictness::strict) {}

  bool check_enabled(std::string_view id) const {
    for (const auto& d : options.disabled_checks) {
      if (d == id || d == "all") return false;
    }
    return true;
  }

  void add(Severity sev, std::string_view rule, const std::string& file, base::yaml::Mark mark,
           std::string resource, std::string path, std::string message, std::string expected = {},
           std::string got = {}, std::string suggestion = {}) {
    report->findings.push_back(Finding{sev, std::string(rule), file, mark.line, mark.column, std::move(resource),
                                       std::move(path), std::move(message), std::move(expected), std::move(got),
                                       std::move(suggestion)});
  }

  // nullptr: no schema (already reported or ignored by the caller).
  Expected<std::shared_ptr<const CompiledSchema>> schema_for(const std::string& api_version, const std::string& kind) {
    std::string key = api_version + ' ' + kind;
    auto it = schemas.find(key);
    if (it != schemas.end()) return it->second;
    auto text = source.fetch(api_version, kind);
    if (!text) return tl::unexpected(text.error());
    std::shared_ptr<const CompiledSchema> compiled;
    if (*text) {
      auto c = CompiledSchema::compile((*text)->text, (*text)->origin);
      if (!c) return tl::unexpected(c.error());
      compiled = std::make_shared<const CompiledSchema>(std::move(*c));
    }
    schemas.emplace(std::move(key), compiled);
    return compiled;
  }

  void parse_error(const std::string& file, const Error& e) {
    for (Finding& f : detail::yaml_error_findings(file, e)) report->findings.push_back(std::move(f));
  }

  void note(const std::string& file, std::string_view rule, std::string message) {
    add(Severity::note, rule, file, {}, "", "", std::move(message));
  }

  void duplicate(const std::string& file, base::yaml::Mark mark, std::string resource, std::string path,
                 std::string_view unit, const std::string& first_file, int first_line) {
    std::string message = fmt::format("{} is defined twice in {} (first at {}:{})", resource, unit, first_file, first_line);
    add(Severity::error, "duplicate-resource", file, mark, std::move(resource), std::move(path), std::move(message),
        "one definition", "two");
  }

  void check_metadata_maps(const std::string& file, const std::string& resource, const Node& meta,
                           const std::string& meta_path) {
    if (const Node* labels = meta.find("labels"); labels != nullptr && labels->is_map()) {
      check_labels(file, resource, *labels, join_path(meta_path, "labels"), "label");
    }
    if (const Node* ann = meta.find("annotations"); ann != nullptr && ann->is_map()) {
      size_t total = 0;
      for (const auto& e : ann->entries) {
        if (!e.key.is_scalar()) continue;
        std::string p = join_path(meta_path, "annotations");
        append_path_key(p, e.key.scalar);
        if (auto why = check_qualified_name(e.key.scalar)) {
          add(Severity::error, "annotation", file, e.key.mark, resource, p,
              fmt::format("annotation key {}: {}", base::quote(e.key.scalar), *why), "[prefix/]name", e.key.scalar);
        }
        total += e.key.scalar.size() + (e.value.is_scalar() ? e.value.scalar.size() : 0);
      }
      if (total > 256 * 1024) {
        add(Severity::error, "annotation", file, ann->mark, resource, join_path(meta_path, "annotations"),
            fmt::format("annotations total {} bytes, more than the 256 KiB the API server allows", total));
      }
    }
  }

  void check_labels(const std::string& file, const std::string& resource, const Node& labels,
                    const std::string& path, std::string_view what) {
    for (const auto& e : labels.entries) {
      if (!e.key.is_scalar()) continue;
      std::string p = path;
      append_path_key(p, e.key.scalar);
      if (auto why = check_qualified_name(e.key.scalar)) {
        add(Severity::error, "label", file, e.key.mark, resource, p,
            fmt::format("{} key {}: {}", what, base::quote(e.key.scalar), *why), "[prefix/]name", e.key.scalar);
      }
      if (e.value.is_scalar() && !e.value.is_null()) {
        if (auto why = check_label_value(e.value.scalar)) {
          add(Severity::error, "label", file, e.value.mark, resource, p,
              fmt::format("{} value {}: {}", what, base::quote(e.value.scalar), *why),
              "at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends", e.value.scalar);
        }
      }
    }
  }

  void check_semantics(const std::string& file, const std::string& kind, const Node& obj,
                       const std::string& base_path, const std::string& resource) {
    const Node* meta = obj.find("metadata");
    std::string meta_path = join_path(base_path, "metadata");
    if (meta == nullptr || !meta->is_map()) {
      add(Severity::error, "name", file, obj.mark, resource, meta_path, "missing metadata.name", "metadata.name", "");
    } else {
      const Node* name = scalar_field(*meta, "name");
      const Node* gen = scalar_field(*meta, "generateName");
      if (name != nullptr) {
        NameRule rule = name_rule_for_kind(kind);
        if (auto why = check_name(name->scalar, rule)) {
          add(Severity::error, "name", file, name->mark, resource, meta_path + ".name",
              fmt::format("{} name {} must be {}: {}", kind, base::quote(name->scalar), name_rule_label(rule), *why),
              std::string(name_rule_label(rule)), name->scalar);
        }
      } else if (gen == nullptr) {
        add(Severity::error, "name", file, meta->mark, resource, meta_path + ".name",
            "missing metadata.name (or metadata.generateName)", "metadata.name", "");
      }
      if (const Node* ns = scalar_field(*meta, "namespace")) {
        if (auto why = check_dns1123_label(ns->scalar)) {
          add(Severity::error, "namespace", file, ns->mark, resource, meta_path + ".namespace",
              fmt::format("namespace {} must be a DNS-1123 label: {}", base::quote(ns->scalar), *why),
              "a DNS-1123 label", ns->scalar);
        }
      }
      check_metadata_maps(file, resource, *meta, meta_path);
    }
    // Pod template metadata and selectors follow the same label syntax.
    struct Sub {
      std::initializer_list<std::string_view> keys;
      std::string_view path;
      bool is_labels;  // a label map (selector) rather than an ObjectMeta
    };
    static const Sub k_subs[] = {
        {{"spec", "template", "metadata"}, "spec.template.metadata", false},
        {{"spec", "jobTemplate", "metadata"}, "spec.jobTemplate.metadata", false},
        {{"spec", "jobTemplate", "spec", "template", "metadata"}, "spec.jobTemplate.spec.template.metadata", false},
        {{"spec", "selector", "matchLabels"}, "spec.selector.matchLabels", true},
        {{"spec", "jobTemplate", "spec", "selector", "matchLabels"}, "spec.jobTemplate.spec.selector.matchLabels", true},
    };
    for (const Sub& s : k_subs) {
      const Node* cur = &obj;
      for (std::string_view k : s.keys) {
        cur = cur->find(k);
        if (cur == nullptr) break;
      }
      if (cur == nullptr || !cur->is_map()) continue;
      if (s.is_labels) {
        check_labels(file, resource, *cur, join_path(base_path, s.path), "selector");
      } else {
        check_metadata_maps(file, resource, *cur, join_path(base_path, s.path));
      }
    }
    if (kind == "Service" || kind == "ReplicationController") {
      if (const Node* sel = obj.find("spec") ? obj.find("spec")->find("selector") : nullptr;
          sel != nullptr && sel->is_map() && sel->find("matchLabels") == nullptr) {
        check_labels(file, resource, *sel, join_path(base_path, "spec.selector"), "selector");
      }
    }
  }

  void resource_obj(const std::string& file, const Node& obj, const std::string& base_path,
                    const std::string* inherited_api, const std::string* inherited_kind) {
    if (!obj.is_map()) {
      add(Severity::error, "not-k8s-object", file, obj.mark, "", base_path,
          fmt::format("expected a Kubernetes object (a mapping with apiVersion and kind), got a {}", obj.type_name()));
      return;
    }
    const Node* api_node = scalar_field(obj, "apiVersion");
    const Node* kind_node = scalar_field(obj, "kind");
    std::string api = api_node != nullptr ? api_node->scalar : (inherited_api ? *inherited_api : "");
    std::string kind = kind_node != nullptr ? kind_node->scalar : (inherited_kind ? *inherited_kind : "");
    if (api.empty() || kind.empty()) {
      std::string missing = api.empty() && kind.empty() ? "apiVersion and kind" : (api.empty() ? "apiVersion" : "kind");
      add(Severity::error, "missing-kind", file, obj.mark, "", base_path,
          fmt::format("document has no {}, so it is not a Kubernetes object", missing), missing, "");
      return;
    }
    // Lists: "List" itself, and typed lists (ServiceList) whose items may omit apiVersion/kind.
    if (kind.size() >= 4 && kind.ends_with("List")) {
      if (const Node* items = obj.find("items"); items != nullptr && items->is_seq()) {
        std::string item_kind = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
        for (size_t i = 0; i < items->items.size(); ++i) {
          std::string p = fmt::format("{}[{}]", join_path(base_path, "items"), i);
          resource_obj(file, items->items[i], p, kind == "List" ? nullptr : &api,
                       kind == "List" ? nullptr : &item_kind);
        }
        return;
      }
    }
    const Node* meta = obj.find("metadata");
    const Node* name = meta ? scalar_field(*meta, "name") : nullptr;
    const Node* ns = meta ? scalar_field(*meta, "namespace") : nullptr;
    std::string resource = kind;
    if (name != nullptr) resource += " " + (ns ? ns->scalar + "/" : std::string()) + name->scalar;

    if (std::find(options.skip_kinds.begin(), options.skip_kinds.end(), kind) != options.skip_kinds.end()) {
      ++report->skipped;
      return;
    }
    auto schema = schema_for(api, kind);
    if (!schema) {
      auto& seen_errors = schema_errors_reported;
      if (std::find(seen_errors.begin(), seen_errors.end(), schema.error().message) == seen_errors.end()) {
        seen_errors.push_back(schema.error().message);
        report->errors.push_back(schema.error());
      }
      return;
    }
    if (!*schema) {
      if (options.missing_schemas == MissingSchemas::ignore) {
        ++report->skipped;
      } else {
        add(Severity::error, "missing-schema", file, obj.mark, resource, base_path,
            fmt::format("no schema for {} {} in any schema location (use --ignore-missing-schemas or --skip {} "
                        "to let it pass)", api, kind, kind),
            "a known apiVersion/kind", api + " " + kind);
      }
      return;
    }
    ++report->resources;
    scratch.clear();
    (*schema)->validate(obj, options.strictness, base_path, scratch);
    for (SchemaIssue& is : scratch) {
      // Items of typed lists (ServiceList) may omit apiVersion and kind; the list supplies them.
      if (is.kind == SchemaIssue::Kind::required && is.path == base_path &&
          ((is.expected == "apiVersion" && api_node == nullptr) || (is.expected == "kind" && kind_node == nullptr))) {
        continue;
      }
      Severity sev = is.kind == SchemaIssue::Kind::unknown_field && options.strictness == Strictness::lenient
                         ? Severity::warning
                         : Severity::error;
      add(sev, issue_rule(is.kind), file, is.mark, resource, std::move(is.path), std::move(is.message),
          std::move(is.expected), std::move(is.got), std::move(is.suggestion));
    }
    check_semantics(file, kind, obj, base_path, resource);

    if (name != nullptr) {
      std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
      std::string id = fmt::format("{}/{}/{}/{}", group, kind, ns ? ns->scalar : "", name->scalar);
      if (file_units.back().empty()) {
        // The file is its own apply unit: judged now, nothing kept past the file.
        auto [it, fresh] = file_seen.emplace(std::move(id), name->mark.line);
        if (!fresh) {
          duplicate(file, name->mark, resource, join_path(base_path, "metadata.name"),
                    file == "-" ? "standard input" : "the same file", file, it->second);
        }
      } else {
        records.push_back(ObjectRecord{std::move(id), static_cast<uint32_t>(files.size() - 1), name->mark, resource,
                                       join_path(base_path, "metadata.name")});
      }
    }
    auto enabled = [this](std::string_view id) { return check_enabled(id); };
    detail::run_object_checks(kind, obj, base_path, enabled, [&](detail::CheckHit h) {
      add(Severity::warning, h.rule, file, h.mark, resource, std::move(h.path), std::move(h.message),
          std::move(h.expected), std::move(h.got));
    });
    std::string nsname = ns ? ns->scalar : "";
    detail::PodLocation pod = detail::find_pod(kind, obj, base_path);
    if (pod.labels != nullptr && pod.labels->is_map()) workloads.push_back({nsname, *pod.labels});
    if (kind == "Service") {
      const Node* spec = obj.find("spec");
      const Node* sel = spec ? spec->find("selector") : nullptr;
      if (sel != nullptr && sel->is_map() && !sel->entries.empty()) {
        services.push_back({nsname, file, resource, join_path(base_path, "spec.selector"), *sel});
      }
    }
  }

  void document(const std::string& file, const base::yaml::Document& doc) {
    if (doc.empty) return;
    ++report->documents;
    resource_obj(file, doc.root, "", nullptr, nullptr);
  }
};

Validator::Validator(std::unique_ptr<State> state) : m_state(std::move(state)) {}
Validator::Validator(Validator&&) noexcept = default;
Validator& Validator::operator=(Validator&&) noexcept = default;
Validator::~Validator() = default;

Expected<Validator> Validator::create(ValidateOptions options) {
  if (options.schema_locations.empty()) {
    return make_error(ErrorCode::invalid_input,
                      "no schema location: pass --schema-location DIR|URL|TEMPLATE (sluice ships no schemas)");
  }
  for (const auto& loc : options.schema_locations) {
    bool remote = loc.starts_with("http://") || loc.starts_with("https://");
    bool tmpl = loc.find("{{") != std::string::npos;
    if (tmpl) {
      auto probe = expand_template(loc, template_vars("v1", "Pod", options.kubernetes_version, false));
      if (!probe) return tl::unexpected(probe.error());
    } else if (!remote) {
      std::error_code ec;
      if (!std::filesystem::is_directory(loc, ec)) {
        return make_error(ErrorCode::invalid_input, fmt::format("schema location {} is not a directory", base::quote(loc)));
      }
    }
  }
  for (const auto& id : options.disabled_checks) {
    if (id == "all") continue;
    bool known = std::any_of(k_checks.begin(), k_checks.end(), [&](const CheckInfo& c) { return c.id == id; });
    if (!known) {
      std::vector<std::string_view> ids;
      for (const auto& c : k_checks) ids.push_back(c.id);
      auto close = base::closest_match(id, std::span<const std::string_view>(ids));
      return make_error(ErrorCode::invalid_input,
                        fmt::format("unknown check {}{}", base::quote(id),
                                    close ? fmt::format(" (did you mean {}?)", base::quote(*close)) : ""));
    }
  }
  return Validator(std::make_unique<State>(std::move(options)));
}

void Validator::begin(Report& report, std::vector<std::string> unit_names) {
  State& s = *m_state;
  s.report = &report;
  s.unit_names = std::move(unit_names);
  s.files.clear();
  s.file_units.clear();
  s.records.clear();
  s.workloads.clear();
  s.services.clear();
  s.schema_errors_reported.clear();
}

void Validator::input(const std::string& name, std::string_view text, std::span<const uint32_t> units) {
  State& s = *m_state;
  ++s.report->files;
  s.files.push_back(name);
  s.file_units.emplace_back(units.begin(), units.end());
  s.file_seen.clear();
  auto docs = s.yaml_parser.parse(text, name);
  if (!docs) {
    // A template the scan did not catch ({{ }} only inside flow collections, say) breaks YAML
    // rather than names: one note instead of a cascade of syntax errors.
    if (s.may_be_template && text.find("{{") != std::string_view::npos) {
      s.note(name, "template", std::string(k_template_note));
      return;
    }
    s.parse_error(name, docs.error());
    return;
  }
  for (const auto& d : *docs) s.document(name, d);
}

void Validator::finish() {
  State& s = *m_state;
  Report& report = *s.report;
  // Wider apply units: in input order, so "first" is the first met; an object that repeats one
  // in several units (a base reached from two overlays) is reported once.
  std::unordered_map<std::string, uint32_t> first;  // unit + identity -> record
  for (uint32_t i = 0; i < s.records.size(); ++i) {
    const ObjectRecord& rec = s.records[i];
    for (uint32_t unit : s.file_units[rec.file]) {
      auto [it, fresh] = first.emplace(fmt::format("{}\x1f{}", unit, rec.id), i);
      if (!fresh) {
        const ObjectRecord& prev = s.records[it->second];
        s.duplicate(s.files[rec.file], rec.mark, rec.resource, rec.path, s.unit_names[unit], s.files[prev.file],
                    prev.mark.line);
        break;
      }
    }
  }
  if (s.check_enabled("service-selector")) {
    for (const ServiceRef& svc : s.services) {
      bool matched = std::any_of(s.workloads.begin(), s.workloads.end(), [&](const Workload& w) {
        return w.ns == svc.ns && detail::selector_matches(svc.selector, w.labels);
      });
      if (!matched) {
        std::vector<std::string> pairs;
        for (const auto& e : svc.selector.entries) pairs.push_back(e.key.scalar + "=" + e.value.scalar);
        s.add(Severity::warning, "service-selector", svc.file, svc.selector.mark, svc.resource, svc.path,
              fmt::format("selector {} matches no pod template in the input", base::join(pairs, ",")),
              "a workload with these labels", "none");
      }
    }
  }
  // Sorts indices, then moves each Finding once: Findings are large.
  std::vector<uint32_t> order(report.findings.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  const auto& f = report.findings;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t ia, uint32_t ib) {
    const Finding& a = f[ia];
    const Finding& b = f[ib];
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  std::vector<Finding> sorted;
  sorted.reserve(order.size());
  for (uint32_t i : order) sorted.push_back(std::move(report.findings[i]));
  report.findings = std::move(sorted);
  s.workloads.clear();
  s.services.clear();
  s.report = nullptr;
}

Report Validator::validate_inputs(std::span<const Input> inputs) {
  Report report;
  begin(report, {"the inputs given together"});
  const uint32_t together[] = {0};
  for (const Input& in : inputs) input(in.name, in.text, together);
  finish();
  return report;
}

Report Validator::validate_paths(std::span<const std::string> paths, std::optional<std::string_view> stdin_text) {
  State& s = *m_state;
  detail::Layout layout = detail::plan_layout(paths, s.options.apply_units, s.yaml_parser);
  Report r;
  begin(r, std::move(layout.units));
  for (Finding& f : layout.findings) r.findings.push_back(std::move(f));
  std::vector<Error> errors = std::move(layout.errors);
  // Files are read and checked one at a time into one reused buffer.
  std::string text;
  for (const detail::LayoutFile& f : layout.files) {
    if (f.key == "-") {
      if (!stdin_text) {
        errors.push_back(Error{ErrorCode::invalid_input, "\"-\" given but no standard input was provided"});
        continue;
      }
      input(f.name, *stdin_text, f.units);  // a rendered stream: never a template
      continue;
    }
    switch (f.role) {
      case detail::FileRole::kustomization:  // resolved by the layout, its problems reported there
        ++r.files;
        continue;
      case detail::FileRole::not_manifest:
        ++r.files;
        s.note(f.name, f.note_rule, f.note);
        continue;
      case detail::FileRole::manifest:
      case detail::FileRole::chart_template:
        break;
    }
    if (auto ok = read_into(f.name, text); !ok) {
      errors.push_back(ok.error());
      continue;
    }
    auto scope = f.role == detail::FileRole::chart_template ? detail::TemplateScope::chart : detail::TemplateScope::plain;
    if (detail::looks_like_template(text, scope)) {
      ++r.files;
      s.note(f.name, "template", std::string(k_template_note));
      continue;
    }
    s.may_be_template = true;
    input(f.name, text, f.units);
    s.may_be_template = false;
  }
  finish();
  r.errors.insert(r.errors.begin(), errors.begin(), errors.end());
  return r;
}

}  // namespace sluice::k8s
