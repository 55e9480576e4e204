#pragma once
// The parts of the extension module `tpp._tpp`, one function each (module.cpp calls them).
#include <pybind11/pybind11.h>

#include "tpp/data/dataset.h"

namespace tpp::python {

namespace pybind11_alias = pybind11;

void bind_data(pybind11::module_& m);    // data.cpp: datasets, readers, writers
void bind_models(pybind11::module_& m);  // models.cpp: models, fitting, prediction, states, simulators

// A schema given as a path (schema JSON file) or as a dict (to_json(Schema)'s or the friendly layout).
Schema schema_argument(pybind11::handle schema);

}  // namespace tpp::python
