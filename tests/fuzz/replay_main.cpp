// Replays fuzz inputs through a fuzz target without libFuzzer, in the normal (gcc) build, so that
// every seed in tests/fuzz/corpus/<name>/ (the shipped examples and each crash that fuzzing found,
// kept as regression-*) is a ctest case: a fixed crash that comes back fails the suite, under the
// plain, ASan and TSan builds alike, not only in the minute of fuzzing CI gives each target.
//
//   fuzz_replay_<name> FILE_OR_DIRECTORY...
//
// A target's broken promise aborts; a missing or empty directory is an error (a replay of nothing
// must not pass). Prints how many inputs ran.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool replay(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // A copy in its own allocation, so ASan sees a read past the end of the input.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
    return 2;
  }
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path = argv[i];
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path());
        }
      }
      if (error || files.empty()) {
        std::fprintf(stderr, "fuzz_replay: no inputs in %s\n", path.c_str());
        return 1;
      }
      for (const auto& file : files) {
        if (!replay(file)) {
          return 1;
        }
        ++count;
      }
    } else if (!replay(path)) {
      return 1;
    } else {
      ++count;
    }
  }
  std::printf("fuzz_replay: %zu inputs, no finding\n", count);
  return 0;
}
