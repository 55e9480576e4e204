#include "tpp/train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <ostream>
#include <set>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/core/progress.h"
#include "tpp/core/rng.h"
#include "tpp/data/batch.h"
#include "tpp/train/epoch_progress.h"
#include "tpp/train/flat_parameters.h"
#include "tpp/train/mle.h"
#include "tpp/train/objective.h"

namespace tpp {

namespace {

constexpr const char* kCheckpointFormat = "tpp-checkpoint-1";

// Independent, reproducible stream per epoch: resuming at epoch e reseeds exactly as an
// uninterrupted run does, so no generator state has to be serialised.
std::uint64_t epoch_seed(std::uint64_t seed, int epoch) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(epoch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<torch::Tensor> state_tensors(Model& model) {
  std::vector<torch::Tensor> out;
  for (auto& p : model.parameters()) out.push_back(p);
  for (auto& b : model.buffers()) out.push_back(b);
  return out;
}

std::vector<torch::Tensor> snapshot(Model& model) {
  std::vector<torch::Tensor> out;
  for (auto& t : state_tensors(model)) out.push_back(t.detach().clone());
  return out;
}

void restore(Model& model, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard guard;
  auto live = state_tensors(model);
  if (live.size() != saved.size()) throw Error("checkpoint: saved state does not match the model");
  for (std::size_t i = 0; i < live.size(); ++i) live[i].copy_(saved[i]);
}


nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double number_from(const nlohmann::json& j) { return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>(); }

IntegralOptions::Method parse_integral(const std::string& name) {
  if (name == "mc") return IntegralOptions::Method::MonteCarlo;
  if (name == "gl") return IntegralOptions::Method::GaussLegendre;
  if (name == "exact") return IntegralOptions::Method::Exact;
  throw Error("train: \"integral\" must be \"mc\", \"gl\" or \"exact\", got \"" + name + "\"");
}

}  // namespace

const ConfigFields<TrainConfig>& TrainConfig::iptw_fields() {
  using rules::non_negative;
  static const auto fields =
      ConfigFields<TrainConfig>("train: \"iptw\"")
          .field("bins", &TrainConfig::iptw_bins,
                 "bins per embedding dimension (1/δ), or \"auto\" (Proposition 3's rule)",
                 Rule<nlohmann::json>{[](const nlohmann::json& v) {
                                        return (v.is_number_integer() && v.get<int64_t>() >= 1 &&
                                                v.get<int64_t>() <= 1000) ||
                                               v == "auto";
                                      },
                                      "an integer in [1, 1000] or \"auto\""})
          .field("refit_every", &TrainConfig::iptw_refit_every,
                 "η: weights refitted after every η-th epoch; 0: never (all weights 1)", non_negative<int>())
          .field("stabilized", &TrainConfig::iptw_stabilized,
                 "stabilised weights (Remark 1: the pooled transition density over the category's) instead of plain ones")
          .field("dims", &TrainConfig::iptw_dims,
                 "q: embedding dimensions binned (a fixed seeded projection when the embedding is wider)",
                 Rule<int>{[](const int& v) { return v >= 1 && v <= 8; }, "in [1, 8]"})
          .field("truncate", &TrainConfig::iptw_truncate,
                 "weights above this quantile of the training weights are set to it; 1: no truncation",
                 Rule<double>{[](const double& v) { return v > 0 && v <= 1; }, "in (0, 1]"});
  return fields;
}

const ConfigFields<TrainConfig>& TrainConfig::fields() {
  using rules::non_negative;
  using rules::positive;
  static const auto fields =
      ConfigFields<TrainConfig>("train")
          .field("optimizer", &TrainConfig::optimizer,
                 "\"adam\" (mini-batch) or \"lbfgs\" (full batch, fit_mle from train/mle.h; for classical models)",
                 rules::one_of({"adam", "lbfgs"}))
          .field("lr", &TrainConfig::lr, "Adam learning rate", positive<double>())
          .field("weight_decay", &TrainConfig::weight_decay, "Adam L2 weight decay", non_negative<double>())
          .field("batch_size", &TrainConfig::batch_size, "sequences per mini-batch", positive<int>())
          .field("bucket_window", &TrainConfig::bucket_window,
                 "batches per length-sorting window (see below); 0 or 1: plain shuffled batches", non_negative<int>())
          .field("epochs", &TrainConfig::epochs, "maximum epochs", non_negative<int>())
          .field("clip", &TrainConfig::clip, "max global gradient L2 norm; 0 disables clipping", non_negative<double>())
          .field("patience", &TrainConfig::patience,
                 "stop after this many epochs without a new best dev LL/event; 0 never stops (needs --dev)",
                 non_negative<int>())
          .field("integral", &TrainConfig::integral,
                 "training compensator: Monte Carlo, Gauss–Legendre, or the closed form where the model has one "
                 "(else Gauss–Legendre)",
                 rules::one_of({"mc", "gl", "exact"}))
          .field("mc_points", &TrainConfig::mc_points, "samples (or nodes for \"gl\") per inter-event interval",
                 positive<int>())
          .field("eval_points", &TrainConfig::eval_points, "Gauss–Legendre nodes per interval for dev evaluation",
                 positive<int>())
          .object("loss_weights", "ExPERT eq. (6) weights λ_ll, λ_type, λ_time, each >= 0, not all zero",
                  ConfigFields<TrainConfig>("train: \"loss_weights\"")
                      .field("ll", &TrainConfig::loss_ll, "log-likelihood weight", non_negative<double>())
                      .field("type", &TrainConfig::loss_type, "type cross-entropy weight", non_negative<double>())
                      .field("time", &TrainConfig::loss_time, "time squared-error weight", non_negative<double>()))
          .field("seed", &TrainConfig::seed, "seeds batch order, dropout and Monte Carlo draws (see below)")
          .shown_default("--seed")
          .field("max_iterations", &TrainConfig::max_iterations, "L-BFGS only: iteration limit", positive<int>())
          .field("tolerance", &TrainConfig::tolerance, "L-BFGS only: stop when LL/event changes by less")
          .object("iptw", "counterfactual re-weighting by the users' categories (docs/iptw.md); Adam only",
                  iptw_fields())
          .check([](const TrainConfig& c) {
            return c.loss_ll + c.loss_type + c.loss_time == 0 ? "all loss weights are zero" : "";
          });
  return fields;
}

TrainConfig TrainConfig::from_json(const nlohmann::json& j, std::uint64_t default_seed) {
  TrainConfig c;
  c.seed = default_seed;  // kept when "seed" is absent
  if (!j.is_null()) fields().read(j, c);
  return c;
}

nlohmann::json TrainConfig::to_json() const { return fields().write(*this); }

LossWeights TrainConfig::loss_weights() const { return {loss_ll, loss_type, loss_time}; }

IntegralOptions TrainConfig::training_integral(int epoch) const {
  IntegralOptions options{parse_integral(integral), mc_points};
  options.seed = epoch_seed(seed, epoch);
  return options;
}

IntegralOptions TrainConfig::evaluation_integral() const { return {IntegralOptions::Method::Exact, eval_points}; }

IptwConfig TrainConfig::iptw() const {
  IptwConfig c;
  c.auto_bins = iptw_bins.is_string();
  c.bins = c.auto_bins ? 0 : iptw_bins.get<int>();
  c.refit_every = iptw_refit_every;
  c.stabilized = iptw_stabilized;
  c.dims = iptw_dims;
  c.truncate = iptw_truncate;
  c.seed = seed;
  return c;
}

nlohmann::json EpochRecord::to_json() const {
  nlohmann::json j = {{"epoch", epoch},
                      {"loss", number_or_null(loss)},
                      {"dev_ll_per_event", number_or_null(dev_ll_per_event)},
                      {"events_per_second", events_per_second},
                      {"seconds", seconds},
                      {"improved", improved}};
  if (!iptw.is_null()) j["iptw"] = iptw;
  return j;
}

double log_likelihood_per_event(Model& model, const Dataset& data, const IntegralOptions& integral, const Context& ctx,
                                int batch_size) {
  return log_likelihood_per_event(model, DatasetSource(data), integral, ctx, batch_size);
}

double log_likelihood_per_event(Model& model, const SequenceSource& data, const IntegralOptions& integral,
                                const Context& ctx, int batch_size) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard guard;
  double total = 0.0, events = 0.0;
  for (const auto& indices : length_sorted_batch_indices(data, static_cast<std::size_t>(batch_size))) {
    Batch b = data.batch(indices, ctx);
    total += model.likelihood_terms(model.encode(b), integral).weighted_sum(b.weight).item<double>();
    events += weighted_action_count(b).item<double>();
  }
  model.train(was_training);
  if (events == 0) throw Error("evaluation data has no actions");
  return total / events;
}

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  write_archive_atomically(archive, path);
}

