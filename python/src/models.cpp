// Models in Python: fitting from a config (train/fit.h) with a per-epoch callback, the Predictor's
// evaluation, predictions and intensity curves in file units, sampling, saved files, per-user
// incremental states (models/user_state.h, infer/state_prediction.h), simulators and generators.
// Long library calls release the GIL; only the epoch callback takes it back.
#include <pybind11/stl.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <ostream>
#include <streambuf>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "convert.h"
#include "module.h"
#include "tpp/core/error.h"
#include "tpp/data/prepare.h"
#include "tpp/data/text_features.h"
#include "tpp/infer/intensity_error.h"
#include "tpp/infer/plot.h"
#include "tpp/infer/predictor.h"
#include "tpp/infer/sampling.h"
#include "tpp/infer/simulation.h"
#include "tpp/infer/state_prediction.h"
#include "tpp/models/registry.h"
#include "tpp/models/user_state.h"
#include "tpp/sim/generated_files.h"
#include "tpp/sim/ground_truth.h"
#include "tpp/train/fit.h"

namespace tpp::python {

namespace {

Context make_context(const std::string& device, const std::string& dtype, int threads, std::uint64_t seed) {
  Context ctx;
  ctx.device = Context::parse_device(device);
  ctx.dtype = Context::parse_dtype(dtype);
  ctx.threads = threads;
  ctx.seed = seed;
  return ctx;
}

// Thrown through the trainer when the epoch callback raised (or Ctrl-C arrived): the Python error
// stays set on this thread and is re-raised once the GIL is held again.
struct CallbackStopped : std::exception {
  const char* what() const noexcept override { return "training stopped by the epoch callback"; }
};

// The trainer's JSON log (one object per epoch, flushed by std::endl) delivered to a Python
// callable, so no hook is added to the trainer: each complete line becomes a dict.
class EpochCallbackBuffer : public std::streambuf {
 public:
  explicit EpochCallbackBuffer(py::object callback) : callback_(std::move(callback)) {}

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) pending_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int sync() override {
    for (std::size_t nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      if (!line.empty()) deliver(line);
    }
    return 0;
  }

 private:
  void deliver(const std::string& line) {
    py::gil_scoped_acquire gil;
    // An epoch is the natural point to honour Ctrl-C: the interpreter cannot see it while the
    // GIL is released.
    if (PyErr_CheckSignals() != 0) throw CallbackStopped();
    if (callback_.is_none()) return;
    try {
      callback_(to_py(nlohmann::json::parse(line)));
    } catch (py::error_already_set& e) {
      e.restore();
      throw CallbackStopped();
    }
  }
  py::object callback_;
  std::string pending_;
};

std::string where_of(const std::string& where) { return where.empty() ? "data" : where; }

Dataset aligned_to_model_units(const Predictor& predictor, const Dataset& raw, const std::string& where) {
  Dataset data = predictor.prepare(raw, where);
  const TimeScale scale = data.time_scale;
  for (auto& seq : data.sequences) {
    seq.t_start = scale.to_model(seq.t_start);
    seq.t_end = scale.to_model(seq.t_end);
    for (auto& e : seq.events) e.time = scale.to_model(e.time);
  }
  data.time_scale = TimeScale{};
  return data;
}

std::size_t sequence_index(const Dataset& data, py::object which) {
  if (which.is_none()) {
    if (data.sequences.size() != 1)
      throw Error(fmt::format("user: the data has {} users; name one (user=...)", data.sequences.size()));
    return 0;
  }
  if (py::isinstance<py::str>(which)) {
    const std::string user = which.cast<std::string>();
    for (std::size_t i = 0; i < data.sequences.size(); ++i)
      if (data.sequences[i].user == user) return i;
    throw Error("user: no user '" + user + "' in the data");
  }
  const auto i = which.cast<long long>();
  if (i < 0 || static_cast<std::size_t>(i) >= data.sequences.size())
    throw Error(fmt::format("sequence: index {} out of range ({} sequences)", i, data.sequences.size()));
  return static_cast<std::size_t>(i);
}

// One user's incremental state in the file's units and type names.
class PyState {
 public:
  PyState(const SavedModel& saved, const Context& ctx, Sequence user_in_model_units)
      : saved_(saved), ctx_(ctx), user_(user_in_model_units.user) {
    if (saved_.config.contains("text_features"))
      featurizer_ = TextFeaturizer::from_json(saved_.config.at("text_features"));
    saved_.model->eval();
    state_ = saved_.model->start(saved_.schema, user_in_model_units, ctx_);
  }

