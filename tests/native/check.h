// A minimal test harness: CHECK records failures, main() returns their count.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace nnreg::testing {

inline int& failures() {
  static int count = 0;
  return count;
}

struct Case {
  const char* name;
  std::function<void()> body;
};

// Runs the cases named on the command line (all when none are); returns the failure count.
inline int run_cases(const std::vector<Case>& cases, int argc, char** argv) {
  for (const Case& test_case : cases) {
    bool selected = argc < 2;
    for (int i = 1; i < argc; ++i) selected |= std::string(argv[i]) == test_case.name;
    if (!selected) continue;
    const int before = failures();
    test_case.body();
    std::printf("%s %s\n", failures() == before ? "PASS" : "FAIL", test_case.name);
  }
  return failures() > 0 ? 1 : 0;
}

}  // namespace nnreg::testing

#define CHECK(condition, ...)                                           \
  do {                                                                  \
    if (!(condition)) {                                                 \
      ++::nnreg::testing::failures();                                   \
      std::printf("%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #condition); \
      std::printf(__VA_ARGS__);                                         \
      std::printf("\n");                                                \
    }                                                                   \
  } while (0)