Trainer::Trainer(ModelPtr model, TrainConfig config, Context ctx, TrainerOptions options)
    : model_(std::move(model)), config_(std::move(config)), ctx_(ctx), options_(std::move(options)) {
  if (!model_) throw Error("trainer: no model");
}

namespace {

// Everything an epoch boundary needs to continue as if never interrupted.
struct RunState {
  int epoch{0};
  double best_dev{-std::numeric_limits<double>::infinity()};
  int best_epoch{0};
  int bad_epochs{0};
  std::vector<EpochRecord> history;
  std::vector<torch::Tensor> best;  // best parameters+buffers (empty: the current ones are best)
  // IPTW weights of the last refit, per training sequence and interval (empty: all 1).
  std::vector<std::vector<double>> iptw_weights;
};

nlohmann::json records_to_json(const std::vector<EpochRecord>& history) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : history) out.push_back(r.to_json());
  return out;
}

std::vector<EpochRecord> records_from_json(const nlohmann::json& j) {
  std::vector<EpochRecord> out;
  for (const auto& r : j) {
    EpochRecord e;
    e.epoch = r.at("epoch").get<int>();
    e.loss = number_from(r.at("loss"));
    e.dev_ll_per_event = number_from(r.at("dev_ll_per_event"));
    e.events_per_second = r.at("events_per_second").get<double>();
    e.seconds = r.at("seconds").get<double>();
    e.improved = r.at("improved").get<bool>();
    if (r.contains("iptw")) e.iptw = r.at("iptw");
    out.push_back(e);
  }
  return out;
}

