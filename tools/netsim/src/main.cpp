// diyuma-netsim: the UDP impairment proxy. All logic lives in the diyuma_netsim library
// (tools/netsim/README.md says what it does).

#include "diyuma/netsim/Netsim.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    // Early, so a SIGTERM during start-up neither kills nor is lost.
    diyuma::netsim::installStopSignalHandlers();
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return diyuma::netsim::runNetsim(args, std::cout, std::cerr);
}
