#pragma once
// Config fields declared once. Each field of a config struct is declared with its key, default,
// check and a one-line doc; the closed-key check, parsing, writing and the docs key table all come
// from that one declaration, so a key the code reads is always a key the config accepts and writes.
//
//   static const auto fields = ConfigFields<RmtppConfig>("rmtpp")
//       .field("hidden", &RmtppConfig::hidden, "RNN state size", rules::positive<int>())
//       .check([](const RmtppConfig& c) { return c.layers > 0 ? "" : "..."; });
//
// Fields are read in declaration order, so a computed default (`fallback`) may depend on fields
// declared before it.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_keys.h"
#include "tpp/core/error.h"

namespace tpp {

// One key as the docs table shows it.
struct ConfigKeyDoc {
  std::string key;
  std::string value;     // accepted values, e.g. "integer, positive"
  std::string fallback;  // the default as the docs show it, e.g. "32", "0.5/K"
  std::string doc;       // one line
};

// The markdown table "| key | value | default | meaning |" of `keys`, one row each, ending in a newline.
std::string config_key_table(const std::vector<ConfigKeyDoc>& keys);

// Thrown by a field's parser with the message after the key ("must be positive, got 0");
// ConfigFields::read turns it into a tpp::Error naming the config and the key.
struct ConfigFieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// JSON -> value with strict types (an integer key rejects 2.5 rather than truncating it). Throw
// ConfigFieldError.
void parse_config_value(const nlohmann::json& v, int& out);
void parse_config_value(const nlohmann::json& v, std::uint64_t& out);
void parse_config_value(const nlohmann::json& v, double& out);
void parse_config_value(const nlohmann::json& v, bool& out);
void parse_config_value(const nlohmann::json& v, std::string& out);
void parse_config_value(const nlohmann::json& v, nlohmann::json& out);

// The type's name in the docs table.
const char* config_type_name(const int*);
const char* config_type_name(const std::uint64_t*);
const char* config_type_name(const double*);
const char* config_type_name(const bool*);
const char* config_type_name(const std::string*);
const char* config_type_name(const nlohmann::json*);

// A check on one value: `ok` decides, `text` says it in words for errors and docs ("positive").
// An empty rule accepts everything.
template <class T>
struct Rule {
  std::function<bool(const T&)> ok;
  std::string text;
};

namespace rules {

template <class T>
Rule<T> positive() {
  return {[](const T& v) { return v > 0; }, "positive"};
}

template <class T>
Rule<T> non_negative() {
  return {[](const T& v) { return v >= 0; }, ">= 0"};
}

// A size with an upper bound, so that a mistyped or mutated config ("layers": 100000) is refused
// with a message instead of allocating until the machine gives out.
template <class T>
Rule<T> between(T lo, T hi) {
  return {[lo, hi](const T& v) { return v >= lo && v <= hi; },
          "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"};
}

// A dropout probability.
inline Rule<double> probability_below_one() {
  return {[](const double& v) { return v >= 0.0 && v < 1.0; }, "in [0, 1)"};
}

inline Rule<std::string> one_of(std::vector<std::string> values) {
  std::string text = "one of";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? ", \"" : " \"") + values[i] + "\"";
  return {[values](const std::string& v) { return std::find(values.begin(), values.end(), v) != values.end(); },
          text};
}

}  // namespace rules

// One declared field, type-erased over the config struct.
template <class Config>
struct ConfigField {
  ConfigKeyDoc doc;
  // value is null when the key is absent: the parser then sets the default (or keeps the
  // member's current value).
  std::function<void(const nlohmann::json* value, Config& c)> read;
  // The value to save; null leaves the key out.
  std::function<nlohmann::json(const Config& c)> write;
};

template <class Config>
class ConfigFields {
 public:
  // Checks across fields: "" when fine, else the message after "<owner>: ".
  using Check = std::function<std::string(const Config&)>;

  // `owner` names the config in errors ("rmtpp", "train"); for a model it is its registry key.
  explicit ConfigFields(std::string owner) : owner_(std::move(owner)) {}

  // A field stored in `member`. Absent, it keeps the member's value: its initialiser, which is
  // also the default the docs show, or what the caller set before read().
  template <class T>
  ConfigFields& field(std::string key, T Config::*member, std::string doc, Rule<T> rule = {}) {
    return field_impl(std::move(key), member, std::move(doc), std::move(rule), std::function<T(const Config&)>(),
                      nlohmann::json(Config{}.*member).dump());
  }

