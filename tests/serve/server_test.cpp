#include "tpp/serve/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "serve_fixture.h"

namespace tpp {
namespace {

using testing::small_served_model;
using testing::TempDir;

// A server on a free loopback port, serving from its own thread for one test.
class ServerTest : public ::testing::Test {
 protected:
  void start(ServeOptions options = {}) {
    model_ = small_served_model();
    journal_ = std::make_unique<Journal>(JournalOptions{dir_.file("state")});
    store_ = std::make_unique<UserStore>(*model_, *journal_, UserStoreOptions{});
    store_->recover();
    options.port = 0;
    server_ = std::make_unique<PredictionServer>(*model_, *store_, *journal_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  nlohmann::json post(const std::string& path, const std::string& body, int expected) {
    auto res = client_->Post(path.c_str(), headers_, body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, expected) << path << ": " << res->body;
    return nlohmann::json::parse(res->body);
  }
  nlohmann::json get(const std::string& path, int expected) {
    auto res = client_->Get(path.c_str(), headers_);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, expected) << path << ": " << res->body;
    return nlohmann::json::parse(res->body);
  }
  static std::string error_of(const nlohmann::json& j) { return j.value("error", std::string()); }

  TempDir dir_;
  std::unique_ptr<ServedModel> model_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<UserStore> store_;
  std::unique_ptr<PredictionServer> server_;
  std::thread thread_;
  int port_{0};
  std::unique_ptr<httplib::Client> client_;
  httplib::Headers headers_;
};

TEST_F(ServerTest, AppendPredictIntensityAndStatelessAgree) {
  start();
  const std::string events = R"({"events":[{"time":0.5,"type":"view"},{"time":0.9,"type":"coupon","stimulus":true},
                                            {"time":1.4,"type":2}],"predict":true,"top_k":2})";
  auto appended = post("/v1/users/ann/events", events, 201);
  EXPECT_TRUE(appended["created"].get<bool>());
  EXPECT_EQ(appended["num_events"], 3);
  const auto& p = appended["prediction"];
  EXPECT_GT(p["expected_time"].get<double>(), 1.4);
  EXPECT_EQ(p["top_k"].size(), 2u);
  double total = 0;
  for (const auto& [type, q] : p["type_probability"].items()) total += q.get<double>();
  EXPECT_NEAR(total, 1.0, 1e-12);

  // The stored query and a stateless one over the same history give the same numbers.
  auto queried = get("/v1/users/ann/prediction?top_k=2", 200);
  EXPECT_EQ(queried["expected_time"], p["expected_time"]);
  auto batch = post("/v1/predict", R"({"users":[{"user":"x","t_start":0.5,"events":[{"time":0.5,"type":"view"},
                       {"time":0.9,"type":"coupon","stimulus":true},{"time":1.4,"type":"buy"}]}],"top_k":2})",
                    200);
  EXPECT_EQ(batch["predictions"][0]["expected_time"], p["expected_time"]);
  EXPECT_EQ(batch["predictions"][0]["type_probability"], p["type_probability"]);

  // "As of" a later time: conditioned on no event since, the expected time moves past it.
  auto later = get("/v1/users/ann/prediction?as_of=3.0", 200);
  EXPECT_GT(later["expected_time"].get<double>(), 3.0);
  EXPECT_EQ(later["as_of"], 3.0);

  // The curve after the last event (from the state) meets the one through the history
  // (re-encoded) at the last event.
  auto open = get("/v1/users/ann/intensity?from=1.4&to=2.4&points=3", 200);
  auto whole = get("/v1/users/ann/intensity?from=0.5&to=1.4&points=4", 200);
  for (const auto& [type, series] : open["intensity"].items())
    EXPECT_NEAR(series[0].get<double>(), whole["intensity"][type][3].get<double>(), 1e-12) << type;

  auto user = get("/v1/users/ann", 200);
  EXPECT_EQ(user["events"][1]["type"], "coupon");
  EXPECT_TRUE(user["events"][1]["stimulus"].get<bool>());
  post("/v1/users/ann/events", R"({"events":[{"time":2.0,"type":"cart"}]})", 200);
  EXPECT_EQ(get("/v1/users/ann", 200)["num_events"], 4);
  auto deleted = client_->Delete("/v1/users/ann", headers_);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  EXPECT_NE(error_of(get("/v1/users/ann/prediction", 404)).find("unknown"), std::string::npos);
}

