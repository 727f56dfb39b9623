#include "k8s/checks.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::k8s::detail {

using base::yaml::Node;

namespace {

const Node* path_get(const Node& n, std::initializer_list<std::string_view> keys) {
  const Node* cur = &n;
  for (std::string_view k : keys) {
    cur = cur->find(k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

bool is_true(const Node* n) { return n != nullptr && n->is_bool() && n->as_bool(); }

std::string join_path(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  return fmt::format("{}.{}", a, b);
}

}  // namespace

PodLocation find_pod(std::string_view kind, const Node& obj, std::string_view base_path) {
  PodLocation loc;
  const Node* tmpl = nullptr;
  std::string tmpl_path;
  if (kind == "Pod") {
    loc.spec = obj.find("spec");
    loc.labels = path_get(obj, {"metadata", "labels"});
    loc.spec_path = join_path(base_path, "spec");
    return loc;
  }
  if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet" ||
      kind == "Job" || kind == "ReplicationController") {
    tmpl = path_get(obj, {"spec", "template"});
    tmpl_path = join_path(base_path, "spec.template");
  } else if (kind == "CronJob") {
    tmpl = path_get(obj, {"spec", "jobTemplate", "spec", "template"});
    tmpl_path = join_path(base_path, "spec.jobTemplate.spec.template");
  } else if (kind == "PodTemplate") {
    tmpl = obj.find("template");
    tmpl_path = join_path(base_path, "template");
  }
  if (tmpl != nullptr && tmpl->is_map()) {
    loc.spec = tmpl->find("spec");
    loc.labels = path_get(*tmpl, {"metadata", "labels"});
    loc.spec_path = tmpl_path + ".spec";
  }
  if (loc.spec != nullptr && !loc.spec->is_map()) loc.spec = nullptr;
  return loc;
}

bool selector_matches(const Node& selector, const Node& labels) {
  if (!selector.is_map() || !labels.is_map()) return false;
  for (const auto& e : selector.entries) {
    const Node* v = labels.find(e.key.scalar);
    if (v == nullptr || !v->is_scalar() || !e.value.is_scalar() || v->scalar != e.value.scalar) return false;
  }
  return true;
}

void run_object_checks(std::string_view kind, const Node& obj, std::string_view base_path,
                       const CheckEnabled& enabled, const CheckSink& sink) {
  PodLocation pod = find_pod(kind, obj, base_path);
  if (pod.spec == nullptr) return;
  const Node& spec = *pod.spec;
  const std::string& sp = pod.spec_path;

  if (enabled("host-network")) {
    if (const Node* hn = spec.find("hostNetwork"); is_true(hn)) {
      sink({"host-network", hn->mark, sp + ".hostNetwork",
            "hostNetwork: true shares the node's network namespace with the pod", "false", "true"});
    }
  }
  if (enabled("host-path")) {
    if (const Node* vols = spec.find("volumes"); vols != nullptr && vols->is_seq()) {
      for (size_t i = 0; i < vols->items.size(); ++i) {
        if (const Node* hp = vols->items[i].find("hostPath")) {
          sink({"host-path", hp->mark, fmt::format("{}.volumes[{}].hostPath", sp, i),
                "hostPath volume exposes the node's filesystem to the pod", "no hostPath volume", "hostPath"});
        }
      }
    }
  }
  const Node* pod_sc = spec.find("securityContext");
  bool pod_non_root = pod_sc != nullptr && is_true(pod_sc->find("runAsNonRoot"));

  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    const Node* cs = spec.find(list);
    if (cs == nullptr || !cs->is_seq()) continue;
    for (size_t i = 0; i < cs->items.size(); ++i) {
      const Node& c = cs->items[i];
      if (!c.is_map()) continue;
      std::string cp = fmt::format("{}.{}[{}]", sp, list, i);
      const Node* name = c.find("name");
      std::string cname = name != nullptr && name->is_scalar() ? base::quote(name->scalar) : cp;
      bool regular = list == "containers";

      if (enabled("image-tag")) {
        if (const Node* img = c.find("image"); img != nullptr && img->is_scalar()) {
          std::string_view ref = img->scalar;
          if (ref.find('@') == std::string_view::npos) {
            size_t slash = ref.rfind('/');
            size_t colon = ref.find(':', slash == std::string_view::npos ? 0 : slash + 1);
            if (colon == std::string_view::npos) {
              sink({"image-tag", img->mark, cp + ".image",
                    fmt::format("image {} has no tag, so it means :latest and changes under you",
                                base::quote(ref)),
                    "a pinned tag or digest", std::string(ref)});
            } else if (ref.substr(colon + 1) == "latest") {
              sink({"image-tag", img->mark, cp + ".image",
                    fmt::format("image {} uses the :latest tag", base::quote(ref)), "a pinned tag or digest",
                    std::string(ref)});
            }
          }
        }
      }
      if (enabled("resources") && list != "ephemeralContainers") {
        const Node* res = c.find("resources");
        bool req = res != nullptr && res->find("requests") != nullptr && res->find("requests")->is_map() &&
                   !res->find("requests")->entries.empty();
        bool lim = res != nullptr && res->find("limits") != nullptr && res->find("limits")->is_map() &&
                   !res->find("limits")->entries.empty();
        if (!req || !lim) {
          std::string missing = !req && !lim ? "requests and limits" : (!req ? "requests" : "limits");
          sink({"resources", res != nullptr ? res->mark : c.mark, res != nullptr ? cp + ".resources" : cp,
                fmt::format("container {} has no resource {}", cname, missing), "requests and limits",
                fmt::format("no {}", missing)});
        }
      }
      const Node* sc = c.find("securityContext");
      if (enabled("privileged") && sc != nullptr) {
        if (const Node* p = sc->find("privileged"); is_true(p)) {
          sink({"privileged", p->mark, cp + ".securityContext.privileged",
                fmt::format("container {} runs privileged (full access to the node)", cname), "false", "true"});
        }
      }
      if (enabled("privilege-escalation") && sc != nullptr) {
        if (const Node* p = sc->find("allowPrivilegeEscalation"); is_true(p)) {
          sink({"privilege-escalation", p->mark, cp + ".securityContext.allowPrivilegeEscalation",
                fmt::format("container {} allows privilege escalation", cname), "false", "true"});
        }
      }
      if (enabled("run-as-non-root")) {
        const Node* own = sc != nullptr ? sc->find("runAsNonRoot") : nullptr;
        bool non_root = own != nullptr && own->is_bool() ? own->as_bool() : pod_non_root;
        if (!non_root) {
          sink({"run-as-non-root", own != nullptr ? own->mark : c.mark,
                own != nullptr ? cp + ".securityContext.runAsNonRoot" : cp,
                fmt::format("container {} may run as root: set securityContext.runAsNonRoot: true", cname),
                "runAsNonRoot: true", own != nullptr ? own->scalar : "unset"});
        }
      }
      if (enabled("readiness-probe") && regular && kind == "Deployment" && c.find("readinessProbe") == nullptr) {
        sink({"readiness-probe", c.mark, cp,
              fmt::format("container {} of a Deployment has no readinessProbe, so rollouts cannot wait for it",
                          cname),
              "readinessProbe", "none"});
      }
    }
  }
}

}  // namespace sluice::k8s::detail
