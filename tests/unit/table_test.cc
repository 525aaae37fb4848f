// The API's server-side printer (lab/api/table.h): the Table document kubectl's human-readable get
// reads (columns, cells, rows[].object, resourceVersion), the Accept negotiation that asks for it,
// and kubectl's layout of a server's Table (lab/cli/printers.h print_table / TablePrinter).
#include <gtest/gtest.h>

#include "lab/api/table.h"
#include "lab/cli/printers.h"

namespace lab {
namespace {

using Json = nlohmann::json;
using api::Clock;

Clock::time_point at(const char* rfc3339_utc) {
  std::tm tm{};
  strptime(rfc3339_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Clock::from_time_t(timegm(&tm));
}

const Clock::time_point kNow = at("2026-11-26T09:40:33Z");

Json pod(const std::string& name, const std::string& ns = "default") {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": ")" + name + R"(", "namespace": ")" + ns + R"(", "uid": "u-1", "resourceVersion": "1033",
                 "creationTimestamp": "2026-11-26T09:40:27Z", "labels": {"run": "my-nginx", "app": "web"}},
    "spec": {"nodeName": "kind-worker", "containers": [{"name": "my-nginx", "image": "nginx"}]},
    "status": {"phase": "Running", "podIP": "10.244.1.11", "podIPs": [{"ip": "10.244.1.11"}],
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "my-nginx", "ready": true, "restartCount": 0,
                                      "state": {"running": {"startedAt": "2026-11-26T09:40:28Z"}}}]}
  })");
}

std::vector<std::string> column_names(const Json& table) {
  std::vector<std::string> out;
  for (const auto& c : table["columnDefinitions"]) out.push_back(c["name"]);
  return out;
}

TEST(TableNegotiation, KubectlAcceptAsksForTableV1) {
  auto f = api::negotiate_format(api::kTableAccept);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->table);
  EXPECT_EQ(f->table_version, "v1");
  f = api::negotiate_format("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->table);
  EXPECT_EQ(f->table_version, "v1beta1");
  // Spaces, quoting and case of the media type as HTTP allows them.
  f = api::negotiate_format(" Application/JSON ; as=\"Table\" ; g=meta.k8s.io ; v=v1");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->table);
}

TEST(TableNegotiation, PlainJsonAndWhatCannotBeServed) {
  for (const char* accept : {"", "application/json", "*/*", "application/*", "application/json, */*",
                             "application/vnd.kubernetes.protobuf,application/json",
                             // a Table version or group that does not exist: the next choice
                             "application/json;as=Table;v=v2;g=meta.k8s.io,application/json",
                             "application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json"}) {
    auto f = api::negotiate_format(accept);
    ASSERT_TRUE(f) << accept;
    EXPECT_FALSE(f->table) << accept;
  }
  for (const char* accept : {"text/html", "application/vnd.kubernetes.protobuf", "application/yaml",
                             "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
                             "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", "application/json;q=0",
                             ",,;", "/json"})
    EXPECT_FALSE(api::negotiate_format(accept)) << accept;
  // A heavier weight wins over the order.
  auto f = api::negotiate_format("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->table);
}

TEST(TableIncludeObject, Values) {
  EXPECT_EQ(*api::parse_include_object(""), api::IncludeObject::Metadata);
  EXPECT_EQ(*api::parse_include_object("None"), api::IncludeObject::None);
  EXPECT_EQ(*api::parse_include_object("Object"), api::IncludeObject::Object);
  auto bad = api::parse_include_object("all");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, Reason::BadRequest);
  EXPECT_NE(bad.error().message.find("includeObject"), std::string::npos);
}