TEST_F(ServerTest, BadRequestsAreLocatedAndChangeNothing) {
  ServeOptions options;
  options.limits.max_events = 3;
  options.max_body_bytes = 2000;
  start(options);
  post("/v1/users/bo/events", R"({"events":[{"time":1.0,"type":"view"},{"time":1.5,"type":"cart"}]})", 201);
  const auto bytes = journal_->bytes_written();
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"events":[{"time":2.0,"type":"view"},{"time":3.0,"type":"sell"}]})", 400, "events[1].type: unknown action type 'sell'"},
      {R"({"events":[{"time":"soon","type":"view"}]})", 400, "events[0].time: must be a number"},
      {R"({"events":[{"type":"view"}]})", 400, "events[0].time: required"},
      {R"({"events":[{"time":2.0,"type":7}]})", 400, "events[0].type: action type id 7"},
      {R"({"events":[{"time":2.0,"type":"view","stimulus":"yes"}]})", 400, "events[0].stimulus"},
      {R"({"events":[{"time":2.0,"type":"view","colour":1}]})", 400, "events[0].colour: unknown key"},
      {R"({"events":[{"time":1.2,"type":"view"}]})", 409, "events[0].time: 1.2 precedes the user's last event"},
      {R"({"events":[{"time":0.5,"type":"view"}]})", 400, "events[0].time: 0.5 precedes the user's window start"},
      {R"({"events":[{"time":2,"type":"view"},{"time":3,"type":"view"},{"time":4,"type":"view"},{"time":5,"type":"view"}]})",
       413, "events: 4 events exceed the limit of 3"},
      {R"({"events":[]})", 400, "events: is empty"},
      {R"({"events":[{"time":2.0,"type":"view"}],"top_k":9})", 400, "top_k: 9 is outside"},
      {R"([1,2])", 400, "body: must be a JSON object"},
      {R"({"events":[{"time":2.0,)", 400, "body: not JSON"},
  };
  for (const auto& c : cases) {
    auto reply = post("/v1/users/bo/events", c.body, c.status);
    EXPECT_NE(error_of(reply).find(c.field), std::string::npos) << c.body << " -> " << reply.dump();
  }
  EXPECT_EQ(journal_->bytes_written(), bytes);
  EXPECT_EQ(get("/v1/users/bo", 200)["num_events"], 2);

  auto huge = client_->Post("/v1/users/bo/events", headers_, std::string(3000, ' '), "application/json");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_NE(error_of(get("/v1/users/bo/prediction?as_of=0.2", 400)).find("as_of: 0.2 precedes"), std::string::npos);
  EXPECT_NE(error_of(get("/v1/users/bo/prediction?top_k=x", 400)).find("top_k: 'x' is not an integer"), std::string::npos);
  EXPECT_NE(error_of(get("/v1/users/bo/intensity?from=1", 400)).find("to: required"), std::string::npos);
  EXPECT_NE(error_of(post("/v1/predict", R"({"users":[{"events":[{"time":2,"type":"view"},{"time":1,"type":"view"}]}]})", 400))
                .find("users[0].events[1].time"),
            std::string::npos);
  EXPECT_NE(error_of(get("/v1/elsewhere", 404)).find("no such endpoint"), std::string::npos);
  const std::string metrics = client_->Get("/metrics")->body;
  EXPECT_NE(metrics.find("tpp_requests_total{route=\"/v1/users/{id}/events\",code=\"409\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tpp_users 1"), std::string::npos);
}

TEST_F(ServerTest, BearerTokenGuardsEverythingButHealth) {
  ServeOptions options;
  options.token = "0123456789abcdef";
  start(options);
  EXPECT_NE(error_of(get("/v1/users/x/prediction", 401)).find("Bearer"), std::string::npos);
  EXPECT_EQ(client_->Get("/health")->status, 200);
  headers_ = {{"Authorization", "Bearer 0123456789abcdeX"}};
  get("/v1/users/x/prediction", 401);
  headers_ = {{"Authorization", "Bearer 0123456789abcdef"}};
  get("/v1/users/x/prediction", 404);
}

TEST_F(ServerTest, ManyClientsAtOnce) {
  ServeOptions options;
  options.threads = 4;
  start(options);
  constexpr int kClients = 8, kEvents = 20;
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port_);
      for (int n = 0; n < kEvents; ++n) {
        const Event e = testing::stream_event(c, n);
        nlohmann::json body = {{"events", {{{"time", e.time}, {"type", e.is_stimulus ? 0 : e.type}, {"stimulus", e.is_stimulus}}}},
                               {"predict", true}};
        auto res = client.Post(("/v1/users/c" + std::to_string(c) + "/events").c_str(), body.dump(), "application/json");
        if (!res || (res->status != 200 && res->status != 201)) ++failures;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(get("/health", 200)["users"], kClients);
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(get("/v1/users/c" + std::to_string(c), 200)["num_events"], kEvents);
}

}  // namespace
}  // namespace tpp
