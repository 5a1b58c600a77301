"""The scenario format: pydantic v2 models of a political situation.

A :class:`Scenario` holds who the actors are (:class:`Actor`), what they bargain over
(:class:`Issue`), where each stands and how much it cares (:class:`Stance`), what power each
has (:class:`Resource`), how they relate (:class:`Tie`), what will happen (:class:`Event`)
and what the analyst wants to know (:class:`Question`).

Every number may be written plainly (``60``) or as an :class:`Uncertain` quantity
(``{value: 60, low: 50, high: 75}``); a single run uses ``value`` and an ensemble samples the
range. Every value and every record may carry ``source`` (a quote or citation) or
``judgment`` (``true``, or a sentence giving the reasoning).

Models are frozen and forbid unknown fields. Cross-references (a tie naming an unknown
actor, a duplicate id, a position outside its issue's scale) are checked by
:func:`reference_problems`, which works on raw data so that it can report every problem at
once, alongside pydantic's own field errors; :func:`factions.scenario.io.parse_scenario`
combines both.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from factions.errors import Problem

__all__ = [
    "ACTOR_KINDS",
    "BOUNDED_PRIORS",
    "CALIBRATED",
    "CLASH_PRIORS",
    "GOVERNORATE_PRIORS",
    "MAX_ACTORS",
    "MAX_CHANGES",
    "MAX_DATE",
    "MAX_DISTRICTS",
    "MAX_EVENTS",
    "MAX_ISSUES",
    "MAX_MAGNITUDE",
    "MAX_MEMBERS",
    "MAX_MONTHS",
    "MAX_NAME",
    "MAX_QUESTIONS",
    "MAX_SEATS",
    "MAX_TEXT",
    "MAX_TITLE",
    "MIN_DATE",
    "SCHEMA_VERSION",
    "SERIES_KINDS",
    "Actor",
    "Change",
    "Choice",
    "Condition",
    "District",
    "Dynamics",
    "Election",
    "Event",
    "Issue",
    "Metadata",
    "Number",
    "Outcome",
    "Question",
    "Reference",
    "Resource",
    "Scale",
    "Scenario",
    "Stance",
    "Tie",
    "Uncertain",
    "reference_problems",
    "value_of",
]

SCHEMA_VERSION = 1

# -- Limits (docs/scenario-format.md, "Limits"): what a scenario may hold and the ranges of
# its numbers. Past them, validation reports a problem naming the field; nothing is run.
#: The most actors, issues, events, questions, changes per event and districts per election.
MAX_ACTORS = 500
MAX_ISSUES = 100
MAX_EVENTS = 1000
MAX_QUESTIONS = 500
MAX_CHANGES = 1000
MAX_DISTRICTS = 1000
#: The most seats an election (or a district) allocates.
MAX_SEATS = 100_000
#: The most members an ensemble (or a sensitivity analysis) may have.
MAX_MEMBERS = 10_000_000
#: The largest magnitude of an amount, a capability, a scale end or a change's value.
MAX_MAGNITUDE = 1e9
#: The dates a scenario may use, and how far its horizon may lie after its date.
MIN_DATE = dt.date(1800, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MAX_MONTHS = 1200
#: The longest texts: names and labels, titles, and descriptions or sources.
MAX_NAME = 200
MAX_TITLE = 300
MAX_TEXT = 20_000

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Identifier = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        max_length=64,
        description="An identifier: letters, digits, '_', '-', '.'; starts with a letter or digit.",
    ),
]

ACTOR_KINDS = (
    "party",
    "militia",
    "state",
    "government",
    "clergy",
    "tribe",
    "public",
    "foreign_state",
    "organisation",
    "person",
    "bloc",
    "other",
)
ActorKind = Literal[
    "party",
    "militia",
    "state",
    "government",
    "clergy",
    "tribe",
    "public",
    "foreign_state",
    "organisation",
    "person",
    "bloc",
    "other",
]

#: The kinds of series a question can watch, with the ids each names after its prefix.
SERIES_KINDS: dict[str, tuple[str, ...]] = {
    "issue": ("issue",),
    "position": ("actor", "issue"),
    "tie": ("actor", "actor"),
    "resource": ("actor", "resource"),
    "capability": ("actor",),
    "armed": ("actor",),
    "race": ("actor", "actor"),
    "lean": ("actor", "actor"),
    "seats": ("actor", "event"),
    "votes": ("actor", "event"),
    "clash": ("actor", "actor"),
    "joint": ("actor", "actor", "event"),
    "councils": ("actor", "event"),
}


class _Model(BaseModel):
    # allow_inf_nan=False: every float field of the format is finite (NaN, inf refused).
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def _date_in_range(d: dt.date) -> dt.date:
    if not MIN_DATE <= d <= MAX_DATE:
        raise PydanticCustomError(
            "date_range",
            "must be a date from {lo} to {hi}, got {d}",
            {"lo": MIN_DATE.isoformat(), "hi": MAX_DATE.isoformat(), "d": d.isoformat()},
        )
    return d


#: A date within the supported range (MIN_DATE to MAX_DATE).
Date = Annotated[dt.date, AfterValidator(_date_in_range)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Sourced(_Model):
    """Provenance that any record or value may carry."""

    source: Text | None = Field(
        default=None, description="A quote from, or citation of, the material this came from."
    )
    judgment: bool | Text = Field(
        default=False,
        description="True (or a sentence of reasoning) when the value is the author's judgment.",
    )


class Uncertain(_Sourced):
    """An uncertain number: a best ``value`` and an optional ``[low, high]`` range.

    A single run uses ``value``; an ensemble draws from ``dist`` over ``[low, high]``
    (``uniform`` by default, ``triangular`` with its mode at ``value``).
    """

    value: float = Field(description="The best estimate, used by single runs.")
    low: float | None = Field(default=None, description="The lowest plausible value.")
    high: float | None = Field(default=None, description="The highest plausible value.")
    dist: Literal["uniform", "triangular"] = Field(
        default="uniform", description="How an ensemble samples [low, high]."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Uncertain:
        for name in ("value", "low", "high"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise PydanticCustomError(
                    "not_finite", "{name} must be a finite number", {"name": name}
                )
        if (self.low is None) != (self.high is None):
            raise PydanticCustomError("range", "give both low and high, or neither")
        if (
            self.low is not None
            and self.high is not None
            and not self.low <= self.value <= self.high
        ):
            raise PydanticCustomError(
                "range",
                "need low <= value <= high, got low={low}, value={value}, high={high}",
                {"low": _fmt(self.low), "value": _fmt(self.value), "high": _fmt(self.high)},
            )
        return self


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number_tag(v: Any) -> str:
    return "uncertain" if isinstance(v, Mapping | Uncertain) else "plain"


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise PydanticCustomError("not_finite", "must be a finite number, got {v}", {"v": str(v)})
    return v


#: A number written plainly or as an :class:`Uncertain` quantity.
Number = Annotated[
    Annotated[float, AfterValidator(_finite), Tag("plain")]
    | Annotated[Uncertain, Tag("uncertain")],
    Discriminator(_number_tag),
]


def value_of(x: float | Uncertain) -> float:
    """The value a single run uses: the number itself, or an uncertain quantity's ``value``."""
    return x.value if isinstance(x, Uncertain) else float(x)


