// The protobuf decoder of request bodies: libprotobuf parses, reflection checks that nothing was
// left unknown, and a reflection walk writes the object in the shape the JSON API has: what Go's
// JSON encoder would have written for the same Go object (zero non-pointer fields omitted,
// timestamps as RFC 3339, int64s as numbers, bytes as base64, int-or-strings and quantities as
// scalars).
#include "lab/server/protobuf_body.h"

#include <memory>
#include <string>

#include "k8s.pb.h"
#include "lab/base/base64.h"
#include "lab/base/clock.h"

namespace lab::server {

using Json = nlohmann::json;
namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

namespace {

constexpr std::string_view kMagic{"k8s\0", 4};

// The name of the first field the message (or one of its set submessages) did not know.
std::string unknown_field(const pb::Message& msg) {
  const pb::Reflection* r = msg.GetReflection();
  const pb::UnknownFieldSet& unknown = r->GetUnknownFields(msg);
  if (!unknown.empty())
    return msg.GetDescriptor()->name() + " field " + std::to_string(unknown.field(0).number());
  std::vector<const FD*> fields;
  r->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != FD::CPPTYPE_MESSAGE) continue;
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
  if (api_version == "apps/v1" && kind == "Deployment") return std::make_unique<lab::k8s::Deployment>();
  if (api_version == "authorization.k8s.io/v1" && kind == "SelfSubjectAccessReview")
    return std::make_unique<lab::k8s::SelfSubjectAccessReview>();
  if (api_version == "authentication.k8s.io/v1" && kind == "SelfSubjectReview")
    return std::make_unique<lab::k8s::SelfSubjectReview>();
  if (api_version == "policy/v1" && kind == "Eviction") return std::make_unique<lab::k8s::Eviction>();
  if ((api_version == "v1" || api_version == "meta.k8s.io/v1") && kind == "DeleteOptions")
    return std::make_unique<lab::k8s::DeleteOptions>();
  if (api_version != "v1") return nullptr;
  if (kind == "Secret") return std::make_unique<lab::k8s::Secret>();
  if (kind == "ConfigMap") return std::make_unique<lab::k8s::ConfigMap>();
  if (kind == "Namespace") return std::make_unique<lab::k8s::Namespace>();
  if (kind == "ServiceAccount") return std::make_unique<lab::k8s::ServiceAccount>();
  if (kind == "Service") return std::make_unique<lab::k8s::Service>();
  return nullptr;
}

Json message_json(const pb::Message& msg);

// One scalar or message value of field f (element i of a repeated field, or -1).
Json value_json(const pb::Message& msg, const FD* f, int i) {
  const pb::Reflection* r = msg.GetReflection();
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: return rep ? r->GetRepeatedInt32(msg, f, i) : r->GetInt32(msg, f);
    case FD::CPPTYPE_INT64: return rep ? r->GetRepeatedInt64(msg, f, i) : r->GetInt64(msg, f);
    case FD::CPPTYPE_UINT32: return rep ? r->GetRepeatedUInt32(msg, f, i) : r->GetUInt32(msg, f);
    case FD::CPPTYPE_UINT64: return rep ? r->GetRepeatedUInt64(msg, f, i) : r->GetUInt64(msg, f);
    case FD::CPPTYPE_BOOL: return rep ? r->GetRepeatedBool(msg, f, i) : r->GetBool(msg, f);
    case FD::CPPTYPE_DOUBLE: return rep ? r->GetRepeatedDouble(msg, f, i) : r->GetDouble(msg, f);
    case FD::CPPTYPE_FLOAT: return rep ? r->GetRepeatedFloat(msg, f, i) : r->GetFloat(msg, f);
    case FD::CPPTYPE_ENUM: return rep ? r->GetRepeatedEnumValue(msg, f, i) : r->GetEnumValue(msg, f);
    case FD::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(msg, f, i) : r->GetString(msg, f);
      return f->type() == FD::TYPE_BYTES ? Json(base64_encode(s)) : Json(std::move(s));
    }
    case FD::CPPTYPE_MESSAGE: return message_json(rep ? r->GetRepeatedMessage(msg, f, i) : r->GetMessage(msg, f));
  }
  return nullptr;
}

bool is_zero(const Json& v) {
  return (v.is_string() && v.get_ref<const std::string&>().empty()) || (v.is_boolean() && !v.get<bool>()) ||
         (v.is_number() && v == 0) || v.is_null();
}

Json message_json(const pb::Message& msg) {
  const pb::Descriptor* d = msg.GetDescriptor();
  const pb::Reflection* r = msg.GetReflection();
  if (d->full_name() == "lab.k8s.IntOrString") {
    const auto& v = static_cast<const lab::k8s::IntOrString&>(msg);
    return v.type() == 1 ? Json(v.strval()) : Json(v.intval());
  }
  if (d->full_name() == "lab.k8s.Quantity") return static_cast<const lab::k8s::Quantity&>(msg).string();
  if (d->full_name() == "lab.k8s.Time") {
    const auto seconds = static_cast<const lab::k8s::Time&>(msg).seconds();
    return seconds == 0 ? Json(nullptr) : Json(rfc3339(static_cast<std::time_t>(seconds)));
  }
  Json out = Json::object();
  std::vector<const FD*> fields;
  r->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->is_map()) {
      Json m = Json::object();
      const FD* key = f->message_type()->map_key();
      const FD* value = f->message_type()->map_value();
      for (int i = 0; i < r->FieldSize(msg, f); ++i) {
        const pb::Message& entry = r->GetRepeatedMessage(msg, f, i);
        m[entry.GetReflection()->GetString(entry, key)] = value_json(entry, value, -1);
      }
      out[f->name()] = std::move(m);
    } else if (f->is_repeated()) {
      Json a = Json::array();
      for (int i = 0; i < r->FieldSize(msg, f); ++i) a.push_back(value_json(msg, f, i));
      out[f->name()] = std::move(a);
    } else {
      Json v = value_json(msg, f, -1);
      // A set message stays (Go writes a struct's {} too), but not a zero time (null in Go).
      if (v.is_null() || (f->cpp_type() != FD::CPPTYPE_MESSAGE && is_zero(v) &&
                          !f->options().GetExtension(lab::k8s::pointer)))
        continue;
      out[f->name()] = std::move(v);
    }
  }
  return out;
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
                    "ServiceAccount, Service, DeleteOptions, apps/v1 Deployment, policy/v1 Eviction, "
                    "authentication.k8s.io/v1 TokenRequest and the self reviews, not " +
                        (api_version.empty() ? "" : api_version + " ") + kind + ")");
  if (!msg->ParseFromString(envelope.raw()))
    return fail_api(Reason::BadRequest, "the body of the request was in an unknown format: malformed " + kind);
  if (std::string u = unknown_field(*msg); !u.empty())
    return fail_api(Reason::UnsupportedMediaType, "the body of the request holds a protobuf field the lab does not decode (" +
                                                      u + "): send it as application/json");
  Json obj = message_json(*msg);
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  if (!obj.contains("metadata")) obj["metadata"] = Json::object();
  return obj;
}

}  // namespace lab::server
