#include "tpp/sim/ecommerce.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/sim/generator_fields.h"
#include "tpp/sim/generator_registry.h"
#include "tpp/sim/thinning.h"

namespace tpp {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kReferenceDiscount = 0.2;  // a 20% coupon has the nominal lifts

const std::vector<std::string> kCategoryNames{"groceries", "fashion", "electronics", "home",
                                              "beauty",    "sports",  "books",       "toys"};
const std::vector<std::vector<std::string>> kItems{
    {"milk", "bread", "coffee beans", "cheese", "apples", "pasta"},
    {"running shoes", "denim jacket", "t-shirt", "jeans", "summer dress", "scarf"},
    {"headphones", "phone charger", "phone case", "laptop stand", "camera", "smart watch"},
    {"table lamp", "bath towels", "frying pan", "pillow", "flower vase", "curtains"},
    {"shampoo", "lipstick", "perfume", "face cream", "hand soap", "sunscreen"},
    {"yoga mat", "dumbbells", "running socks", "water bottle", "tennis balls", "bike helmet"},
    {"crime novel", "cookbook", "comic book", "travel guide", "children's book", "biography"},
    {"puzzle", "building blocks", "board game", "plush bear", "toy car", "kite"}};

std::string percent(double discount) { return fmt::format("{}%", static_cast<int>(std::lround(discount * 100))); }

std::string days(double d) {
  return std::abs(d - std::round(d)) < 1e-9 ? fmt::format("{} days", static_cast<long>(std::lround(d)))
                                            : fmt::format("{:.1f} days", d);
}

}  // namespace

const ConfigFields<EcommerceConfig>& EcommerceConfig::fields() {
  using C = EcommerceConfig;
  namespace g = generator_fields;
  static const auto fields =
      ConfigFields<C>("ecommerce")
          .field("num_categories", &C::num_categories, "product categories C (the action types)",
                 Rule<int>{[](const int& v) { return v >= 1 && v <= 1000; }, "in [1, 1000]"})
          .field("t_end", &C::t_end, "window [0, t_end], days", g::positive())
          .field("base_rate", &C::base_rate, "purchases per day per category for an average user", g::positive())
          .field("taste_weight", &C::taste_weight, "weight of the taste match w_c·taste in the base rates",
                 g::non_negative())
          .field("activity_sd", &C::activity_sd, "sd of the users' activity feature", g::non_negative())
          .field("deal_weight", &C::deal_weight, "coupon response ρ_u = exp(deal_weight · deal_affinity)",
                 g::non_negative())
          .field("alpha_self", &C::alpha_self, "excitation of a category by its own purchases", g::non_negative())
          .field("alpha_cross", &C::alpha_cross, "excitation of a category by each other one's purchases",
                 g::non_negative())
          .field("beta", &C::beta, "decay of the excitation, per day", g::positive())
          .field("coupon_rate", &C::coupon_rate, "coupons issued per day (Poisson)", g::non_negative())
          .field("sitewide_share", &C::sitewide_share,
                 "probability a coupon is sitewide; else its category is drawn ∝ base_c(u)",
                 g::finite_where([](double v) { return v >= 0 && v <= 1; }, "in [0, 1]"))
          .field("issue_lift", &C::issue_lift, "lift right after a coupon's issue", g::non_negative())
          .field("issue_decay", &C::issue_decay, "decay time of the issue lift, days", g::positive())
          .field("expiry_lift", &C::expiry_lift, "surge just before a coupon's expiry", g::non_negative())
          .field("expiry_decay", &C::expiry_decay, "rise time of the expiry surge, days", g::positive())
          .field("single_use", &C::single_use, "a purchase redeems the best live coupon covering it")
          .add(g::number_list("discounts", &C::discounts, "discounts δ a coupon is drawn from, uniformly",
                              g::finite_where([](double v) { return v > 0 && v < 1; }, "in (0, 1)")))
          .add(g::number_list("validities", &C::validities, "validities V in days a coupon is drawn from, uniformly",
                              g::positive()))
          // The spectral radius of the excitation matrix (self on the diagonal, cross elsewhere).
          .check([](const C& c) {
            return c.alpha_self + (c.num_categories - 1) * c.alpha_cross < 1
                       ? std::string()
                       : "\"alpha_self\" + (\"num_categories\" - 1) * \"alpha_cross\" must be < 1 (stationary "
                         "excitation), got " +
                             fmt::format("{}", c.alpha_self + (c.num_categories - 1) * c.alpha_cross);
          });
  return fields;
}

