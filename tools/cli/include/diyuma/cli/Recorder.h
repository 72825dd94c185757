#pragma once
// Records playout to WAV files: DIR/<stem>.wav per remote participant and DIR/mix.wav, all
// 48 kHz mono 16-bit PCM. Sample 0 of every file is the first playout block (the engine's
// CallStats::playoutStartUnixMs). A participant first heard at block k gets k blocks of
// leading silence; a participant who left is padded with silence while absent and at the
// end, so every file has the same length as mix.wav and times line up across files.
//
// Thread: called by CallEngine::processAudioBlock on diyuma-cli's single loop thread.

#include "diyuma/audio/WavFile.h"
#include "diyuma/cli/ParticipantLabels.h"
#include "diyuma/session/AudioDevice.h"
#include "diyuma/util/Result.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace diyuma::cli {

class Recorder final : public core::AudioPlaybackSink {
public:
    /// Creates `dir` (and parents) if needed and opens DIR/mix.wav. `labels` names the
    /// participants' files and must outlive the recorder.
    [[nodiscard]] static core::Result<std::unique_ptr<Recorder>>
    create(const std::filesystem::path& dir, ParticipantLabels& labels);

    void playBlock(std::span<const core::ParticipantAudioBlock> participants,
                   std::span<const std::int16_t> mix) override;

    /// Pads every participant's file to the length of mix.wav and closes all files.
    void finish();
    /// The first write error, if any (recording stops at the first error).
    [[nodiscard]] const std::optional<std::string>& error() const { return m_error; }
    /// Blocks recorded so far (each kBlockSamples long).
    [[nodiscard]] std::uint64_t blocks() const { return m_blocks; }
    /// The file of a track, if one was opened.
    [[nodiscard]] std::optional<std::filesystem::path> fileOf(std::size_t trackIndex) const;

private:
    Recorder(std::filesystem::path dir, ParticipantLabels& labels, core::WavWriter mix);
    bool padTo(core::WavWriter& writer, std::uint64_t samples);
    void setError(std::string message);

    std::filesystem::path m_dir;
    ParticipantLabels& m_labels;
    core::WavWriter m_mix;
    std::vector<std::optional<core::WavWriter>> m_tracks; ///< by track index
    std::uint64_t m_blocks = 0;
    std::optional<std::string> m_error;
    bool m_finished = false;
};

} // namespace diyuma::cli
