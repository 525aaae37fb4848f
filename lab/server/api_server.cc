// Routing of /api/v1/... and /apis/GROUP/VERSION/... to the store, with the API conventions a
// kubectl expects: generation bumps on spec changes, graceful pod deletion, watch event frames.
#include "lab/server/api_server.h"

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

#include "lab/api/fields.h"
#include "lab/api/go_quote.h"
#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/cluster/lab_record.h"
#include "lab/base/log.h"
#include "lab/base/parse.h"
#include "lab/server/discovery.h"
#include "lab/server/namespace_admission.h"
#include "lab/server/pod_logs.h"
#include "lab/server/get_encoding.h"
#include "lab/server/port_forward.h"
#include "lab/server/remote_command.h"
#include "lab/server/request_body.h"
#include "lab/server/scale_subresource.h"
#include "runtime/lab_binaries.h"

namespace lab::server {

using Json = nlohmann::json;

Json status_object(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}};
}

// A message may quote what the client sent (a selector's bytes): replaced where not UTF-8, as Go's
// JSON encoder does, rather than throwing.
HttpResponse status_response(int code, const std::string& reason, const std::string& msg) {
  return {code, status_object(code, reason, msg).dump(-1, ' ', false, Json::error_handler_t::replace)};
}

namespace {


std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

}  // namespace

Route route(const std::string& path) {
  Route r;
  auto parts = split_path(path);
  size_t i;
  std::string group, version;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  } else {
    return r;
  }
  // /api/v1/namespaces/NAME[/status|/finalize] names a Namespace; anything longer is a
  // namespaced path.
  const bool namespace_object = parts[0] == "api" && i < parts.size() && parts[i] == "namespaces" &&
                                (parts.size() == i + 2 || (parts.size() == i + 3 && (parts[i + 2] == "status" || parts[i + 2] == "finalize")));
  if (i + 1 < parts.size() && parts[i] == "namespaces" && !namespace_object) {
    r.ns = parts[i + 1];
    i += 2;
  } else {
    r.cluster_wide = true;
  }
  if (i >= parts.size()) return r;
  auto type = api::find_resource(parts[i]);
  if (!type || type->plural != parts[i] || type->group != group || type->version != version) return r;
  r.type = type;
  if (i + 1 < parts.size()) r.name = parts[i + 1];
  if (i + 2 < parts.size()) r.subresource = parts[i + 2];
  if (!type->namespaced) r.ns.clear();
  r.ok = true;
  return r;
}

