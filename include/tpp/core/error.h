#pragma once
// Errors carry their origin so a user can fix the input: "file:line: field: reason".
#include <cstddef>
#include <stdexcept>
#include <string>

namespace tpp {

// Any failure the user can act on (bad option, bad config, bad input).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Malformed input data, located in its file. line is 1-based; 0 means the whole file.
class DataError : public Error {
 public:
  DataError(std::string file, std::size_t line, std::string field, std::string reason);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string field_;
  std::string reason_;
};

}  // namespace tpp
