#pragma once
// Conversions shared by the module's files: JSON values to and from Python objects, and numpy
// arrays from the library's vectors.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpp::python {

namespace py = pybind11;

py::object to_py(const nlohmann::json& value);
// Dicts, lists, tuples, strings, numbers, booleans, None and numpy scalars or arrays; anything else
// is a tpp::Error naming `what`.
nlohmann::json from_py(py::handle value, const std::string& what = "value");

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values) {
  py::array_t<T> out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

// rows × cols, row-major.
template <typename T>
py::array_t<T> to_matrix(const std::vector<T>& values, std::size_t rows, std::size_t cols) {
  py::array_t<T> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

py::list to_list(const std::vector<std::string>& values);

}  // namespace tpp::python
