#pragma once
// SIGINT/SIGTERM as a polled flag: the handler only sets it; the loop, which wakes at least
// every 10 ms, sees it and leaves the conference cleanly.
// Thread: install once from main; stopRequested() from the loop.

namespace diyuma::cli {

void installStopSignalHandlers();
[[nodiscard]] bool stopRequested();
/// For tests: clears the flag.
void clearStopRequest();

} // namespace diyuma::cli
