"""livelab_pace: how the anchor spoke — speaking rate, pauses and dead air, fillers, loudness."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import livelab
from livelab import N_, Analyzer, Findings, MetricSpec, Signals

__version__ = "0.1.0"

# English counts words, Mandarin characters (字): the declared unit names both, and each
# session's scorecard carries its own ("wpm" or "cpm") through Findings.set(unit=...).
RATE_UNIT = "wpm/cpm"
_LANG_UNIT = {"en": "wpm", "zh": "cpm"}
_COUNTED = {"en": "words", "zh": "characters"}

METRICS = (
    MetricSpec("pace.rate_speaking", RATE_UNIT,
               N_("Speaking rate while speaking (pauses excluded): words per minute in English, "
                  "characters (字) per minute in Mandarin."), better="target",
               title=N_("Speaking rate")),
    MetricSpec("pace.rate_overall", RATE_UNIT,
               N_("Words (English) or characters (Mandarin) per minute of the whole session, "
                  "silences included."), better="target", title=N_("Overall rate")),
    MetricSpec("pace.rate_variability", "ratio",
               N_("Coefficient of variation (std / mean) of the speaking rate across 30 s windows "
                  "with at least 10 s of speech; near 0 is a flat, unchanging pace."),
               better="target", title=N_("Pace variation")),
    MetricSpec("pace.speaking_ratio", "ratio",
               N_("Speaking time / session time; speaking time is where the transcript has words "
                  "and the audio is not silent."), better="target",
               title=N_("Share of time speaking")),
    MetricSpec("pace.dead_air_count", "silences",
               N_("Silences of at least the dead-air threshold (3 s by default) between the first "
                  "and the last words; each is listed with its time."), better="lower",
               title=N_("Dead air")),
    MetricSpec("pace.longest_pause_s", "s",
               N_("Longest pause between the first and the last words."), better="lower",
               title=N_("Longest pause")),
    MetricSpec("pace.filler_per_100", "per_100",
               N_("Fillers (um, uh, you know, …; 嗯, 呃, 那个, 就是, …) per 100 words or "
                  "characters. A lower bound: Whisper-family recognisers drop many fillers from "
                  "the transcript."),
               better="lower", title=N_("Filler words")),
    MetricSpec("pace.loudness_dbfs", "dBFS",
               N_("Median speech loudness (unweighted RMS of 400 ms windows, speech only); "
                  "depends on the microphone gain as much as on the voice."), better="target",
               title=N_("Loudness")),
    MetricSpec("pace.loudness_range_db", "dB",
               N_("Spread of speech loudness (95th − 10th percentile of 400 ms windows); "
                  "small values sound monotone."), better="target", title=N_("Loudness range")),
    MetricSpec("pace.repeated_phrases", "repeats",
               N_("Words or short phrases said twice in a row (\"the the\", \"这个这个\"), a sign "
                  "of restarting; a lower bound, as the recogniser smooths many away."),
               better="lower",
               title=N_("Repeated words")),
)


@dataclass(frozen=True, slots=True)
class PaceOptions:
    """Settings of the pace analyzer (all part of the cache key).

    ``dead_air_s``: a silence this long between words is dead air (3 s is the project's
    proposal for a live room; shared/REFERENCE.md "Pauses").
    ``min_pause_s``: gaps shorter than this are inside speech (disfluency research uses
    ~0.25 s; Praat tools 0.27 s).
    ``silence_dbfs``: frames quieter than this are silent (also at most ``relative_db``
    below the speaker's median level, for quiet recordings).
    ``window_s``: window of the rate timeline and of rate variability.
    ``min_duration_s``: shorter recordings are not measured.
    """

    dead_air_s: float = 3.0
    min_pause_s: float = 0.3
    silence_dbfs: float = -45.0
    relative_db: float = 25.0
    window_s: float = 30.0
    min_duration_s: float = 2.0


class PaceAnalyzer(Analyzer):
    name = "pace"
    title = N_("Speaking")
    version = "11"
    needs = frozenset({"transcript", "audio"})
    metrics = METRICS

    def __init__(self, options: PaceOptions | None = None):
        self.settings = options or PaceOptions()

    def options(self) -> dict:
        return dataclasses.asdict(self.settings)

    def analyze(self, signals: Signals) -> Findings:
        from livelab_pace.measure import measure

        return measure(signals, self.settings)


def clock(seconds: float) -> str:
    """mm:ss, as every livelab evidence message shows time."""
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:02d}:{s:02d}"


#: The plugin's messages; their translations are in locale/<lang>/LC_MESSAGES/livelab_pace.po.
M = livelab.Messages("livelab_pace")


def dead_air_message(start: float, end: float) -> livelab.Message:
    return M("dead_air", "dead air ({seconds:.1f} s)", start=start, end=end, seconds=end - start)


@livelab.hookimpl
def livelab_analyzers():
    return [PaceAnalyzer()]
