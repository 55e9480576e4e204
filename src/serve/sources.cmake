list(APPEND TPP_SERVE_SOURCES
  src/serve/journal.cpp
  src/serve/request.cpp
  src/serve/served_model.cpp
  src/serve/server.cpp
  src/serve/server_metrics.cpp
  src/serve/user_store.cpp
)
