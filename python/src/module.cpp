// The extension module tpp._tpp: the library's entry points for the Python package `tpp`
// (python/tpp/), which adds the numpy / pandas conveniences on top.
#include <pybind11/pybind11.h>

#include "module.h"
#include "tpp/core/allocator.h"
#include "tpp/core/error.h"

namespace py = pybind11;

PYBIND11_MODULE(_tpp, m) {
  m.doc() = "tpp: marked temporal point processes (the compiled core of the tpp package)";
  m.attr("__version__") = TPP_VERSION;
  // tpp.Error is a ValueError, so code catching bad input generically still catches it; a
  // DataError also carries the location of the bad value (file or table, line or row, field).
  static py::exception<tpp::Error> error(m, "Error", PyExc_ValueError);
  static py::exception<tpp::DataError> data_error(m, "DataError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tpp::DataError& e) {
      py::object type = py::reinterpret_borrow<py::object>(data_error.ptr());
      py::object value = type(e.what());
      value.attr("file") = e.file();
      value.attr("line") = e.line();
      value.attr("field") = e.field();
      value.attr("reason") = e.reason();
      PyErr_SetObject(data_error.ptr(), value.ptr());
    } catch (const tpp::Error& e) {
      PyErr_SetString(error.ptr(), e.what());
    }
  });
  // The CLI's process setting for tensor work (core/allocator.h): without it every training step
  // page-faults its large activations in again (docs/performance.md measured 2-4x training
  // throughput for the CLI); a Python process needs it as much.
  tpp::keep_large_blocks_in_heap();
  tpp::python::bind_data(m);
  tpp::python::bind_models(m);
}