EcommerceConfig EcommerceConfig::from_json(const nlohmann::json& j) {
  EcommerceConfig c;
  fields().read(j, c);
  return c;
}

// A config built in code is checked by reading back what it writes, so the checks are the declared ones.
void EcommerceConfig::validate() const {
  EcommerceConfig checked;
  fields().read(to_json(), checked);
}

nlohmann::json EcommerceConfig::to_json() const { return fields().write(*this); }

std::vector<std::string> EcommerceConfig::category_names() const {
  std::vector<std::string> names;
  for (int c = 0; c < num_categories; ++c)
    names.push_back(c < static_cast<int>(kCategoryNames.size()) ? kCategoryNames[c] : fmt::format("category_{}", c));
  return names;
}

Schema EcommerceConfig::schema() const {
  Schema s;
  const int C = num_categories;
  s.num_action_types = C;
  s.action_names = category_names();
  s.num_stimulus_types = 2 * (C + 1);
  std::vector<int> all(C);
  for (int c = 0; c < C; ++c) all[c] = c;
  for (const char* kind : {"coupon", "expiry"}) {
    for (int f = 0; f <= C; ++f) {
      s.stimulus_names.push_back(std::string(kind) + ":" + (f < C ? s.action_names[f] : "sitewide"));
      s.affects.push_back(f < C ? std::vector<int>{f} : all);
    }
  }
  s.user_feature_dim = 4;
  return s;
}

nlohmann::json EcommerceUser::to_json() const {
  nlohmann::json coupons_json = nlohmann::json::array();
  for (const Coupon& c : coupons)
    coupons_json.push_back({{"family", c.family}, {"issued", c.issued}, {"discount", c.discount}, {"validity", c.validity}});
  return {{"features", features}, {"coupons", coupons_json}};
}

EcommerceUser EcommerceUser::from_json(const nlohmann::json& j) {
  EcommerceUser u;
  try {
    u.features = j.at("features").get<std::vector<float>>();
    for (const auto& c : j.value("coupons", nlohmann::json::array()))
      u.coupons.push_back(Coupon{c.at("family").get<int>(), c.at("issued").get<double>(), c.at("discount").get<double>(),
                                 c.at("validity").get<double>()});
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("ecommerce user: ") + e.what());
  }
  if (u.features.size() != 4) throw Error("ecommerce user: expected 4 features");
  return u;
}

EcommerceTarget::EcommerceTarget(EcommerceConfig config, EcommerceUser user)
    : config_(std::move(config)), user_(std::move(user)) {
  config_.validate();
  const int C = config_.num_categories;
  if (user_.features.size() != 4) throw Error("ecommerce: a user has 4 features");
  for (const Coupon& c : user_.coupons)
    if (c.family < 0 || c.family > C || !(c.validity > 0) || !(c.discount > 0))
      throw Error("ecommerce: invalid coupon (family, validity or discount)");
  const double activity = user_.features[0], deal = user_.features[1];
  for (int c = 0; c < C; ++c) {
    const double angle = 2 * kPi * c / C;
    const double taste = std::cos(angle) * user_.features[2] + std::sin(angle) * user_.features[3];
    base_.push_back(config_.base_rate * std::exp(activity + config_.taste_weight * taste));
  }
  rho_ = std::exp(config_.deal_weight * deal);
  redeemed_.assign(user_.coupons.size(), false);
  decayed_.assign(C, 0.0);
}

bool EcommerceTarget::covers(int family, int category) const {
  return family == config_.num_categories || family == category;
}

