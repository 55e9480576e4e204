list(APPEND TPP_TESTS
  tests/serve/journal_test.cpp
  tests/serve/user_store_test.cpp
  tests/serve/server_test.cpp
)
