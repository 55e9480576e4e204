list(APPEND TPP_SOURCES
  src/cli/command.cpp
  src/cli/convert.cpp
  src/cli/inspect.cpp
)