def _bounds_of(x: float | Uncertain) -> Iterator[tuple[str, float]]:
    if isinstance(x, Uncertain):
        yield "", x.value
        if x.low is not None:
            yield "low ", x.low
        if x.high is not None:
            yield "high ", x.high
    else:
        yield "", float(x)


def _in_range(lo: float, hi: float) -> Any:
    def check(x: float | Uncertain) -> float | Uncertain:
        for label, v in _bounds_of(x):
            if not lo <= v <= hi:
                raise PydanticCustomError(
                    "out_of_range",
                    "{label}must be between {lo} and {hi}, got {v}",
                    {"label": label, "lo": _fmt(lo), "hi": _fmt(hi), "v": _fmt(v)},
                )
        return x

    return AfterValidator(check)


def _non_negative(x: float | Uncertain) -> float | Uncertain:
    for label, v in _bounds_of(x):
        if v < 0:
            raise PydanticCustomError(
                "negative", "{label}must be at least 0, got {v}", {"label": label, "v": _fmt(v)}
            )
        if v > MAX_MAGNITUDE:
            raise PydanticCustomError(
                "too_large",
                "{label}must be at most {hi}, got {v}",
                {"label": label, "hi": _fmt(MAX_MAGNITUDE), "v": _fmt(v)},
            )
    return x


Salience = Annotated[Number, _in_range(0.0, 100.0)]
Strength = Annotated[Number, _in_range(-1.0, 1.0)]
Amount = Annotated[Number, AfterValidator(_non_negative)]
Magnitude = Annotated[Number, _in_range(-MAX_MAGNITUDE, MAX_MAGNITUDE)]


class Reference(_Model):
    """A work the scenario draws on."""

    key: Identifier = Field(description="A short key to cite the work by.")
    citation: Text = Field(description="The full citation.")
    url: Text | None = Field(default=None, description="Where to read it.")
    note: Text | None = Field(default=None, description="What the scenario takes from it.")