  void observe(double time, py::object type, bool stimulus, const std::string& text, py::object meta) {
    const Schema& schema = saved_.schema;
    Event e;
    e.time = saved_.time_scale.to_model(time);
    e.is_stimulus = stimulus;
    e.text = text;
    const char* kind = stimulus ? "stimulus" : "action";
    if (py::isinstance<py::str>(type)) {
      const std::string name = type.cast<std::string>();
      e.type = stimulus ? schema.stimulus_id(name) : schema.action_id(name);
      if (e.type < 0) {
        const auto& names = stimulus ? schema.stimulus_names : schema.action_names;
        throw Error(fmt::format("observe: type: unknown {} type '{}' (the model knows {})", kind, name,
                                fmt::join(names, ", ")));
      }
    } else {
      e.type = type.cast<int>();
    }
    if (schema.event_meta_dim > 0) {
      if (!meta.is_none()) {
        e.meta = meta.cast<std::vector<float>>();
      } else if (featurizer_) {
        e.meta = featurizer_->transform(text);
      } else {
        throw Error(fmt::format("observe: meta: the model reads {} metadata values per event; give meta=",
                                schema.event_meta_dim));
      }
      if (static_cast<int>(e.meta.size()) != schema.event_meta_dim)
        throw Error(fmt::format("observe: meta: expected {} values, got {}", schema.event_meta_dim, e.meta.size()));
    }
    // States run without gradients (models/user_state.h): with autograd on, every cached key and
    // value would carry the graph of the whole history.
    torch::NoGradGuard no_grad;
    state_->observe(e);
  }

  py::dict predict(py::object as_of, int top_k, double tolerance) {
    if (top_k < 1) throw Error("predict: top_k must be at least 1");
    const TimeScale& scale = saved_.time_scale;
    double quiet = 0;
    if (!as_of.is_none()) {
      quiet = scale.to_model(as_of.cast<double>()) - state_->last_time();
      if (quiet < 0)
        throw Error(fmt::format("predict: as_of: {} precedes the last observed event ({})", as_of.cast<double>(),
                                last_time()));
    }
    PredictOptions po;
    po.top_k = top_k;
    po.relative_tolerance = tolerance;
    StatePrediction p;
    {
      py::gil_scoped_release release;
      torch::NoGradGuard no_grad;
      p = predict_from_state(*saved_.model, *state_, po, quiet);
    }
    const auto& names = saved_.schema.action_names;
    py::dict out;
    out["user"] = user_;
    out["last_time"] = last_time();
    out["predicted_time"] = scale.to_file(state_->last_time() + p.expected_time);
    out["median_time"] = scale.to_file(state_->last_time() + p.median_time);
    out["predicted_type"] = p.top_k_type.empty() ? py::object(py::none()) : py::object(py::str(names.at(p.top_k_type[0])));
    py::dict probability;
    for (std::size_t k = 0; k < p.type_probability.size(); ++k) probability[py::str(names.at(k))] = p.type_probability[k];
    out["type_probability"] = probability;
    py::list top;
    for (std::size_t j = 0; j < p.top_k_type.size(); ++j)
      top.append(py::make_tuple(names.at(p.top_k_type[j]), p.top_k_probability[j]));
    out["top_k"] = top;
    out["no_event_probability"] = p.no_event_probability;
    out["converged"] = p.converged;
    return out;
  }

  py::array_t<double> intensity(const std::vector<double>& times) {
    const TimeScale& scale = saved_.time_scale;
    std::vector<double> model_times;
    for (double t : times) {
      if (!std::isfinite(t)) throw Error("intensity: times must be finite");
      model_times.push_back(scale.to_model(t));
    }
    torch::Tensor lambda;
    {
      py::gil_scoped_release release;
      torch::NoGradGuard no_grad;
      lambda = (state_->intensity_at(*saved_.model, model_times) * scale.scale).contiguous();
    }
    const auto K = static_cast<std::size_t>(lambda.size(1));
    std::vector<double> values(lambda.data_ptr<double>(), lambda.data_ptr<double>() + lambda.numel());
    return to_matrix(values, times.size(), K);
  }

