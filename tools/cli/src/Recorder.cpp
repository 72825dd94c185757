#include "diyuma/cli/Recorder.h"

#include "diyuma/audio/AudioFormat.h"

#include <fmt/format.h>

#include <system_error>

namespace diyuma::cli {

namespace fs = std::filesystem;

core::Result<std::unique_ptr<Recorder>> Recorder::create(const fs::path& dir,
                                                         ParticipantLabels& labels) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        return core::Error{1, fmt::format("cannot create recording folder {}: {}", dir.string(),
                                          ec ? ec.message() : "not a directory")};
    auto mix = core::WavWriter::create((dir / "mix.wav").string());
    if (!mix)
        return mix.error();
    return std::unique_ptr<Recorder>(new Recorder(dir, labels, std::move(mix.value())));
}

Recorder::Recorder(fs::path dir, ParticipantLabels& labels, core::WavWriter mix)
    : m_dir(std::move(dir)), m_labels(labels), m_mix(std::move(mix)) {}

void Recorder::setError(std::string message) {
    if (!m_error)
        m_error = std::move(message);
}

bool Recorder::padTo(core::WavWriter& writer, std::uint64_t samples) {
    const std::uint64_t have = writer.samplesWritten();
    return have >= samples || writer.appendSilence(static_cast<std::size_t>(samples - have));
}

void Recorder::playBlock(std::span<const core::ParticipantAudioBlock> participants,
                         std::span<const std::int16_t> mix) {
    if (m_error || m_finished)
        return;
    const std::uint64_t blockStart = m_blocks * core::kBlockSamples;
    for (const auto& block : participants) {
        const std::size_t index = m_labels.assign(block.participantId, std::string(block.name));
        if (index >= m_tracks.size())
            m_tracks.resize(index + 1);
        auto& writer = m_tracks[index];
        if (!writer) {
            const auto path = m_dir / (m_labels.tracks()[index].fileStem + ".wav");
            auto created = core::WavWriter::create(path.string());
            if (!created) {
                setError(created.error().message);
                return;
            }
            writer.emplace(std::move(created.value()));
        }
        // Leading silence for a late joiner, a gap for one who came back.
        if (!padTo(*writer, blockStart) || !writer->append(block.samples)) {
            setError(fmt::format("cannot write {}", m_labels.tracks()[index].fileStem + ".wav"));
            return;
        }
    }
    if (!m_mix.append(mix)) {
        setError(fmt::format("cannot write {}", (m_dir / "mix.wav").string()));
        return;
    }
    ++m_blocks;
}

void Recorder::finish() {
    if (m_finished)
        return;
    m_finished = true;
    const std::uint64_t total = m_blocks * core::kBlockSamples;
    for (auto& writer : m_tracks) {
        if (!writer)
            continue;
        if (!m_error && !padTo(*writer, total))
            setError("cannot write a recording");
        writer->close();
    }
    m_mix.close();
}

std::optional<fs::path> Recorder::fileOf(std::size_t trackIndex) const {
    if (trackIndex >= m_tracks.size() || !m_tracks[trackIndex])
        return std::nullopt;
    return m_dir / (m_labels.tracks()[trackIndex].fileStem + ".wav");
}

} // namespace diyuma::cli