class Metadata(_Model):
    """What the scenario is, when it is set, and where it comes from."""

    id: Identifier = Field(description="The scenario's id (its name on the command line).")
    title: str = Field(min_length=1, max_length=MAX_TITLE, description="A one-line title.")
    date: Date = Field(description="The date of the situation described (the start).")
    horizon: Date | None = Field(
        default=None, description="The last date a simulation covers (default: one year on)."
    )
    description: Text = Field(default="", description="What the situation is about.")
    sources: list[Reference] = Field(
        default_factory=list, max_length=MAX_EVENTS, description="Works drawn on."
    )
    license: Text | None = Field(default=None, description="Terms of the data, where not ours.")

    @model_validator(mode="after")
    def _horizon_after_date(self) -> Metadata:
        if self.horizon is not None and self.horizon <= self.date:
            raise PydanticCustomError(
                "horizon",
                "horizon ({h}) must be after date ({d})",
                {"h": self.horizon.isoformat(), "d": self.date.isoformat()},
            )
        return self

    @field_validator("horizon")
    @classmethod
    def _horizon_in_reach(cls, horizon: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("date")
        if horizon is None or not isinstance(start, dt.date):
            return horizon
        months = (horizon.year - start.year) * 12 + horizon.month - start.month
        if months > MAX_MONTHS:
            raise PydanticCustomError(
                "horizon",
                "{m} months after the scenario's date; at most {mx} months are simulated",
                {"m": months, "mx": MAX_MONTHS},
            )
        return horizon


class Actor(_Sourced):
    """A faction, party, state, militia, clergy, tribe or public that takes part."""

    id: Identifier
    name: Name = Field(description="The actor's full name.")
    kind: ActorKind = Field(default="other", description="What sort of actor this is.")
    description: Text = Field(default="", description="Who the actor is, in a sentence or two.")
    capability: Amount | None = Field(
        default=None,
        description=(
            "Bargaining capability when given directly (as in BDM and KTAB data); "
            "otherwise it is derived from the actor's resources."
        ),
    )


class Scale(_Model):
    """An issue's scale: its two ends, what each means, and the unit."""

    low: float = Field(
        default=0.0, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, description="The value at the low end."
    )
    high: float = Field(
        default=100.0, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, description="The value at the high end."
    )
    low_label: str = Field(
        default="", max_length=MAX_NAME, description="What a position at the low end means."
    )
    high_label: str = Field(
        default="", max_length=MAX_NAME, description="What a position at the high end means."
    )
    unit: str = Field(default="", max_length=MAX_NAME, description="The unit of positions, if any.")

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise PydanticCustomError(
                "scale",
                "low ({lo}) must be a finite number below high ({hi})",
                {"lo": _fmt(self.low), "hi": _fmt(self.high)},
            )
        return self


class Issue(_Sourced):
    """A question the actors bargain over, with positions on a one-dimensional scale."""

    id: Identifier
    name: Name = Field(description="The issue's name, as a user reads it.")
    description: Text = Field(default="", description="What is at stake, in a sentence or two.")
    scale: Scale = Field(default_factory=Scale, description="The scale positions are on.")


class Stance(_Sourced):
    """Where an actor stands on an issue (on the issue's scale) and how much it cares (0-100)."""

    actor: Identifier
    issue: Identifier
    position: Number = Field(description="A position on the issue's scale.")
    salience: Salience = Field(description="How much the issue matters to the actor, 0-100.")


class Resource(_Sourced):
    """An amount of one named power source held by one actor.

    The usual kinds are ``armed_strength``, ``money``, ``popular_support``, ``seats``,
    ``patron_support``, ``religious_legitimacy`` and ``clients``; any identifier is allowed.
    Amounts are on a scale the scenario states in its description (0-100 by convention).
    """

    actor: Identifier
    kind: Identifier = Field(description="The power source, e.g. armed_strength.")
    amount: Amount = Field(description="How much of it the actor has (>= 0).")


class Tie(_Sourced):
    """A relation between two actors.

    ``relation`` ties are symmetric: strength from -1 (deadly rivals) to 1 (firm allies).
    ``patron_client`` ties are directed: ``a`` is the patron, ``b`` the client, and strength
    (0 to 1) is how much of its support the patron commits.
    """

    a: Identifier
    b: Identifier
    kind: Literal["relation", "patron_client"] = Field(
        default="relation", description="relation (-1 to 1) or patron_client (a = patron, 0 to 1)."
    )
    strength: Strength = Field(description="From -1 (rivalry) to 1 (alliance).")
    description: Text = Field(default="", description="What the tie is, in a sentence.")


class Change(_Sourced):
    """A change that an event makes to one parameter.

    ``target`` picks what changes: ``resource`` (``actor``'s ``resource``), ``tie`` (between
    ``actor`` and ``other``), ``salience`` or ``position`` (``actor``'s stance on ``issue``).
    ``op`` says how: ``set`` to ``value``, ``add`` ``value``, or ``multiply`` by ``value``.
    """

    target: Literal["resource", "tie", "salience", "position"] = Field(
        description="What changes: a resource, a tie, a salience or a position."
    )
    actor: Identifier
    other: Identifier | None = Field(default=None, description="The other actor of a tie.")
    issue: Identifier | None = Field(default=None, description="The issue of a stance.")
    resource: Identifier | None = Field(default=None, description="The resource kind.")
    op: Literal["set", "add", "multiply"] = Field(
        default="set", description="How the value applies: set, add or multiply."
    )
    value: Magnitude = Field(description="The new value, the amount added, or the factor.")

    @model_validator(mode="after")
    def _fields_for_target(self) -> Change:
        need = {"resource": "resource", "tie": "other", "salience": "issue", "position": "issue"}
        field = need[self.target]
        if getattr(self, field) is None:
            raise PydanticCustomError(
                "change_target",
                "a change of a {t} needs '{f}'",
                {"t": self.target, "f": field},
            )
        return self


class District(_Sourced):
    """An electoral district (a governorate, say) and the actors' relative local strength."""

    id: Identifier
    name: Name = Field(description="The district's name.")
    seats: int = Field(ge=1, le=MAX_SEATS, description="Seats elected in the district.")
    strength: dict[Identifier, Amount] = Field(
        default_factory=dict,
        description=(
            "Relative local strength per actor (1 = its national average; default 1): "
            "multiplies the actor's electoral capability in this district."
        ),
    )
    base: dict[Identifier, Annotated[Number, _in_range(0.0, 1.0)]] = Field(
        default_factory=dict,
        description=(
            "governorate_elections step: each actor's share of the vote (or seats) at the "
            "previous election here, where known (a judged share may carry a range, which "
            "ensembles sample); actors not named share what is left by local electoral "
            "capability."
        ),
    )
    incumbents: list[Identifier] = Field(
        default_factory=list,
        description="governorate_elections step: the actors in the council's government.",
    )
    record: float = Field(
        default=0.0,
        ge=-1,
        le=1,
        description=(
            "governorate_elections step: the voters' verdict on the council's record on "
            "security and services, from -1 (blame) to 1 (credit)."
        ),
    )


class Election(_Model):
    """An election that an event triggers."""

    body: str = Field(
        max_length=MAX_NAME, description="What is elected, e.g. 'provincial councils'."
    )
    rule: Literal["dhondt", "sainte_lague", "hare", "iraq_2009"] = Field(
        default="iraq_2009", description="How votes become seats."
    )
    first_divisor: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Sainte-Laguë's first divisor (1.4 modified; Iraq: 1.6, 1.7).",
    )
    seats: int | None = Field(
        default=None, ge=1, le=MAX_SEATS, description="Seats at stake, when known."
    )
    contestants: list[Identifier] = Field(
        default_factory=list,
        description="The actors that run (default: every actor with electoral capability).",
    )
    districts: list[District] = Field(
        default_factory=list,
        max_length=MAX_DISTRICTS,
        description="Districts; without any, the election is one national district of 'seats'.",
    )

    @model_validator(mode="after")
    def _seats_add_up(self) -> Election:
        if self.first_divisor != 1.0 and self.rule != "sainte_lague":
            raise PydanticCustomError(
                "first_divisor",
                "first_divisor applies to rule sainte_lague only, not {r}",
                {"r": self.rule},
            )
        if self.districts and self.seats is not None:
            total = sum(d.seats for d in self.districts)
            if total != self.seats:
                raise PydanticCustomError(
                    "seats",
                    "the districts' seats add up to {t}, but seats is {s}",
                    {"t": total, "s": self.seats},
                )
        if not self.districts and self.seats is None:
            raise PydanticCustomError("seats", "give 'seats' or 'districts'")
        return self


_ARENAS = ("bargaining", "electoral", "armed")
Arena = Literal["bargaining", "electoral", "armed"]


def _default_arena_weights() -> dict[Arena, dict[str, float]]:
    return {
        "bargaining": {
            "patron_support": 1.0,
            "popular_support": 1.0,
            "religious_legitimacy": 1.0,
            "armed_strength": 1.0,
            "money": 1.0,
            "seats": 1.0,
            "clients": 0.5,
        },
        "electoral": {
            "popular_support": 1.0,
            "clients": 1.0,
            "religious_legitimacy": 0.5,
            "money": 0.5,
            "seats": 0.5,
        },
        "armed": {"armed_strength": 1.0, "clients": 0.5, "money": 0.25},
    }


