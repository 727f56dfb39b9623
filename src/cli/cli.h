#pragma once
// The command line: argv in, exit code out. The only module that prints, reads the
// environment or decides exit codes (0 ok, 1 failure/findings, 2 usage or input error,
// 130 interrupted).

namespace sluice::cli {

[[nodiscard]] int run(int argc, char** argv);

}  // namespace sluice::cli
