// kubectl describe (k8s.io/kubectl/pkg/describe, v1.30) ported line for line where it matters:
// the same format strings through the same tabwriter give the same spacing, trailing blanks included.
// This file holds the TabWriter and the generic describer (kinds kubectl has no describer for); the
// per-kind describers are in describe_pods.cc, describe_workloads.cc and describe_services.cc, and
// what they share in describe_util.{h,cc}.
#include "lab/cli/describe.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <vector>

#include "lab/cli/describe_util.h"

namespace lab::cli {

using namespace describe_detail;

namespace {

// fatih/camelcase.Split on ASCII: runs of lower, upper and other characters, where an upper run
// gives its last letter to a following lower run ("PDFLoader" -> "PDF", "Loader").
std::vector<std::string> camel_split(const std::string& s) {
  auto cls = [](char c) {
    return std::islower(static_cast<unsigned char>(c))   ? 1
           : std::isupper(static_cast<unsigned char>(c)) ? 2
           : std::isdigit(static_cast<unsigned char>(c)) ? 3
                                                         : 4;
  };
  std::vector<std::string> runs;
  int last = 0;
  for (char c : s) {
    if (cls(c) == last)
      runs.back() += c;
    else
      runs.emplace_back(1, c);
    last = cls(c);
  }
  for (size_t i = 0; i + 1 < runs.size(); ++i)
    if (cls(runs[i][0]) == 2 && cls(runs[i + 1][0]) == 1) {
      runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
      runs[i].pop_back();
    }
  std::erase_if(runs, [](const std::string& r) { return r.empty(); });
  return runs;
}

// smartLabelFor: "apiVersion" -> "API Version", "podIPs" -> "Pod I Ps" (sic); keys holding anything
// but letters and '-' stay as they are.
std::string smart_label(const std::string& field) {
  if (std::any_of(field.begin(), field.end(),
                  [](char c) { return !std::isalpha(static_cast<unsigned char>(c)) && c != '-'; }))
    return field;
  std::vector<std::string> parts;
  for (std::string part : camel_split(field)) {
    if (part == "_") continue;
    std::string upper = part;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (upper == "API" || upper == "URL" || upper == "UID" || upper == "OSB" || upper == "GUID")
      part = upper;
    else
      part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    parts.push_back(part);
  }
  return join(parts, " ");
}

// printUnstructuredContent.
void unstructured(Writer& w, int level, const Json& content, const std::string& prefix) {
  static const char* kSkip[] = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
                                ".metadata.annotations"};
  for (const auto& [field, value] : content.items()) {
    std::string path = prefix + "." + field;
    if (std::find(std::begin(kSkip), std::end(kSkip), path) != std::end(kSkip)) continue;
    if (value.is_object()) {
      w(level, smart_label(field) + ":\n");
      unstructured(w, level + 1, value, path);
    } else if (value.is_array()) {
      w(level, smart_label(field) + ":\n");
      for (const auto& child : value) {
        if (child.is_object())
          unstructured(w, level + 1, child, path);
        else
          w(level + 1, go_format(child) + "\n");
      }
    } else {
      w(level, smart_label(field) + ":\t" + go_format(value) + "\n");
    }
  }
}

}  // namespace

// text/tabwriter's format(): a column's width is its widest cell plus padding, over the run of
// lines that reach that column; cells right of it are laid out within the run, recursively.
void TabWriter::flush() {
  std::vector<std::vector<std::string>> lines;
  size_t pos = 0;
  while (pos < pending_.size()) {
    size_t nl = pending_.find('\n', pos);
    std::string_view line(pending_.data() + pos, (nl == std::string::npos ? pending_.size() : nl) - pos);
    std::vector<std::string> cells;
    for (size_t start = 0;;) {
      size_t tab = line.find('\t', start);
      cells.emplace_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    lines.push_back(std::move(cells));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  bool ends_open = !pending_.empty() && pending_.back() != '\n';
  pending_.clear();

  auto width_of = [](const std::string& s) {  // runes, not bytes
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  std::vector<size_t> widths;
  auto write_lines = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      for (size_t j = 0; j < lines[i].size(); ++j) {
        out_ += lines[i][j];
        if (j < widths.size()) out_.append(widths[j] - width_of(lines[i][j]), ' ');
      }
      if (i + 1 < lines.size() || !ends_open) out_ += '\n';
    }
  };
  auto format = [&](auto& self, size_t line0, size_t line1) -> void {
    size_t column = widths.size();
    for (size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines[i].size()) continue;  // no cell in this column (the last cell never counts)
      write_lines(line0, i);
      line0 = i;
      size_t width = 0;
      for (; i < line1 && column + 1 < lines[i].size(); ++i) width = std::max(width, width_of(lines[i][column]) + 2);
      widths.push_back(width);
      self(self, line0, i);
      widths.pop_back();
      line0 = i;
    }
    write_lines(line0, line1);
  };
  format(format, 0, lines.size());
}

std::string describe_generic(const Json& o, const Json& events, Clock::time_point now) {
  Writer w;
  describe_metadata(w, o);
  if (o.is_object()) unstructured(w, 0, o, "");
  describe_events(w, events, now);
  return w.tw.str();
}

}  // namespace lab::cli