Rate = Annotated[float, Field(ge=0.0, le=1.0)]
#: An arena weight: how much one unit of a resource counts in an arena.
Weight = Annotated[float, Field(ge=0.0, le=100.0)]

#: The structural coefficients of the bounded security steps (docs/model.md, "Bounded
#: forces"): judgment priors ``(value, low, high)`` that ensembles sample when a scenario
#: runs those steps and gives no range of its own.
BOUNDED_PRIORS: dict[str, tuple[float, float, float]] = {
    "prize": (4.0, 2.0, 8.0),
    "pool_factor": (2.0, 1.25, 4.0),
    "recruit_rate": (0.1, 0.05, 0.2),
    "attrition": (0.02, 0.005, 0.05),
    "greed": (0.5, 0.2, 1.0),
    "common_threat_rate": (0.1, 0.02, 0.3),
    "grievance_rate": (0.5, 0.1, 1.0),
}

#: The hazard coefficients of the ``clashes`` step (docs/model.md, "Questions that
#: resolve"): judgment priors ``(value, low, high)`` that ensembles sample when a scenario
#: runs that step and gives no range of its own.
CLASH_PRIORS: dict[str, tuple[float, float, float]] = {
    "clash_base": (0.02, 0.005, 0.05),
    "clash_suspicion": (1.5, 0.0, 3.0),
    "clash_hostility": (1.0, 0.0, 2.0),
    "clash_balance": (1.5, 0.0, 3.0),
    "clash_cover": (0.75, 0.25, 1.0),
}

#: The judgment coefficients of the ``governorate_elections`` step's vote model
#: (docs/model.md, "Elections by governorate"): priors ``(value, low, high)`` that ensembles
#: sample when a scenario runs the step and gives no range of its own.
GOVERNORATE_PRIORS: dict[str, tuple[float, float, float]] = {
    "vote_retro": (0.3, 0.0, 1.0),
    "vote_capability": (0.3, 0.0, 1.0),
    # the tie above which allies run one list: judgment (a firm alliance is needed to share
    # a list and its candidates; 0.5 is the middle of "allied"), prior 0.3 to 0.7
    "joint_list_threshold": (0.5, 0.3, 0.7),
}

#: The Dynamics fields a calibration can set (docs/calibration.md), or a scenario may give a
#: range for in ``dynamics.coefficients``.
CALIBRATED = (
    "fear",
    "restraint",
    *BOUNDED_PRIORS,
    *CLASH_PRIORS,
    *GOVERNORATE_PRIORS,
    # no default prior (0 switches the flow off); a scenario may give it a judged range
    "provincial_budget",
)