// Train-config keys that change the trajectory: a resume must use the same ones.
nlohmann::json trajectory_keys(const TrainConfig& c) {
  auto j = c.to_json();
  j.erase("epochs");
  j.erase("patience");
  return j;
}

// The first key path at which two JSON values differ ("d_model", "action_names[3]"); empty when equal.
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "") {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, _] : a.items()) keys.insert(k);
    for (const auto& [k, _] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const std::string here = at.empty() ? k : at + "." + k;
      if (!a.contains(k) || !b.contains(k)) return here;
      std::string d = first_difference(a[k], b[k], here);
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string d = first_difference(a[i], b[i], at + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : (at.empty() ? "value" : at);
}

// The value at a key path of first_difference, for the message ("absent" when a side lacks it).
std::string value_at(const nlohmann::json& j, const std::string& path) {
  const nlohmann::json* v = &j;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') { ++i; continue; }
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      const std::size_t index = std::stoul(path.substr(i + 1, close - i - 1));
      if (!v->is_array() || index >= v->size()) return "absent";
      v = &(*v)[index];
      i = close + 1;
      continue;
    }
    std::size_t end = path.find_first_of(".[", i);
    if (end == std::string::npos) end = path.size();
    const std::string key = path.substr(i, end - i);
    if (!v->is_object() || !v->contains(key)) return "absent";
    v = &(*v)[key];
    i = end;
  }
  const std::string text = v->dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

// A resume continues the run the checkpoint holds: the same architecture (the whole model config)
// on data of the same schema, else the parameters loaded would not fit the model or the data.
void check_same(const std::string& path, const nlohmann::json& saved, const nlohmann::json& now, const char* what,
                const char* now_is) {
  const std::string d = first_difference(saved, now);
  if (d.empty()) return;
  throw Error(fmt::format("{}: cannot resume: {} field \"{}\" is {} in the checkpoint, {} in {}", path, what, d,
                          value_at(saved, d), value_at(now, d), now_is));
}

