list(APPEND TPP_TESTS
  tests/data/batch_test.cpp
  tests/data/event_log_test.cpp
  tests/data/event_store_test.cpp
  tests/data/store_conversion_test.cpp
  tests/data/store_source_test.cpp
  tests/data/formats_test.cpp
  tests/data/split_test.cpp
  tests/data/shared_data_test.cpp
  tests/data/text_features_test.cpp
  tests/data/user_id_features_test.cpp
  tests/data/prepare_test.cpp
  tests/data/category_test.cpp
  tests/data/input_validation_test.cpp
)
