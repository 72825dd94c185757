#include "diyuma/netsim/CommandLine.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>

namespace diyuma::netsim {

namespace {
constexpr double kMaxMs = 60'000.0;
constexpr double kMaxKbit = 10'000'000.0; // 10 Gbit/s

EarlyExit usageError(std::string_view message) {
    // CLI11 messages can span lines; we promise one.
    std::string line(message);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return EarlyExit{kUsageExitCode,
                     {},
                     fmt::format("diyuma-netsim: error: {} (see diyuma-netsim --help)\n", line)};
}

Clock::Duration fromMs(double ms) {
    return Clock::Duration(static_cast<std::int64_t>(std::llround(ms * 1000.0)));
}

std::optional<double> parsePercent(std::string_view text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || !(value >= 0 && value <= 100))
        return std::nullopt;
    return value;
}

std::string percent(double probability) {
    return fmt::format("{:g}%", probability * 100.0);
}

std::string ms(Clock::Duration d) {
    return fmt::format("{:g} ms", static_cast<double>(d.count()) / 1000.0);
}

const char* kFooter = R"(
Every client source address gets its own upstream socket to the target (the relay sees one
address per client) and its own link: two models, one per direction, seeded from --seed, the
client's number and the direction. Stages, in this order, for each datagram:
  loss         --burst-loss (Gilbert-Elliott: a burst starts with ENTER% per datagram and
               ends with LEAVE%; every datagram in a burst is lost; long-run loss
               ENTER/(ENTER+LEAVE), mean burst 100/LEAVE datagrams), then --loss (Bernoulli)
  rate         token bucket of --rate kbit/s (UDP payload; --rate-at changes it over time),
               1500 bytes deep; a datagram that
               would wait longer than --queue ms is dropped (tail drop)
  delay        --delay plus a uniform draw in [-jitter, +jitter] ms (floored at 0); order is
               kept, so jitter alone never reorders
  reorder      with --reorder % a datagram is held --reorder-delay ms longer and the ones
               sent meanwhile overtake it
  duplicate    with --duplicate % a second copy follows the first
The same --seed and the same traffic give the same decisions.

Output: the bound HOST:PORT on the first stdout line. On SIGINT/SIGTERM: exit 0 and one line
of JSON stats on stderr (per direction: in, out, dropped by reason, duplicated, reordered).
Exit 2: bad arguments; exit 1: cannot listen or the event loop failed.)";
} // namespace

std::string describe(const ImpairmentConfig& c) {
    std::vector<std::string> parts;
    if (c.burstLoss)
        parts.push_back(fmt::format("burst loss {}/{}", percent(c.burstLoss->goodToBad),
                                    percent(c.burstLoss->badToGood)));
    if (c.lossProbability > 0)
        parts.push_back("loss " + percent(c.lossProbability));
    if (c.rateBitsPerSecond > 0)
        parts.push_back(fmt::format("rate {:g} kbit/s (queue {})",
                                    static_cast<double>(c.rateBitsPerSecond) / 1000.0,
                                    ms(c.queueLimit)));
    for (const auto& step : c.rateSchedule)
        parts.push_back(fmt::format("rate {:g} kbit/s from {:g} s",
                                    static_cast<double>(step.bitsPerSecond) / 1000.0,
                                    std::chrono::duration<double>(step.at).count()));
    if (c.delay.count() > 0 || c.jitter.count() > 0)
        parts.push_back("delay " + ms(c.delay) + " +- " + ms(c.jitter));
    if (c.reorderProbability > 0)
        parts.push_back(
            fmt::format("reorder {} (held {})", percent(c.reorderProbability), ms(c.reorderDelay)));
    if (c.duplicateProbability > 0)
        parts.push_back("duplicate " + percent(c.duplicateProbability));
    if (parts.empty())
        return "none";
    std::string text;
    for (const auto& part : parts)
        text += (text.empty() ? "" : ", ") + part;
    return text;
}

