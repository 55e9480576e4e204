// Datasets in Python: files read by the library's readers, columns (lists, numpy arrays, a pandas
// frame's columns) checked by the event-log rules (data/event_table.h), and the columns back.
#include <pybind11/stl.h>

#include <cmath>
#include <filesystem>

#include "convert.h"
#include "module.h"
#include "tpp/core/error.h"
#include "tpp/data/event_table.h"
#include "tpp/data/io.h"
#include "tpp/data/prepare.h"
#include "tpp/data/summary.h"

namespace tpp::python {

py::object to_py(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(to_py(v));
      return std::move(out);
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [k, v] : j.items()) out[py::str(k)] = to_py(v);
      return std::move(out);
    }
    default: return py::none();
  }
}

nlohmann::json from_py(py::handle h, const std::string& what) {
  if (h.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::int_>(h)) return h.cast<std::int64_t>();
  if (py::isinstance<py::float_>(h)) return h.cast<double>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  if (py::isinstance<py::dict>(h)) {
    nlohmann::json out = nlohmann::json::object();
    for (auto item : h.cast<py::dict>()) {
      if (!py::isinstance<py::str>(item.first)) throw Error(what + ": keys must be strings");
      const std::string key = item.first.cast<std::string>();
      out[key] = from_py(item.second, what + "." + key);
    }
    return out;
  }
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    nlohmann::json out = nlohmann::json::array();
    for (auto v : h) out.push_back(from_py(v, what));
    return out;
  }
  // numpy arrays and scalars (np.float64, np.int64, np.bool_) through their Python equivalents.
  if (py::hasattr(h, "tolist")) return from_py(h.attr("tolist")(), what);
  throw Error(what + ": cannot be written as JSON (" + py::str(py::type::handle_of(h)).cast<std::string>() + ")");
}

py::list to_list(const std::vector<std::string>& values) {
  py::list out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = py::str(values[i]);
  return out;
}

Schema schema_argument(py::handle schema) {
  if (py::isinstance<py::str>(schema) || py::isinstance(schema, py::module_::import("pathlib").attr("Path")))
    return read_schema(py::str(schema).cast<std::string>());
  return schema_from_layout(from_py(schema, "schema"), "schema");
}

namespace {

std::vector<std::string> strings(py::handle values, const char* column) {
  if (values.is_none()) return {};
  std::vector<std::string> out;
  for (auto v : values) {
    if (!py::isinstance<py::str>(v))
      throw Error(std::string(column) + ": expected strings, got " + py::str(py::type::handle_of(v)).cast<std::string>());
    out.push_back(v.cast<std::string>());
  }
  return out;
}

std::vector<double> doubles(py::handle values) {
  if (values.is_none()) return {};
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a) throw Error("expected numbers");
  return std::vector<double>(a.data(), a.data() + a.size());
}

// rows × width floats, row-major; width 0 when absent.
std::vector<float> matrix(py::handle values, std::size_t& width, const char* column) {
  width = 0;
  if (values.is_none()) return {};
  auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() != 2) throw Error(std::string(column) + ": expected a two-dimensional array of numbers");
  width = static_cast<std::size_t>(a.shape(1));
  return std::vector<float>(a.data(), a.data() + a.size());
}