void write_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                      const TrainConfig& config, const Schema& schema, const RunState& state) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive, optimizer_archive, best_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  for (std::size_t i = 0; i < state.best.size(); ++i) best_archive.write("t" + std::to_string(i), state.best[i]);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("best", best_archive);
  if (!state.iptw_weights.empty()) {
    // Flat, with each sequence's length: a resume trains on the weights of the last refit without
    // refitting from parameters it no longer has.
    std::vector<double> flat;
    std::vector<int64_t> sizes;
    for (const auto& w : state.iptw_weights) {
      flat.insert(flat.end(), w.begin(), w.end());
      sizes.push_back(static_cast<int64_t>(w.size()));
    }
    torch::serialize::OutputArchive iptw_archive;
    iptw_archive.write("weight", torch::tensor(flat, torch::kFloat64));
    iptw_archive.write("size", torch::tensor(sizes, torch::kLong));
    archive.write("iptw", iptw_archive);
  }
  nlohmann::json meta = {{"format", kCheckpointFormat},
                         {"model", model.name()},
                         {"model_config", model.config()},
                         {"schema", to_json(schema)},
                         {"train", trajectory_keys(config)},
                         {"epoch", state.epoch},
                         {"best_dev_ll_per_event", number_or_null(state.best_dev)},
                         {"best_epoch", state.best_epoch},
                         {"bad_epochs", state.bad_epochs},
                         {"best_saved", static_cast<int64_t>(state.best.size())},
                         {"history", records_to_json(state.history)}};
  archive.write("meta", c10::IValue(meta.dump()));
  save_archive_atomically(archive, path);
}

RunState read_checkpoint(const std::string& path, Model& model, torch::optim::Optimizer& optimizer,
                         const TrainConfig& config, const Schema& schema, const Context& ctx) {
  RunState state;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, ctx.device);
    c10::IValue meta_value;
    if (!archive.try_read("meta", meta_value)) throw Error(path + ": not a tpp checkpoint");
    auto meta = nlohmann::json::parse(meta_value.toStringRef());
    if (meta.value("format", "") != kCheckpointFormat) throw Error(path + ": not a tpp checkpoint");
    if (meta.at("model").get<std::string>() != model.name())
      throw Error(path + ": checkpoint is for model \"" + meta.at("model").get<std::string>() + "\", config says \"" +
                  model.name() + "\"");
    if (meta.at("train") != trajectory_keys(config))
      throw Error(path + ": the \"train\" settings differ from the checkpoint's (only epochs and patience may change): " +
                  meta.at("train").dump());
    // Checkpoints written before these keys were recorded resume unchecked, as they always did.
    if (meta.contains("model_config")) check_same(path, meta.at("model_config"), model.config(), "model", "the config");
    if (meta.contains("schema")) {
      // The counts first: they say more than the first of the names that differ.
      const nlohmann::json saved = meta.at("schema"), now = to_json(schema);
      for (const char* key : {"num_action_types", "num_stimulus_types"})
        if (saved.contains(key)) check_same(path, {{key, saved.at(key)}}, {{key, now.at(key)}}, "schema", "the training data");
      check_same(path, saved, now, "schema", "the training data");
    }
    torch::serialize::InputArchive model_archive, optimizer_archive, best_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    archive.read("best", best_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    const int64_t best_count = meta.at("best_saved").get<int64_t>();
    for (int64_t i = 0; i < best_count; ++i) {
      torch::Tensor t;
      best_archive.read("t" + std::to_string(i), t);
      state.best.push_back(t);
    }
    state.epoch = meta.at("epoch").get<int>();
    state.best_dev = number_from(meta.at("best_dev_ll_per_event"));
    if (std::isnan(state.best_dev)) state.best_dev = -std::numeric_limits<double>::infinity();
    state.best_epoch = meta.at("best_epoch").get<int>();
    state.bad_epochs = meta.at("bad_epochs").get<int>();
    state.history = records_from_json(meta.at("history"));
    torch::serialize::InputArchive iptw_archive;
    if (archive.try_read("iptw", iptw_archive)) {
      torch::Tensor flat, sizes;
      iptw_archive.read("weight", flat);
      iptw_archive.read("size", sizes);
      flat = flat.to(torch::kCPU, torch::kFloat64).contiguous();
      sizes = sizes.to(torch::kCPU);
      const double* data = flat.data_ptr<double>();
      int64_t offset = 0;
      for (int64_t k = 0; k < sizes.size(0); ++k) {
        const int64_t n = sizes[k].item<int64_t>();
        state.iptw_weights.emplace_back(data + offset, data + offset + n);
        offset += n;
      }
    }
  } catch (const c10::Error& e) {
    throw Error(path + ": unreadable checkpoint: " + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt checkpoint metadata: " + e.what());
  }
  return state;
}

