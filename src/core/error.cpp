#include "tpp/core/error.h"

#include <utility>

namespace tpp {

namespace {

// Bytes a terminal would act on or garble (control bytes, invalid UTF-8) as \xNN, and a field
// cut short: a garbage header or value is shown, never replayed to the terminal.
std::string printable(const std::string& s, std::size_t limit) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < limit) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 1 && (c < 0x20 || c == 0x7F)) ok = false;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      static const char* digits = "0123456789abcdef";
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
      ++i;
    }
  }
  if (i < s.size()) out += "...";
  return out;
}

std::string located(const std::string& file, std::size_t line, const std::string& field,
                    const std::string& reason) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  return where + ": " + printable(field, 80) + ": " + printable(reason, 10000);
}
}  // namespace

DataError::DataError(std::string file, std::size_t line, std::string field, std::string reason)
    : Error(located(file, line, field, reason)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

}  // namespace tpp
