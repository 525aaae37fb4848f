// The namespace controller (kube-controller-manager's pkg/controller/namespace): a namespace
// being deleted (metadata.deletionTimestamp, status.phase Terminating, written by the registry's
// DELETE) is emptied here. Every namespaced object in it is deleted, the workloads before their
// pods so no ReplicaSet replaces one, pods gracefully; its status conditions say what remains
// (NamespaceContentRemaining: "Some resources are remaining: pods. has 2 resource instances");
// and once nothing does, its "kubernetes" finalizer is removed through the finalize
// subresource, which deletes it. Keys are namespace names; an object of a namespace being deleted
// that goes, or changes while being deleted itself, wakes its namespace.
#pragma once

#include "lab/controllers/controller.h"

namespace lab::controllers {

class NamespaceController : public Controller {
 public:
  explicit NamespaceController(Context& ctx);
  std::vector<std::string> all_keys() const override;
  Result<void> sync(const std::string& ns) override;

 private:
  store::Informer& namespaces_;
};

// The namespace controller's conditions for what deleting a namespace's content left: objects
// per "resource.group" (remaining), per finalizer (finalizers), and the deletions that failed.
// The five conditions kube-controller-manager writes, in its order; a condition whose status is
// unchanged keeps its lastTransitionTime from `had`.
Json namespace_deletion_conditions(const std::map<std::string, int>& remaining,
                                   const std::map<std::string, int>& finalizers,
                                   const std::vector<std::string>& failures, const Json& had,
                                   const std::string& now);

}  // namespace lab::controllers
