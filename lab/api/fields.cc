// Field selectors: k8s.io/apimachinery/pkg/fields/selector.go's parser (terms split on unescaped
// commas, sorted, each split at its first `!=`, `==` or `=`), then the API server's field label
// conversion for the kind (pkg/apis/core/v1/conversion.go), then matching against the fields the
// kind's registry strategy offers (GetAttrs / ToSelectableFields).
#include "lab/api/fields.h"

#include <algorithm>

namespace lab::api {
namespace {

using nlohmann::json;

std::unexpected<Error> bad(std::string message) { return fail_api(Reason::BadRequest, std::move(message)); }

// splitTerms: commas split terms unless escaped ("a=x\,y" is one term).
std::vector<std::string> split_terms(std::string_view s) {
  std::vector<std::string> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (slash) slash = false;
    else if (s[i] == '\\') slash = true;
    else if (s[i] == ',') {
      terms.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(s.substr(start));
  return terms;
}

// UnescapeValue: `\\`, `\,` and `\=` are the only escapes; a bare `,` or `=` is refused.
Result<std::string> unescape(std::string_view s) {
  std::string out;
  bool slash = false;
  for (char c : s) {
    if (slash) {
      if (c != '\\' && c != ',' && c != '=')
        return bad(std::string("invalid field selector: invalid escape sequence: \\") + c);
      out += c;
      slash = false;
    } else if (c == '\\') {
      slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune as a number here (%v of a rune).
      return bad("invalid field selector: unescaped character in value: " + std::to_string(static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (slash) return bad("invalid field selector: invalid escape sequence: \\");
  return out;
}

// The field labels each kind's conversion function accepts; a kind without one takes only the
// object metadata, with another message (runtime.DefaultMetaV1FieldSelectorConversion).
struct KindFields {
  std::string_view kind;
  std::vector<std::string_view> fields;
};
const KindFields kKindFields[] = {
    {"Pod",
     {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
      "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
      "status.nominatedNodeName", "spec.host"}},
    {"Node", {"metadata.name", "spec.unschedulable"}},
    {"Event",
     {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
      "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
      "reportingComponent", "source", "type", "metadata.namespace", "metadata.name"}},
    {"Service", {"metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"}},
    {"Secret", {"type", "metadata.namespace", "metadata.name"}},
};

Result<std::string> convert_label(const std::string& kind, const std::string& label) {
  for (const KindFields& k : kKindFields) {
    if (k.kind != kind) continue;
    if (std::find(k.fields.begin(), k.fields.end(), label) == k.fields.end())
      return bad("field label not supported: " + label);
    return label == "spec.host" ? std::string("spec.nodeName") : label;  // old clients' name for it
  }
  if (label == "metadata.name" || label == "metadata.namespace") return label;
  return bad(json(label).dump(-1, ' ', false, json::error_handler_t::replace) +
             " is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
}

// A field as Go's fields.Set holds it: strings as they are, booleans and numbers in Go's
// formatting, absent as "".
std::string text_at(const json& object, std::string_view dotted, const char* absent = "") {
  const json* v = &object;
  for (size_t start = 0; start <= dotted.size();) {
    const size_t dot = dotted.find('.', start);
    const std::string key(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!v->is_object() || !v->contains(key)) return absent;
    v = &(*v)[key];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_integer()) return v->dump();
  return absent;
}

}  // namespace

std::string selectable_field(const std::string& kind, const json& object, const std::string& field) {
  if (kind == "Pod") {
    if (field == "spec.hostNetwork") return text_at(object, field, "false");
    if (field == "status.podIP") {  // the first of status.podIPs, as the strategy reads it
      const json* status = object.is_object() && object.contains("status") ? &object["status"] : nullptr;
      if (status && status->is_object() && status->contains("podIPs") && (*status)["podIPs"].is_array() &&
          !(*status)["podIPs"].empty())
        return text_at((*status)["podIPs"][0], "ip");
      return text_at(object, field);
    }
    if (field == "status.podIPs") return "";  // accepted by the conversion, never set by the strategy
  }
  if (kind == "Node" && field == "spec.unschedulable") return text_at(object, field, "false");
  if (kind == "Event") {
    if (field == "reportingComponent") return text_at(object, "reportingComponent");
    if (field == "source") {
      std::string source = text_at(object, "source.component");
      return source.empty() ? text_at(object, "reportingComponent") : source;
    }
  }
  return text_at(object, field);
}

Result<FieldSelector> FieldSelector::parse(std::string_view text, const std::string& kind) {
  FieldSelector sel;
  sel.kind_ = kind;
  std::vector<std::string> parts = split_terms(text);
  std::sort(parts.begin(), parts.end());
  for (const std::string& part : parts) {
    if (part.empty()) continue;
    // splitTerm: the first position where `!=`, `==` or `=` starts (in that order of preference).
    size_t at = std::string::npos, len = 0;
    bool equal = true;
    for (size_t i = 0; i < part.size() && at == std::string::npos; ++i) {
      if (part.compare(i, 2, "!=") == 0) at = i, len = 2, equal = false;
      else if (part.compare(i, 2, "==") == 0) at = i, len = 2;
      else if (part[i] == '=') at = i, len = 1;
    }
    if (at == std::string::npos)
      return bad("invalid selector: '" + std::string(text) + "'; can't understand '" + part + "'");
    auto value = unescape(std::string_view(part).substr(at + len));
    if (!value) return std::unexpected(value.error());
    sel.terms_.push_back({part.substr(0, at), std::move(*value), equal});
  }
  // The conversion runs after the whole selector parsed, as ListResource transforms it.
  for (FieldTerm& t : sel.terms_) {
    auto field = convert_label(kind, t.field);
    if (!field) return std::unexpected(field.error());
    t.field = std::move(*field);
  }
  return sel;
}

bool FieldSelector::matches(const json& object) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const FieldTerm& t) {
    return (selectable_field(kind_, object, t.field) == t.value) == t.equal;
  });
}

}  // namespace lab::api
