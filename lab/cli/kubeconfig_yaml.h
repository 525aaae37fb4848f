// A YAML document as kubectl writes it: a small tree read with yaml-cpp, written back the way
// sigs.k8s.io/yaml (go-yaml v2 over libyaml) emits it: map keys sorted, block sequences at their
// key's indentation, strings plain when go-yaml would leave them plain, else quoted as libyaml
// chooses ('single' or "double"), multi-line strings as literal blocks.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lab/base/result.h"

namespace lab::cli {

struct YamlValue {
  enum class Kind { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  std::string text;        // Scalar
  bool is_string = true;   // Scalar: a string (else a literal bool/number, written as is)
  std::vector<YamlValue> items;                          // Seq
  std::vector<std::pair<std::string, YamlValue>> map;    // Map, in any order

  static YamlValue string(std::string s) {
    YamlValue v;
    v.kind = Kind::Scalar;
    v.text = std::move(s);
    return v;
  }
  static YamlValue mapping() {
    YamlValue v;
    v.kind = Kind::Map;
    return v;
  }
  static YamlValue sequence() {
    YamlValue v;
    v.kind = Kind::Seq;
    return v;
  }
  // Map: the value at key, or nullptr.
  YamlValue* find(const std::string& key);
  const YamlValue* find(const std::string& key) const;
  // Map: the value at key, added (Null) if absent.
  YamlValue& at(const std::string& key);
  void erase(const std::string& key);
};

// The document in text ("" or only comments: an empty map). Errors carry yaml-cpp's line.
Result<YamlValue> parse_yaml(const std::string& text);
// The document as go-yaml v2 writes it, ending in a newline.
std::string emit_yaml(const YamlValue& doc);

}  // namespace lab::cli