  double last_time() const { return saved_.time_scale.to_file(state_->last_time()); }
  std::size_t num_events() const { return state_->num_events(); }
  const std::string& user() const { return user_; }
  py::list types() const { return to_list(saved_.schema.action_names); }

 private:
  SavedModel saved_;  // shares the model with its PyModel, which the state must not outlive
  Context ctx_;
  std::string user_;
  std::optional<TextFeaturizer> featurizer_;
  std::unique_ptr<UserState> state_;
};

class PyModel {
 public:
  PyModel(py::dict config, const std::string& device, const std::string& dtype, int threads, std::uint64_t seed)
      : config_(from_py(config, "model config")), ctx_(make_context(device, dtype, threads, seed)) {
    if (!config_.is_object() || !config_.contains("model") || !config_["model"].is_string())
      throw Error("model config: missing string field \"model\"");
    if (config_.contains("train")) throw Error("model config: pass the training settings to fit(), not to the model");
    ModelRegistry::instance().keys(config_["model"].get<std::string>());  // an unknown name fails here, listing the known
  }
  PyModel(SavedModel saved, Context ctx) : config_(saved.config), saved_(std::move(saved)), ctx_(ctx) {
    config_["model"] = saved_->model->name();
  }

  static PyModel load(const std::string& path, const std::string& device, const std::string& dtype, int threads) {
    Context ctx = make_context(device, dtype, threads, 0);
    ctx.apply();
    SavedModel saved;
    {
      py::gil_scoped_release release;
      saved = load_model(path, ctx);
    }
    return PyModel(std::move(saved), ctx);
  }

  py::list fit(const Dataset& train, const std::optional<Dataset>& dev, py::dict train_config,
               const std::string& output, bool resume, const std::string& time_scale, py::object callback,
               bool verbose) {
    nlohmann::json full = config_;
    full["train"] = from_py(train_config, "train");
    const FitConfig fc = FitConfig::from_json(full, ctx_.seed, "model config");
    if (fc.train.iptw().enabled())
      for (const auto& seq : train.sequences)
        if (seq.category < 0)
          throw Error("train: iptw needs every training user's category; user '" + seq.user + "' has none");
    TrainingDataOptions data_options;
    data_options.time_scale = time_scale;
    data_options.text_features = fc.text_features;
    data_options.dev_name = "dev";
    FitOptions fo;
    fo.context = ctx_;
    fo.context.progress = verbose;
    fo.output = output;
    fo.resume = resume;
    EpochCallbackBuffer buffer(callback);
    std::ostream log(&buffer);
    log.exceptions(std::ios::badbit);  // an exception from the callback leaves the trainer at once
    fo.json_log = &log;
    fo.progress = verbose ? &std::cerr : nullptr;
    FitResult result;
    try {
      py::gil_scoped_release release;
      const TrainingData data = prepare_training_data(train, dev, data_options);
      result = fit_model(fc, data, fo);
    } catch (const CallbackStopped&) {
      throw py::error_already_set();
    }
    saved_ = result.model;
    history_ = nlohmann::json::array();
    for (const auto& r : result.training.history) history_.push_back(r.to_json());
    summary_ = {{"epochs", result.training.history.size()},
                {"best_epoch", result.training.best_epoch},
                {"best_dev_ll_per_event", std::isfinite(result.training.best_dev_ll_per_event)
                                              ? nlohmann::json(result.training.best_dev_ll_per_event)
                                              : nlohmann::json(nullptr)},
                {"stopped_early", result.training.stopped_early}};
    return to_py(history_);
  }

  py::dict evaluate(const Dataset& data, int top_k, std::size_t batch_size, double target_fraction, double tolerance,
                    const std::string& where, const std::string& point_predictor) const {
    const Predictor p = predictor();
    EvaluationOptions eo;
    eo.predictor = parse_point_predictor(point_predictor);
    eo.top_k = top_k;
    eo.batch_size = batch_size;
    eo.target_fraction = target_fraction;
    eo.predict.relative_tolerance = tolerance;
    check_fraction(target_fraction);
    Metrics m;
    {
      py::gil_scoped_release release;
      m = p.evaluate(data, eo, where_of(where));
    }
    nlohmann::json j = m.to_json();
    j["predictor"] = point_predictor;  // as `tpp evaluate --json` prints it
    return to_py(j);
  }