// Dev LL/event of a data-parallel group: each rank scores its shard of every evaluation batch and
// the sums are added over the group, so every rank gets the single-process value (up to the order
// of the sums) for a world_size-th of the work.
double group_log_likelihood_per_event(Model& model, const SequenceSource& data, const IntegralOptions& integral,
                                      const Context& ctx, Collectives& group, int batch_size = 256) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard guard;
  double total = 0.0, events = 0.0;
  for (const auto& batch : length_sorted_batch_indices(data, static_cast<std::size_t>(batch_size) * group.world_size())) {
    const auto shard = shard_of_batch(batch, group.rank(), group.world_size());
    if (shard.empty()) continue;
    Batch b = data.batch(shard, ctx);
    total += model.likelihood_terms(model.encode(b), integral).weighted_sum(b.weight).item<double>();
    events += weighted_action_count(b).item<double>();
  }
  model.train(was_training);
  std::vector<torch::Tensor> sums{torch::tensor({total, events}, torch::TensorOptions(torch::kFloat64).device(ctx.device))};
  group.all_reduce_sum(sums);
  const auto summed = sums[0].cpu();
  if (summed[1].item<double>() == 0) throw Error("evaluation data has no actions");
  return summed[0].item<double>() / summed[1].item<double>();
}

// One data-parallel step up to the optimiser: this rank's shard of the global batch is encoded and
// its unnormalised objective differentiated, then the gradient (in buckets), the objective and the
// action and event counts are summed over the group in one round of operations, and the gradient
// divided by the global action count: the gradient of the whole batch's objective per action, as
// one process computes it. A rank whose shard is empty or has no actions still takes part.
struct GroupStep {
  double objective{0.0};  // Σ over the global batch of the training objective
  double actions{0.0};    // actions in the global batch (the normaliser)
  double events{0.0};     // user actions encoded (throughput)
};

GroupStep group_step(Model& model, Collectives& group, const SequenceSource& train, const std::vector<std::size_t>& batch,
                     const std::vector<std::vector<double>>& iptw_weights, const IntegralOptions& integral,
                     const LossWeights& weights, FlatParameters& parameters, const Context& ctx) {
  parameters.zero_grad();
  double local[3] = {0.0, 0.0, 0.0};
  const auto shard = shard_of_batch(batch, group.rank(), group.world_size());
  if (!shard.empty()) {
    Batch b = train.batch(shard, ctx);
    if (!iptw_weights.empty()) b.weight = batch_weights(b, iptw_weights);
    local[1] = b.action_mask.sum().item<double>();
    if (local[1] > 0) {
      auto objective = training_objective(model, b, integral, weights).loss;
      objective.backward();
      local[0] = objective.item<double>();
      local[2] = (b.mask & ~b.is_stimulus).sum().item<double>();
    }
  }
  const torch::Tensor gradient = parameters.flat().grad();
  std::vector<torch::Tensor> reduced = gradient_buckets(gradient);
  reduced.push_back(torch::tensor({local[0], local[1], local[2]}, torch::TensorOptions(torch::kFloat64).device(ctx.device)));
  group.all_reduce_sum(reduced);
  const auto sums = reduced.back().cpu();
  GroupStep step{sums[0].item<double>(), sums[1].item<double>(), sums[2].item<double>()};
  if (step.actions > 0) {
    torch::NoGradGuard guard;
    gradient.div_(step.actions);
  }
  return step;
}

