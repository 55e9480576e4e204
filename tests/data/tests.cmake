list(APPEND TPP_TESTS tests/data/batch_test.cpp)
list(APPEND TPP_TESTS tests/data/text_features_test.cpp)