  py::dict predict(const Dataset& data, int top_k, std::size_t batch_size, double target_fraction, double tolerance,
                   const std::string& where) const {
    const Predictor p = predictor();
    EventPredictionOptions po;
    po.top_k = top_k;
    po.batch_size = batch_size;
    po.target_fraction = target_fraction;
    po.relative_tolerance = tolerance;
    check_fraction(target_fraction);
    std::vector<EventPrediction> rows;
    {
      py::gil_scoped_release release;
      rows = p.predict(data, po, where_of(where));
    }
    std::vector<std::string> user, type, predicted_type;
    std::vector<std::int64_t> index;
    std::vector<double> time, predicted, median, top_probability;
    std::vector<bool> converged;
    py::list top_types;
    std::size_t k = 0;
    for (const auto& r : rows) {
      user.push_back(r.user);
      index.push_back(static_cast<std::int64_t>(r.index));
      time.push_back(r.time);
      type.push_back(r.type);
      predicted.push_back(r.predicted_time);
      median.push_back(r.median_time);
      predicted_type.push_back(r.predicted_type);
      converged.push_back(r.converged);
      k = r.top_k.size();
      py::list names;
      for (const auto& t : r.top_k) {
        names.append(t.type);
        top_probability.push_back(t.probability);
      }
      top_types.append(names);
    }
    py::dict out;
    out["user"] = to_list(user);
    out["index"] = to_array(index);
    out["time"] = to_array(time);
    out["type"] = to_list(type);
    out["predicted_time"] = to_array(predicted);
    out["median_time"] = to_array(median);
    out["predicted_type"] = to_list(predicted_type);
    py::array_t<bool> conv(static_cast<py::ssize_t>(converged.size()));
    for (std::size_t i = 0; i < converged.size(); ++i) conv.mutable_data()[i] = converged[i];
    out["converged"] = conv;
    out["top_k_type"] = top_types;
    out["top_k_probability"] = to_matrix(top_probability, rows.size(), k);
    return out;
  }

  py::list intensity(const Dataset& data, int points, std::size_t batch_size, const std::string& where) const {
    if (points < 2) throw Error("intensity: points must be at least 2");
    const Predictor p = predictor();
    IntensityCurveOptions co;
    co.points = points;
    co.batch_size = batch_size;
    std::vector<SequenceIntensity> curves;
    {
      py::gil_scoped_release release;
      p.intensity_curves(data, co, [&curves](const SequenceIntensity& c) { curves.push_back(c); }, where_of(where));
    }
    py::list out;
    for (const auto& c : curves) {
      const std::size_t G = c.time.size(), K = c.types.size();
      std::vector<double> flat(G * K);
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t g = 0; g < G; ++g) flat[g * K + k] = c.intensity[k][g];
      py::dict row;
      row["user"] = c.user;
      row["time"] = to_array(c.time);
      row["intensity"] = to_matrix(flat, G, K);
      row["types"] = to_list(c.types);
      out.append(row);
    }
    return out;
  }

  py::dict intensity_plot(const Dataset& data, py::object which, int points, const std::string& svg,
                          const std::string& where) const {
    const Predictor p = predictor();
    const std::size_t i = sequence_index(data, which);
    IntensityPlot plot;
    {
      py::gil_scoped_release release;
      plot = p.intensity_plot(data, i, points, where_of(where));
      if (!svg.empty()) write_intensity_plot(svg, plot);
    }
    const std::size_t S = plot.grid.size(), K = plot.type_names.size();
    std::vector<double> flat;
    for (const auto& row : plot.curves) flat.insert(flat.end(), row.begin(), row.end());
    std::vector<double> event_time;
    std::vector<std::string> event_type;
    std::vector<bool> event_stimulus;
    for (const auto& e : plot.events) {
      event_time.push_back(e.time);
      const auto& names = e.is_stimulus ? plot.stimulus_names : plot.type_names;
      event_type.push_back(e.type >= 0 && static_cast<std::size_t>(e.type) < names.size() ? names[e.type]
                                                                                        : std::to_string(e.type));
      event_stimulus.push_back(e.is_stimulus);
    }
    py::dict out;
    out["user"] = data.sequences[i].user;
    out["time"] = to_array(plot.grid);
    out["intensity"] = to_matrix(flat, S, K);
    out["types"] = to_list(plot.type_names);
    out["event_time"] = to_array(event_time);
    out["event_type"] = to_list(event_type);
    py::array_t<bool> stim(static_cast<py::ssize_t>(event_stimulus.size()));
    for (std::size_t j = 0; j < event_stimulus.size(); ++j) stim.mutable_data()[j] = event_stimulus[j];
    out["event_stimulus"] = stim;
    out["title"] = plot.title;
    return out;
  }

