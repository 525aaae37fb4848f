// Table or JSON for GETs and watch events (see get_encoding.h). Ages in a Table are computed here,
// at response time: a Table is never re-aged by its client.
#include "lab/server/get_encoding.h"

#include "lab/server/api_server.h"

namespace lab::server {

using Json = nlohmann::json;

std::expected<GetEncoding, HttpResponse> get_encoding(const HttpRequest& req) {
  auto format = api::negotiate_format(req.header("accept"));
  if (!format) {
    constexpr int kNotAcceptable = 406;
    return std::unexpected(HttpResponse{
        kNotAcceptable, status_object(kNotAcceptable, "NotAcceptable",
                                      "only the following media types are accepted: application/json")
                            .dump()});
  }
  GetEncoding enc;
  if (!format->table) return enc;
  auto it = req.query.find("includeObject");
  auto include = api::parse_include_object(it == req.query.end() ? "" : it->second);
  if (!include) return std::unexpected(error_status(include.error()));
  enc.table = api::TableOptions{format->table_version, *include, /*wide=*/true};
  return enc;
}

std::string encode_list(const GetEncoding& enc, const std::string& kind, const std::string& api_version,
                        const std::vector<store::ObjPtr>& items, const Json& meta) {
  auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  if (enc.table) {
    std::vector<const Json*> objects;
    objects.reserve(items.size());
    for (const auto& obj : items) objects.push_back(obj.get());
    Json table = api::make_table(kind, objects, "", *enc.table, api::Clock::now());
    table["metadata"] = meta;
    return dump(table);
  }
  // The keys in the order a Json object would dump them.
  std::string body = "{\"apiVersion\":" + dump(Json(api_version)) + ",\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body += ',';
    body += dump(*items[i]);
  }
  body += "],\"kind\":" + dump(Json(kind + "List")) + ",\"metadata\":" + dump(meta) + "}";
  return body;
}

Json encode_object(const GetEncoding& enc, const std::string& kind, Json obj) {
  if (enc.table) return api::make_object_table(kind, obj, *enc.table, api::Clock::now());
  return obj;
}

std::string watch_event_line(const GetEncoding& enc, const std::string& kind, const std::string& type,
                             const Json& obj) {
  auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  std::string line = "{\"type\":" + dump(Json(type)) + ",\"object\":";
  line += enc.table ? dump(api::make_object_table(kind, obj, *enc.table, api::Clock::now())) : dump(obj);
  line += "}\n";
  return line;
}

}  // namespace lab::server
