#include "registry/ecr.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/yaml.h"
#include "base/yaml_check.h"

namespace sluice::registry {

namespace {

using base::quote;
using base::yaml::Checker;
using base::yaml::Node;

constexpr int64_t k_day_ms = 24LL * 3600 * 1000;

constexpr std::array<std::string_view, 1> k_top = {"rules"};
constexpr std::array<std::string_view, 4> k_rule = {"rulePriority", "description", "selection", "action"};
constexpr std::array<std::string_view, 6> k_selection = {"tagStatus", "tagPatternList", "tagPrefixList",
                                                         "countType", "countUnit",      "countNumber"};
constexpr std::array<std::string_view, 1> k_action = {"type"};

// ECR's tagPatternList wildcard: `*` matches any run of characters, nothing else is special.
bool wildcard(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool selects(const EcrRule& r, const Image& img) {
  switch (r.tag_status) {
    case EcrTagStatus::any: return true;
    case EcrTagStatus::untagged: return img.tags.empty();
    case EcrTagStatus::tagged: break;
  }
  if (img.tags.empty()) return false;
  // Every listed prefix (or pattern) must be matched by some tag of the image.
  for (const auto& pre : r.prefixes) {
    if (std::none_of(img.tags.begin(), img.tags.end(), [&](const std::string& t) { return t.rfind(pre, 0) == 0; })) {
      return false;
    }
  }
  for (const auto& pat : r.patterns) {
    if (std::none_of(img.tags.begin(), img.tags.end(), [&](const std::string& t) { return wildcard(pat, t); })) {
      return false;
    }
  }
  return true;
}

}  // namespace

Expected<EcrPolicy> parse_ecr_policy(std::string_view text, std::string_view filename) {
  auto docs = base::yaml::parse(text, filename);
  if (!docs) return make_error(ErrorCode::invalid_input, docs.error().message);
  Checker c(filename);
  EcrPolicy policy;
  const Node* rules = nullptr;
  if (docs->empty() || (*docs)[0].empty) {
    c.error(base::yaml::Mark{1, 1}, "the lifecycle policy is empty: it needs \"rules\"");
  } else if (c.expect_map((*docs)[0].root, "the lifecycle policy")) {
    const Node& root = (*docs)[0].root;
    c.check_keys(root, k_top, "the lifecycle policy");
    rules = root.find("rules");
    if (!rules) c.error(root, "the lifecycle policy needs \"rules\"");
    else if (!rules->is_seq() || rules->items.empty()) c.error(*rules, "\"rules\" must be a non-empty list");
  }
  std::map<int64_t, const Node*> seen;
  const Node* any_rule = nullptr;
  for (size_t i = 0; rules && rules->is_seq() && i < rules->items.size(); ++i) {
    const Node& r = rules->items[i];
    if (!c.expect_map(r, fmt::format("rule {}", i + 1))) continue;
    c.check_keys(r, k_rule, "a rule");
    EcrRule rule;
    if (const Node* p = r.find("rulePriority")) {
      if (auto v = c.integer(*p, "rulePriority", 1)) {
        rule.priority = *v;
        if (auto [it, fresh] = seen.emplace(*v, p); !fresh) {
          c.error(*p, fmt::format("rulePriority {} is used twice (also at line {}): priorities must be unique", *v,
                                  it->second->mark.line));
        }
      }
    } else {
      c.error(r, "a rule needs \"rulePriority\"");
    }
    if (const Node* d = r.find("description")) rule.description = c.string(*d, "description").value_or("");
    const Node* sel = r.find("selection");
    if (!sel) {
      c.error(r, "a rule needs \"selection\"");
    } else if (c.expect_map(*sel, "\"selection\"")) {
      c.check_keys(*sel, k_selection, "\"selection\"");
      const Node* status = sel->find("tagStatus");
      std::string st = status ? c.string(*status, "tagStatus").value_or("") : "";
      if (!status) c.error(*sel, "\"selection\" needs \"tagStatus\" (tagged, untagged or any)");
      else if (st == "tagged") rule.tag_status = EcrTagStatus::tagged;
      else if (st == "untagged") rule.tag_status = EcrTagStatus::untagged;
      else if (st == "any") rule.tag_status = EcrTagStatus::any;
      else if (!st.empty()) c.error(*status, fmt::format("tagStatus {} must be tagged, untagged or any", quote(st)));
      const Node* pre = sel->find("tagPrefixList");
      const Node* pat = sel->find("tagPatternList");
      if (pre) rule.prefixes = c.strings(*pre, "tagPrefixList");
      if (pat) rule.patterns = c.strings(*pat, "tagPatternList");
      if (rule.tag_status == EcrTagStatus::tagged && status) {
        if (!pre && !pat) c.error(*status, "tagStatus \"tagged\" needs tagPrefixList or tagPatternList");
        if (pre && pat) c.error(*pat, "give tagPrefixList or tagPatternList, not both");
      } else if (status && (pre || pat)) {
        c.error(pre ? *pre : *pat, fmt::format("tagPrefixList and tagPatternList go with tagStatus \"tagged\", not {}",
                                               quote(st)));
      }
      for (size_t k = 0; pat && k < rule.patterns.size(); ++k) {
        if (std::count(rule.patterns[k].begin(), rule.patterns[k].end(), '*') > 4) {
          c.error(*pat, fmt::format("tag pattern {} has more than 4 wildcards", quote(rule.patterns[k])));
        }
      }
      const Node* ct = sel->find("countType");
      const Node* cu = sel->find("countUnit");
      std::string type = ct ? c.string(*ct, "countType").value_or("") : "";
      if (!ct) c.error(*sel, "\"selection\" needs \"countType\" (imageCountMoreThan or sinceImagePushed)");
      else if (type == "imageCountMoreThan") {
        rule.count_type = EcrCountType::image_count_more_than;
        if (cu) c.error(*cu, "countUnit goes with sinceImagePushed, not imageCountMoreThan");
      } else if (type == "sinceImagePushed") {
        rule.count_type = EcrCountType::since_image_pushed;
        if (!cu) c.error(*ct, "sinceImagePushed needs \"countUnit\": \"days\"");
        else if (c.string(*cu, "countUnit").value_or("") != "days") c.error(*cu, "countUnit must be \"days\"");
      } else if (!type.empty()) {
        c.error(*ct, fmt::format("countType {} must be imageCountMoreThan or sinceImagePushed (sluice does not "
                                 "evaluate pull or archive-transition times)",
                                 quote(type)));
      }
      if (const Node* cn = sel->find("countNumber")) rule.count_number = c.integer(*cn, "countNumber", 1).value_or(1);
      else c.error(*sel, "\"selection\" needs \"countNumber\"");
      if (rule.tag_status == EcrTagStatus::any && status) any_rule = status;
    }
    if (const Node* a = r.find("action")) {
      if (c.expect_map(*a, "\"action\"")) {
        c.check_keys(*a, k_action, "\"action\"");
        const Node* t = a->find("type");
        if (!t) c.error(*a, "\"action\" needs \"type\": \"expire\"");
        else if (c.string(*t, "type").value_or("") != "expire") c.error(*t, "action type must be \"expire\"");
      }
    } else {
      c.error(r, "a rule needs \"action\": {\"type\": \"expire\"}");
    }
    rule.label = fmt::format("ECR rule priority {} ({}:{}:{}){}", rule.priority, filename, r.mark.line, r.mark.column,
                             rule.description.empty() ? std::string() : fmt::format(" {}", quote(rule.description)));
    policy.rules.push_back(std::move(rule));
  }
  std::sort(policy.rules.begin(), policy.rules.end(),
            [](const EcrRule& a, const EcrRule& b) { return a.priority < b.priority; });
  if (c.ok() && any_rule && policy.rules.back().tag_status != EcrTagStatus::any) {
    c.error(*any_rule, "the rule with tagStatus \"any\" must have the highest rulePriority (it is evaluated last)");
  }
  if (c.ok() && std::count_if(policy.rules.begin(), policy.rules.end(),
                              [](const EcrRule& r) { return r.tag_status == EcrTagStatus::any; }) > 1) {
    c.error(*any_rule, "only one rule may have tagStatus \"any\"");
  }
  if (!c.ok()) {
    std::string msg;
    for (const auto& d : c.diagnostics()) {
      if (!msg.empty()) msg += '\n';
      msg += d.to_string();
    }
    return make_error(ErrorCode::invalid_input, msg);
  }
  return policy;
}

std::vector<ImageDecision> decide_ecr(const EcrPolicy& policy, const std::vector<Image>& images, int64_t now_ms) {
  std::vector<const EcrRule*> expired_by(images.size(), nullptr);
  std::vector<const EcrRule*> selected_by(images.size(), nullptr);
  for (const auto& rule : policy.rules) {
    std::vector<size_t> cand;
    for (size_t i = 0; i < images.size(); ++i) {
      if (selects(rule, images[i])) cand.push_back(i);
    }
    std::vector<size_t> marked;
    if (rule.count_type == EcrCountType::image_count_more_than) {
      // Most recently pushed first; unknown ages rank as the newest (never expired by count).
      std::stable_sort(cand.begin(), cand.end(), [&](size_t a, size_t b) {
        const auto& x = images[a].created_ms;
        const auto& y = images[b].created_ms;
        if (x.has_value() != y.has_value()) return !x.has_value();
        if (x && *x != *y) return *x > *y;
        return images[a].digest < images[b].digest;
      });
      for (size_t n = size_t(rule.count_number); n < cand.size(); ++n) marked.push_back(cand[n]);
    } else {
      for (size_t i : cand) {
        const auto& c = images[i].created_ms;
        if (c && now_ms - *c > rule.count_number * k_day_ms) marked.push_back(i);
      }
    }
    for (size_t i : marked) {
      if (!selected_by[i]) expired_by[i] = &rule;
    }
    for (size_t i : cand) {
      if (!selected_by[i]) selected_by[i] = &rule;
    }
  }
  std::vector<ImageDecision> out(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    std::string rule = expired_by[i] ? expired_by[i]->label
                       : selected_by[i]
                           ? "kept: selected by " + selected_by[i]->label + ", not past its count"
                           : "kept: no rule selects it";
    if (!expired_by[i] && !images[i].created_ms && selected_by[i]) {
      rule += fmt::format(" (age unknown: {})", images[i].age_note);
    }
    if (images[i].tags.empty()) {
      out[i].remove_untagged = expired_by[i] != nullptr;
      out[i].rule = rule;
      continue;
    }
    for (const auto& t : images[i].tags) out[i].tags.push_back({t, expired_by[i] != nullptr, rule});
  }
  return out;
}

}  // namespace sluice::registry
