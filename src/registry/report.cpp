#include "registry/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/byte_size.h"

namespace sluice::registry {

namespace {

std::string age_text(const Image& img, int64_t now_ms) {
  if (!img.created_ms) return fmt::format("age unknown: {}", img.age_note);
  double days = double(now_ms - *img.created_ms) / 86'400'000.0;
  return fmt::format("{:.1f}d ({})", days, to_string(img.age_source));
}

std::string short_digest(const std::string& d) { return d.size() > 19 ? d.substr(0, 19) : d; }

// At most a few tags in the text (the JSON has them all): an image may carry thousands.
std::string tag_list(const std::vector<std::string>& tags) {
  constexpr size_t k_shown = 6;
  if (tags.size() <= k_shown) return fmt::format("{}", fmt::join(tags, ","));
  std::vector<std::string> head(tags.begin(), tags.begin() + k_shown);
  return fmt::format("{},... ({} tags)", fmt::join(head, ","), tags.size());
}

}  // namespace

std::string plan_text(const RepoOutcome& r, int64_t now_ms) {
  const Plan& p = r.plan;
  std::string out = fmt::format("{}: {} tags on {} images{}\n", p.repo, p.tag_count, p.images.size(),
                                r.applied ? "" : "; dry run, nothing deleted (--apply deletes)");
  for (const auto& pi : p.images) {
    const char* verb = pi.action == Action::delete_image ? "DELETE" : pi.action == Action::untag ? "UNTAG " : "keep  ";
    std::string tags = pi.image.tags.empty() ? "(untagged)" : tag_list(pi.image.tags);
    out += fmt::format("  {} {} {}  {}  {}\n", verb, short_digest(pi.image.digest), tags, age_text(pi.image, now_ms),
                       base::format_byte_size(pi.image.size()));
    if (pi.action == Action::untag) {
      out += fmt::format("         untag {}: {}; {}\n", tag_list(pi.delete_tags), pi.rule, pi.note);
    } else {
      out += fmt::format("         {}{}\n", pi.rule, pi.note.empty() ? "" : "; " + pi.note);
    }
    if (!pi.delete_children.empty()) {
      out += fmt::format("         with {} child manifests of the index\n", pi.delete_children.size());
    }
  }
  out += fmt::format("  total: delete {} images ({} tags), untag {} tags, keep {}; {} of {} reclaimable{}\n",
                     p.delete_images, p.deleted_tags - p.untag_tags, p.untag_tags,
                     p.images.size() - p.delete_images, base::format_byte_size(p.bytes_reclaimed),
                     base::format_byte_size(p.bytes_total),
                     p.unknown_age ? fmt::format("; {} images of unknown age", p.unknown_age) : "");
  if (r.applied) {
    const auto& a = *r.applied;
    out += fmt::format("  applied: deleted {} images (and {} child manifests), untagged {} tags\n", a.deleted_images,
                       a.deleted_children, a.untagged);
    for (const auto& s : a.skipped) out += "  skipped: " + s + "\n";
    for (const auto& e : a.errors) out += "  error: " + e + "\n";
  }
  return out;
}

nlohmann::json plan_json(const RepoOutcome& r, int64_t now_ms) {
  const Plan& p = r.plan;
  nlohmann::json images = nlohmann::json::array();
  for (const auto& pi : p.images) {
    nlohmann::json age = {{"source", to_string(pi.image.age_source)}};
    if (pi.image.created_ms) {
      age["created_ms"] = *pi.image.created_ms;
      age["seconds"] = (now_ms - *pi.image.created_ms) / 1000;
    } else {
      age["note"] = pi.image.age_note;
    }
    images.push_back({{"digest", pi.image.digest},
                      {"media_type", pi.image.media_type},
                      {"tags", pi.image.tags},
                      {"action", to_string(pi.action)},
                      {"delete_tags", pi.delete_tags},
                      {"keep_tags", pi.keep_tags},
                      {"children", pi.image.children},
                      {"delete_children", pi.delete_children},
                      {"age", age},
                      {"size_bytes", pi.image.size()},
                      {"rule", pi.rule},
                      {"note", pi.note}});
  }
  nlohmann::json j = {{"repo", p.repo},
                      {"images", images},
                      {"totals",
                       {{"images", p.images.size()},
                        {"tags", p.tag_count},
                        {"delete_images", p.delete_images},
                        {"untag_tags", p.untag_tags},
                        {"deleted_tags", p.deleted_tags},
                        {"deletions", p.deletions()},
                        {"keep_images", p.images.size() - p.delete_images},
                        {"unknown_age", p.unknown_age},
                        {"bytes_total", p.bytes_total},
                        {"bytes_reclaimed", p.bytes_reclaimed}}}};
  if (r.applied) {
    j["applied"] = {{"deleted_images", r.applied->deleted_images},
                    {"deleted_children", r.applied->deleted_children},
                    {"untagged", r.applied->untagged},
                    {"skipped", r.applied->skipped},
                    {"errors", r.applied->errors}};
  }
  return j;
}

}  // namespace sluice::registry