// The columns the Python layer extracted, as plain lists/arrays: see tpp/_data.py.
Dataset from_columns(py::dict events, py::object users, py::object schema, bool sort, bool drop_invalid,
                     bool require_categories, const std::string& source, const std::string& users_source,
                     std::size_t first_row) {
  EventColumns ev;
  ev.user = strings(events["user"], "user");
  try {
    ev.time = doubles(events["time"]);
  } catch (const py::error_already_set&) {
    throw DataError(source, 0, "time", "expected numbers");
  } catch (const Error&) {
    throw DataError(source, 0, "time", "expected numbers");
  }
  ev.type = strings(events["type"], "type");
  if (events.contains("stimulus") && !events["stimulus"].is_none())
    for (auto v : events["stimulus"]) ev.stimulus.push_back(v.cast<bool>() ? 1 : 0);
  if (events.contains("text")) ev.text = strings(events["text"], "text");
  if (events.contains("category")) ev.category = strings(events["category"], "category");
  if (events.contains("meta")) ev.meta = matrix(events["meta"], ev.meta_dim, "meta");
  UserColumns uc;
  if (!users.is_none()) {
    py::dict u = users.cast<py::dict>();
    uc.user = strings(u["user"], "user");
    if (u.contains("category")) uc.category = strings(u["category"], "category");
    if (u.contains("t_start")) uc.t_start = doubles(u["t_start"]);
    if (u.contains("t_end")) uc.t_end = doubles(u["t_end"]);
    if (u.contains("features")) uc.features = matrix(u["features"], uc.feature_dim, "features");
  }
  ReadOptions options;
  if (!schema.is_none()) options.schema = schema_argument(schema);
  options.sort = sort;
  options.drop_invalid = drop_invalid;
  options.require_categories = require_categories;
  ColumnSources sources{source, users_source, first_row};
  ReadReport report;
  Dataset data = dataset_from_columns(ev, users.is_none() ? nullptr : &uc, options, sources, &report);
  return data;
}

py::dict event_dict(const Dataset& data) {
  const EventColumns ev = event_columns(data);
  py::dict out;
  out["user"] = to_list(ev.user);
  out["time"] = to_array(ev.time);
  out["type"] = to_list(ev.type);
  if (!ev.stimulus.empty()) {
    py::array_t<bool> s(static_cast<py::ssize_t>(ev.stimulus.size()));
    for (std::size_t i = 0; i < ev.stimulus.size(); ++i) s.mutable_data()[i] = ev.stimulus[i] != 0;
    out["stimulus"] = s;
  }
  if (!ev.text.empty()) out["text"] = to_list(ev.text);
  if (ev.meta_dim > 0) out["meta"] = to_matrix(ev.meta, ev.user.size(), ev.meta_dim);
  return out;
}

py::dict user_dict(const Dataset& data) {
  const UserColumns uc = user_columns(data);
  py::dict out;
  out["user"] = to_list(uc.user);
  if (!uc.category.empty()) out["category"] = to_list(uc.category);
  out["t_start"] = to_array(uc.t_start);
  out["t_end"] = to_array(uc.t_end);
  if (uc.feature_dim > 0) out["features"] = to_matrix(uc.features, uc.user.size(), uc.feature_dim);
  return out;
}

py::dict sequence_dict(const Dataset& data, std::size_t i) {
  const Sequence& s = data.sequences.at(i);
  const std::size_t n = s.events.size();
  py::array_t<double> time(static_cast<py::ssize_t>(n));
  py::array_t<std::int64_t> type(static_cast<py::ssize_t>(n));
  py::array_t<bool> stimulus(static_cast<py::ssize_t>(n));
  for (std::size_t j = 0; j < n; ++j) {
    time.mutable_data()[j] = s.events[j].time;
    type.mutable_data()[j] = s.events[j].type;
    stimulus.mutable_data()[j] = s.events[j].is_stimulus;
  }
  py::dict out;
  out["user"] = s.user;
  out["time"] = time;
  out["type"] = type;
  out["stimulus"] = stimulus;
  out["t_start"] = s.t_start;
  out["t_end"] = s.t_end;
  out["category"] = s.category >= 0 ? py::object(py::str(data.schema.category_names.at(s.category))) : py::none();
  out["features"] = to_array(s.features);
  return out;
}

ReadOptions reader_options(const std::string& format, const std::string& users, py::object schema, bool drop_invalid,
                           bool sort, const std::string& split) {
  ReadOptions o;
  o.format = parse_format(format);
  o.users = users;
  if (!schema.is_none()) o.schema = schema_argument(schema);
  o.drop_invalid = drop_invalid;
  o.sort = sort;
  o.split = split;
  return o;
}