class Dynamics(_Model):
    """Parameters of the political dynamics (docs/model.md explains each).

    Rates are per month. Every default is a modelling choice, documented in docs/model.md;
    a scenario may override any of them.
    """

    arena_weights: dict[Arena, dict[Identifier, Weight]] = Field(
        default_factory=_default_arena_weights,
        description="Capability in each arena = sum over resources of weight x amount.",
    )
    ally_lend: Rate = Field(
        default=0.25, description="Share of an ally's bargaining capability lent per unit tie."
    )
    affinity_rate: Rate = Field(
        default=0.02, description="How fast ties move towards positional affinity."
    )
    balance_rate: Rate = Field(
        default=0.02, description="How fast ties move towards structural balance (common enemies)."
    )
    threat_rate: Rate = Field(
        default=0.1, description="How much mutual suspicion (beliefs) erodes a tie per month."
    )
    fear: float = Field(
        default=0.4,
        ge=0,
        le=10,
        description="Richardson fear coefficient at certainty of aggression.",
    )
    restraint: float = Field(
        default=0.3, gt=0, le=10, description="Richardson fatigue/cost coefficient m (per month)."
    )
    signal_gain: Rate = Field(
        default=0.3, description="How strongly observed arming and opposition move beliefs."
    )
    patronage: bool = Field(
        default=True,
        description="Run state patronage (stipends, recruitment); false switches it off.",
    )
    patronage_issue: Identifier | None = Field(
        default=None,
        description="The issue whose outcome (0-1 on its scale) scales state patronage spending.",
    )
    patronage_spend: Rate = Field(
        default=0.2, description="Share of the patron's money offered to clients per month."
    )
    discount: float = Field(default=0.9, gt=0, lt=1, description="Clients' discount factor d.")
    detection: float = Field(
        default=0.8, gt=0, le=1, description="Probability q that a defection is detected."
    )
    joint_list_threshold: float = Field(
        default=0.5, ge=-1, le=1, description="Allies above this tie run a joint list."
    )
    bargaining_rounds: int = Field(default=1, ge=1, le=100, description="Engine rounds per month.")
    prize: float = Field(
        default=4.0,
        gt=0,
        le=1000,
        description="Bounded steps: the stake fought over, per unit of pool.",
    )
    pool_factor: float = Field(
        default=2.0,
        ge=1,
        le=100,
        description="Bounded steps: recruitable pool per initial fighter.",
    )
    recruit_rate: Rate = Field(
        default=0.1, description="Bounded steps: share of the free pool recruitable per month."
    )
    attrition: Rate = Field(
        default=0.02, description="Bounded steps: share of fighters lost per month."
    )
    adjust: Rate = Field(
        default=0.3, description="Bounded steps: share of a surplus of fighters stood down a month."
    )
    unit_cost: float = Field(
        default=0.05,
        gt=0,
        le=100,
        description="Bounded steps: money per new fighter (index points).",
    )
    greed: float = Field(
        default=0.5,
        ge=0,
        le=10,
        description="Bounded steps: a greedy type's extra recruiting (Kydd).",
    )
    obs_noise: float = Field(
        default=0.05, gt=0, le=10, description="Bounded steps: noise of an observed move, per pool."
    )
    common_threat_rate: Rate = Field(
        default=0.1,
        description="bounded_alliances step: how fast a common armed threat binds a pair.",
    )
    grievance_rate: Rate = Field(
        default=0.5,
        description=(
            "bounded_alliances step: how fast a partner's grievance over the bargaining "
            "outcome erodes a tie."
        ),
    )
    grievance_reference: Literal["compromise", "engine"] = Field(
        default="compromise",
        description=(
            "bounded_alliances step: what an actor's policy loss is measured against: the "
            "compromise at the start (capability x salience weighted mean), or the engine's "
            "own forecast at the start."
        ),
    )
    provincial_budget: float = Field(
        default=0.0,
        ge=0,
        le=MAX_MAGNITUDE,
        description=(
            "governorate_elections step: money a month per council seat that the parties "
            "governing a council control (0: councils control no money)."
        ),
    )
    budget_issue: Identifier | None = Field(
        default=None,
        description="Coupling step: the issue whose outcome is the budget holder's share.",
    )
    budget_holder: Identifier | None = Field(
        default=None, description="Coupling step: the actor whose money that outcome scales."
    )
    protection_issue: Identifier | None = Field(
        default=None,
        description="Coupling step: the issue whose outcome scales outside powers' protection.",
    )
    alignment_scale: float = Field(
        default=0.1, gt=0, le=100, description="Alignment step: the logit scale of partners' value."
    )
    clash_base: float = Field(
        default=0.02, ge=0, le=1, description="Clashes step: monthly hazard of a reference pair."
    )
    clash_suspicion: float = Field(
        default=1.5, ge=0, le=10, description="Clashes step: log-hazard per unit of 2 m - 1."
    )
    clash_hostility: float = Field(
        default=1.0, ge=0, le=10, description="Clashes step: log-hazard per unit of -tie."
    )
    clash_balance: float = Field(
        default=1.5, ge=0, le=10, description="Clashes step: log-hazard per unit of evenness."
    )
    clash_cover: Rate = Field(
        default=0.75, description="Clashes step: how much a protector's cover deters a clash."
    )
    clash_tie_drop: Rate = Field(
        default=0.2, description="Clashes step: how much a clash lowers the pair's tie."
    )
    clash_evidence: float = Field(
        default=2.0, ge=1, le=100, description="Clashes step: likelihood ratio of a clash (Kydd)."
    )
    clash_losses: Rate = Field(
        default=0.02, description="Clashes step: share of fighters lost per clash at parity."
    )
    vote_retro: float = Field(
        default=0.3,
        ge=0,
        le=10,
        description="governorate_elections step: log-odds per unit of a council's record.",
    )
    vote_capability: float = Field(
        default=0.3,
        ge=0,
        le=10,
        description="governorate_elections step: elasticity of the vote in electoral capability.",
    )
    council_formation: Literal["mcw", "baron_ferejohn"] = Field(
        default="mcw",
        description=(
            "governorate_elections step: how each council forms its government (minimal "
            "connected winning, or Baron-Ferejohn with recognition by seats)."
        ),
    )
    steps: list[Identifier] | None = Field(
        default=None,
        description=(
            "The month's simulation steps in order (default: the standard sequence, "
            "docs/model.md); leave a step out to switch it off."
        ),
    )
    calibration: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "A calibration to take structural coefficients from: a built-in name (arms) or "
            "a file written by 'factions calibrate TARGET --out FILE' (docs/calibration.md)."
        ),
    )
    coefficients: dict[Identifier, Annotated[Uncertain, _in_range(0.0, 10.0)]] = Field(
        default_factory=dict,
        description=(
            "The scenario's own value and range for a structural coefficient (fear, "
            "restraint, a step's judgment prior, provincial_budget), overriding the "
            "calibration's or the prior; ensembles sample the range."
        ),
    )

    @model_validator(mode="after")
    def _known_coefficients(self) -> Dynamics:
        unknown = sorted(set(self.coefficients) - set(CALIBRATED))
        if unknown:
            raise PydanticCustomError(
                "coefficients",
                "unknown coefficient(s) {names} (calibrated coefficients: {known})",
                {"names": ", ".join(unknown), "known": ", ".join(CALIBRATED)},
            )
        return self


class Event(_Sourced):
    """A dated happening that changes parameters or triggers an election."""

    id: Identifier
    date: Date = Field(description="When it happens (applied in the month it falls in).")
    name: Name = Field(description="What happens, in a line.")
    description: Text = Field(default="", description="More about it.")
    kind: Literal["change", "election"] = Field(
        default="change", description="change (applies changes) or election (needs election)."
    )
    changes: list[Change] = Field(
        default_factory=list, max_length=MAX_CHANGES, description="What the event changes."
    )
    election: Election | None = Field(default=None, description="For elections: what, how.")

    @model_validator(mode="after")
    def _election_has_spec(self) -> Event:
        if self.kind == "election" and self.election is None:
            raise PydanticCustomError("election", "an election event needs 'election'")
        if self.kind == "change" and self.election is not None:
            raise PydanticCustomError("election", "'election' is only for kind: election")
        return self


class Choice(_Model):
    """One possible answer of a ``choice`` question, judged by a series."""

    id: Identifier
    label: Name = Field(description="The choice as a user reads it.")
    series: str = Field(
        max_length=MAX_NAME, description="The series whose value backs this choice."
    )


class Condition(_Model):
    """One condition of a question's ``all`` or ``any``: ``series op threshold`` (or
    ``series op than + threshold``), judged at the same month as the others."""

    series: str = Field(max_length=MAX_NAME, description="What it watches, kind:id[:id].")
    op: Literal["<", "<=", ">", ">="] = Field(description="The comparison.")
    threshold: float = Field(
        default=0.0, ge=-1e12, le=1e12, description="Compared with (added to 'than' if given)."
    )
    than: str | None = Field(
        default=None, max_length=MAX_NAME, description="A series to compare with (kind:id[:id])."
    )
    undecided_within: float | None = Field(
        default=None, ge=0, le=1e12, description="This condition's margin of 'too close to call'."
    )