ParsedCommandLine parseCommandLine(const std::vector<std::string>& args) {
    CLI::App app{"diyuma-netsim: a UDP impairment proxy between clients and a relay (loss, "
                 "burst loss, delay, jitter, reordering, rate limit, duplicates), for tests "
                 "and benchmarks.",
                 "diyuma-netsim"};
    app.footer(kFooter);

    std::string listen = "127.0.0.1:0";
    std::string target;
    std::uint64_t seed = 1;
    std::string direction = "both";
    double loss = 0;
    std::string burst;
    double delay = 0;
    double jitter = 0;
    double reorder = 0;
    double reorderDelay = 30;
    double rate = 0;
    std::vector<std::string> rateSteps;
    double queue = 200;
    double duplicate = 0;
    std::size_t maxClients = 1024;
    unsigned idleTimeout = 120;

    app.add_option("--listen", listen,
                   "UDP address for the clients, HOST:PORT or [IPv6]:PORT (port 0: any free "
                   "port; the bound address is printed on stdout)")
        ->type_name("HOST:PORT")
        ->default_str(listen);
    app.add_option("--target", target, "The relay, HOST:PORT or [IPv6]:PORT")
        ->type_name("HOST:PORT")
        ->required();
    app.add_option("--seed", seed, "Seed of the random decisions")
        ->type_name("N")
        ->default_str("1");
    app.add_option("--direction", direction,
                   "Where the impairments apply: both, up (client -> relay) or down (relay -> "
                   "client); the other direction passes untouched")
        ->type_name("WHERE")
        ->default_str(direction)
        ->check(CLI::IsMember({"both", "up", "down"}));
    app.add_option("--loss", loss, "Random (Bernoulli) loss, percent of datagrams")
        ->type_name("PCT")
        ->default_str("0")
        ->check(CLI::Range(0.0, 100.0));
    auto* burstOption =
        app.add_option(
               "--burst-loss", burst,
               "Gilbert-Elliott burst loss ENTER,LEAVE: percent chance per datagram that a burst "
               "starts, and that it ends (e.g. 2,25: bursts of 4 datagrams on average, 7.4% lost)")
            ->type_name("ENTER,LEAVE");
    app.add_option("--delay", delay, "Added one-way delay, ms")
        ->type_name("MS")
        ->default_str("0")
        ->check(CLI::Range(0.0, kMaxMs));
    app.add_option("--jitter", jitter, "Uniform spread around --delay, +- ms (floored at 0)")
        ->type_name("MS")
        ->default_str("0")
        ->check(CLI::Range(0.0, kMaxMs));
    app.add_option("--reorder", reorder, "Percent of datagrams held back so later ones overtake")
        ->type_name("PCT")
        ->default_str("0")
        ->check(CLI::Range(0.0, 100.0));
    auto* reorderDelayOption =
        app.add_option("--reorder-delay", reorderDelay, "How long a reordered datagram is held, ms")
            ->type_name("MS")
            ->default_str("30")
            ->check(CLI::Range(0.001, kMaxMs));
    app.add_option("--rate", rate, "Rate limit, kbit/s of UDP payload (0 = none)")
        ->type_name("KBIT")
        ->default_str("0")
        ->check(CLI::Range(0.0, kMaxKbit));
    app.add_option("--rate-at", rateSteps,
                   "From SECONDS after the start on, the rate limit is KBIT kbit/s (0 = none); "
                   "repeatable, e.g. --rate-at 10:300 --rate-at 30:0 for a capacity step")
        ->type_name("SECONDS:KBIT")
        ->take_all();
    auto* queueOption =
        app.add_option("--queue", queue,
                       "Most time a datagram may wait for the rate limit, ms; more is dropped")
            ->type_name("MS")
            ->default_str("200")
            ->check(CLI::Range(0.0, kMaxMs));
    app.add_option("--duplicate", duplicate, "Percent of datagrams sent twice")
        ->type_name("PCT")
        ->default_str("0")
        ->check(CLI::Range(0.0, 100.0));
    app.add_option("--max-clients", maxClients,
                   "Most client addresses at once (each has a socket); more are dropped")
        ->type_name("N")
        ->default_str("1024")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
    app.add_option("--idle-timeout", idleTimeout,
                   "Seconds after which a silent client is forgotten (its socket closed)")
        ->type_name("S")
        ->default_str("120")
        ->check(CLI::Range(1u, 86'400u));

    // CLI11 takes a reversed vector.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            std::ostringstream out;
            std::ostringstream err;
            app.exit(e, out, err);
            return EarlyExit{0, out.str(), err.str()};
        }
        return usageError(e.what());
    }

    ProxyConfig config;
    auto listenEndpoint = Endpoint::resolve(listen);
    if (!listenEndpoint)
        return usageError("--listen: " + listenEndpoint.error().message);
    auto targetEndpoint = Endpoint::resolve(target);
    if (!targetEndpoint)
        return usageError("--target: " + targetEndpoint.error().message);
    if (targetEndpoint->port() == 0)
        return usageError("--target: the port must not be 0");
    config.listen = *listenEndpoint;
    config.target = *targetEndpoint;
    config.seed = seed;
    config.maxClients = maxClients;
    config.idleTimeout = std::chrono::seconds(idleTimeout);

    ImpairmentConfig impairment;
    impairment.lossProbability = loss / 100.0;
    if (burstOption->count() > 0) {
        const auto comma = burst.find(',');
        const auto enter = comma == std::string::npos
                               ? std::nullopt
                               : parsePercent(std::string_view(burst).substr(0, comma));
        const auto leave = comma == std::string::npos
                               ? std::nullopt
                               : parsePercent(std::string_view(burst).substr(comma + 1));
        if (!enter || !leave || *leave <= 0)
            return usageError(fmt::format("--burst-loss {}: want ENTER,LEAVE, two percentages "
                                          "(0..100, LEAVE above 0), e.g. 2,25",
                                          burst));
        impairment.burstLoss = BurstLoss{*enter / 100.0, *leave / 100.0};
    }
    impairment.delay = fromMs(delay);
    impairment.jitter = fromMs(jitter);
    impairment.reorderProbability = reorder / 100.0;
    impairment.reorderDelay = fromMs(reorderDelay);
    impairment.rateBitsPerSecond = static_cast<std::uint64_t>(std::llround(rate * 1000.0));
    impairment.queueLimit = fromMs(queue);
    impairment.duplicateProbability = duplicate / 100.0;
    for (const std::string& step : rateSteps) {
        const auto colon = step.find(':');
        double seconds = -1;
        double kbit = -1;
        if (colon != std::string::npos) {
            try {
                std::size_t used = 0;
                seconds = std::stod(step.substr(0, colon), &used);
                if (used != colon)
                    seconds = -1;
                const std::string rest = step.substr(colon + 1);
                kbit = std::stod(rest, &used);
                if (used != rest.size())
                    kbit = -1;
            } catch (const std::exception&) {
                seconds = kbit = -1;
            }
        }
        if (!(seconds >= 0 && seconds <= 86400 && kbit >= 0 && kbit <= kMaxKbit))
            return usageError(fmt::format("--rate-at {}: want SECONDS:KBIT (0..86400 s, "
                                          "0..{} kbit/s), e.g. 10:300",
                                          step, kMaxKbit));
        impairment.rateSchedule.push_back(
            {std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(seconds)),
             static_cast<std::uint64_t>(std::llround(kbit * 1000.0))});
    }
    std::stable_sort(impairment.rateSchedule.begin(), impairment.rateSchedule.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    if (queueOption->count() > 0 && impairment.rateBitsPerSecond == 0 &&
        impairment.rateSchedule.empty())
        return usageError("--queue only applies with --rate or --rate-at");
    if (reorderDelayOption->count() > 0 && impairment.reorderProbability <= 0)
        return usageError("--reorder-delay only applies with --reorder");

    if (direction != "down")
        config.up = impairment;
    if (direction != "up")
        config.down = impairment;
    return config;
}

} // namespace diyuma::netsim
