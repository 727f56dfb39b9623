#include "registry/policy.h"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/duration.h"
#include "base/glob.h"
#include "base/strings.h"
#include "base/yaml_check.h"

namespace sluice::registry {

namespace {

using base::quote;
using base::yaml::Checker;
using base::yaml::Node;

constexpr std::array<std::string_view, 4> k_top_keys = {"keep", "delete", "protect_tags", "max_deletions"};
constexpr std::array<std::string_view, 3> k_keep_keys = {"tags", "newest", "younger_than"};
constexpr std::array<std::string_view, 3> k_delete_keys = {"tags", "untagged", "older_than"};

std::string where(const Checker& c, const Node& n) { return fmt::format("{}:{}:{}", c.file(), n.mark.line, n.mark.column); }

// Whether every tag `pattern` can match is also matched by `cover` (a literal, or a prefix
// followed by one `*`). Conservative: false when unsure.
bool covers(std::string_view cover, std::string_view pattern) {
  if (cover == pattern) return true;
  if (cover == "*") return true;
  if (!cover.empty() && cover.back() == '*' && !base::has_glob_chars(cover.substr(0, cover.size() - 1))) {
    return pattern.substr(0, cover.size() - 1) == cover.substr(0, cover.size() - 1);
  }
  if (!base::has_glob_chars(pattern)) return base::glob_match(cover, pattern);
  return false;
}

std::string describe_tags(const std::vector<std::string>& tags) {
  return fmt::format("tags: [{}]", fmt::join(tags, ", "));
}

}  // namespace

Expected<Policy> policy_from_node(const Node& root, std::string_view filename) {
  Checker c(filename);
  Policy p;
  if (root.is_null()) {
    c.error(root, "the policy is empty: give keep, delete, protect_tags or max_deletions");
  } else if (c.expect_map(root, "the policy")) {
    c.check_keys(root, k_top_keys, "the policy");
    if (const Node* keep = root.find("keep")) {
      if (!keep->is_seq()) c.error(*keep, fmt::format("\"keep\" must be a list of rules, not a {}", keep->type_name()));
      for (size_t i = 0; keep->is_seq() && i < keep->items.size(); ++i) {
        const Node& r = keep->items[i];
        if (!c.expect_map(r, fmt::format("keep rule {}", i + 1))) continue;
        c.check_keys(r, k_keep_keys, "a keep rule");
        KeepRule k;
        std::vector<std::string> said;
        if (const Node* t = r.find("tags")) {
          k.tags = c.strings(*t, "tags");
          if (k.tags.empty()) c.error(*t, "\"tags\" names no tag");
          said.push_back(describe_tags(k.tags));
        }
        if (const Node* n = r.find("newest")) {
          k.newest = c.integer(*n, "newest", 1);
          said.push_back("newest: " + n->scalar);
        }
        if (const Node* y = r.find("younger_than")) {
          k.younger_than = c.duration(*y, "younger_than");
          said.push_back("younger_than: " + y->scalar);
        }
        if (r.entries.empty()) c.error(r, "an empty keep rule keeps nothing: give tags, newest or younger_than");
        if (r.find("newest") && r.find("younger_than")) {
          c.error(*r.find("younger_than"),
                  "a keep rule has \"newest\" or \"younger_than\", not both (write two rules: either keeps)");
        }
        k.label = fmt::format("keep rule {} ({}): {{{}}}", i + 1, where(c, r), fmt::join(said, ", "));
        p.keep.push_back(std::move(k));
      }
    }
    if (const Node* pt = root.find("protect_tags")) p.protect_tags = c.strings(*pt, "protect_tags");
    if (const Node* md = root.find("max_deletions")) p.max_deletions = c.integer(*md, "max_deletions", 0);
    if (const Node* del = root.find("delete")) {
      if (!del->is_seq()) c.error(*del, fmt::format("\"delete\" must be a list of rules, not a {}", del->type_name()));
      for (size_t i = 0; del->is_seq() && i < del->items.size(); ++i) {
        const Node& r = del->items[i];
        if (!c.expect_map(r, fmt::format("delete rule {}", i + 1))) continue;
        c.check_keys(r, k_delete_keys, "a delete rule");
        DeleteRule d;
        std::vector<std::string> said;
        const Node* t = r.find("tags");
        if (t) {
          d.tags = c.strings(*t, "tags");
          if (d.tags.empty()) c.error(*t, "\"tags\" names no tag");
          said.push_back(describe_tags(d.tags));
        }
        if (const Node* u = r.find("untagged")) {
          auto b = c.boolean(*u, "untagged");
          if (b && !*b) c.error(*u, "\"untagged: false\" selects nothing: leave it out, or use tags");
          d.untagged = b.value_or(false);
          if (d.untagged) said.push_back("untagged: true");
          if (d.untagged && t) c.error(*u, "a rule cannot select \"untagged\" images by \"tags\": untagged images have none");
        }
        if (const Node* o = r.find("older_than")) {
          d.older_than = c.duration(*o, "older_than");
          said.push_back("older_than: " + o->scalar);
        }
        if (c.ok() && !t && !d.untagged && !r.find("older_than")) {
          c.error(r, "this delete rule would delete every tag no keep rule keeps: give tags, untagged or older_than");
        }
        // A delete rule that a keep rule or protect_tags fully covers can never delete anything.
        if (t && !d.tags.empty()) {
          bool all_covered = true;
          std::string by;
          for (const auto& pat : d.tags) {
            bool covered = false;
            for (const auto& pr : p.protect_tags) {
              if (covers(pr, pat)) {
                covered = true;
                by = fmt::format("protect_tags {}", quote(pr));
              }
            }
            for (size_t k = 0; k < p.keep.size() && !covered; ++k) {
              const auto& kr = p.keep[k];
              if (kr.newest || kr.younger_than) continue;
              for (const auto& kp : kr.tags) {
                if (covers(kp, pat)) {
                  covered = true;
                  by = fmt::format("keep rule {} ({})", k + 1, quote(kp));
                }
              }
            }
            all_covered = all_covered && covered;
          }
          if (all_covered) {
            c.error(*t, fmt::format("contradictory rules: this delete rule can never delete anything: {} keeps every "
                                    "tag it names (keep always wins)",
                                    by));
          }
        }
        d.label = fmt::format("delete rule {} ({}): {{{}}}", i + 1, where(c, r), fmt::join(said, ", "));
        p.del.push_back(std::move(d));
      }
    }
  }
  if (!c.ok()) {
    std::string msg;
    for (const auto& d : c.diagnostics()) {
      if (!msg.empty()) msg += '\n';
      msg += d.to_string();
    }
    return make_error(ErrorCode::invalid_input, msg);
  }
  return p;
}

Expected<Policy> parse_policy(std::string_view text, std::string_view filename) {
  auto docs = base::yaml::parse(text, filename);
  if (!docs) return make_error(ErrorCode::invalid_input, docs.error().message);
  if (docs->empty() || (*docs)[0].empty) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{}:1:1: the policy is empty: give keep, delete, protect_tags or max_deletions", filename));
  }
  if (docs->size() > 1) {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("{}:{}:{}: one policy a file: a second YAML document", filename,
                                  (*docs)[1].start.line, (*docs)[1].start.column));
  }
  return policy_from_node((*docs)[0].root, filename);
}

}  // namespace sluice::registry