  // A field whose default is computed from the fields read before it (a preset), shown in the
  // docs as `shown_default`.
  template <class T>
  ConfigFields& field(std::string key, T Config::*member, std::string doc, Rule<T> rule,
                      std::function<T(const Config&)> fallback, std::string shown_default) {
    return field_impl(std::move(key), member, std::move(doc), std::move(rule), std::move(fallback),
                      std::move(shown_default));
  }

  // A field with its own parsing and writing (schema-shaped values).
  ConfigFields& add(ConfigField<Config> f) {
    fields_.push_back(std::move(f));
    return *this;
  }

  // Replaces the default the docs show for the last field (e.g. "--seed" for a value the caller sets).
  ConfigFields& shown_default(std::string text) {
    fields_.back().doc.fallback = std::move(text);
    return *this;
  }

  // The fields and checks of a part stored in `member`, under the same keys at the top level.
  template <class Part>
  ConfigFields& include(Part Config::*member, const ConfigFields<Part>& part) {
    for (const auto& f : part.fields())
      fields_.push_back({f.doc, [member, read = f.read](const nlohmann::json* v, Config& c) { read(v, c.*member); },
                         [member, write = f.write](const Config& c) { return write(c.*member); }});
    for (const auto& check : part.checks())
      checks_.push_back([member, check](const Config& c) { return check(c.*member); });
    return *this;
  }

  // A nested object of fields of the same struct, closed like the top level
  // (train "loss_weights": {"ll", "type", "time"}).
  ConfigFields& object(std::string key, std::string doc, ConfigFields<Config> inner) {
    ConfigKeyDoc d{key, "object: " + join_keys(inner.keys()), inner.write(Config{}).dump(), std::move(doc)};
    fields_.push_back({std::move(d),
                       [inner](const nlohmann::json* v, Config& c) {
                         if (v) inner.read(*v, c);
                       },
                       [inner](const Config& c) { return inner.write(c); }});
    return *this;
  }

  ConfigFields& check(Check c) {
    checks_.push_back(std::move(c));
    return *this;
  }

  // Reads `j` into `c`, field by field in declaration order, then runs the checks. Keys in
  // `extra` are allowed and left to the caller (a model config's "model" and "train"). Throws
  // tpp::Error naming the owner and the key.
  void read(const nlohmann::json& j, Config& c, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> known = keys();
    known.insert(known.end(), extra.begin(), extra.end());
    check_known_keys(j, known, owner_);
    for (const auto& f : fields_) {
      auto it = j.find(f.doc.key);
      try {
        f.read(it == j.end() ? nullptr : &*it, c);
      } catch (const ConfigFieldError& e) {
        throw Error(owner_ + ": \"" + f.doc.key + "\" " + e.what());
      }
    }
    for (const auto& check : checks_)
      if (auto message = check(c); !message.empty()) throw Error(owner_ + ": " + message);
  }

  nlohmann::json write(const Config& c) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& f : fields_)
      if (auto v = f.write(c); !v.is_null()) j[f.doc.key] = std::move(v);
    return j;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& f : fields_) out.push_back(f.doc.key);
    return out;
  }

  std::vector<ConfigKeyDoc> docs() const {
    std::vector<ConfigKeyDoc> out;
    for (const auto& f : fields_) out.push_back(f.doc);
    return out;
  }

  const std::string& owner() const { return owner_; }
  const std::vector<ConfigField<Config>>& fields() const { return fields_; }
  const std::vector<Check>& checks() const { return checks_; }

 private:
  static std::string join_keys(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  template <class T>
  ConfigFields& field_impl(std::string key, T Config::*member, std::string doc, Rule<T> rule,
                           std::function<T(const Config&)> fallback, std::string shown_default) {
    std::string value = config_type_name(static_cast<const T*>(nullptr));
    if (!rule.text.empty()) value += ", " + rule.text;
    ConfigField<Config> f;
    f.doc = {std::move(key), std::move(value), std::move(shown_default), std::move(doc)};
    f.read = [member, rule, fallback](const nlohmann::json* v, Config& c) {
      if (!v) {
        if (fallback) c.*member = fallback(c);
        return;
      }
      T parsed;
      parse_config_value(*v, parsed);
      if (rule.ok && !rule.ok(parsed)) throw ConfigFieldError("must be " + rule.text + ", got " + v->dump());
      c.*member = std::move(parsed);
    };
    f.write = [member](const Config& c) { return nlohmann::json(c.*member); };
    fields_.push_back(std::move(f));
    return *this;
  }

  std::string owner_;
  std::vector<ConfigField<Config>> fields_;
  std::vector<Check> checks_;
};

}  // namespace tpp
