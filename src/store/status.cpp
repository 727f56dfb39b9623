#include "store/status.h"

#include <array>
#include <utility>

namespace sluice::store {
namespace {

constexpr std::array<std::pair<StageStatus, std::string_view>, 10> k_stage_names{{
    {StageStatus::pending, "pending"},
    {StageStatus::running, "running"},
    {StageStatus::success, "success"},
    {StageStatus::failed, "failed"},
    {StageStatus::skipped, "skipped"},
    {StageStatus::cancelled, "cancelled"},
    {StageStatus::interrupted, "interrupted"},
    {StageStatus::awaiting_approval, "awaiting_approval"},
    {StageStatus::failed_advisory, "failed_advisory"},
    {StageStatus::unstable, "unstable"},
}};

constexpr std::array<std::pair<RunStatus, std::string_view>, 6> k_run_names{{
    {RunStatus::running, "running"},
    {RunStatus::success, "success"},
    {RunStatus::failed, "failed"},
    {RunStatus::interrupted, "interrupted"},
    {RunStatus::awaiting_approval, "awaiting_approval"},
    {RunStatus::unstable, "unstable"},
}};

template <typename E, size_t N>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> value_in(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(StageStatus s) { return name_in(k_stage_names, s); }
std::string_view to_string(RunStatus s) { return name_in(k_run_names, s); }
std::optional<StageStatus> stage_status_from(std::string_view text) { return value_in(k_stage_names, text); }
std::optional<RunStatus> run_status_from(std::string_view text) { return value_in(k_run_names, text); }

}  // namespace sluice::store
