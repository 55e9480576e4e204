list(APPEND TPP_TESTS)
list(APPEND TPP_TESTS tests/cli/generate_test.cpp)