namespace {

std::string query(const HttpRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

// labelSelector and fieldSelector of a list, watch or delete-collection, parsed as the API server
// decodes them: one that does not parse (or names a field the kind does not offer) is a 400, never
// "everything".
struct Selectors {
  api::Selector labels;
  api::FieldSelector fields;
  bool matches(const Json& obj) const {
    return labels.matches(api::member(api::metadata_of(obj), "labels")) && fields.matches(obj);
  }
};

Result<Selectors> selectors(const HttpRequest& req, const std::string& kind) {
  Selectors out;
  auto labels = api::Selector::parse(query(req, "labelSelector"));
  if (!labels) return std::unexpected(labels.error());
  auto fields = api::FieldSelector::parse(query(req, "fieldSelector"), kind);
  if (!fields) return std::unexpected(fields.error());
  out.labels = std::move(*labels);
  out.fields = std::move(*fields);
  return out;
}

// What a DeleteOptions object says (a DELETE's body, an Eviction's deleteOptions) over opts.
Result<void> read_delete_options(const Json& body, store::DeleteOptions& opts) {
  if (!body.is_object()) return {};
  if (auto g = body.find("gracePeriodSeconds"); g != body.end() && !g->is_null()) {
    if (!g->is_number_integer() || g->get<int64_t>() < 0 || g->get<int64_t>() > (1 << 30))
      return fail_api(Reason::BadRequest, "gracePeriodSeconds: must be a non-negative integer");
    opts.grace_seconds = g->get<int>();
  }
  if (auto p = body.find("preconditions"); p != body.end() && p->is_object())
    if (auto uid = p->find("uid"); uid != p->end() && uid->is_string()) opts.uid = uid->get<std::string>();
  if (auto d = body.find("dryRun"); d != body.end()) {
    auto dry = dry_run_of(*d);
    if (!dry) return std::unexpected(dry.error());
    opts.dry_run = *dry;
  }
  return {};
}

// gracePeriodSeconds and dryRun of the query over a DeleteOptions object (body: {} for none).
Result<store::DeleteOptions> delete_options(const HttpRequest& req, const Json& body) {
  store::DeleteOptions opts;
  if (std::string g = query(req, "gracePeriodSeconds"); !g.empty()) {
    auto grace = parse_int(g, 0, 1 << 30);
    if (!grace) return fail_api(Reason::BadRequest, "gracePeriodSeconds: " + grace.error().message);
    opts.grace_seconds = *grace;
  }
  LAB_TRY(read_delete_options(body, opts));
  auto w = write_options(req);
  if (!w) return std::unexpected(w.error());
  opts.dry_run = opts.dry_run || w->dry_run;
  return opts;
}

// A DELETE's options: the query, and DeleteOptions in its body (JSON as kubectl delete sends it,
// protobuf from typed clients such as kubectl drain's).
Result<store::DeleteOptions> delete_options(const HttpRequest& req) {
  if (req.body.empty()) return delete_options(req, Json::object());
  auto body = decode_object_body(req);
  if (!body) return std::unexpected(body.error());
  return delete_options(req, *body);
}

// POST pods/NAME/eviction (policy/v1 Eviction, `kubectl drain`): the lab has no
// PodDisruptionBudgets, so every eviction is allowed and is the pod's graceful deletion with the
// Eviction's deleteOptions; answered with the API server's 201 Status.
HttpResponse evict(store::Registry& registry, const Route& r, const HttpRequest& req) {
  if (req.method != "POST")
    return status_response(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  auto eviction = decode_object_body(req);
  if (!eviction) return error_status(eviction.error());
  if (const std::string name = api::string_at(api::metadata_of(*eviction), "name"); !name.empty() && name != r.name)
    return status_response(400, "BadRequest", "name in URL does not match name in Eviction object");
  auto opts = delete_options(req, api::member(*eviction, "deleteOptions"));
  if (!opts) return error_status(opts.error());
  auto removed = registry.remove("Pod", r.ns.empty() ? "default" : r.ns, r.name, *opts);
  if (!removed) return error_status(removed.error());
  return {201, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})"};
}

// Metadata of a body sent to a path: it may leave name and namespace out, but not contradict
// the URL (the API server's checks in rest.BeforeCreate/BeforeUpdate).
Result<void> match_url(Json& obj, const api::ResourceType& type, const std::string& ns, const std::string& name) {
  obj["kind"] = type.kind;
  obj["apiVersion"] = type.api_version();
  if (!obj.contains("metadata") || obj["metadata"].is_null()) obj["metadata"] = Json::object();
  if (!obj["metadata"].is_object()) return fail_api(Reason::BadRequest, "metadata: must be an object");
  Json& meta = obj["metadata"];
  if (type.namespaced) {
    std::string want = ns.empty() ? "default" : ns;
    if (meta.contains("namespace") && !(meta["namespace"].is_string() && (meta["namespace"] == want || meta["namespace"] == "")))
      return fail_api(Reason::BadRequest, "the namespace of the provided object does not match the namespace sent on the request");
    meta["namespace"] = want;
  }
  if (!name.empty()) {
    if (meta.contains("name") && !(meta["name"].is_string() && meta["name"] == name))
      return fail_api(Reason::BadRequest, "the name of the object (" + meta["name"].dump() +
                                              ") does not match the name on the URL (" + name + ")");
    meta["name"] = name;
  }
  return {};
}

HttpResponse ok(int code, const Result<Json>& r) {
  return r ? HttpResponse{code, r->dump(-1, ' ', false, Json::error_handler_t::replace)} : error_status(r.error());
}

}  // namespace

HttpResponse ApiServer::handle(const HttpRequest& req) {
  try {
    return handle_unchecked(req);
  } catch (const std::exception& e) {
    return status_response(500, "InternalError", std::string("Internal error occurred: ") + e.what());
  }
}

HttpResponse ApiServer::handle_unchecked(const HttpRequest& req) {
  // /version, discovery and OpenAPI (lab/server/discovery.h).
  if (auto answer = serve_non_resource(req)) return *answer;
  if (req.path == "/healthz" || req.path == "/readyz") return {200, "ok", "text/plain"};
  Route r = route(req.path);
  if (auto refused = admit_namespace(store_, req, r)) return *refused;
  if (r.ok && r.subresource == "scale" && !r.name.empty() && api::find_subresource(*r.type, "scale"))
    return serve_scale(registry_, *r.type, r.ns, r.name, req);
  if (r.ok && r.type->kind == "Pod" && r.subresource == "eviction" && !r.name.empty()) return evict(registry_, r, req);
  // PUT namespaces/NAME/finalize: spec.finalizers alone (how an owner clears a stuck namespace).
  if (r.ok && r.type->kind == "Namespace" && r.subresource == "finalize" && !r.name.empty()) {
    if (req.method != "PUT")
      return status_response(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    auto obj = decode_object_body(req);
    if (!obj) return error_status(obj.error());
    if (auto m = match_url(*obj, *r.type, "", r.name); !m) return error_status(m.error());
    auto w = write_options(req);
    if (!w) return error_status(w.error());
    return ok(200, registry_.finalize_namespace(std::move(*obj), *w));
  }
  if (!r.ok || (!r.subresource.empty() && r.subresource != "status"))
    return status_response(404, "NotFound", "the server could not find the requested resource");
  const auto& type = *r.type;
  const bool status = r.subresource == "status";

  if (req.method == "GET" && r.name.empty()) return list(type, r.ns, req);
  if (req.method == "GET") {
    // JSON, or the Table kubectl's human-readable get asks for (lab/server/get_encoding.h).
    auto enc = get_encoding(req);
    if (!enc) return enc.error();
    auto obj = store_.get(type.kind, r.ns, r.name);
    return ok(200, obj ? Result<Json>(encode_object(*enc, type.kind, std::move(*obj))) : obj);
  }
  const bool writes = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  auto w = writes ? write_options(req) : store::WriteOptions{};
  if (!w) return error_status(w.error());
  // fieldValidation=Warn: each field dropped is a Warning header, which kubectl prints.
  std::vector<std::string> warnings;
  w->warnings = &warnings;
  auto ok = [&](int code, const Result<Json>& r) {
    HttpResponse resp = server::ok(code, r);
    for (const auto& text : warnings) resp.headers.push_back({"Warning", "299 - " + api::go_quote(text)});
    return resp;
  };
  if (req.method == "POST" && r.name.empty()) {
    auto obj = decode_object_body(req);
    if (!obj) return error_status(obj.error());
    if (auto m = match_url(*obj, type, r.ns, ""); !m) return error_status(m.error());
    return ok(201, registry_.create(std::move(*obj), *w));
  }
  if (req.method == "PUT" && !r.name.empty()) {
    auto obj = decode_object_body(req);
    if (!obj) return error_status(obj.error());
    if (auto m = match_url(*obj, type, r.ns, r.name); !m) return error_status(m.error());
    return ok(200, status ? registry_.update_status(std::move(*obj), *w) : registry_.update(std::move(*obj), *w));
  }
  if (req.method == "PATCH" && !r.name.empty()) {
    auto patch = decode_patch_body(req);
    if (!patch) return error_status(patch.error());
    bool created = false;
    auto patched = registry_.patch(type.kind, type.namespaced ? r.ns : "", r.name, patch->patch, status, patch->type,
                                   &created, *w);
    return ok(created ? 201 : 200, patched);
  }
  if (req.method == "DELETE" && r.name.empty()) {
    // deletecollection: what the selectors match (everything when there are none, as in
    // Kubernetes); the answer lists what was deleted or is now terminating.
    auto sel = selectors(req, type.kind);
    if (!sel) return error_status(sel.error());
    auto opts = delete_options(req);
    if (!opts) return error_status(opts.error());
    Json items = Json::array();
    for (const auto& obj : store_.list(type.kind, r.ns, sel->labels)) {
      if (!sel->fields.matches(obj)) continue;
      const std::string ns = api::string_at(api::metadata_of(obj), "namespace");
      const std::string name = api::string_at(api::metadata_of(obj), "name");
      if (auto removed = registry_.remove(type.kind, type.namespaced ? ns : "", name, *opts)) items.push_back(*removed);
      else if (removed.error().reason != Reason::NotFound) return error_status(removed.error());
    }
    return {200, Json{{"apiVersion", type.api_version()},
                      {"kind", type.kind + "List"},
                      {"metadata", {{"resourceVersion", store_.resource_version()}}},
                      {"items", items}}.dump(-1, ' ', false, Json::error_handler_t::replace)};
  }
  if (req.method == "DELETE" && !r.name.empty() && !status) {
    auto opts = delete_options(req);
    if (!opts) return error_status(opts.error());
    auto removed = registry_.remove(type.kind, type.namespaced ? r.ns : "", r.name, *opts);
    if (!removed) return error_status(removed.error());
    // Still there: a pod's graceful deletion, or an object waiting for its finalizers.
    if (opts->dry_run || store_.get(type.kind, type.namespaced ? r.ns : "", r.name)) return ok(200, removed);
    return {200, Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Success"},
                      {"details", {{"name", r.name}, {"kind", type.plural}, {"uid", (*removed)["metadata"]["uid"]}}}}.dump()};
  }
  return status_response(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

void ApiServer::serve(Connection& conn, const HttpRequest& req, const std::atomic<bool>& stop) try {
  Route r = route(req.path);
  const std::string watching = query(req, "watch");
  if (req.method == "GET" && r.ok && r.name.empty() && (watching == "true" || watching == "1")) {
    watch(conn, r.type->kind, r.ns, req, stop);
    return;
  }
  if (req.method == "GET" && r.ok && r.type->kind == "Pod" && r.subresource == "log") {
    logs(conn, r.ns, r.name, req, stop);
    return;
  }
  // kubectl exec / attach (remote_command.h): GET with a websocket upgrade, or POST for SPDY.
  if ((req.method == "GET" || req.method == "POST") && r.ok && r.type->kind == "Pod" && !r.name.empty() &&
      (r.subresource == "exec" || r.subresource == "attach")) {
    auto pod = store_.get("Pod", r.ns, r.name);
    auto rc = parse_remote_command(req, r.subresource == "exec");
    if (!pod || !rc) {
      if (!conn.send(error_status(!pod ? pod.error() : rc.error())))
        log_line("api: cannot answer an exec/attach request");
      return;
    }
    serve_remote_command(conn, req, *rc, *pod, cluster::pod_dir(lab_, r.ns, r.name), runtime::self_exe());
    return;
  }
  // kubectl port-forward: a websocket tunnelling SPDY (GET), or SPDY itself (POST).
  if ((req.method == "GET" || req.method == "POST") && r.ok && r.type->kind == "Pod" && !r.name.empty() &&
      r.subresource == "portforward") {
    auto pod = store_.get("Pod", r.ns, r.name);
    if (!pod) {
      if (!conn.send(error_status(pod.error()))) log_line("api: cannot answer a port-forward request");
      return;
    }
    serve_port_forward(conn, req, *pod, cluster::pod_dir(lab_, r.ns, r.name));
    return;
  }
  send_or_log(conn, handle(req));
} catch (const std::exception& e) {
  // A stream that failed half-way cannot answer any more; one that has not started still can.
  send_or_log(conn, status_response(500, "InternalError", std::string("Internal error occurred: ") + e.what()));
}

void ApiServer::watch(Connection& conn, const std::string& kind, const std::string& ns, const HttpRequest& req,
                      const std::atomic<bool>& stop) {
  auto selector = selectors(req, kind);
  if (!selector) {
    send_or_log(conn, error_status(selector.error()));
    return;
  }
  uint64_t since = store_.version();
  if (auto it = req.query.find("resourceVersion"); it != req.query.end() && !it->second.empty() && it->second != "0") {
    auto rv = parse_uint64(it->second);
    if (!rv) {
      send_or_log(conn, status_response(400, "BadRequest", "resourceVersion: " + rv.error().message));
      return;
    }
    since = *rv;
  }
  // An Accept that asks for nothing servable gets the objects as they are.
  const auto negotiated = get_encoding(req);
  const GetEncoding encoding = negotiated ? *negotiated : GetEncoding{};
  if (!conn.start_stream(200, "application/json")) return;
  while (!stop && !conn.peer_closed()) {
    auto [events, through, expired] = store_.events_of_kind(kind, since, 500, &stop);
    if (expired) {
      // The changes since that version are no longer kept: say so, as the API server's 410, so
      // the client relists instead of silently missing them.
      if (!conn.write_chunk(Json{{"type", "ERROR"},
                                 {"object", status_object(410, "Expired", "too old resource version: " +
                                                                              std::to_string(since))}}.dump() + "\n"))
        log_line("api: a watcher left before its 410");
      break;
    }
    since = through;
    for (const auto& e : events) {
      const Json& obj = *e.object;
      if (!ns.empty() && api::string_at(api::metadata_of(obj), "namespace") != ns) continue;
      if (!selector->matches(obj)) continue;
      if (!conn.write_chunk(watch_event_line(encoding, kind, e.type, obj))) return;
    }
  }
  end_stream_or_log(conn);
}

void ApiServer::logs(Connection& conn, const std::string& ns, const std::string& pod, const HttpRequest& req,
                     const std::atomic<bool>& stop) {
  auto obj = store_.get("Pod", ns, pod);
  if (!obj) {
    send_or_log(conn, error_status(obj.error()));
    return;
  }
  std::string container;
  if (auto it = req.query.find("container"); it != req.query.end()) container = it->second;
  const auto& containers = (*obj)["spec"]["containers"];
  if (container.empty()) {
    if (containers.size() > 1) {
      std::string names;
      for (const auto& c : containers) names += (names.empty() ? "" : " ") + c.value("name", "");
      send_or_log(conn, status_response(400, "BadRequest",
                                              "a container name must be specified for pod " + pod +
                                                  ", choose one of: [" + names + "]"));
      return;
    }
    container = containers[0].value("name", "");
  }
  auto opts = log_options(req.query);  // pod_logs.h: follow, previous, tailLines, limitBytes
  if (!opts) {
    send_or_log(conn, error_status(opts.error()));
    return;
  }
  const bool previous = opts->previous, follow = opts->follow && !previous;
  std::string path = cluster::pod_dir(lab_, ns, pod) + "/" + container + ".log" + (previous ? ".previous" : "");
  auto file = UniqueFd::open(path, O_RDONLY);
  if (!file) {
    std::string msg = previous ? "previous terminated container \"" + container + "\" in pod \"" + pod + "\" not found"
                               : "container \"" + container + "\" in pod \"" + pod + "\" is not available";
    send_or_log(conn, status_response(400, "BadRequest", msg));
    return;
  }
  if (opts->tail_lines)
    if (auto off = tail_offset(file->get(), *opts->tail_lines); off) ::lseek(file->get(), *off, SEEK_SET);
  if (!conn.start_stream(200, "text/plain")) return;
  char buf[16384];
  int64_t left = opts->limit_bytes.value_or(INT64_MAX);
  bool ended = false;  // the followed run is over: one more read for what it wrote last, then stop
  while (left > 0) {
    ssize_t n = ::read(file->get(), buf, static_cast<size_t>(std::min<int64_t>(left, sizeof buf)));
    if (n > 0) {
      if (!conn.write_chunk(std::string(buf, static_cast<size_t>(n)))) return;
      left -= n;
      continue;
    }
    if (!follow || ended || stop || conn.peer_closed()) break;
    auto now = store_.get("Pod", ns, pod);
    if (!now) break;
    // As the kubelet, `logs -f` ends with the container's run: exited, or restarted (a new log).
    ended = container_terminated(*now, container) || log_replaced(file->get(), path);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  end_stream_or_log(conn);
}

// A list GET: the objects the selectors match, one page of them with `limit` (list_pages.h), as JSON
// or the Table kubectl's human-readable get asks for (lab/server/get_encoding.h).
HttpResponse ApiServer::list(const api::ResourceType& type, const std::string& ns, const HttpRequest& req) {
  auto enc = get_encoding(req);
  if (!enc) return enc.error();
  auto sel = selectors(req, type.kind);
  if (!sel) return error_status(sel.error());
  auto q = parse_list_query(req.query);
  if (!q) return error_status(q.error());
  const std::string label_query = query(req, "labelSelector"), field_query = query(req, "fieldSelector");
  auto read = [&] {
    store::Store::View view = store_.view(type.kind, ns, sel->labels);
    if (!field_query.empty()) std::erase_if(view.objects, [&](const store::ObjPtr& o) { return !sel->fields.matches(*o); });
    return view;
  };
  const std::string identity = type.kind + "\n" + ns + "\n" + label_query + "\n" + field_query;
  ExpiredContinue expired;
  auto page = pages_.page(*q, identity, !label_query.empty() || !field_query.empty(), read,
                          ListPages::Clock::now(), &expired);
  if (!page) {
    if (page.error().reason != Reason::Gone) return error_status(page.error());
    Json st = status_object(410, "Expired", expired.message);
    st["metadata"] = {{"continue", expired.continue_token}};
    return {410, st.dump(-1, ' ', false, Json::error_handler_t::replace)};
  }
  Json meta = {{"resourceVersion", std::to_string(page->version)}};
  if (!page->continue_token.empty()) meta["continue"] = page->continue_token;
  if (page->remaining) meta["remainingItemCount"] = *page->remaining;
  return {200, encode_list(*enc, type.kind, type.api_version(), page->items, meta)};
}

HttpResponse error_status(const Error& e) {
  switch (e.reason) {
    case Reason::BadRequest: return status_response(400, "BadRequest", e.message);
    case Reason::Forbidden: return status_response(403, "Forbidden", e.message);
    case Reason::NotFound: return status_response(404, "NotFound", e.message);
    case Reason::MethodNotAllowed: return status_response(405, "MethodNotAllowed", e.message);
    case Reason::AlreadyExists: return status_response(409, "AlreadyExists", e.message);
    case Reason::Conflict: return status_response(409, "Conflict", e.message);
    case Reason::Gone: return status_response(410, "Expired", e.message);
    case Reason::RequestEntityTooLarge: return status_response(413, "RequestEntityTooLarge", e.message);
    case Reason::UnsupportedMediaType: return status_response(415, "UnsupportedMediaType", e.message);
    case Reason::Invalid: return status_response(422, "Invalid", e.message);
    case Reason::InternalError:
    case Reason::None: break;
  }
  return status_response(500, "InternalError", e.what());
}

}  // namespace lab::server
