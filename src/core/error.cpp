#include "tpp/core/error.h"

#include <utility>

namespace tpp {

namespace {
std::string located(const std::string& file, std::size_t line, const std::string& field,
                    const std::string& reason) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  return where + ": " + field + ": " + reason;
}
}  // namespace

DataError::DataError(std::string file, std::size_t line, std::string field, std::string reason)
    : Error(located(file, line, field, reason)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

}  // namespace tpp
