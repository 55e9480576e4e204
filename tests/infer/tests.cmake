list(APPEND TPP_TESTS
  tests/infer/predict_test.cpp
  tests/infer/state_prediction_test.cpp
  tests/infer/next_event_test.cpp
  tests/infer/sampling_test.cpp
  tests/infer/plot_test.cpp
  tests/infer/predictor_test.cpp
  tests/infer/intensity_error_test.cpp
)
