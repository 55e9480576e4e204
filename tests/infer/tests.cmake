list(APPEND TPP_TESTS)
list(APPEND TPP_TESTS tests/infer/plot_test.cpp)
