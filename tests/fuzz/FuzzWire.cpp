// libFuzzer target for every wire parser (control, RTP, RTCP, demultiplexing) and the
// encoders fed from what parsed. Build with clang (tests/fuzz/CMakeLists.txt); run e.g.
//   build/fuzz/tests/fuzz/fuzz_wire -max_total_time=60 -max_len=1300 \
//       tests/fuzz/corpus/wire
// (copy the seed corpus first if the run should not add files to the source tree).

#include "WireInvariants.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    if (const char* failure = diyuma::core::wire::fuzz::checkWireInvariants(bytes)) {
        std::fprintf(stderr, "wire invariant violated: %s\n", failure);
        std::abort();
    }
    return 0;
}