class Question(_Model):
    """A forecast question the scenario asks.

    ``series`` names what the question watches, as ``kind:id[:id]``: ``issue:ISSUE`` (the
    forecast on an issue), ``position:ACTOR:ISSUE``, ``tie:A:B``, ``resource:ACTOR:KIND``,
    ``capability:ACTOR``, ``armed:ACTOR``, ``race:A:B``, ``lean:A:B``, ``seats:ACTOR:EVENT``,
    ``votes:ACTOR:EVENT``, and observable events: ``clash:A:B`` (the number of armed clashes
    between A and B so far; the ``clashes`` step), ``joint:A:B:EVENT`` (1 if A and B ran one
    list in that election, 0 if not), ``councils:ACTOR:EVENT`` (the number of councils in
    whose government the actor sits; the ``governorate_elections`` step).

    ``than`` compares with another series (``series op than + threshold``); ``all``/``any``
    ask several conditions at the same month (docs/model.md, "Questions that resolve").

    - ``yes_no``: is ``series op threshold`` true (at the end, or ever ``by`` a date or event)?
    - ``date``: when does ``series op threshold`` first hold?
    - ``value``: the value of ``series`` (at the end, or ``by``).
    - ``choice``: which of ``choices`` has the largest series value.
    """

    id: Identifier
    text: str = Field(
        min_length=1, max_length=MAX_TEXT, description="The question, as a user asks it."
    )
    kind: Literal["yes_no", "date", "value", "choice"] = Field(
        default="yes_no", description="The kind of answer: yes_no, date, value or choice."
    )
    series: str | None = Field(
        default=None, max_length=MAX_NAME, description="What it watches, kind:id[:id]."
    )
    op: Literal["<", "<=", ">", ">="] | None = Field(
        default=None, description="The comparison (yes_no, date)."
    )
    threshold: float | None = Field(
        default=None, ge=-1e12, le=1e12, description="Compared with (yes_no, date)."
    )
    by: Date | Identifier | None = Field(
        default=None,
        union_mode="left_to_right",
        description="A date (YYYY-MM-DD) or an event id: the question's deadline.",
    )
    choices: list[Choice] = Field(
        default_factory=list, max_length=MAX_ACTORS, description="The options (choice)."
    )
    undecided_within: float | None = Field(
        default=None,
        ge=0,
        le=1e12,
        description=(
            "Flag the answer undecided when the series ends within this distance of the "
            "threshold (yes_no), or the two leading choices within it of each other."
        ),
    )
    than: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description=(
            "A series to compare with: the condition is 'series op than + threshold' "
            "(threshold defaults to 0)."
        ),
    )
    all: list[Condition] = Field(
        default_factory=list,
        max_length=MAX_ACTORS,
        description="Conditions that must all hold at the same month (yes_no, date).",
    )
    any: list[Condition] = Field(
        default_factory=list,
        max_length=MAX_ACTORS,
        description="Conditions of which at least one must hold at a month (yes_no, date).",
    )
    note: Text = Field(default="", description="How the answer should be read.")

    @model_validator(mode="after")
    def _complete(self) -> Question:
        if self.all or self.any:
            if self.kind not in ("yes_no", "date"):
                raise PydanticCustomError(
                    "question", "'all' and 'any' are for yes_no and date questions"
                )
            if self.all and self.any:
                raise PydanticCustomError("question", "give either 'all' or 'any', not both")
            own = ("series", "op", "threshold", "than")
            if any(getattr(self, f) is not None for f in own) or self.undecided_within is not None:
                raise PydanticCustomError(
                    "question",
                    "a question with 'all' or 'any' takes its series, op, threshold, than and "
                    "undecided_within from each condition",
                )
            return self
        if self.than is not None and self.kind == "choice":
            raise PydanticCustomError("question", "'than' is not for choice questions")
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise PydanticCustomError("question", "a choice question needs at least 2 choices")
        else:
            if self.series is None:
                raise PydanticCustomError(
                    "question", "a {k} question needs 'series'", {"k": self.kind}
                )
            if self.kind in ("yes_no", "date") and (
                self.op is None or (self.threshold is None and self.than is None)
            ):
                raise PydanticCustomError(
                    "question",
                    "a {k} question needs 'op' and 'threshold' (or 'than')",
                    {"k": self.kind},
                )
        return self


class Outcome(_Model):
    """What happened on an issue: the observed outcome, for backtests.

    ``value`` is on the issue's scale; ``reference_point`` (the status quo, where one exists)
    too. ``date`` is when the outcome was decided (None where unknown).
    """

    issue: Identifier
    value: Annotated[float, AfterValidator(_finite)] = Field(
        description="The observed outcome, on the issue's scale."
    )
    date: Date | None = Field(default=None, description="When it was decided, if known.")
    source: str = Field(
        min_length=1, max_length=MAX_TEXT, description="Where the outcome is recorded."
    )
    reference_point: Annotated[float, AfterValidator(_finite)] | None = Field(
        default=None, description="The status quo (reversion point) on the issue's scale."
    )


def _check_refs(scenario: Scenario, info: ValidationInfo) -> Scenario:
    if info.context and info.context.get("skip_reference_check"):
        return scenario
    problems = reference_problems(scenario.model_dump(mode="json"))
    if problems:
        p = problems[0]
        raise PydanticCustomError("reference", "{msg}", {"msg": str(p)})
    return scenario


class Scenario(_Model):
    """A whole political situation: the input of every model in factions."""

    schema_version: Literal[1] = Field(default=1, description="Format version.")
    metadata: Metadata = Field(description="What the scenario is, as of when.")
    actors: list[Actor] = Field(
        min_length=1, max_length=MAX_ACTORS, description="Who acts (at least one)."
    )
    issues: list[Issue] = Field(
        min_length=1, max_length=MAX_ISSUES, description="What they bargain over."
    )
    stances: list[Stance] = Field(default_factory=list, description="Who stands where.")
    resources: list[Resource] = Field(default_factory=list, description="Who has what.")
    ties: list[Tie] = Field(default_factory=list, description="How they relate.")
    events: list[Event] = Field(
        default_factory=list, max_length=MAX_EVENTS, description="What will happen."
    )
    questions: list[Question] = Field(
        default_factory=list, max_length=MAX_QUESTIONS, description="What to ask."
    )
    outcomes: list[Outcome] = Field(
        default_factory=list,
        max_length=MAX_ISSUES,
        description="Observed outcomes per issue (a backtest case).",
    )
    dynamics: Dynamics = Field(
        default_factory=Dynamics, description="Parameters of the political dynamics."
    )
    options: dict[Identifier, dict[str, JsonValue]] = Field(
        default_factory=dict,
        description=(
            "Model options the scenario recommends, by engine name "
            "(e.g. the ModelParameters of a KTAB XML file under 'smp')."
        ),
    )

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Scenario:
        return _check_refs(self, info)

    # -- conveniences --------------------------------------------------------------
    def _repr_html_(self) -> str:
        """A notebook's view: the actors as a table and the positions as a chart."""
        from factions.frames import scenario_html

        return scenario_html(self)

    @property
    def id(self) -> str:
        """The scenario's id."""
        return self.metadata.id

    @property
    def actor_ids(self) -> list[str]:
        """Actor ids, in the scenario's order."""
        return [a.id for a in self.actors]

    @property
    def issue_ids(self) -> list[str]:
        """Issue ids, in the scenario's order."""
        return [i.id for i in self.issues]