  Dataset sample(std::size_t num_sequences, double horizon, std::uint64_t seed, bool generic_sampler,
                 int num_types) const {
    if (!(horizon > 0) || !std::isfinite(horizon)) throw Error("sample: horizon must be positive and finite");
    if (num_sequences == 0) throw Error("sample: num_sequences must be positive");
    Context ctx = ctx_;
    ctx.apply();
    py::gil_scoped_release release;
    // An unfitted model samples with the parameters its config gives (as `tpp simulate --config`).
    const SavedModel model = saved_ ? *saved_ : model_for_simulation(config_, num_types, ctx);
    return simulate_in_file_units(model, num_sequences, horizon, seed, !generic_sampler, ctx);
  }

  py::dict sample_next(const Dataset& data, py::object which, int num_events, int num_samples, double horizon,
                       std::uint64_t seed, const std::string& where) const {
    const Predictor p = predictor();
    if (num_events < 1 || num_samples < 1) throw Error("sample_next: num_events and num_samples must be positive");
    const Dataset model_data = aligned_to_model_units(p, data, where_of(where));
    const Sequence& prefix = model_data.sequences.at(sequence_index(model_data, which));
    const TimeScale& scale = saved_->time_scale;
    GenerateOptions go;
    go.num_events = num_events;
    go.num_samples = num_samples;
    go.horizon = std::isfinite(horizon) ? horizon * scale.scale : horizon;
    go.seed = seed;
    GeneratedEvents g;
    {
      py::gil_scoped_release release;
      g = generate_next_events(*saved_->model, saved_->schema, prefix, go, ctx_);
    }
    const auto& names = saved_->schema.action_names;
    py::list samples;
    for (const auto& s : g.samples) {
      std::vector<double> t;
      std::vector<std::string> k;
      for (const auto& e : s) {
        t.push_back(scale.to_file(e.time));
        k.push_back(names.at(e.type));
      }
      py::dict row;
      row["time"] = to_array(t);
      row["type"] = to_list(k);
      samples.append(row);
    }
    std::vector<double> mean;
    for (double t : g.mean_time) mean.push_back(scale.to_file(t));
    std::vector<double> freq;
    for (const auto& row : g.type_frequency) freq.insert(freq.end(), row.begin(), row.end());
    std::vector<std::int64_t> reached(g.reached.begin(), g.reached.end());
    py::dict out;
    out["samples"] = samples;
    out["mean_time"] = to_array(mean);
    out["type_frequency"] = to_matrix(freq, g.type_frequency.size(), names.size());
    out["reached"] = to_array(reached);
    out["types"] = to_list(names);
    return out;
  }

  PyState state(py::object data, py::object which, py::object t_start, py::object features,
                const std::string& where) const {
    const Predictor p = predictor();
    const TimeScale& scale = saved_->time_scale;
    Sequence user;
    if (!data.is_none()) {
      const Dataset model_data = aligned_to_model_units(p, data.cast<const Dataset&>(), where_of(where));
      user = model_data.sequences.at(sequence_index(model_data, which));
      if (!t_start.is_none()) throw Error("state: t_start comes from the data's window when data is given");
    } else {
      if (t_start.is_none()) throw Error("state: give the user's events (data=) or a start time (t_start=)");
      user.user = which.is_none() ? "user" : py::str(which).cast<std::string>();
      user.t_start = user.t_end = scale.to_model(t_start.cast<double>());
      if (!features.is_none()) user.features = features.cast<std::vector<float>>();
      if (static_cast<int>(user.features.size()) != saved_->schema.user_feature_dim)
        throw Error(fmt::format("state: features: the model reads {} user features, got {}",
                                saved_->schema.user_feature_dim, user.features.size()));
    }
    py::gil_scoped_release release;
    return PyState(*saved_, ctx_, std::move(user));
  }

