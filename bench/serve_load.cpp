// Loopback load generator for `tpp serve`: preloads users (and asks one prediction of each, so
// their states are built), then runs "append one event and
// predict" requests from C concurrent clients for a fixed time per level and reports latency
// percentiles and throughput. Stops by itself.
//
//   serve_load --port P --types K [--users 10000] [--history 20] [--clients 1,8,64] [--seconds 5]
//              [--label thp] [--json]
//
// Users are split between clients (user u belongs to client u mod C), so each user's events stay
// in time order. The server is started separately (bench/serve.sh).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int port{0}, types{2}, users{10000}, history{20};
  double seconds{5};
  std::vector<int> clients{1, 8, 64};
  std::string label{"model"};
  bool json{false};
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "serve_load: " << k << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--port") a.port = std::stoi(value());
    else if (k == "--types") a.types = std::stoi(value());
    else if (k == "--users") a.users = std::stoi(value());
    else if (k == "--history") a.history = std::stoi(value());
    else if (k == "--seconds") a.seconds = std::stod(value());
    else if (k == "--label") a.label = value();
    else if (k == "--json") a.json = true;
    else if (k == "--clients") {
      a.clients.clear();
      std::stringstream list(value());
      std::string item;
      while (std::getline(list, item, ',')) a.clients.push_back(std::stoi(item));
    } else {
      std::cerr << "serve_load: unknown option " << k << "\n";
      std::exit(2);
    }
  }
  if (a.port <= 0) {
    std::cerr << "serve_load: --port is required\n";
    std::exit(2);
  }
  return a;
}

// One user's clock: each appended event is a random gap after the previous one.
struct UserClock {
  double time{0};
  std::mt19937_64 rng;
  nlohmann::json next(int types) {
    time += std::exponential_distribution<double>(1.0)(rng) + 1e-3;
    return {{"time", time}, {"type", std::to_string(std::uniform_int_distribution<int>(0, types - 1)(rng))}};
  }
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::vector<UserClock> clocks(a.users);
  for (int u = 0; u < a.users; ++u) clocks[u].rng.seed(1000 + u);

  // Preload every user's history in one request each, from 8 connections.
  const auto preload_began = Clock::now();
  std::atomic<int> failures{0};
  {
    std::vector<std::thread> loaders;
    for (int c = 0; c < 8; ++c)
      loaders.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", a.port);
        client.set_keep_alive(true);
        client.set_tcp_nodelay(true);  // header and body leave at once, not after a delayed ACK
        for (int u = c; u < a.users; u += 8) {
          nlohmann::json events = nlohmann::json::array();
          for (int n = 0; n < a.history; ++n) events.push_back(clocks[u].next(a.types));
          auto res = client.Post(fmt::format("/v1/users/u{}/events", u).c_str(), nlohmann::json{{"events", events}}.dump(),
                                 "application/json");
          if (!res || res->status >= 300) ++failures;
        }
      });
    for (auto& t : loaders) t.join();
  }
  if (failures) {
    std::cerr << "serve_load: " << failures << " preload requests failed (is the server up, with --cache-users >= --users?)\n";
    return 1;
  }
  const double preload = std::chrono::duration<double>(Clock::now() - preload_began).count();
  // One prediction per user before the timed levels: the server builds a user's state from its
  // stored events on its first query, and a short first level would otherwise time those builds
  // (most of its requests touch a user for the first time) instead of the steady state.
  {
    std::vector<std::thread> warmers;
    for (int c = 0; c < 8; ++c)
      warmers.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", a.port);
        client.set_keep_alive(true);
        client.set_tcp_nodelay(true);
        client.set_read_timeout(60, 0);  // a build from the stored events may queue behind others
        for (int u = c; u < a.users; u += 8) {
          auto res = client.Get(fmt::format("/v1/users/u{}/prediction", u).c_str());
          if (!res || res->status >= 300) ++failures;
        }
      });
    for (auto& t : warmers) t.join();
  }
  if (failures) std::cerr << "serve_load: " << failures << " warm-up predictions failed; their users build on first use\n";
  if (!a.json)
    fmt::print("{}: {} users × {} events preloaded in {:.1f} s\n\n| model | clients | requests/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|---|\n",
               a.label, a.users, a.history, preload);

  for (int C : a.clients) {
    failures = 0;
    std::vector<std::vector<double>> latency(C);
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    const auto began = Clock::now();
    for (int c = 0; c < C; ++c)
      clients.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", a.port);
        client.set_keep_alive(true);
        client.set_tcp_nodelay(true);
        std::mt19937_64 pick(7 + c);
        const int mine = (a.users - c + C - 1) / C;  // users c, c + C, c + 2C, ...
        while (!stop.load(std::memory_order_relaxed)) {
          const int u = c + C * std::uniform_int_distribution<int>(0, mine - 1)(pick);
          const std::string body = nlohmann::json{{"events", {clocks[u].next(a.types)}}, {"predict", true}}.dump();
          const auto t0 = Clock::now();
          auto res = client.Post(fmt::format("/v1/users/u{}/events", u).c_str(), body, "application/json");
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (!res || res->status >= 300) {
            ++failures;
            continue;
          }
          latency[c].push_back(ms);
        }
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    stop = true;
    for (auto& t : clients) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
    std::vector<double> all;
    for (auto& l : latency) all.insert(all.end(), l.begin(), l.end());
    const double rps = static_cast<double>(all.size()) / elapsed;
    if (a.json)
      std::cout << nlohmann::json{{"model", a.label}, {"clients", C}, {"requests", all.size()}, {"requests_per_second", rps},
                                  {"p50_ms", percentile(all, 0.5)}, {"p99_ms", percentile(all, 0.99)},
                                  {"failures", failures.load()}}
                       .dump()
                << std::endl;
    else
      fmt::print("| {} | {} | {:.0f} | {:.3f} | {:.3f} | {} |\n", a.label, C, rps, percentile(all, 0.5),
                 percentile(all, 0.99), failures.load());
  }
  return 0;
}