// Every rank must start from the same parameters, at the same place in the run, on the same
// training data: rank 0's parameters are broadcast (they agree already when every rank seeded the
// same initialisation or read the same checkpoint), and a rank that resumed at another epoch or
// read other data (whose batch order would differ) is an error.
void agree_on_start(Collectives& group, FlatParameters& parameters, int epoch, const SequenceSource& train,
                    const std::string& checkpoint) {
  torch::NoGradGuard guard;
  std::size_t events_count = 0;
  for (std::size_t n : train.lengths()) events_count += n;
  const double events = static_cast<double>(events_count);
  const double local[3] = {static_cast<double>(epoch), static_cast<double>(train.size()), events};
  std::vector<torch::Tensor> start{parameters.flat().detach(),
                                   torch::tensor({local[0], local[1], local[2]},
                                                 torch::TensorOptions(torch::kFloat64).device(parameters.flat().device()))};
  group.broadcast(start, 0);
  const auto root = start[1].cpu();
  const double root_epoch = root[0].item<double>(), root_sequences = root[1].item<double>(),
               root_events = root[2].item<double>();
  if (root_sequences != local[1] || root_events != local[2])
    throw Error(fmt::format("distributed training: rank {} read {} training sequences with {} events, rank 0 {} "
                            "with {} (every rank must read the same training data)",
                            group.rank(), local[1], local[2], root_sequences, root_events));
  if (root_epoch != local[0])
    throw Error(fmt::format("distributed training: rank {} resumes after epoch {} but rank 0 after epoch {} "
                            "(every rank must read the same checkpoint {})",
                            group.rank(), epoch, root_epoch, checkpoint.empty() ? "(none)" : checkpoint));
}

void check_schema(const Model& model, const SequenceSource& data, const char* what) {
  if (data.schema().num_action_types != model.num_types())
    throw Error(fmt::format("{} data has {} action types, the model {}", what, data.schema().num_action_types, model.num_types()));
  if (data.num_actions() == 0) throw Error(fmt::format("{} data has no actions", what));
}

}  // namespace

TrainResult Trainer::fit(const Dataset& train, const Dataset* dev) {
  const DatasetSource train_source(train);
  if (!dev) return fit(train_source, nullptr);
  const DatasetSource dev_source(*dev);
  return fit(train_source, &dev_source);
}

