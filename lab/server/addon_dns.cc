// Cluster DNS as kubeadm installs it (cmd/kubeadm/app/phases/addons/dns/manifests.go): the
// `coredns` Deployment and the `kube-dns` Service in kube-system. The pods run the lab's DNS
// server (the image catalog maps CoreDNS's image onto `lab-dns`), which follows the API through
// the daemon's read-only socket. Lab has no Namespace objects: kube-system exists as soon as
// objects live in it, as `default` does.
#include "lab/server/addons.h"

namespace lab::server {

namespace {

constexpr const char* kNamespace = "kube-system";

Json dns_labels() { return {{"k8s-app", "kube-dns"}}; }

Json coredns_deployment() {
  auto probe_path = [](const char* path) {
    // lab-dns serves /health and /ready on its metrics port (CoreDNS: :8080/health, :8181/ready).
    return Json{{"path", path}, {"port", 9153}, {"scheme", "HTTP"}};
  };
  Json container = {
      {"name", "coredns"},
      {"image", "registry.k8s.io/coredns/coredns:v1.11.1"},
      {"imagePullPolicy", "IfNotPresent"},
      {"resources", {{"limits", {{"memory", "170Mi"}}}, {"requests", {{"cpu", "100m"}, {"memory", "70Mi"}}}}},
      {"ports",
       {{{"name", "dns"}, {"containerPort", 53}, {"protocol", "UDP"}},
        {{"name", "dns-tcp"}, {"containerPort", 53}, {"protocol", "TCP"}},
        {{"name", "metrics"}, {"containerPort", 9153}, {"protocol", "TCP"}}}},
      {"livenessProbe",
       {{"httpGet", probe_path("/health")},
        {"initialDelaySeconds", 60},
        {"timeoutSeconds", 5},
        {"successThreshold", 1},
        {"failureThreshold", 5}}},
      // Every second, not kubeadm's default 10 s: the first attempt comes as the process starts
      // and usually finds it not listening yet, and a pod not Ready is no endpoint of kube-dns.
      {"readinessProbe", {{"httpGet", probe_path("/ready")}, {"periodSeconds", 1}, {"timeoutSeconds", 1}}},
  };
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "coredns"}, {"namespace", kNamespace}, {"labels", dns_labels()}}},
      {"spec",
       {{"replicas", 2},
        {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 1}}}}},
        {"selector", {{"matchLabels", dns_labels()}}},
        {"template",
         {{"metadata", {{"labels", dns_labels()}}},
          // kubeadm's: the DNS server resolves through the node, not through itself. The
          // scheduler spreads the two replicas over the nodes (pods of one owner, fewest first).
          {"spec", {{"dnsPolicy", "Default"}, {"containers", Json::array({container})}}}}}}},
  };
}

Json kube_dns_service(const cluster::LabRecord& rec) {
  auto port = [](const char* name, const char* protocol, int number) {
    return Json{{"name", name}, {"protocol", protocol}, {"port", number}, {"targetPort", number}};
  };
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", "kube-dns"},
        {"namespace", kNamespace},
        {"labels",
         {{"k8s-app", "kube-dns"}, {"kubernetes.io/cluster-service", "true"}, {"kubernetes.io/name", "CoreDNS"}}},
        // Prometheus' scrape hints, as kubeadm's Service carries them.
        {"annotations", {{"prometheus.io/port", "9153"}, {"prometheus.io/scrape", "true"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        // The service CIDR's tenth address: what every pod's resolv.conf names (the kubelet's
        // --cluster-dns), so it is fixed, not allocated.
        {"clusterIP", rec.plan.service_cidr.at(10).str()},
        {"selector", dns_labels()},
        {"ports", {port("dns", "UDP", 53), port("dns-tcp", "TCP", 53), port("metrics", "TCP", 9153)}}}},
  };
}

}  // namespace

std::vector<Json> dns_addon_objects(const cluster::LabRecord& rec) {
  return {kube_dns_service(rec), coredns_deployment()};
}

}  // namespace lab::server