  py::dict intensity_error(const Dataset& data, py::object truth, int points, std::size_t batch_size,
                           const std::string& where) const {
    const Predictor p = predictor();
    const IntensityTruth t = py::isinstance<py::str>(truth)
                                 ? IntensityTruth::load(truth.cast<std::string>(), ctx_)
                                 : IntensityTruth::from_json(from_py(truth, "truth"), ".", ctx_);
    IntensityErrorOptions io;
    io.points = points;
    io.batch_size = batch_size;
    IntensityError e;
    {
      py::gil_scoped_release release;
      e = tpp::intensity_error(p, data, t, io, where_of(where));
    }
    py::dict out = to_py(e.to_json());
    out["per_sequence"] = to_array(e.per_sequence);
    out["users"] = to_list(e.users);
    return out;
  }

  void save(const std::string& path) const {
    require_fitted("save");
    py::gil_scoped_release release;
    save_model(path, saved_->model, saved_->schema, saved_->time_scale);
  }

  bool fitted() const { return saved_.has_value(); }
  py::object config() const { return to_py(saved_ ? saved_->config : config_); }
  std::string name() const { return config_.at("model").get<std::string>(); }
  py::object schema() const { return saved_ ? to_py(to_json(saved_->schema)) : py::object(py::none()); }
  py::object time_scale() const { return saved_ ? to_py(to_json(saved_->time_scale)) : py::object(py::none()); }
  py::object history() const { return to_py(history_); }
  py::object summary() const { return to_py(summary_); }
  std::size_t num_parameters() const {
    require_fitted("num_parameters");
    std::size_t n = 0;
    for (const auto& t : saved_->model->parameters()) n += static_cast<std::size_t>(t.numel());
    return n;
  }

 private:
  void require_fitted(const char* what) const {
    if (!saved_) throw Error(std::string(what) + ": the model is not fitted (call fit() or load a model file)");
  }
  static void check_fraction(double f) {
    if (!(f > 0 && f <= 1)) throw Error("target_fraction: must be in (0, 1]");
  }
  Predictor predictor() const {
    require_fitted("prediction");
    return Predictor(*saved_, ctx_);
  }

  nlohmann::json config_;  // the model config, "model" included, no "train"
  std::optional<SavedModel> saved_;
  Context ctx_;
  nlohmann::json history_ = nlohmann::json::array();
  nlohmann::json summary_ = nlohmann::json::object();
};

}  // namespace