TEST(Table, PodsAsTheApiserverRendersThem) {
  Json table = api::make_table("Pod", Json::array({pod("my-nginx-7d9c-x2k4f")}), "1045", {}, kNow);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"]["resourceVersion"], "1045");
  EXPECT_EQ(column_names(table), (std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node",
                                                           "Nominated Node", "Readiness Gates"}));
  std::vector<int> priorities;
  for (const auto& c : table["columnDefinitions"]) {
    priorities.push_back(c["priority"]);
    EXPECT_EQ(c["type"], "string");
    EXPECT_FALSE(c["description"].get<std::string>().empty());
  }
  EXPECT_EQ(priorities, (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(table["columnDefinitions"][0]["format"], "name");
  ASSERT_EQ(table["rows"].size(), 1u);
  EXPECT_EQ(table["rows"][0]["cells"], Json::parse(R"(["my-nginx-7d9c-x2k4f","1/1","Running","0","6s",
                                                      "10.244.1.11","kind-worker","<none>","<none>"])"));
  const Json& obj = table["rows"][0]["object"];
  EXPECT_EQ(obj["kind"], "PartialObjectMetadata");
  EXPECT_EQ(obj["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(obj["metadata"]["namespace"], "default");
  EXPECT_EQ(obj["metadata"]["labels"]["run"], "my-nginx");
  EXPECT_EQ(obj["metadata"]["resourceVersion"], "1033");
  EXPECT_FALSE(obj.contains("spec"));
  EXPECT_FALSE(table["rows"][0].contains("conditions"));
}

TEST(Table, IncludeObjectAndVersions) {
  api::TableOptions opts;
  opts.version = "v1beta1";
  opts.include = api::IncludeObject::Object;
  Json p = pod("web");
  p.erase("kind");  // list items come without their kind
  Json table = api::make_table("Pod", Json::array({p}), "7", opts, kNow);
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1beta1");
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "Pod");
  EXPECT_EQ(table["rows"][0]["object"]["spec"]["nodeName"], "kind-worker");
  opts.include = api::IncludeObject::None;
  EXPECT_TRUE(api::make_table("Pod", Json::array({p}), "7", opts, kNow)["rows"][0]["object"].is_null());
  opts.include = api::IncludeObject::Metadata;
  EXPECT_EQ(api::make_table("Pod", Json::array({p}), "7", opts, kNow)["rows"][0]["object"]["apiVersion"],
            "meta.k8s.io/v1beta1");
  // One object: a one-row Table carrying the object's resourceVersion.
  Json one = api::make_object_table("Pod", pod("web"), {}, kNow);
  EXPECT_EQ(one["rows"].size(), 1u);
  EXPECT_EQ(one["metadata"]["resourceVersion"], "1033");
  EXPECT_TRUE(api::make_table("Pod", Json::array(), "9", {}, kNow)["rows"].empty());
}

TEST(Table, FinishedPodsCarryTheCompletedCondition) {
  Json p = pod("job");
  p["status"]["phase"] = "Succeeded";
  p["status"]["containerStatuses"][0]["state"] = {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};
  Json row = api::make_table("Pod", Json::array({p}), "1", {}, kNow)["rows"][0];
  EXPECT_EQ(row["cells"][2], "Completed");
  EXPECT_EQ(row["conditions"][0]["type"], "Completed");
  EXPECT_EQ(row["conditions"][0]["reason"], "Succeeded");
}

TEST(Table, IntegerCellsWhereKubernetesHasThem) {
  Json rs = {{"metadata", {{"name", "my-nginx-5b56ccd65f"}, {"creationTimestamp", "2026-11-26T09:40:00Z"}}},
             {"spec", {{"replicas", 2}}},
             {"status", {{"replicas", 2}, {"readyReplicas", 1}}}};
  Json cells = api::table_cells("ReplicaSet", rs, true, kNow);
  EXPECT_EQ(cells[1], 2);
  EXPECT_EQ(cells[3], 1);
  EXPECT_EQ(api::table_columns("ReplicaSet")[1].type, "integer");
  Json secret = {{"metadata", {{"name", "nginxsecret"}, {"creationTimestamp", "2026-11-26T09:40:30Z"}}},
                 {"type", "kubernetes.io/tls"},
                 {"data", {{"tls.crt", "x"}, {"tls.key", "y"}}}};
  EXPECT_EQ(api::table_cells("Secret", secret, true, kNow), Json::parse(R"(["nginxsecret","kubernetes.io/tls",2,"3s"])"));
  Json d = {{"metadata", {{"name", "my-nginx"}, {"creationTimestamp", "2026-11-26T09:40:00Z"}}},
            {"spec", {{"replicas", 2}}},
            {"status", {{"readyReplicas", 2}, {"updatedReplicas", 2}, {"availableReplicas", 2}}}};
  EXPECT_EQ(api::table_cells("Deployment", d, false, kNow), Json::parse(R"(["my-nginx","2/2",2,2,"33s"])"));
}

TEST(Table, NamespacesAndKindsWithoutAPrinter) {
  Json ns = {{"metadata", {{"name", "kube-system"}, {"creationTimestamp", "2026-11-26T09:00:33Z"}}},
             {"status", {{"phase", "Active"}}}};
  Json t = api::make_table("Namespace", Json::array({ns}), "3", {}, kNow);
  EXPECT_EQ(column_names(t), (std::vector<std::string>{"Name", "Status", "Age"}));
  EXPECT_EQ(t["rows"][0]["cells"], Json::parse(R"(["kube-system","Active","40m"])"));
  // The apiserver's default convertor: Name and Created At (a date, RFC 3339 in UTC).
  Json other = {{"metadata", {{"name", "default"}, {"creationTimestamp", "2026-11-26T11:00:33+02:00"}}}};
  Json d = api::make_table("PodTemplate", Json::array({other}), "3", {}, kNow);
  EXPECT_EQ(column_names(d), (std::vector<std::string>{"Name", "Created At"}));
  EXPECT_EQ(d["columnDefinitions"][1]["type"], "date");
  EXPECT_EQ(d["rows"][0]["cells"], Json::parse(R"(["default","2026-11-26T09:00:33Z"])"));
}

TEST(Table, LeasesShowTheirHolder) {
  Json lease = {{"metadata", {{"name", "node-1"}, {"creationTimestamp", "2026-11-26T09:00:33Z"}}},
                {"spec", {{"holderIdentity", "node-1"}, {"leaseDurationSeconds", 40}}}};
  Json t = api::make_table("Lease", Json::array({lease}), "3", {}, kNow);
  EXPECT_EQ(column_names(t), (std::vector<std::string>{"Name", "Holder", "Age"}));
  EXPECT_EQ(t["rows"][0]["cells"], Json::parse(R"(["node-1","node-1","40m"])"));
  lease["spec"].erase("holderIdentity");  // a lease nobody holds
  EXPECT_EQ(api::table_cells("Lease", lease, false, kNow), Json::parse(R"(["node-1","","40m"])"));
}

TEST(Table, EndpointsAndServiceAccounts) {
  Json ep = Json::parse(R"({"metadata": {"name": "my-nginx", "creationTimestamp": "2026-11-26T09:40:30Z"},
    "subsets": [{"addresses": [{"ip": "10.244.2.5"}, {"ip": "10.244.3.4"}],
                 "ports": [{"port": 80}, {"name": "https", "port": 443}]}]})");
  EXPECT_EQ(api::table_cells("Endpoints", ep, true, kNow),
            Json::parse(R"(["my-nginx","10.244.2.5:80,10.244.3.4:80,10.244.2.5:443 + 1 more...","3s"])"));
  ep["subsets"] = Json::parse(R"([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 53}]}, {"addresses": [{"ip": "10.0.0.9"}]}])");
  EXPECT_EQ(api::table_cells("Endpoints", ep, true, kNow)[1], "[fd00::1]:53,10.0.0.9");
  ep.erase("subsets");
  EXPECT_EQ(api::table_cells("Endpoints", ep, true, kNow)[1], "<none>");
  Json sa = {{"metadata", {{"name", "default"}, {"creationTimestamp", "2026-11-26T09:40:30Z"}}}};
  EXPECT_EQ(api::table_cells("ServiceAccount", sa, true, kNow), Json::parse(R"(["default",0,"3s"])"));
}

TEST(Table, StrangeObjectsNeverThrow) {
  for (const char* kind : {"Pod", "Node", "Deployment", "ReplicaSet", "Service", "EndpointSlice", "Event", "Secret",
                           "ConfigMap", "Namespace", "Endpoints", "ServiceAccount", "Other"})
    for (const Json& obj : {Json(), Json(3), Json::array(), Json::parse(R"({"metadata":7,"spec":[],"status":"x"})"),
                            Json::parse(R"({"spec":{"containers":{"a":1},"ports":[7,{"port":"x"}]},
                                            "status":{"containerStatuses":[null,{"state":3}],"conditions":"x"}})")}) {
      Json t;
      EXPECT_NO_THROW(t = api::make_table(kind, Json::array({obj}), "1", {}, kNow)) << kind << obj;
      EXPECT_EQ(t["rows"][0]["cells"].size(), t["columnDefinitions"].size()) << kind;
    }
}

// kubectl's layout of a server's Table.
Json two_pods() {
  return api::make_table("Pod", Json::array({pod("web-1"), pod("dns-1", "kube-system")}), "10", {}, kNow);
}

TEST(PrintTable, HidesWideColumnsUnlessAsked) {
  EXPECT_EQ(cli::print_table(two_pods(), {}),
            "NAME    READY   STATUS    RESTARTS   AGE\n"
            "web-1   1/1     Running   0          6s\n"
            "dns-1   1/1     Running   0          6s\n");
  EXPECT_EQ(cli::print_table(two_pods(), {.wide = true, .headers = false}),
            "web-1   1/1   Running   0     6s    10.244.1.11   kind-worker   <none>   <none>\n"
            "dns-1   1/1   Running   0     6s    10.244.1.11   kind-worker   <none>   <none>\n");
  EXPECT_EQ(cli::print_table(api::make_table("Pod", Json::array(), "1", {}, kNow), {}), "");
}

TEST(PrintTable, NamespaceAndLabelsFromRowObjects) {
  EXPECT_EQ(cli::print_table(two_pods(), {.namespace_column = true, .show_labels = true}),
            "NAMESPACE     NAME    READY   STATUS    RESTARTS   AGE   LABELS\n"
            "default       web-1   1/1     Running   0          6s    app=web,run=my-nginx\n"
            "kube-system   dns-1   1/1     Running   0          6s    app=web,run=my-nginx\n");
}

TEST(PrintTable, CellsAsKubectlPrintsThem) {
  Json table = {{"columnDefinitions", {{{"name", "Name"}, {"priority", 0}}, {{"name", "Count"}, {"priority", 0}},
                                       {{"name", "Message"}, {"priority", 0}}}},
                {"rows", {{{"cells", {"a", 3, "first line\nsecond"}}}, {{"cells", {"b", 2.5, nullptr}}}}}};
  EXPECT_EQ(cli::print_table(table, {}),
            "NAME   COUNT   MESSAGE\n"
            "a      3       first line...\n"
            "b      2.5     <nil>\n");
}

TEST(TablePrinter, HeaderOnceThenRowsAlone) {
  cli::TablePrinter printer({});
  EXPECT_EQ(printer.print(two_pods()),
            "NAME    READY   STATUS    RESTARTS   AGE\n"
            "web-1   1/1     Running   0          6s\n"
            "dns-1   1/1     Running   0          6s\n");
  // A watch event: the same columns (or none at all) print only the row.
  Json event = api::make_object_table("Pod", pod("web-2"), {}, kNow);
  EXPECT_EQ(printer.print(event), "web-2   1/1   Running   0     6s\n");
  event["columnDefinitions"] = Json::array();
  EXPECT_EQ(printer.print(event), "web-2   1/1   Running   0     6s\n");
}

TEST(TablePrinter, AnEmptyFirstListPrintsTheHeaderWithTheFirstEvent) {
  cli::TablePrinter printer({});
  EXPECT_EQ(printer.print(api::make_table("Pod", Json::array(), "1", {}, kNow)), "");
  EXPECT_EQ(printer.print(api::make_object_table("Pod", pod("web-2"), {}, kNow)),
            "NAME    READY   STATUS    RESTARTS   AGE\n"
            "web-2   1/1     Running   0          6s\n");
}

}  // namespace
}  // namespace lab