double EcommerceTarget::coupon_shape(const Coupon& coupon, double t) const {
  if (!(t > coupon.issued && t <= coupon.expiry())) return 0.0;
  return rho_ * (coupon.discount / kReferenceDiscount) *
         (config_.issue_lift * std::exp(-(t - coupon.issued) / config_.issue_decay) +
          config_.expiry_lift * std::exp(-(coupon.expiry() - t) / config_.expiry_decay));
}

void EcommerceTarget::intensities(double t, std::vector<double>& out) {
  const int C = config_.num_categories;
  out.assign(C, 0.0);
  std::vector<double> lift(C, 0.0);
  for (std::size_t j = 0; j < user_.coupons.size(); ++j) {
    if (redeemed_[j]) continue;
    const double shape = coupon_shape(user_.coupons[j], t);
    if (shape == 0.0) continue;
    for (int c = 0; c < C; ++c)
      if (covers(user_.coupons[j].family, c)) lift[c] += shape;
  }
  const double decay = std::exp(-config_.beta * std::max(0.0, t - last_time_));
  double decayed_total = 0.0;
  for (double d : decayed_) decayed_total += d;
  for (int c = 0; c < C; ++c) {
    const double excite = config_.alpha_self * decayed_[c] + config_.alpha_cross * (decayed_total - decayed_[c]);
    out[c] = base_[c] * (1.0 + lift[c]) + config_.beta * excite * decay;
  }
}

double EcommerceTarget::upper_bound(double t, double t_until) {
  t_until = std::max(t, t_until);
  const int C = config_.num_categories;
  double bound = 0.0;
  for (int c = 0; c < C; ++c) bound += base_[c];
  for (std::size_t j = 0; j < user_.coupons.size(); ++j) {
    const Coupon& coupon = user_.coupons[j];
    if (redeemed_[j] || !(coupon.issued < t_until && t <= coupon.expiry())) continue;
    // Issue effect largest at the window's start (or the issue), expiry surge at its end (or the expiry).
    const double peak = rho_ * (coupon.discount / kReferenceDiscount) *
                        (config_.issue_lift * std::exp(-std::max(0.0, t - coupon.issued) / config_.issue_decay) +
                         config_.expiry_lift * std::exp(-(coupon.expiry() - std::min(t_until, coupon.expiry())) /
                                                        config_.expiry_decay));
    double covered = 0.0;
    for (int c = 0; c < C; ++c)
      if (covers(coupon.family, c)) covered += base_[c];
    bound += covered * peak;
  }
  const double decay = std::exp(-config_.beta * std::max(0.0, t - last_time_));
  double decayed_total = 0.0;
  for (double d : decayed_) decayed_total += d;
  for (int c = 0; c < C; ++c)
    bound += config_.beta * decay * (config_.alpha_self * decayed_[c] + config_.alpha_cross * (decayed_total - decayed_[c]));
  return bound * (1 + 1e-12);
}

void EcommerceTarget::observe(const Event& event) {
  if (event.is_stimulus) return;  // coupons are known from the user's schedule
  const int k = event.type;
  if (k < 0 || k >= config_.num_categories) throw Error("ecommerce: action type out of range");
  const double decay = std::exp(-config_.beta * (event.time - last_time_));
  for (double& d : decayed_) d *= decay;
  decayed_[k] += 1.0;
  last_time_ = event.time;
  if (!config_.single_use) return;
  // One coupon per purchase: the best live discount in the category, the earliest expiry on ties.
  int best = -1;
  for (std::size_t j = 0; j < user_.coupons.size(); ++j) {
    const Coupon& c = user_.coupons[j];
    if (redeemed_[j] || !covers(c.family, k) || !(event.time > c.issued && event.time <= c.expiry())) continue;
    if (best < 0 || c.discount > user_.coupons[best].discount ||
        (c.discount == user_.coupons[best].discount && c.expiry() < user_.coupons[best].expiry()))
      best = static_cast<int>(j);
  }
  if (best >= 0) redeemed_[best] = true;
}

void EcommerceTarget::breakpoints(double t0, double t1, std::vector<double>& out) const {
  for (const Coupon& c : user_.coupons)
    for (double t : {c.issued, c.expiry()})
      if (t > t0 && t < t1) out.push_back(t);
}