TrainResult Trainer::fit(const SequenceSource& train, const SequenceSource* dev) {
  model_->to(ctx_.device, ctx_.dtype);
  check_schema(*model_, train, "training");
  if (dev) check_schema(*model_, *dev, "dev");
  Collectives* group = options_.group;
  if (config_.optimizer == "lbfgs") {
    if (group) throw Error("train: \"lbfgs\" is full-batch training in one process; data-parallel training needs \"adam\"");
    return fit_lbfgs(train, dev);
  }
  const bool writes_checkpoint = !options_.checkpoint.empty() && (!group || group->rank() == 0);

  FlatParameters parameters(*model_);
  torch::optim::Adam optimizer({parameters.flat()},
                               torch::optim::AdamOptions(config_.lr).weight_decay(config_.weight_decay));
  RunState state;
  if (options_.resume && !options_.checkpoint.empty() && std::filesystem::exists(options_.checkpoint)) {
    state = read_checkpoint(options_.checkpoint, *model_, optimizer, config_, train.schema(), ctx_);
    parameters.rebind(*model_);  // Module::load replaced the parameters' storage
  }
  if (group) agree_on_start(*group, parameters, state.epoch, train, options_.checkpoint);

  const IntegralOptions evaluation = config_.evaluation_integral();
  const LossWeights weights = config_.loss_weights();
  const IptwConfig iptw = config_.iptw();
  if (iptw.enabled()) {
    try {
      check_iptw_categories(train);
    } catch (const Error& e) {
      throw Error(std::string("train: \"iptw\": ") + e.what() +
                  " (a users file or a category column with a category for every training user)");
    }
  }
  auto stop_now = [&] { return dev && config_.patience > 0 && state.bad_epochs >= config_.patience; };

  const std::vector<std::size_t> lengths = train.lengths();
  TrainResult result;
  int epochs_this_call = 0;
  double seconds_this_call = 0.0;
  while (state.epoch < config_.epochs && !stop_now()) {
    const int epoch = state.epoch + 1;
    const auto began = std::chrono::steady_clock::now();
    const std::uint64_t seed = epoch_seed(config_.seed, epoch);
    // Rank 0 draws what one process draws; the other ranks draw their own dropout masks.
    torch::manual_seed(group && group->rank() > 0 ? stream_seed(seed, static_cast<std::uint64_t>(group->rank())) : seed);
    model_->train();
    const IntegralOptions integral = config_.training_integral(epoch);
    // events_sum counts every user action encoded, those at a window start included: throughput is
    // work done, not the loss's denominator (actions_sum).
    double loss_sum = 0.0, actions_sum = 0.0, events_sum = 0.0;
    const auto batches = bucketed_batch_indices(lengths, config_.batch_size, config_.bucket_window, seed);
    EpochProgress within(ctx_.progress ? options_.progress : nullptr, epoch, config_.epochs, batches.size());
    for (const auto& indices : batches) {
      if (group) {
        const auto step =
            group_step(*model_, *group, train, indices, state.iptw_weights, integral, weights, parameters, ctx_);
        if (step.actions == 0) {
          within.update(0);
          continue;
        }
        if (config_.clip > 0) torch::nn::utils::clip_grad_norm_(parameters.flat(), config_.clip);
        optimizer.step();
        const double value = step.objective / step.actions;
        if (!std::isfinite(value))
          throw Error(fmt::format("training diverged at epoch {}: the loss is {} (try a smaller \"lr\" or a \"clip\")",
                                  epoch, value));
        loss_sum += step.objective;
        actions_sum += step.actions;
        events_sum += step.events;
        within.update(static_cast<int64_t>(step.events));
        continue;
      }
      Batch batch = train.batch(indices, ctx_);
      if (!state.iptw_weights.empty()) batch.weight = batch_weights(batch, state.iptw_weights);
      // Normalised by the unweighted count (not Σ w): the mean-1 IPTW weights then weigh events
      // across batches as eq. (8) does, instead of each batch being rescaled to its own mean.
      const double actions = batch.action_mask.sum().item<double>();
      if (actions == 0) {  // nothing to normalise by; the next batch carries the signal
        within.update(0);
        continue;
      }
      auto loss = training_objective(*model_, batch, integral, weights).loss / actions;
      parameters.zero_grad();
      loss.backward();
      if (config_.clip > 0) torch::nn::utils::clip_grad_norm_(parameters.flat(), config_.clip);
      optimizer.step();
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        throw Error(fmt::format("training diverged at epoch {}: the loss is {} (try a smaller \"lr\" or a \"clip\")",
                                epoch, value));
      loss_sum += value * actions;
      actions_sum += actions;
      const double encoded = (batch.mask & ~batch.is_stimulus).sum().item<double>();
      events_sum += encoded;
      within.update(encoded);
    }
    within.finish();
    EpochRecord record;
    record.epoch = epoch;
    record.loss = actions_sum > 0 ? loss_sum / actions_sum : std::numeric_limits<double>::quiet_NaN();
    // Algorithm 1: the weights are refitted after every η-th epoch from the parameters just
    // trained (none after the last epoch, where nothing would use them).
    if (iptw.enabled() && epoch % iptw.refit_every == 0 && epoch < config_.epochs) {
      IptwWeights fitted = fit_iptw_weights(*model_, train, iptw, ctx_);
      state.iptw_weights = std::move(fitted.weight);
      record.iptw = fitted.to_json();
    }
    if (dev) {
      record.dev_ll_per_event = group ? group_log_likelihood_per_event(*model_, *dev, evaluation, ctx_, *group)
                                      : log_likelihood_per_event(*model_, *dev, evaluation, ctx_);
      record.improved = record.dev_ll_per_event > state.best_dev;
      if (record.improved) {
        state.best_dev = record.dev_ll_per_event;
        state.best_epoch = epoch;
        state.best = snapshot(*model_);
        state.bad_epochs = 0;
      } else {
        ++state.bad_epochs;
      }
    } else {
      record.improved = true;
      state.best_epoch = epoch;
    }
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    record.events_per_second = record.seconds > 0 ? events_sum / record.seconds : 0.0;
    state.epoch = epoch;
    state.history.push_back(record);
    ++epochs_this_call;
    seconds_this_call += record.seconds;

    if (options_.json_log) *options_.json_log << record.to_json().dump() << std::endl;
    if (ctx_.progress && options_.progress) {
      const double eta = seconds_this_call / epochs_this_call * (config_.epochs - epoch);
      *options_.progress << fmt::format("epoch {}/{}  loss {:.4f}  dev LL/event {}  {:.0f} events/s  ETA {}\n", epoch,
                                        config_.epochs, record.loss,
                                        dev ? fmt::format("{:.4f}{}", record.dev_ll_per_event, record.improved ? " *" : "")
                                            : std::string("-"),
                                        record.events_per_second, format_duration(eta))
                         << std::flush;
      if (!record.iptw.is_null())
        *options_.progress << fmt::format("  iptw refit: {} bins, weights min {:.3g} median {:.3g} max {:.3g}, ESS {:.0f} of {}\n",
                                          record.iptw["bins"].get<int>(), record.iptw["min"].get<double>(),
                                          record.iptw["median"].get<double>(), record.iptw["max"].get<double>(),
                                          record.iptw["ess"].get<double>(), record.iptw["count"].get<std::size_t>())
                           << std::flush;
    }
    if (writes_checkpoint) write_checkpoint(options_.checkpoint, *model_, optimizer, config_, train.schema(), state);
    if (options_.stop_after_epochs > 0 && epochs_this_call >= options_.stop_after_epochs && state.epoch < config_.epochs &&
        !stop_now()) {
      result.history = state.history;
      result.best_epoch = state.best_epoch;
      result.best_dev_ll_per_event = dev ? state.best_dev : std::numeric_limits<double>::quiet_NaN();
      result.finished = false;
      return result;
    }
  }
  if (dev && !state.best.empty()) restore(*model_, state.best);
  model_->eval();
  result.history = state.history;
  result.best_epoch = state.best_epoch;
  result.best_dev_ll_per_event = dev && state.best_epoch > 0 ? state.best_dev : std::numeric_limits<double>::quiet_NaN();
  result.stopped_early = stop_now() && state.epoch < config_.epochs;
  result.finished = true;
  return result;
}

