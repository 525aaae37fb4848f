#include "lab/dns/follow.h"

#include <chrono>

#include "lab/api/json_access.h"
#include "lab/api/labels.h"
#include "lab/server/http.h"

namespace lab::dns {

using Json = nlohmann::json;

ApiFollower::ApiFollower(std::string socket_path, Zone& zone, Log log)
    : socket_(std::move(socket_path)), zone_(zone), log_(std::move(log)) {}

ApiFollower::~ApiFollower() {
  // The threads follow the API for the life of the process; a server exits without joining.
  for (auto& t : threads_) t.detach();
}

void ApiFollower::start() {
  threads_.emplace_back([this] { run(Kind::Service, "/api/v1/services", 0); });
  // Only a headless Service's records come from its slices, so the slices the EndpointSlice
  // controller makes for the other Services (most of them, rewritten on every endpoint change)
  // are left on the server, as kube-proxy leaves the headless ones there: one watch for the
  // slices labelled headless, and one for the slices the controller did not make (a user's, or
  // mirrored from a user's Endpoints), which are not labelled whatever their Service. The two are
  // disjoint, each relisted on its own (the zone's feeds).
  const std::string slices = "/apis/discovery.k8s.io/v1/endpointslices?labelSelector=";
  const std::string headless = slices + server::url_encode(api::kHeadlessLabel);
  const std::string not_the_controllers =
      slices + server::url_encode(std::string("!") + api::kHeadlessLabel + "," + api::kManagedByLabel +
                                  "!=" + api::kEndpointSliceController);
  threads_.emplace_back([this, headless] { run(Kind::EndpointSlice, headless, 0); });
  threads_.emplace_back([this, not_the_controllers] { run(Kind::EndpointSlice, not_the_controllers, 1); });
  threads_.emplace_back([this] { run(Kind::Pod, "/api/v1/pods", 0); });
}

namespace {

std::optional<EventType> event_type(const std::string& t) {
  if (t == "ADDED") return EventType::Added;
  if (t == "MODIFIED") return EventType::Modified;
  if (t == "DELETED") return EventType::Deleted;
  return std::nullopt;  // BOOKMARK and anything newer: nothing to apply
}

}  // namespace

void ApiFollower::run(Kind kind, const std::string& path, unsigned feed) {
  bool listed_once = false;
  std::string last_problem;  // one line per problem, not one per retry
  auto problem = [&](const std::string& what) {
    if (what != last_problem) log_(what);
    last_problem = what;
  };
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    auto resp = server::http_call(socket_, "GET", path);
    Json list;
    if (!resp) {
      problem("list " + path + ": " + resp.error().what());
    } else if (resp->status != 200) {
      problem("list " + path + ": HTTP " + std::to_string(resp->status) + ": " + resp->body.substr(0, 200));
    } else {
      list = Json::parse(resp->body, nullptr, false);
      if (list.is_discarded() || !api::member(list, "items").is_array()) {
        problem("list " + path + ": the answer is not a list");
        list = Json();
      }
    }
    if (list.is_null()) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (!last_problem.empty()) log_("list " + path + ": ok again");
    last_problem.clear();
    std::vector<Json> items;
    for (const auto& item : api::member(list, "items")) items.push_back(item);
    zone_.replace_all(kind, items, feed);
    if (!listed_once) synced_count_.fetch_add(1, std::memory_order_acq_rel);
    listed_once = true;

    std::string version = api::string_at(api::metadata_of(list), "resourceVersion");
    std::string buffer;
    std::string ended;  // why the watch stopped, when it says
    auto on_line = [&](const std::string& line) {
      if (line.empty()) return true;
      Json event = Json::parse(line, nullptr, false);
      if (event.is_discarded() || !event.is_object()) {
        ended = "a watch event that is not JSON";
        return false;
      }
      if (api::string_at(event, "kind") == "Status") {  // a non-2xx answer to the watch itself
        ended = api::string_at(event, "message");
        return false;
      }
      const std::string type = api::string_at(event, "type");
      const Json& object = api::member(event, "object");
      if (type == "ERROR") {
        // 410 Expired: the log has moved past our version. Relisting is the normal remedy,
        // not a problem worth a line.
        if (api::member(object, "code") != 410) ended = api::string_at(object, "message");
        return false;
      }
      const std::string rv = api::string_at(api::metadata_of(object), "resourceVersion");
      if (!rv.empty()) version = rv;
      if (auto t = event_type(type)) zone_.apply(kind, *t, object, feed);
      return true;
    };
    auto watched = server::http_stream(
        socket_, "GET",
        path + (path.find('?') == std::string::npos ? "?" : "&") +
            "watch=1&allowWatchBookmarks=false&resourceVersion=" + server::url_encode(version),
        [&](const std::string& data) {
          buffer += data;
          for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
            const std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            if (!on_line(line)) return false;
          }
          return true;
        });
    if (!watched) problem("watch " + path + ": " + watched.error().what());
    else if (!buffer.empty() && ended.empty()) on_line(buffer);
    if (!ended.empty()) problem("watch " + path + ": " + ended);
    // The daemon may be restarting: a short pause, then list again.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace lab::dns
