// How the API server encodes what a GET reads: the object or List as JSON, or a meta.k8s.io Table
// (lab/api/table.h) when the Accept header asks for `as=Table` (kubectl's human-readable get), and
// the objects of watch events the same way. The decision is the request's; the printing is the API
// layer's, so lab/server only chooses.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/api/table.h"
#include "lab/server/http.h"
#include "lab/store/store.h"

namespace lab::server {

struct GetEncoding {
  std::optional<api::TableOptions> table;  // nullopt: plain JSON
};
// From the request's Accept and includeObject; else the Status answer that refuses the request:
// 406 NotAcceptable (as the apiserver words it) when the Accept names nothing the server can
// produce, 400 when includeObject is not one of its values.
std::expected<GetEncoding, HttpResponse> get_encoding(const HttpRequest& req);

// The body of a list GET: `{kind}List` with the items, or their Table, written from the store's
// shared copies (a list of a thousand pods copied first was half the answer's time); `meta` is the
// list's metadata (resourceVersion, and continue and remainingItemCount on a page).
std::string encode_list(const GetEncoding& enc, const std::string& kind, const std::string& api_version,
                        const std::vector<store::ObjPtr>& items, const nlohmann::json& meta);
// The body of an object GET: the object, or its one-row Table.
nlohmann::json encode_object(const GetEncoding& enc, const std::string& kind, nlohmann::json obj);
// A watch event's line, {"type":...,"object":...} and a newline: the object (written from the
// store's shared copy, not copied), or its one-row Table when enc asks for Tables.
std::string watch_event_line(const GetEncoding& enc, const std::string& kind, const std::string& type,
                             const nlohmann::json& obj);

}  // namespace lab::server