std::vector<Event> EcommerceTarget::stimuli() const {
  const int C = config_.num_categories;
  const auto names = config_.category_names();
  std::vector<Event> events;
  for (const Coupon& c : user_.coupons) {
    const std::string what = c.family < C ? names[c.family] : "everything";
    if (c.issued >= 0 && c.issued <= config_.t_end)
      events.push_back(Event{c.issued, c.family, true,
                             fmt::format("{} off {}, expires in {}", percent(c.discount), what, days(c.validity)), {}});
    if (c.expiry() <= config_.t_end)
      events.push_back(Event{c.expiry(), C + 1 + c.family, true,
                             fmt::format("your {} off {} coupon expires today", percent(c.discount), what), {}});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  return events;
}

EcommerceUser draw_ecommerce_user(const EcommerceConfig& config, Rng& rng) {
  EcommerceUser user;
  user.features = {static_cast<float>(config.activity_sd > 0 ? rng.normal(0.0, config.activity_sd) : 0.0),
                   static_cast<float>(rng.normal(0.0, 1.0)), static_cast<float>(rng.normal(0.0, 1.0)),
                   static_cast<float>(rng.normal(0.0, 1.0))};
  // Targeted marketing: category coupons go to the categories the user buys most.
  EcommerceTarget rates(config, EcommerceUser{user.features, {}});
  std::vector<double> weights;
  for (int c = 0; c < config.num_categories; ++c) weights.push_back(rates.base_rate(c));
  if (config.coupon_rate > 0) {
    for (double t = rng.exponential(config.coupon_rate); t < config.t_end; t += rng.exponential(config.coupon_rate)) {
      Coupon c;
      c.issued = t;
      c.family = rng.uniform() < config.sitewide_share ? config.num_categories : rng.categorical(weights);
      c.discount = config.discounts[static_cast<std::size_t>(rng.uniform() * config.discounts.size())];
      c.validity = config.validities[static_cast<std::size_t>(rng.uniform() * config.validities.size())];
      user.coupons.push_back(c);
    }
  }
  return user;
}

GeneratedData generate_ecommerce(const EcommerceConfig& config, std::size_t n_seq, std::uint64_t seed) {
  GeneratedData out;
  out.config = config.to_json();
  out.data.schema = config.schema();
  ThinningOptions options;
  options.t_start = 0.0;
  options.t_end = config.t_end;
  options.lookahead = std::min(1.0 / config.beta, 1.0);
  for (std::size_t i = 0; i < n_seq; ++i) {
    Rng rng(stream_seed(seed, i));
    const EcommerceUser user = draw_ecommerce_user(config, rng);
    EcommerceTarget target(config, user);
    Sequence seq = simulate_thinning(target, options, rng, target.stimuli());
    // Item texts come from their own stream so they never change the simulated times.
    Rng text_rng(stream_seed(seed ^ 0x7465787473ULL, i));
    for (Event& e : seq.events) {
      if (e.is_stimulus) continue;
      const auto& items = kItems[e.type % kItems.size()];
      const std::string item = e.type < static_cast<int>(kItems.size())
                                   ? items[static_cast<std::size_t>(text_rng.uniform() * items.size())]
                                   : fmt::format("item {}", static_cast<int>(text_rng.uniform() * 6));
      e.text = "bought " + item;
    }
    seq.user = "u" + std::to_string(i);
    seq.features = user.features;
    seq.t_start = 0.0;
    seq.t_end = config.t_end;
    out.data.sequences.push_back(std::move(seq));
    out.truth.push_back(user.to_json());
  }
  return out;
}

namespace {

// A sequence's truth entry is its user: features and coupon schedule.
std::unique_ptr<GroundTruthTarget> ecommerce_target(const EcommerceConfig& config, const nlohmann::json& truth) {
  return std::make_unique<EcommerceTarget>(config, EcommerceUser::from_json(truth));
}

}  // namespace

TPP_REGISTER_GENERATOR(ecommerce, EcommerceConfig, generate_ecommerce, ecommerce_target)

}  // namespace tpp
