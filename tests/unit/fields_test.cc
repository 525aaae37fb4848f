// Field selectors as the API's fieldSelector takes them: apimachinery's grammar and escapes, the
// API server's field labels per kind and its words for the ones a kind does not offer.
#include <gtest/gtest.h>

#include "lab/api/fields.h"

using lab::api::FieldSelector;
using Json = nlohmann::json;

namespace {

std::string error_of(const std::string& text, const std::string& kind = "Pod") {
  auto sel = FieldSelector::parse(text, kind);
  return sel ? "(no error)" : sel.error().message;
}

const Json kPod = Json::parse(R"({
  "metadata": {"name": "web-1", "namespace": "default"},
  "spec": {"nodeName": "node-2", "restartPolicy": "Always"},
  "status": {"phase": "Running", "podIPs": [{"ip": "10.244.2.5"}]}})");

bool pod_matches(const std::string& text) {
  auto sel = FieldSelector::parse(text, "Pod");
  EXPECT_TRUE(sel) << text << ": " << (sel ? "" : sel.error().message);
  return sel && sel->matches(kPod);
}

}  // namespace

TEST(FieldSelector, PodFields) {
  EXPECT_TRUE(pod_matches(""));
  EXPECT_TRUE(pod_matches("metadata.name=web-1"));
  EXPECT_TRUE(pod_matches("metadata.name==web-1,metadata.namespace=default"));
  EXPECT_FALSE(pod_matches("metadata.name!=web-1"));
  EXPECT_TRUE(pod_matches("spec.nodeName=node-2,status.phase!=Pending"));
  EXPECT_FALSE(pod_matches("spec.nodeName=node-1"));
  EXPECT_TRUE(pod_matches("spec.host=node-2"));  // old clients' name for spec.nodeName
  EXPECT_TRUE(pod_matches("status.podIP=10.244.2.5"));
  EXPECT_TRUE(pod_matches("spec.hostNetwork=false"));  // unset reads as false, as GetAttrs sets it
  EXPECT_TRUE(pod_matches("spec.serviceAccountName="));
  EXPECT_TRUE(pod_matches(",metadata.name=web-1,"));  // empty terms are skipped
}

TEST(FieldSelector, UnsupportedFieldsWithApiServerWords) {
  EXPECT_EQ(error_of("spec.containers=x"), "field label not supported: spec.containers");
  EXPECT_EQ(FieldSelector::parse("spec.x=1", "Pod").error().reason, lab::Reason::BadRequest);
  EXPECT_EQ(error_of("metadata.namespace=x", "Node"), "field label not supported: metadata.namespace");
  EXPECT_EQ(error_of("spec.type=NodePort", "Service"), "(no error)");
  EXPECT_EQ(error_of("spec.replicas=2", "Deployment"),
            "\"spec.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
  EXPECT_EQ(error_of("metadata.name=x", "EndpointSlice"), "(no error)");
}

TEST(FieldSelector, GrammarAndEscapes) {
  EXPECT_EQ(error_of("!!!"), "invalid selector: '!!!'; can't understand '!!!'");
  EXPECT_EQ(error_of("metadata.name"), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  EXPECT_EQ(error_of("metadata.name=a=b"), "invalid field selector: unescaped character in value: 61");
  EXPECT_EQ(error_of("metadata.name=a\\b"), "invalid field selector: invalid escape sequence: \\b");
  EXPECT_EQ(error_of("metadata.name=a\\"), "invalid field selector: invalid escape sequence: \\");
  auto sel = FieldSelector::parse("metadata.name=a\\,b\\=c", "Pod");
  ASSERT_TRUE(sel);
  ASSERT_EQ(sel->terms().size(), 1u);
  EXPECT_EQ(sel->terms()[0].value, "a,b=c");
  EXPECT_TRUE(sel->matches(Json{{"metadata", {{"name", "a,b=c"}}}}));
  // A term whose value is not valid is refused even when another term comes first.
  EXPECT_EQ(error_of("metadata.name=x,nope=1"), "field label not supported: nope");
}

TEST(FieldSelector, OtherKinds) {
  auto svc = FieldSelector::parse("spec.type=LoadBalancer", "Service");
  ASSERT_TRUE(svc);
  EXPECT_TRUE(svc->matches(Json{{"spec", {{"type", "LoadBalancer"}}}}));
  EXPECT_FALSE(svc->matches(Json{{"spec", {{"type", "ClusterIP"}}}}));
  auto node = FieldSelector::parse("spec.unschedulable=false", "Node");
  ASSERT_TRUE(node);
  EXPECT_TRUE(node->matches(Json{{"metadata", {{"name", "node-1"}}}}));
  auto ev = FieldSelector::parse("involvedObject.kind=Pod,source=kubelet", "Event");
  ASSERT_TRUE(ev);
  EXPECT_TRUE(ev->matches(Json{{"involvedObject", {{"kind", "Pod"}}}, {"source", {{"component", "kubelet"}}}}));
  EXPECT_TRUE(ev->matches(Json{{"involvedObject", {{"kind", "Pod"}}}, {"reportingComponent", "kubelet"}}));
  // Objects of any shape are read without throwing.
  EXPECT_FALSE(svc->matches(Json("text")));
  EXPECT_FALSE(svc->matches(Json{{"spec", 5}}));
}