# --------------------------------------------------------------------------------------
# Cross-reference checks over raw data
# --------------------------------------------------------------------------------------


def _items(raw: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    seq = raw.get(key)
    if not isinstance(seq, list):
        return []
    return [(i, x) for i, x in enumerate(seq) if isinstance(x, Mapping)]


def _raw_value(x: Any) -> float | None:
    if isinstance(x, Mapping):
        x = x.get("value")
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _ids(raw: Mapping[str, Any], key: str, problems: list[Problem]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item in _items(raw, key):
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            problems.append(
                Problem(
                    f"{key}.{i}.id", f"duplicate id '{ident}' (first used at {key}.{seen[ident]})"
                )
            )
        else:
            seen[ident] = i
    return seen


def _known(
    value: Any, known: Mapping[str, Any], what: str, path: str, problems: list[Problem]
) -> bool:
    if isinstance(value, str) and value not in known:
        problems.append(Problem(path, f"unknown {what} '{value}'"))
        return False
    return isinstance(value, str)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def reference_problems(raw: Any) -> list[Problem]:
    """Every cross-reference problem in raw scenario data, in document order.

    Checks duplicate ids; that stances, resources, ties, events and questions name known
    actors, issues and events; that positions lie on their issue's scale; that no actor
    holds two stances on one issue, two amounts of one resource, or two ties with one other;
    and that every issue has at least one stance with positive salience. Malformed parts are
    skipped (pydantic reports them), so this never raises.
    """
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        return problems
    actors = _ids(raw, "actors", problems)
    issues = _ids(raw, "issues", problems)
    events = _ids(raw, "events", problems)
    _ids(raw, "questions", problems)
    issue_scale: dict[str, tuple[float, float]] = {}
    for _, item in _items(raw, "issues"):
        scale = item.get("scale", {})
        if isinstance(item.get("id"), str) and isinstance(scale, Mapping):
            lo, hi = _raw_value(scale.get("low", 0.0)), _raw_value(scale.get("high", 100.0))
            if lo is not None and hi is not None:
                issue_scale[item["id"]] = (lo, hi)

    resource_kinds: set[str] = set()
    held: dict[tuple[str, str], int] = {}
    for i, st in _items(raw, "stances"):
        p = f"stances.{i}"
        ok_a = _known(st.get("actor"), actors, "actor", f"{p}.actor", problems)
        ok_i = _known(st.get("issue"), issues, "issue", f"{p}.issue", problems)
        if not (ok_a and ok_i):
            continue
        key = (st["actor"], st["issue"])
        if key in held:
            problems.append(
                Problem(p, f"'{key[0]}' already has a stance on '{key[1]}' (stances.{held[key]})")
            )
        held[key] = i
        scale = issue_scale.get(st["issue"])
        pos = st.get("position")
        if scale is not None:
            lo, hi = scale
            candidates = [("", _raw_value(pos))]
            if isinstance(pos, Mapping):
                candidates += [
                    ("low ", _raw_value(pos.get("low"))),
                    ("high ", _raw_value(pos.get("high"))),
                ]
            for label, v in candidates:
                if v is not None and math.isfinite(v) and not lo <= v <= hi:
                    problems.append(
                        Problem(
                            f"{p}.position",
                            f"{label}must be on the scale of '{st['issue']}' "
                            f"({_fmt(lo)} to {_fmt(hi)}), got {_fmt(v)}",
                        )
                    )
    salient: set[str] = set()
    for _, st in _items(raw, "stances"):
        sal = _raw_value(st.get("salience"))
        if sal is not None and sal > 0 and isinstance(st.get("issue"), str):
            salient.add(st["issue"])
    for ident, i in issues.items():
        if ident not in salient:
            problems.append(
                Problem(
                    f"issues.{i}", f"no actor holds a stance with positive salience on '{ident}'"
                )
            )

    owned: dict[tuple[str, str], int] = {}
    for i, r in _items(raw, "resources"):
        p = f"resources.{i}"
        if not _known(r.get("actor"), actors, "actor", f"{p}.actor", problems):
            continue
        kind = r.get("kind")
        if isinstance(kind, str):
            resource_kinds.add(kind)
            key = (r["actor"], kind)
            if key in owned:
                problems.append(
                    Problem(
                        p, f"'{key[0]}' already has an amount of '{kind}' (resources.{owned[key]})"
                    )
                )
            owned[key] = i

    pairs: dict[tuple[str, ...], int] = {}
    for i, t in _items(raw, "ties"):
        p = f"ties.{i}"
        ok_a = _known(t.get("a"), actors, "actor", f"{p}.a", problems)
        ok_b = _known(t.get("b"), actors, "actor", f"{p}.b", problems)
        if not (ok_a and ok_b):
            continue
        if t["a"] == t["b"]:
            problems.append(Problem(p, f"a tie needs two different actors, got '{t['a']}' twice"))
            continue
        kind = t.get("kind", "relation")
        if not isinstance(kind, str):
            continue  # pydantic reports it
        a, b = t["a"], t["b"]
        key = (kind, *sorted((a, b))) if kind == "relation" else (kind, a, b)
        if key in pairs:
            problems.append(
                Problem(p, f"duplicate tie between '{a}' and '{b}' (ties.{pairs[key]})")
            )
        pairs[key] = i
        strength = _raw_value(t.get("strength"))
        if kind == "patron_client" and strength is not None and strength < 0:
            problems.append(
                Problem(
                    f"{p}.strength",
                    f"a patron_client tie needs strength >= 0, got {_fmt(strength)}",
                )
            )

    meta = raw.get("metadata") if isinstance(raw.get("metadata"), Mapping) else {}
    start = meta.get("date") if isinstance(meta, Mapping) else None
    start_s = start.isoformat() if isinstance(start, dt.date) else start
    for i, ev in _items(raw, "events"):
        d = ev.get("date")
        d_s = d.isoformat() if isinstance(d, dt.date) else d
        if (
            isinstance(start_s, str)
            and isinstance(d_s, str)
            and _DATE_RE.match(start_s)
            and _DATE_RE.match(d_s)
        ) and d_s < start_s:
            problems.append(
                Problem(f"events.{i}.date", f"{d_s} is before the scenario's date {start_s}")
            )
        election = ev.get("election")
        if isinstance(election, Mapping):
            contestants = election.get("contestants")
            if isinstance(contestants, list):
                for j, a in enumerate(contestants):
                    _known(a, actors, "actor", f"events.{i}.election.contestants.{j}", problems)
            districts = election.get("districts")
            if isinstance(districts, list):
                for j, dist in enumerate(districts):
                    strength = dist.get("strength") if isinstance(dist, Mapping) else None
                    if isinstance(strength, Mapping):
                        for a in strength:
                            _known(
                                a,
                                actors,
                                "actor",
                                f"events.{i}.election.districts.{j}.strength.{a}",
                                problems,
                            )
                    base = dist.get("base") if isinstance(dist, Mapping) else None
                    for a in base if isinstance(base, Mapping) else ():
                        p_b = f"events.{i}.election.districts.{j}.base.{a}"
                        _known(a, actors, "actor", p_b, problems)
                    inc = dist.get("incumbents") if isinstance(dist, Mapping) else None
                    for k, a in enumerate(inc if isinstance(inc, list) else ()):
                        p_i = f"events.{i}.election.districts.{j}.incumbents.{k}"
                        _known(a, actors, "actor", p_i, problems)
        changes = ev.get("changes")
        if not isinstance(changes, list):
            continue
        for j, ch in enumerate(changes):
            if not isinstance(ch, Mapping):
                continue
            p = f"events.{i}.changes.{j}"
            _known(ch.get("actor"), actors, "actor", f"{p}.actor", problems)
            if ch.get("other") is not None:
                _known(ch.get("other"), actors, "actor", f"{p}.other", problems)
            if ch.get("issue") is not None:
                _known(ch.get("issue"), issues, "issue", f"{p}.issue", problems)

    problems.extend(_outcome_problems(raw, issues, issue_scale))

    dyn = raw.get("dynamics")
    if isinstance(dyn, Mapping) and dyn.get("patronage_issue") is not None:
        _known(dyn.get("patronage_issue"), issues, "issue", "dynamics.patronage_issue", problems)

    known_by_kind: dict[str, Mapping[str, Any]] = {
        "actor": actors,
        "issue": issues,
        "event": events,
    }
    for i, q in _items(raw, "questions"):
        p = f"questions.{i}"
        series = [(f"{p}.series", q.get("series")), (f"{p}.than", q.get("than"))]
        for group in ("all", "any"):
            conds = q.get(group)
            if isinstance(conds, list):
                for j, c in enumerate(conds):
                    if isinstance(c, Mapping):
                        series += [(f"{p}.{group}.{j}.{f}", c.get(f)) for f in ("series", "than")]
        choices = q.get("choices")
        if isinstance(choices, list):
            series += [
                (f"{p}.choices.{j}.series", c.get("series"))
                for j, c in enumerate(choices)
                if isinstance(c, Mapping)
            ]
        for path, s in series:
            if isinstance(s, str):
                problems.extend(_series_problems(s, path, known_by_kind, resource_kinds))
        by = q.get("by")
        if isinstance(by, str) and not _DATE_RE.match(by) and by not in events:
            problems.append(
                Problem(f"{p}.by", f"'{by}' is neither a date (YYYY-MM-DD) nor an event id")
            )
        elif isinstance(by, str) and _DATE_RE.match(by) and by not in events:
            try:
                _date_in_range(dt.date.fromisoformat(by))
            except (ValueError, PydanticCustomError):
                problems.append(
                    Problem(
                        f"{p}.by",
                        f"must be a date from {MIN_DATE.isoformat()} to "
                        f"{MAX_DATE.isoformat()}, got {by}",
                    )
                )
    return problems


def _outcome_problems(
    raw: Mapping[str, Any], issues: Mapping[str, int], scale: Mapping[str, tuple[float, float]]
) -> list[Problem]:
    """Outcomes name known issues, at most one each, with values on the issue's scale."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, o in _items(raw, "outcomes"):
        p = f"outcomes.{i}"
        if not _known(o.get("issue"), issues, "issue", f"{p}.issue", out):
            continue
        ident = o["issue"]
        if ident in seen:
            out.append(Problem(p, f"'{ident}' already has an outcome (outcomes.{seen[ident]})"))
        seen[ident] = i
        lo, hi = scale.get(ident, (-math.inf, math.inf))
        for name in ("value", "reference_point"):
            v = _raw_value(o.get(name))
            if v is not None and math.isfinite(v) and not lo <= v <= hi:
                out.append(
                    Problem(
                        f"{p}.{name}",
                        f"must be on the scale of '{ident}' ({_fmt(lo)} to {_fmt(hi)}), "
                        f"got {_fmt(v)}",
                    )
                )
    return out


def _series_problems(
    series: str,
    path: str,
    known: Mapping[str, Mapping[str, Any]],
    resource_kinds: set[str],
) -> list[Problem]:
    kind, _, rest = series.partition(":")
    if kind not in SERIES_KINDS:
        return [
            Problem(
                path, f"unknown series kind '{kind}' (expected one of {', '.join(SERIES_KINDS)})"
            )
        ]
    parts = rest.split(":") if rest else []
    wanted = SERIES_KINDS[kind]
    if len(parts) != len(wanted):
        form = ":".join([kind, *(w.upper() for w in wanted)])
        return [Problem(path, f"'{series}' should have the form {form}")]
    out: list[Problem] = []
    for part, what in zip(parts, wanted, strict=True):
        if what == "resource":
            if part not in resource_kinds:
                out.append(Problem(path, f"unknown resource kind '{part}'"))
        elif part not in known[what]:
            out.append(Problem(path, f"unknown {what} '{part}'"))
    return out
