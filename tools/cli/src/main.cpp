// diyuma-cli: the headless client. All logic lives in the diyuma_cli library.

#include "diyuma/cli/Commands.h"
#include "diyuma/cli/StopSignal.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    diyuma::cli::installStopSignalHandlers();
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return diyuma::cli::runCli(args, std::cout, std::cerr);
}
