// kubectl describe for Secrets, ConfigMaps and Namespaces (k8s.io/kubectl/pkg/describe:
// describeSecret, ConfigMapDescriber, describeNamespace), line for line. A Secret's values are
// never printed, only their sizes.
#include "lab/base/base64.h"
#include "lab/cli/describe_util.h"

namespace lab::cli {

using namespace describe_detail;

std::string describe_secret(const Json& secret) {
  Writer w;
  describe_metadata(w, secret);
  const std::string type = str(secret, "type");
  w(0, "\nType:\t" + type + "\n");
  w(0, "\nData\n====\n");
  const Json& data = obj(secret, "data");
  if (data.is_object())
    for (const auto& [k, v] : data.items()) {  // sorted keys, as kubectl sorts them
      auto bytes = base64_decode(v.is_string() ? v.get<std::string>() : "");
      const std::string value = bytes ? *bytes : "";
      // A service account's token is the one value kubectl shows (lab refuses that type anyway).
      if (k == "token" && type == "kubernetes.io/service-account-token")
        w(0, k + ":\t" + value + "\n");
      else
        w(0, k + ":\t" + std::to_string(value.size()) + " bytes\n");
    }
  return w.tw.str();
}

std::string describe_configmap(const Json& cm, const Json& events, Clock::time_point now) {
  Writer w;
  describe_metadata(w, cm);
  w(0, "\nData\n====\n");
  const Json& data = obj(cm, "data");
  if (data.is_object())
    for (const auto& [k, v] : data.items()) {
      w(0, k + ":\n----\n");
      w(0, (v.is_string() ? v.get<std::string>() : go_format(v)) + "\n");
      w(0, "\n");
    }
  w(0, "\nBinaryData\n====\n");
  const Json& binary = obj(cm, "binaryData");
  if (binary.is_object())
    for (const auto& [k, v] : binary.items()) {
      auto bytes = base64_decode(v.is_string() ? v.get<std::string>() : "");
      w(0, k + ": " + std::to_string(bytes ? bytes->size() : 0) + " bytes\n");
    }
  w(0, "\n");
  describe_events(w, events, now);
  return w.tw.str();
}

// The lab serves no ResourceQuotas or LimitRanges: kubectl's lists of them are 404s, and it then
// prints neither section.
std::string describe_namespace(const Json& ns) {
  Writer w;
  w(0, "Name:\t" + str(ns, "metadata.name") + "\n");
  labels_multiline(w, "Labels", obj(ns, "metadata.labels"));
  annotations_multiline(w, "Annotations", obj(ns, "metadata.annotations"));
  w(0, "Status:\t" + str(ns, "status.phase") + "\n");
  const Json& conditions = arr(ns, "status.conditions");
  if (!conditions.empty()) {
    w(0, "Conditions:\n");
    w(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
    w(1, "----\t------\t------------------\t------\t-------\n");
    for (const auto& c : conditions)
      w(1, str(c, "type") + "\t" + str(c, "status") + "\t" + rfc1123z(str(c, "lastTransitionTime")) + "\t" +
               str(c, "reason") + "\t" + str(c, "message") + "\n");
  }
  return w.tw.str();
}

}  // namespace lab::cli