TrainResult Trainer::fit_lbfgs(const SequenceSource& train, const SequenceSource* dev) {
  if (config_.iptw().enabled()) throw Error("train: \"iptw\" re-weights mini-batch training; use \"optimizer\": \"adam\"");
  const auto began = std::chrono::steady_clock::now();
  torch::manual_seed(epoch_seed(config_.seed, 1));
  model_->train();
  MleOptions mle;
  mle.max_iterations = config_.max_iterations;
  mle.tolerance = config_.tolerance;
  mle.integral = config_.evaluation_integral();
  mle.progress = ctx_.progress;
  std::vector<std::size_t> all(train.size());  // full batch: L-BFGS needs every sequence at once
  std::iota(all.begin(), all.end(), std::size_t{0});
  MleResult fitted = fit_mle(*model_, train.batch(all, ctx_), mle);
  model_->eval();
  EpochRecord record;
  record.epoch = 1;
  record.loss = fitted.num_events > 0 ? -fitted.log_likelihood / static_cast<double>(fitted.num_events)
                                      : std::numeric_limits<double>::quiet_NaN();
  record.improved = true;
  if (dev) record.dev_ll_per_event = log_likelihood_per_event(*model_, *dev, config_.evaluation_integral(), ctx_);
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  record.events_per_second = record.seconds > 0 ? static_cast<double>(fitted.num_events) * fitted.iterations / record.seconds : 0.0;
  if (options_.json_log) *options_.json_log << record.to_json().dump() << std::endl;
  TrainResult result;
  result.history.push_back(record);
  result.best_epoch = 1;
  result.best_dev_ll_per_event = record.dev_ll_per_event;
  result.finished = true;
  return result;
}

}  // namespace tpp
