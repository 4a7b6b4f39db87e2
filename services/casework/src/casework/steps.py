"""The support-first stages (domain.md 6) and the automatic steps alerts cause (api.md "Casework")."""

from __future__ import annotations

from dataclasses import dataclass

from attendance_common.events.casework import STAGES

# Automation never moves a case into these: support first, and only people decide to formalise or enforce.
PEOPLE_ONLY_STAGES = frozenset({"formalise_support", "enforce"})
# Where a case opened only to hold a referral starts: watching the data, no support step decided yet.
HOLDING_STAGE = "monitor"


def stage_rank(stage: str) -> int:
    return STAGES.index(stage)


@dataclass(frozen=True)
class Step:
    """What an alert of one type does to its family's case: a stage to reach, a referral to make."""

    at_least: str | None
    referral: str | None


STEPS: dict[str, Step] = {
    "persistent_absence": Step(at_least="listen_and_understand", referral=None),
    "severe_absence": Step(at_least="facilitate_support", referral="severe_absence"),
    "ten_day_unauthorised": Step(at_least=None, referral="ten_day_unauthorised"),
    # api.md Part 2 "Finding pupils who need support": watch early, before persistent absence; and
    # for 20 school days missing, the joint school-LA enquiries of children missing education.
    "emerging_absence": Step(at_least="monitor", referral=None),
    "twenty_day_continuous_absence": Step(
        at_least="facilitate_support", referral="children_missing_education_enquiry"
    ),
}
assert not {s.at_least for s in STEPS.values()} & PEOPLE_ONLY_STAGES


def stage_wanted(alert_types: list[str]) -> str | None:
    """The highest stage these alerts ask for (None when none asks for a stage)."""
    wanted = [STEPS[t].at_least for t in alert_types if t in STEPS and STEPS[t].at_least]
    return max(wanted, key=stage_rank) if wanted else None  # type: ignore[arg-type]


def raises(current: str, wanted: str | None) -> bool:
    """Whether automation moves a case at `current` to `wanted`: only upwards, never backwards."""
    return wanted is not None and stage_rank(wanted) > stage_rank(current)