py::dict report_dict(const ReadReport& r) {
  py::dict out;
  out["rows"] = r.rows_dropped;
  out["sequences"] = r.sequences_dropped;
  out["reasons"] = to_list(r.reasons);
  return out;
}

}  // namespace

void bind_data(py::module_& m) {
  py::class_<Dataset>(m, "_Dataset")
      .def("__len__", [](const Dataset& d) { return d.sequences.size(); })
      .def_property_readonly("num_events", &Dataset::num_events)
      .def_property_readonly("num_actions", &Dataset::num_actions)
      .def_property_readonly("schema", [](const Dataset& d) { return to_py(to_json(d.schema)); })
      .def_property_readonly("time_scale", [](const Dataset& d) { return to_py(to_json(d.time_scale)); })
      .def_property_readonly("users", [](const Dataset& d) {
        std::vector<std::string> users;
        for (const auto& s : d.sequences) users.push_back(s.user);
        return to_list(users);
      })
      .def("sequence", &sequence_dict, py::arg("index"))
      .def("event_columns", &event_dict)
      .def("user_columns", &user_dict)
      .def("summary", [](const Dataset& d) { return to_py(summarize(d)); })
      .def("subset",
           [](const Dataset& d, const std::vector<std::size_t>& indices) {
             Dataset out;
             out.schema = d.schema;
             out.time_scale = d.time_scale;
             for (std::size_t i : indices) {
               if (i >= d.sequences.size())
                 throw Error("subset: sequence " + std::to_string(i) + " out of range (" +
                             std::to_string(d.sequences.size()) + " sequences)");
               out.sequences.push_back(d.sequences[i]);
             }
             return out;
           })
      .def("lost_in_format",
           [](const Dataset& d, const std::string& path, const std::string& format, bool with_users) {
             const Format f = parse_format(format);
             return lost_in_format(d, f == Format::Auto ? detect_format(path) : f, with_users);
           })
      .def(
          "write",
          [](const Dataset& d, const std::string& path, const std::string& format, const std::string& users,
             const std::string& schema) {
            py::gil_scoped_release release;
            write_dataset(d, path, WriteOptions{parse_format(format), users, schema});
          },
          py::arg("path"), py::arg("format") = "", py::arg("users") = "", py::arg("schema") = "");

  m.def("_from_columns", &from_columns, py::arg("events"), py::arg("users") = py::none(), py::arg("schema") = py::none(),
        py::arg("sort") = false, py::arg("drop_invalid") = false, py::arg("require_categories") = false,
        py::arg("source") = "events", py::arg("users_source") = "users", py::arg("first_row") = 1);
  m.def(
      "_read_data_file",
      [](const std::string& path, const std::string& schema, bool require_categories) {
        py::gil_scoped_release release;
        return read_data_file(path, schema, require_categories);
      },
      py::arg("path"), py::arg("schema") = "", py::arg("require_categories") = false);
  m.def(
      "_read_dataset",
      [](const std::string& path, const std::string& format, const std::string& users, py::object schema,
         bool drop_invalid, bool sort, const std::string& split) {
        const ReadOptions o = reader_options(format, users, schema, drop_invalid, sort, split);
        ReadReport report;
        Dataset d;
        {
          py::gil_scoped_release release;
          d = read_dataset(path, o, &report);
        }
        return py::make_tuple(py::cast(std::move(d)), report_dict(report));
      },
      py::arg("path"), py::arg("format") = "", py::arg("users") = "", py::arg("schema") = py::none(),
      py::arg("drop_invalid") = false, py::arg("sort") = false, py::arg("split") = "");
  // The Python layer's checks of a frame's or array's columns raise the library's located error.
  m.def("_data_error", [](const std::string& source, std::size_t line, const std::string& field,
                          const std::string& reason) { throw DataError(source, line, field, reason); });
  m.def("_read_schema", [](const std::string& path) { return to_py(to_json(read_schema(path))); });
}

}  // namespace tpp::python
