// The protobuf decoder of request bodies: libprotobuf parses, reflection checks that nothing was
// left unknown, and JsonFormat prints the object, which is then brought to the shape the JSON API
// has (timestamps as RFC 3339, int64 as numbers, empty strings as absent fields).
#include "lab/server/protobuf_body.h"

#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>

#include "k8s.pb.h"
#include "lab/base/clock.h"
#include "lab/base/parse.h"

namespace lab::server {

using Json = nlohmann::json;
namespace pb = google::protobuf;

namespace {

constexpr std::string_view kMagic{"k8s\0", 4};

// The name of the first field the message (or one of its set submessages) did not know.
std::string unknown_field(const pb::Message& msg) {
  const pb::Reflection* r = msg.GetReflection();
  const pb::UnknownFieldSet& unknown = r->GetUnknownFields(msg);
  if (!unknown.empty())
    return msg.GetDescriptor()->name() + " field " + std::to_string(unknown.field(0).number());
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(msg, f); ++i)
        if (auto u = unknown_field(r->GetRepeatedMessage(msg, f, i)); !u.empty()) return u;
    } else if (auto u = unknown_field(r->GetMessage(msg, f)); !u.empty()) {
      return u;
    }
  }
  return {};
}

std::unique_ptr<pb::Message> message_for(const std::string& api_version, const std::string& kind) {
  if (api_version == "authentication.k8s.io/v1" && kind == "TokenRequest")
    return std::make_unique<lab::k8s::TokenRequest>();
  if (api_version != "v1") return nullptr;
  if (kind == "Secret") return std::make_unique<lab::k8s::Secret>();
  if (kind == "ConfigMap") return std::make_unique<lab::k8s::ConfigMap>();
  if (kind == "Namespace") return std::make_unique<lab::k8s::Namespace>();
  if (kind == "ServiceAccount") return std::make_unique<lab::k8s::ServiceAccount>();
  return nullptr;
}

// JsonFormat's metadata in the API's shape. A Time is {seconds, nanos}; int64s are strings.
Result<void> normalize_metadata(Json& meta) {
  if (!meta.is_object()) return {};
  for (const char* t : {"creationTimestamp", "deletionTimestamp"}) {
    auto it = meta.find(t);
    if (it == meta.end()) continue;
    int64_t seconds = 0;
    if (auto s = it->find("seconds"); it->is_object() && s != it->end() && s->is_string())
      if (auto v = parse_number<int64_t>(s->get<std::string>()); v) seconds = *v;
    if (seconds == 0) meta.erase(it);
    else *it = rfc3339(static_cast<std::time_t>(seconds));
  }
  for (const char* n : {"generation", "deletionGracePeriodSeconds"}) {
    auto it = meta.find(n);
    if (it == meta.end() || !it->is_string()) continue;
    auto v = parse_number<int64_t>(it->get<std::string>());
    if (!v) return fail_api(Reason::BadRequest, std::string("metadata.") + n + ": " + v.error().message);
    if (*v == 0) meta.erase(it);
    else *it = *v;
  }
  for (auto it = meta.begin(); it != meta.end();) {
    if (it->is_string() && it->get_ref<const std::string&>().empty()) it = meta.erase(it);
    else ++it;
  }
  return {};
}

}  // namespace

Result<Json> decode_protobuf_object(std::string_view body) {
  if (!body.starts_with(kMagic))
    return fail_api(Reason::BadRequest, "the body of the request was in an unknown format: protobuf without the k8s magic");
  body.remove_prefix(kMagic.size());
  lab::k8s::Unknown envelope;
  if (!envelope.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return fail_api(Reason::BadRequest, "the body of the request was in an unknown format: malformed protobuf envelope");
  const std::string& api_version = envelope.typemeta().apiversion();
  const std::string& kind = envelope.typemeta().kind();
  if (!envelope.contentencoding().empty())
    return fail_api(Reason::BadRequest, "the body of the request has a content encoding the lab does not decode: " +
                                            envelope.contentencoding());
  auto msg = message_for(api_version, kind);
  if (!msg)
    return fail_api(Reason::UnsupportedMediaType,
                    "the body of the request was in an unknown format - accepted media types include: "
                    "application/json, application/yaml (protobuf only for v1 Secret, ConfigMap, Namespace, "
                    "ServiceAccount and authentication.k8s.io/v1 TokenRequest, not " + (api_version.empty() ? "" : api_version + " ") + kind + ")");
  if (!msg->ParseFromString(envelope.raw()))
    return fail_api(Reason::BadRequest, "the body of the request was in an unknown format: malformed " + kind);
  if (std::string u = unknown_field(*msg); !u.empty())
    return fail_api(Reason::UnsupportedMediaType, "the body of the request holds a protobuf field the lab does not decode (" +
                                                      u + "): send it as application/json");
  std::string text;
  pb::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  if (auto st = pb::util::MessageToJsonString(*msg, &text, opts); !st.ok())
    return fail_api(Reason::BadRequest, "the body of the request cannot be decoded: " + st.ToString());
  Json obj = Json::parse(text, nullptr, false);
  if (!obj.is_object()) return fail_api(Reason::InternalError, "protobuf decoder produced no object");
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  if (!obj.contains("metadata")) obj["metadata"] = Json::object();
  LAB_TRY(normalize_metadata(obj["metadata"]));
  // JsonFormat writes an int64 as a string; the API's is a number.
  if (auto spec = obj.find("spec"); spec != obj.end() && spec->is_object())
    if (auto exp = spec->find("expirationSeconds"); exp != spec->end() && exp->is_string()) {
      auto v = parse_number<int64_t>(exp->get<std::string>());
      if (!v) return fail_api(Reason::BadRequest, "spec.expirationSeconds: " + v.error().message);
      *exp = *v;
    }
  return obj;
}

}  // namespace lab::server