void bind_models(py::module_& m) {
  py::class_<PyState>(m, "State")
      .def("observe", &PyState::observe, py::arg("time"), py::arg("type"), py::arg("stimulus") = false,
           py::arg("text") = "", py::arg("meta") = py::none(),
           "Appends one event (file time units; type by name or id) to the user's history.")
      .def("predict", &PyState::predict, py::arg("as_of") = py::none(), py::arg("top_k") = 3,
           py::arg("tolerance") = 1e-10,
           "The next event: expected and median time (file units), type probabilities; as_of conditions on no "
           "event between the last one and that time.")
      .def("intensity", &PyState::intensity, py::arg("times"),
           "Per-type intensity [len(times), K] at file times at or after the last event, per file time unit.")
      .def_property_readonly("last_time", &PyState::last_time)
      .def_property_readonly("num_events", &PyState::num_events)
      .def_property_readonly("user", &PyState::user)
      .def_property_readonly("types", &PyState::types);

  py::class_<PyModel>(m, "_Model")
      .def(py::init<py::dict, const std::string&, const std::string&, int, std::uint64_t>(), py::arg("config"),
           py::arg("device") = "cpu", py::arg("dtype") = "float64", py::arg("threads") = 0, py::arg("seed") = 0)
      .def_static("load", &PyModel::load, py::arg("path"), py::arg("device") = "cpu", py::arg("dtype") = "float64",
                  py::arg("threads") = 0)
      .def("fit", &PyModel::fit, py::arg("train"), py::arg("dev"), py::arg("train_config"), py::arg("output") = "",
           py::arg("resume") = false, py::arg("time_scale") = "auto", py::arg("callback") = py::none(),
           py::arg("verbose") = false)
      .def("evaluate", &PyModel::evaluate, py::arg("data"), py::arg("top_k") = 5, py::arg("batch_size") = 64,
           py::arg("target_fraction") = 1.0, py::arg("tolerance") = 1e-10, py::arg("where") = "",
           py::arg("predictor") = "intensity")
      .def("predict", &PyModel::predict, py::arg("data"), py::arg("top_k") = 3, py::arg("batch_size") = 64,
           py::arg("target_fraction") = 1.0, py::arg("tolerance") = 1e-10, py::arg("where") = "")
      .def("intensity", &PyModel::intensity, py::arg("data"), py::arg("points") = 200, py::arg("batch_size") = 64,
           py::arg("where") = "")
      .def("intensity_plot", &PyModel::intensity_plot, py::arg("data"), py::arg("user") = py::none(),
           py::arg("points") = 200, py::arg("svg") = "", py::arg("where") = "")
      .def("sample", &PyModel::sample, py::arg("num_sequences"), py::arg("horizon"), py::arg("seed") = 0,
           py::arg("generic_sampler") = false, py::arg("num_types") = 0)
      .def("sample_next", &PyModel::sample_next, py::arg("data"), py::arg("user") = py::none(),
           py::arg("num_events") = 1, py::arg("num_samples") = 100,
           py::arg("horizon") = std::numeric_limits<double>::infinity(), py::arg("seed") = 0, py::arg("where") = "")
      .def("state", &PyModel::state, py::arg("data") = py::none(), py::arg("user") = py::none(),
           py::arg("t_start") = py::none(), py::arg("features") = py::none(), py::arg("where") = "")
      .def("intensity_error", &PyModel::intensity_error, py::arg("data"), py::arg("truth"), py::arg("points") = 1000,
           py::arg("batch_size") = 64, py::arg("where") = "")
      .def("save", &PyModel::save, py::arg("path"))
      .def_property_readonly("fitted", &PyModel::fitted)
      .def_property_readonly("config", &PyModel::config)
      .def_property_readonly("name", &PyModel::name)
      .def_property_readonly("schema", &PyModel::schema)
      .def_property_readonly("time_scale", &PyModel::time_scale)
      .def_property_readonly("history", &PyModel::history)
      .def_property_readonly("summary", &PyModel::summary)
      .def_property_readonly("num_parameters", &PyModel::num_parameters);

  m.def("model_names", [] { return ModelRegistry::instance().names(); });
  m.def("model_keys", [](const std::string& name) {
    py::list out;
    for (const auto& k : ModelRegistry::instance().keys(name)) {
      py::dict row;
      row["key"] = k.key;
      row["value"] = k.value;
      row["default"] = k.fallback;
      row["doc"] = k.doc;
      out.append(row);
    }
    return out;
  });
  m.def("process_names", [] { return process_names(); });
  m.def(
      "_generate",
      [](const std::string& process, py::dict config, std::size_t n_seq, std::uint64_t seed, const std::string& output) {
        if (n_seq == 0) throw Error("generate: n_seq must be positive");
        const nlohmann::json cfg = from_py(config, "generator config");
        GeneratedData gen;
        OracleScore oracle;
        {
          py::gil_scoped_release release;
          gen = generate_process(process, cfg, n_seq, seed);
          if (!output.empty()) write_generated_files(gen, process, seed, generated_paths(output));
          oracle = oracle_score(gen, process);
        }
        py::dict info;
        info["process"] = process;
        info["config"] = to_py(gen.config);
        info["truth"] = to_py(nlohmann::json(gen.truth));
        info["actions"] = oracle.actions;
        info["stimuli"] = oracle.stimuli;
        info["oracle_log_likelihood_per_action"] = oracle.per_action();
        if (!output.empty()) {
          const GeneratedPaths paths = generated_paths(output);
          py::dict files;
          files["events"] = paths.events;
          files["users"] = paths.users;
          files["schema"] = paths.schema;
          files["truth"] = paths.truth;
          info["files"] = files;
        }
        return py::make_tuple(py::cast(std::move(gen.data)), info);
      },
      py::arg("process"), py::arg("config"), py::arg("n_seq"), py::arg("seed") = 0, py::arg("output") = "");
}

}  // namespace tpp::python
