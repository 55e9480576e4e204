list(APPEND TPP_TESTS
  tests/cli/verbs_test.cpp
)
