"""Dashboards: database queries -> plain data -> Plotly figures (dicts, serialised by the views).

Every builder runs a fixed number of queries, whatever the class size or the length of the
history; figures are plain ``{"data": [...], "layout": {...}}`` dicts for ``Plotly.newPlot``.
Colours follow the site's mastery-level palette (:data:`LEVEL_COLOURS`).

Learner dashboard (:func:`learner_dashboard`)
    *Ability* is :func:`learnpath.mastery.ability_chart` (mean P(mastery) per area, unstarted
    skills count as 0) as a radar; the *class average* is the same mean over every learner of the
    class (the one being viewed by a teacher, else the learner's first class in the course by
    name), learners without a chart row counting as 0. The *skill graph* is drawn left to right
    by prerequisite level (:func:`graph_layout`), nodes coloured by level, the ready-to-learn
    frontier ringed in blue and the skills of the recommended learning path
    (:func:`courses.services.paths.recommend_path`) ringed in orange with their step numbers.
    *Mastery over time* plots the stored :class:`~courses.models.MasteryEvent` history of every
    practised skill; the chosen skills (default: the :data:`DEFAULT_TIMELINE_SKILLS` most
    recently changed) are shown, the others can be switched on from the legend. *Practice per
    day* counts right and wrong answers and the minutes practised over the last
    :data:`ACTIVITY_DAYS` days (site time zone); an attempt's time counts at most
    :data:`MAX_ATTEMPT_SECONDS`, so a page left open overnight is not a night of practice.

Teacher dashboard (:func:`class_dashboard`)
    The *heatmap* is learners × skills (skills in the graph's topological order), coloured by
    mastery level, with the P(mastery) in per cent as text. Rows sort by :data:`HEATMAP_SORTS`.
    *Who needs help* flags a learner, with each reason, when

    - they have no attempt in the course yet, or none for :data:`INACTIVE_AFTER_DAYS` days;
    - a skill's mastery is falling: it peaked at proficient or better (P ≥ 0.80) and is now
      :data:`learnpath.mastery.FALLING_DROP` or more below the peak (the review rule);
    - they are stuck on a skill: :data:`STRUGGLING_FAILURES` or more wrong answers on it and
      still below proficient.

    Each kind is one line naming the worst :data:`REASON_EXAMPLES` skills (largest drop, most
    wrong answers) and counting the others; learners with the most kinds of reason come first.

Per skill and per exercise (:func:`item_stats`)
    Computed from the class's own attempts. *Success rate* is right answers over answers;
    *attempts to mastery* is, per learner who reached *mastered* on a skill, the number of their
    answers to exercises of that skill up to the attempt that made it mastered (median over those
    learners). *Predicted success* is what the model expected before each attempt, averaged over
    the attempts: by default (:func:`bkt_predicted_success`) the BKT chance of a right answer,
    ``predict_correct(p, params)``, where ``p`` is the learner's P(mastery) of the skill just
    before the attempt (the last stored ``MasteryEvent`` for that learner and skill, else the
    skill's ``p_init``); for an exercise with several skills, the mean over its skills. Any other
    model plugs in as a :data:`SuccessPredictor`. An exercise *looks broken* when at least
    :data:`BROKEN_MIN_ATTEMPTS` answers were given and fewer than :data:`BROKEN_SUCCESS_RATE` of
    them were right.
"""
from __future__ import annotations

import html
import statistics
import textwrap
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from courses.models import Attempt, Cohort, Course, Exercise, MasteryEvent, SkillState
from courses.services import charts
from courses.services.graphs import skill_graph_for
from courses.services.paths import LearningPath, recommend_path
from learnpath import mastery
from learnpath.skillgraph import SkillGraph

Figure = dict[str, Any]

LEVELS = list(mastery.MasteryLevel)
LEVEL_RANKS = {level.value: level.rank for level in LEVELS}
LEVEL_COLOURS = {
    mastery.MasteryLevel.NOT_STARTED: "#eef0f3",
    mastery.MasteryLevel.ATTEMPTED: "#fbd49c",
    mastery.MasteryLevel.FAMILIAR: "#fff08a",
    mastery.MasteryLevel.PROFICIENT: "#a9dfa0",
    mastery.MasteryLevel.MASTERED: "#45b362",
}
READY_COLOUR = "#2f5bd3"
PATH_COLOUR = "#e8730c"
YOU_COLOUR = "#2f5bd3"
CLASS_COLOUR = "#8a94a3"
RIGHT_COLOUR = "#45b362"
WRONG_COLOUR = "#e07b6a"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13,
        "color": "#1d2530"}

ACTIVITY_DAYS = 28
MAX_ATTEMPT_SECONDS = 600
RECENT_ATTEMPTS = 20
DEFAULT_TIMELINE_SKILLS = 4
LAYOUT_SWEEPS = 4
LABEL_WIDTH = 14
INACTIVE_AFTER_DAYS = 7
STRUGGLING_FAILURES = 5
REASON_EXAMPLES = 2
BROKEN_MIN_ATTEMPTS = 8
BROKEN_SUCCESS_RATE = 0.15
HEATMAP_SORTS = {
    "name": "name",
    "mastery": "mastery, lowest first",
    "activity": "last active, longest ago first",
    "help": "needs help first",
}
HEATMAP_CELL_TEXT_LIMIT = 2500
HEATMAP_LABEL_WIDTH = 28


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 14}, "font": {"size": 17}},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 30, "t": 60, "b": 60},
        **extra,
    }


def _percent(p: float) -> int:
    """Whole per cent, halves rounded up (int() is several times faster than round() here)."""
    return int(100 * p + 0.5)


def _label(level: str) -> str:
    return charts.LEVEL_LABELS[mastery.MasteryLevel(level)]


def _plain(text: str) -> str:
    """Plotly reads some HTML tags and entities in labels: escape names so they show as typed."""
    return html.escape(text, quote=False)


# ---------------------------------------------------------------- skill graph drawing


def _barycentre(key: str, neighbours: Sequence[str], position: Mapping[str, float]) -> float:
    if not neighbours:
        return position[key]
    return sum(position[n] for n in neighbours) / len(neighbours)


def _place(layer: list[str], position: dict[str, float]) -> None:
    middle = (len(layer) - 1) / 2
    for index, key in enumerate(layer):
        position[key] = index - middle


def graph_layout(graph: SkillGraph, sweeps: int = LAYOUT_SWEEPS) -> dict[str, tuple[float, float]]:
    """Skill -> (x, y): x is the prerequisite level, so every edge points right; y orders each
    level by the barycentre of its neighbours (alternate forward and backward sweeps, ties by
    the current order, then key), which removes most edge crossings. Deterministic: the result
    depends only on the graph, not on the order its skills were listed in.
    """
    levels = graph.levels()
    layers: list[list[str]] = [[] for _ in range(max(levels.values(), default=-1) + 1)]
    for key in sorted(levels, key=lambda k: (graph.area_of(k), k)):
        layers[levels[key]].append(key)
    position: dict[str, float] = {}
    for layer in layers:
        _place(layer, position)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        neighbours = graph.prerequisites if forward else graph.dependents
        for layer in layers[1:] if forward else layers[-2::-1]:
            layer.sort(key=lambda k: (_barycentre(k, neighbours(k), position), position[k], k))
            _place(layer, position)
    return {key: (float(levels[key]), -position[key]) for key in levels}


def _wrap(name: str) -> str:
    lines = textwrap.wrap(name, LABEL_WIDTH, break_long_words=False) or [name]
    return "<br>".join(_plain(line) for line in lines)


def _edge_arrows(graph: SkillGraph, at: Mapping[str, tuple[float, float]]) -> list[dict[str, Any]]:
    return [
        {
            "x": at[skill][0], "y": at[skill][1], "ax": at[prerequisite][0],
            "ay": at[prerequisite][1], "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 1.3,
            "arrowcolor": "#9aa3b0", "standoff": 16, "startstandoff": 16,
        }
        for prerequisite, skill in sorted(graph.graph.edges)
    ]


def _ring(name: str, keys: Mapping[str, list[str]], at: Mapping[str, tuple[float, float]],
          colour: str, size: int, numbered: bool) -> Figure:
    """Open circles around ``keys`` (skill -> labels, e.g. the path steps on that skill)."""
    trace: Figure = {
        "type": "scatter", "name": name, "mode": "markers",
        "x": [at[k][0] for k in keys], "y": [at[k][1] for k in keys],
        "marker": {"symbol": "circle-open", "size": size, "color": colour,
                   "line": {"width": 3, "color": colour}},
        "hoverinfo": "skip",
    }
    if numbered:
        trace.update(mode="markers+text", text=[",".join(numbers) for numbers in keys.values()],
                     textposition="middle center",
                     textfont={"size": 12, "color": "#1d2530"})
    return trace


def _level_nodes(graph: SkillGraph, level: mastery.MasteryLevel, keys: Sequence[str],
                 percents: Mapping[str, int], at: Mapping[str, tuple[float, float]]) -> Figure:
    label = _label(level.value)
    return {
        "type": "scatter", "name": label, "mode": "markers+text",
        "x": [at[k][0] for k in keys], "y": [at[k][1] for k in keys],
        "text": [_wrap(graph.name(k)) for k in keys], "textposition": "bottom center",
        "textfont": {"size": 11},
        "customdata": [
            [_plain(graph.name(k)), label,
             f"{percents[k]}% mastery" if k in percents else "no answers"]
            for k in keys
        ],
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                         "<extra></extra>",
        "marker": {"size": 26, "color": LEVEL_COLOURS[level],
                   "line": {"width": 1.5, "color": "#4a5563"}},
    }


def skill_graph_figure(
    graph: SkillGraph,
    levels: Mapping[str, str],
    percents: Mapping[str, int],
    ready: Sequence[str],
    path: Sequence[str],
) -> Figure:
    """Nodes by mastery level (a legend entry per level present); the frontier ringed, and the
    path's skills ringed and numbered with their step numbers (``path`` = skill per step)."""
    at = graph_layout(graph)
    keys_by_level: dict[str, list[str]] = defaultdict(list)
    for key in graph.topological_order():
        keys_by_level[levels.get(key, mastery.MasteryLevel.NOT_STARTED.value)].append(key)
    traces = [
        _level_nodes(graph, level, keys_by_level[level.value], percents, at)
        for level in LEVELS
        if keys_by_level.get(level.value)
    ]
    steps: dict[str, list[str]] = {}
    for number, key in enumerate(path, start=1):
        steps.setdefault(key, []).append(str(number))
    if ready:
        traces.append(_ring("Ready to learn", {key: [] for key in ready}, at, READY_COLOUR, 38,
                            numbered=False))
    if steps:
        traces.append(_ring("Recommended path", steps, at, PATH_COLOUR, 31, numbered=True))
    widest = max(Counter(x for x, _ in at.values()).values(), default=1)
    right = max((x for x, _ in at.values()), default=0.0)
    top = max((y for _, y in at.values()), default=0.0)
    return {
        "data": traces,
        "layout": _layout(
            "Skill graph",
            height=220 + 95 * widest,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            annotations=_edge_arrows(graph, at),
            xaxis={"title": {"text": "← learnt first · prerequisites point to the skills "
                                     "they open →"},
                   "showgrid": False, "zeroline": False, "showticklabels": False,
                   "range": [-0.45, right + 0.45], "fixedrange": True},
            yaxis={"visible": False, "range": [-top - 0.85, top + 0.4], "fixedrange": True},
            hovermode="closest",
            margin={"l": 20, "r": 20, "t": 90, "b": 50},
        ),
    }


def ability_figure(
    ability: Mapping[str, float],
    class_ability: Mapping[str, float] | None,
    class_name: str,
    own_label: str = "You",
) -> Figure:
    """Radar of mean mastery per area (%); the class average as a second, grey outline."""
    areas = list(ability)
    labels = [_plain(area) for area in areas]

    def outline(name: str, values: Mapping[str, float], colour: str, fill: str) -> Figure:
        r = [_percent(values.get(area, 0.0)) for area in areas]
        return {
            "type": "scatterpolar", "name": name, "theta": [*labels, labels[0]] if areas else [],
            "r": [*r, r[0]] if r else [], "mode": "lines+markers", "fill": fill,
            "line": {"color": colour, "width": 2.5}, "marker": {"size": 6},
            "hovertemplate": "%{theta}: %{r}%<extra>" + name + "</extra>",
        }

    traces = [outline(_plain(own_label), ability, YOU_COLOUR, "toself")]
    if class_ability is not None:
        traces.insert(0, outline(f"Class average ({_plain(class_name)})", class_ability,
                                 CLASS_COLOUR, "none"))
    return {
        "data": traces,
        "layout": _layout(
            "Ability by area (mean mastery, %)",
            height=420,
            polar={"radialaxis": {"range": [0, 100], "ticksuffix": "%", "angle": 45,
                                  "tickfont": {"size": 10}, "gridcolor": "#d9dee5"},
                   "angularaxis": {"gridcolor": "#d9dee5", "direction": "clockwise"}},
            legend={"orientation": "h", "x": 0, "y": -0.08},
            margin={"l": 70, "r": 70, "t": 70, "b": 50},
        ),
    }


def _threshold_lines() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    thresholds = [("Familiar", mastery.FAMILIAR_P), ("Proficient", mastery.PROFICIENT_P),
                  ("Mastered", mastery.MASTERED_P)]
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 100 * p,
         "y1": 100 * p, "line": {"color": "#b8c0cc", "width": 1, "dash": "dot"}}
        for _, p in thresholds
    ]
    notes = [
        {"xref": "paper", "x": 1.01, "xanchor": "left", "yref": "y", "y": 100 * p,
         "yanchor": "middle", "text": f"{name} {_percent(p)}%", "showarrow": False,
         "font": {"size": 10, "color": "#5b6675"}}
        for name, p in thresholds
    ]
    return shapes, notes


def timeline_figure(
    series: Mapping[str, Sequence[tuple[str, float]]],
    names: Mapping[str, str],
    chosen: Iterable[str],
) -> Figure:
    """A step line of P(mastery) (%) per skill; skills not chosen start hidden (legend only)."""
    shown = set(chosen)
    shapes, notes = _threshold_lines()
    traces = [
        {
            "type": "scatter", "mode": "lines+markers", "name": _plain(names[key]),
            "x": [at for at, _ in points], "y": [_percent(p) for _, p in points],
            "line": {"shape": "hv", "width": 2}, "marker": {"size": 5},
            "visible": True if key in shown else "legendonly",
            "hovertemplate": f"%{{x|%b %d %H:%M}}: %{{y}}%<extra>{_plain(names[key])}</extra>",
        }
        for key, points in series.items()
    ]
    return {
        "data": traces,
        "layout": _layout(
            "Mastery over time",
            shapes=shapes,
            annotations=notes,
            xaxis={"title": {"text": "Date"}, "type": "date"},
            yaxis={"title": {"text": "Mastery (%)"}, "range": [0, 102], "ticksuffix": "%"},
            legend={"title": {"text": "Skills (click to show or hide):"}, "orientation": "h",
                    "x": 0, "y": -0.2, "yanchor": "top"},
            hovermode="closest",
            height=420 + 22 * ((len(traces) + 2) // 3),
            margin={"l": 60, "r": 100, "t": 60, "b": 60},
        ),
    }


def activity_figure(days: Sequence[DayActivity]) -> Figure:
    """Right and wrong answers per day as stacked bars; minutes practised on a second axis."""
    x = [day.day.isoformat() for day in days]
    return {
        "data": [
            {"type": "bar", "name": "Right answers", "x": x, "y": [d.correct for d in days],
             "marker": {"color": RIGHT_COLOUR}, "hovertemplate": "%{x}: %{y} right<extra></extra>"},
            {"type": "bar", "name": "Wrong answers", "x": x,
             "y": [d.attempts - d.correct for d in days], "marker": {"color": WRONG_COLOUR},
             "hovertemplate": "%{x}: %{y} wrong<extra></extra>"},
            {"type": "scatter", "name": "Minutes practised", "x": x,
             "y": [d.minutes for d in days], "yaxis": "y2", "mode": "lines+markers",
             "line": {"color": "#1d2530", "width": 2},
             "hovertemplate": "%{x}: %{y} min<extra></extra>"},
        ],
        "layout": _layout(
            f"Practice per day (last {len(days)} days)",
            height=360,
            barmode="stack",
            xaxis={"title": {"text": "Day"}, "type": "date"},
            yaxis={"title": {"text": "Answers"}, "rangemode": "tozero"},
            yaxis2={"title": {"text": "Minutes"}, "overlaying": "y", "side": "right",
                    "rangemode": "tozero", "showgrid": False, "tickmode": "auto"},
            legend={"orientation": "h", "x": 0, "y": -0.25},
            margin={"l": 60, "r": 60, "t": 60, "b": 80},
        ),
    }


# ---------------------------------------------------------------- learner dashboard


@dataclass(frozen=True)
class TimelineSkill:
    key: str
    name: str
    chosen: bool
    updates: int
    first_at: datetime
    latest_percent: int
    peak_percent: int


@dataclass(frozen=True)
class DayActivity:
    day: date
    attempts: int
    correct: int
    minutes: float


@dataclass(frozen=True)
class RecentAttempt:
    submitted_at: datetime
    exercise_key: str
    skills: str
    correct: bool
    seconds: int
    hint_used: bool


@dataclass(frozen=True)
class LearnerDashboard:
    chart: charts.LearnerChart
    class_name: str
    class_ability: dict[str, float] | None
    path: LearningPath
    timeline: list[TimelineSkill]
    days: list[DayActivity]
    recent: list[RecentAttempt]
    figures: dict[str, Figure]

    @property
    def ability_rows(self) -> list[tuple[str, int, int | None]]:
        """(area, own %, class average % or None): the radar as a table."""
        return [
            (area, _percent(p),
             _percent(self.class_ability.get(area, 0.0)) if self.class_ability else None)
            for area, p in self.chart.ability.items()
        ]

    @property
    def mastered_count(self) -> int:
        mastered = mastery.MasteryLevel.MASTERED.value
        return sum(row.level == mastered for row in self.chart.rows)

    @property
    def days_practised(self) -> list[DayActivity]:
        return [day for day in self.days if day.attempts]

    @property
    def answers_in_period(self) -> int:
        return sum(day.attempts for day in self.days)

    @property
    def minutes_in_period(self) -> int:
        return round(sum(day.minutes for day in self.days))


def _cohort_for(learner: AbstractBaseUser, course: Course) -> Cohort | None:
    return Cohort.objects.filter(course=course, learners=learner).order_by("name", "id").first()


def class_ability(cohort: Cohort, graph: SkillGraph) -> dict[str, float] | None:
    """Mean over the class's learners of their ability chart; ``None`` for an empty class."""
    size = cohort.learners.count()
    if not size:
        return None
    totals: dict[str, float] = defaultdict(float)
    for key, p in (
        SkillState.objects.filter(course=cohort.course, learner__cohorts=cohort)
        .exclude(level=mastery.MasteryLevel.NOT_STARTED.value)
        .values_list("skill__key", "p_mastery")
    ):
        totals[key] += p
    return {
        area: sum(totals[key] for key in graph.skills_in_area(area))
        / (size * len(graph.skills_in_area(area)))
        for area in graph.areas()
    }


def _timeline(
    learner: AbstractBaseUser, course: Course, graph: SkillGraph, chosen: Sequence[str]
) -> tuple[dict[str, list[tuple[datetime, float]]], list[TimelineSkill]]:
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for key, at, p in (
        MasteryEvent.objects.filter(learner=learner, course=course)
        .order_by("at", "id")
        .values_list("skill__key", "at", "p_mastery")
    ):
        series[key].append((at, p))
    picked = [key for key in chosen if key in series]
    if not picked:
        latest = sorted(series, key=lambda k: (series[k][-1][0], k), reverse=True)
        picked = latest[:DEFAULT_TIMELINE_SKILLS]
    ordered = {key: series[key] for key in graph.topological_order() if key in series}
    summary = [
        TimelineSkill(
            key=key, name=graph.name(key), chosen=key in picked, updates=len(points),
            first_at=points[0][0], latest_percent=_percent(points[-1][1]),
            peak_percent=_percent(max(p for _, p in points)),
        )
        for key, points in ordered.items()
    ]
    return ordered, summary


def _days(learner: AbstractBaseUser, course: Course, today: date) -> list[DayActivity]:
    first_day = today - timedelta(days=ACTIVITY_DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    counts: dict[date, list[float]] = {
        first_day + timedelta(days=n): [0, 0, 0.0] for n in range(ACTIVITY_DAYS)
    }
    for started, submitted, correct in Attempt.objects.filter(
        learner=learner, course=course, submitted_at__gte=since
    ).values_list("started_at", "submitted_at", "correct"):
        day = counts.get(timezone.localtime(submitted).date())
        if day is None:
            continue
        day[0] += 1
        day[1] += int(correct)
        day[2] += min(MAX_ATTEMPT_SECONDS, max(0.0, (submitted - started).total_seconds()))
    return [
        DayActivity(day, int(attempts), int(correct), round(seconds / 60, 1))
        for day, (attempts, correct, seconds) in counts.items()
    ]


def _recent(learner: AbstractBaseUser, course: Course) -> list[RecentAttempt]:
    attempts = (
        Attempt.objects.filter(learner=learner, course=course)
        .select_related("exercise")
        .prefetch_related("exercise__skills")
        .order_by("-submitted_at", "-id")[:RECENT_ATTEMPTS]
    )
    return [
        RecentAttempt(
            submitted_at=attempt.submitted_at, exercise_key=attempt.exercise.key,
            skills=", ".join(sorted(s.name for s in attempt.exercise.skills.all())),
            correct=attempt.correct, seconds=round(attempt.duration_seconds),
            hint_used=attempt.hint_used,
        )
        for attempt in attempts
    ]


def _plot_time(at: datetime) -> str:
    """Plotly ignores time-zone offsets: send local wall-clock time."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def learner_dashboard(
    learner: AbstractBaseUser,
    course: Course,
    *,
    cohort: Cohort | None = None,
    chosen_skills: Sequence[str] = (),
    today: date | None = None,
    own_label: str = "You",
) -> LearnerDashboard:
    """Everything on a learner's dashboard; ``cohort`` is the class to compare with and
    ``own_label`` names the learner on the charts (a teacher sees the learner's name)."""
    graph = skill_graph_for(course)
    chart = charts.learner_chart_view(learner, course)
    cohort = cohort or _cohort_for(learner, course)
    average = class_ability(cohort, graph) if cohort else None
    path = recommend_path(learner, course)
    series, timeline = _timeline(learner, course, graph, chosen_skills)
    days = _days(learner, course, today or timezone.localdate())
    levels = {row.key: row.level for row in chart.rows}
    not_started = mastery.MasteryLevel.NOT_STARTED.value
    percents = {row.key: row.percent for row in chart.rows if row.level != not_started}
    figures = {
        "ability": ability_figure(chart.ability, average, cohort.name if cohort else "",
                                  own_label),
        "graph": skill_graph_figure(
            graph, levels, percents, chart.ready_to_learn,
            [item.skill_key for item in path.items],
        ),
        "timeline": timeline_figure(
            {k: [(_plot_time(at), p) for at, p in points] for k, points in series.items()},
            {k: graph.name(k) for k in series},
            [item.key for item in timeline if item.chosen],
        ),
        "activity": activity_figure(days),
    }
    return LearnerDashboard(
        chart=chart, class_name=cohort.name if cohort else "", class_ability=average,
        path=path, timeline=timeline, days=days,
        recent=_recent(learner, course), figures=figures,
    )


# ---------------------------------------------------------------- teacher dashboard


class HeatmapCell(NamedTuple):
    level: str
    p_mastery: float | None
    percent: str


@dataclass(frozen=True)
class SkillColumn:
    key: str
    name: str


@dataclass(frozen=True)
class HeatmapRow:
    learner_id: int
    username: str
    full_name: str
    attempts: int
    last_active: datetime | None
    mean_percent: int
    cells: list[HeatmapCell]
    reasons: list[str]


@dataclass(frozen=True)
class ClassDashboard:
    cohort: Cohort
    skills: list[SkillColumn]
    rows: list[HeatmapRow]
    sort: str
    figure: Figure
    legend: list[tuple[str, str, str]]

    @property
    def needs_help(self) -> list[HeatmapRow]:
        """Flagged learners, the most reasons first."""
        return sorted((r for r in self.rows if r.reasons), key=lambda r: (-len(r.reasons),
                                                                          r.username))


class _FlaggedState(NamedTuple):
    learner_id: int
    skill_id: int
    p_mastery: float
    level: str
    peak: float
    attempts: int
    correct: int


_NOT_STARTED_CELL = HeatmapCell(mastery.MasteryLevel.NOT_STARTED.value, None, "")
_PROFICIENT_RANK = LEVEL_RANKS[mastery.MasteryLevel.PROFICIENT.value]
# The SQL preselection is a little looser than the rules, so rounding never hides a case.
_SQL_SLACK = 1e-9


def _inactivity(last_active: datetime | None, now: datetime) -> list[str]:
    if last_active is None:
        return ["no attempts yet"]
    idle_days = (now - last_active).days
    return [f"no activity for {idle_days} days"] if idle_days >= INACTIVE_AFTER_DAYS else []


def _is_falling(state: _FlaggedState) -> bool:
    return state.peak >= mastery.PROFICIENT_P and state.peak - state.p_mastery >= (
        mastery.FALLING_DROP
    )


def _is_stuck(state: _FlaggedState) -> bool:
    return (state.attempts - state.correct >= STRUGGLING_FAILURES
            and LEVEL_RANKS[state.level] < _PROFICIENT_RANK)


def _summary(what: str, details: list[str]) -> str:
    """One reason line naming the worst :data:`REASON_EXAMPLES` skills and counting the rest."""
    if len(details) == 1:
        return f"{what} {details[0]}"
    shown = ", ".join(details[:REASON_EXAMPLES])
    rest = len(details) - REASON_EXAMPLES
    return f"{what} {len(details)} skills: {shown}" + (f" and {rest} more" if rest > 0 else "")


def _skill_reasons(states: Sequence[_FlaggedState], names: Mapping[int, str]) -> list[str]:
    """The falling and stuck rules of the module docstring: one line each, worst skills first."""
    falling = sorted((s for s in states if _is_falling(s)), key=lambda s: s.p_mastery - s.peak)
    stuck = sorted((s for s in states if _is_stuck(s)), key=lambda s: s.correct - s.attempts)
    reasons = []
    if falling:
        reasons.append(_summary("mastery falling on", [
            f"{names[s.skill_id]} ({_percent(s.peak)}% → {_percent(s.p_mastery)}%)"
            for s in falling
        ]))
    if stuck:
        reasons.append(_summary("stuck on", [
            f"{names[s.skill_id]} ({s.attempts - s.correct} wrong, still "
            f"{_label(s.level).lower()})"
            for s in stuck
        ]))
    return reasons


def _skill_flags(cohort: Cohort, names: Mapping[int, str]) -> dict[int, list[str]]:
    """Learner id -> reasons about their skills; SQL fetches only rows the rules may flag."""
    below_proficient = [level.value for level in LEVELS if level.rank < _PROFICIENT_RANK]
    falling = Q(peak_p_mastery__gte=mastery.PROFICIENT_P - _SQL_SLACK) & Q(
        peak_p_mastery__gte=F("p_mastery") + mastery.FALLING_DROP - _SQL_SLACK
    )
    stuck = Q(level__in=below_proficient) & Q(attempts__gte=F("correct") + STRUGGLING_FAILURES)
    by_learner: dict[int, list[_FlaggedState]] = defaultdict(list)
    for row in SkillState.objects.filter(
        falling | stuck, course=cohort.course, learner__cohorts=cohort
    ).order_by("learner_id", "skill_id").values_list(
        "learner_id", "skill_id", "p_mastery", "level", "peak_p_mastery", "attempts", "correct"
    ):
        by_learner[row[0]].append(_FlaggedState(*row))
    return {
        learner_id: reasons
        for learner_id, states in by_learner.items()
        if (reasons := _skill_reasons(states, names))
    }


def _sorted_rows(rows: list[HeatmapRow], sort: str) -> list[HeatmapRow]:
    by_name = sorted(rows, key=lambda r: r.username)
    if sort == "mastery":
        return sorted(by_name, key=lambda r: r.mean_percent)
    if sort == "activity":
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(by_name, key=lambda r: r.last_active or oldest)
    if sort == "help":
        return sorted(by_name, key=lambda r: -len(r.reasons))
    return by_name


def _class_cells(cohort: Cohort) -> tuple[dict[int, dict[int, HeatmapCell]], dict[int, float]]:
    """Learner id -> skill id -> cell, and learner id -> sum of P(mastery): one pass, one query."""
    cells: dict[int, dict[int, HeatmapCell]] = defaultdict(dict)
    totals: dict[int, float] = defaultdict(float)
    not_started = _NOT_STARTED_CELL.level
    for learner_id, skill_id, p, level in SkillState.objects.filter(
        course=cohort.course, learner__cohorts=cohort
    ).values_list("learner_id", "skill_id", "p_mastery", "level"):
        if level != not_started:
            cells[learner_id][skill_id] = HeatmapCell(level, p, str(_percent(p)))
            totals[learner_id] += p
    return cells, totals


def _class_activity(cohort: Cohort) -> dict[int, tuple[int, datetime]]:
    return {
        learner_id: (count, last)
        for learner_id, count, last in Attempt.objects.filter(
            course=cohort.course, learner__cohorts=cohort
        ).values("learner_id").annotate(count=Count("id"), last=Max("submitted_at"))
        .values_list("learner_id", "count", "last")
    }


def class_dashboard(cohort: Cohort, *, sort: str = "name", now: datetime | None = None
                    ) -> ClassDashboard:
    """The class heatmap and who needs help, in seven queries whatever the class size."""
    now = now or timezone.now()
    graph = skill_graph_for(cohort.course)
    skills = [SkillColumn(key, graph.name(key)) for key in graph.topological_order()]
    ids = dict(cohort.course.skills.values_list("key", "id"))
    skill_ids = [ids[skill.key] for skill in skills]
    learners = get_user_model().objects.filter(cohorts=cohort).values_list(
        "id", "username", "first_name", "last_name"
    )
    cells, totals = _class_cells(cohort)
    flags = _skill_flags(cohort, {ids[s.key]: s.name for s in skills})
    activity = _class_activity(cohort)
    rows = []
    for learner_id, username, first_name, last_name in learners:
        own = cells.get(learner_id, {})
        attempts, last_active = activity.get(learner_id, (0, None))
        rows.append(HeatmapRow(
            learner_id=learner_id, username=username,
            full_name=f"{first_name} {last_name}".strip(), attempts=attempts,
            last_active=last_active,
            mean_percent=_percent(totals.get(learner_id, 0.0) / len(skills)) if skills else 0,
            cells=[own.get(skill_id, _NOT_STARTED_CELL) for skill_id in skill_ids],
            reasons=_inactivity(last_active, now) + flags.get(learner_id, []),
        ))
    sort = sort if sort in HEATMAP_SORTS else "name"
    rows = _sorted_rows(rows, sort)
    return ClassDashboard(
        cohort=cohort, skills=skills, rows=rows, sort=sort, figure=heatmap_figure(skills, rows),
        legend=[(level.value, _label(level.value), LEVEL_COLOURS[level]) for level in LEVELS],
    )


def _level_colourscale() -> list[list[Any]]:
    """Discrete bands: level rank r (0..4) maps to exactly its own colour."""
    steps = len(LEVELS)
    scale: list[list[Any]] = []
    for rank, level in enumerate(LEVELS):
        scale += [[rank / steps, LEVEL_COLOURS[level]], [(rank + 1) / steps, LEVEL_COLOURS[level]]]
    return scale


def heatmap_figure(skills: Sequence[SkillColumn], rows: Sequence[HeatmapRow]) -> Figure:
    """Learners (rows, in the given order, top down) × skills, coloured by level rank."""
    rank = LEVEL_RANKS
    labels = {level.value: _label(level.value) for level in LEVELS}
    show_text = len(rows) * len(skills) <= HEATMAP_CELL_TEXT_LIMIT
    row_height = 26 if len(rows) <= 60 else 14
    names = [_plain(skill.name) for skill in skills]
    short = [textwrap.shorten(skill.name, HEATMAP_LABEL_WIDTH, placeholder="…")
             for skill in skills]
    label_room = int(3.6 * max((len(name) for name in short), default=0))
    return {
        "data": [{
            "type": "heatmap",
            "x": names,
            "y": [_plain(row.username) for row in rows],
            "z": [[rank[cell.level] for cell in row.cells] for row in rows],
            "text": [[cell.percent for cell in row.cells] for row in rows],
            "customdata": [[labels[cell.level] for cell in row.cells] for row in rows],
            "texttemplate": "%{text}" if show_text else "",
            "textfont": {"size": 11},
            "hovertemplate": "<b>%{y}</b> · %{x}<br>%{customdata} %{text}%<br>"
                             "Click to open the learner's dashboard<extra></extra>",
            "colorscale": _level_colourscale(),
            "zmin": -0.5, "zmax": len(LEVELS) - 0.5,
            "xgap": 1, "ygap": 1,
            "colorbar": {"title": {"text": "Mastery level"},
                         "tickvals": list(range(len(LEVELS))),
                         "ticktext": [labels[level.value] for level in LEVELS], "len": 0.9,
                         "lenmode": "fraction", "thickness": 14},
        }],
        "layout": _layout(
            "Mastery by learner and skill",
            height=125 + label_room + row_height * len(rows),
            xaxis={"title": {"text": "Skill (prerequisites first)"}, "side": "top",
                   "tickangle": -40, "tickfont": {"size": 11}, "tickvals": names,
                   "ticktext": [_plain(name) for name in short]},
            yaxis={"title": {"text": "Learner"}, "autorange": "reversed", "type": "category",
                   "tickfont": {"size": 11}},
            margin={"l": 110, "r": 20, "t": 85 + label_room, "b": 20},
        ),
    }


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote such text."""
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value


def mastery_table_rows(dashboard: ClassDashboard) -> list[list[str]]:
    """The heatmap as a CSV table: one row per learner, P(mastery) and level per skill."""
    header = ["learner", "name", "attempts", "last_active"]
    for skill in dashboard.skills:
        header += [f"{skill.key} mastery", f"{skill.key} level"]
    table = [header]
    for row in dashboard.rows:
        line = [_csv_text(row.username), _csv_text(row.full_name), str(row.attempts),
                row.last_active.isoformat() if row.last_active else ""]
        for cell in row.cells:
            line += ["" if cell.p_mastery is None else f"{cell.p_mastery:.3f}", cell.level]
        table.append(line)
    return table


# ---------------------------------------------------------------- skills and exercises


class AttemptRecord(NamedTuple):
    attempt_id: int
    learner_id: int
    exercise_id: int
    correct: bool


class EventRecord(NamedTuple):
    skill_id: int
    p_mastery: float
    level: str


@dataclass(frozen=True)
class ClassHistory:
    """A class's attempts in storage order, with the chart changes each one made."""

    attempts: list[AttemptRecord]
    exercise_skills: dict[int, tuple[int, ...]]
    events: dict[int, list[EventRecord]]
    params: dict[int, mastery.BKTParams]


SuccessPredictor = Callable[[ClassHistory], dict[int, float]]
"""Attempt id -> the model's P(right answer) just before that attempt."""


def bkt_predicted_success(history: ClassHistory) -> dict[int, float]:
    """BKT's chance of a right answer before each attempt (mean over the exercise's skills)."""
    current: dict[tuple[int, int], float] = {}
    predicted: dict[int, float] = {}
    for attempt in history.attempts:
        skills = history.exercise_skills.get(attempt.exercise_id, ())
        if skills:
            chances = []
            for skill_id in skills:
                params = history.params.get(skill_id, mastery.DEFAULT_PARAMS)
                p = current.get((attempt.learner_id, skill_id), params.p_init)
                chances.append(mastery.predict_correct(p, params))
            predicted[attempt.attempt_id] = statistics.fmean(chances)
        for event in history.events.get(attempt.attempt_id, ()):
            current[(attempt.learner_id, event.skill_id)] = event.p_mastery
    return predicted


def attempts_to_mastery(history: ClassHistory) -> dict[int, list[int]]:
    """Skill id -> per learner who reached *mastered*: their answers on it until then."""
    answered: Counter[tuple[int, int]] = Counter()
    reached: dict[tuple[int, int], int] = {}
    mastered = mastery.MasteryLevel.MASTERED.value
    for attempt in history.attempts:
        for skill_id in history.exercise_skills.get(attempt.exercise_id, ()):
            answered[(attempt.learner_id, skill_id)] += 1
        for event in history.events.get(attempt.attempt_id, ()):
            pair = (attempt.learner_id, event.skill_id)
            if event.level == mastered and pair not in reached:
                reached[pair] = answered[pair]
    by_skill: dict[int, list[int]] = defaultdict(list)
    for (_, skill_id), count in sorted(reached.items()):
        by_skill[skill_id].append(count)
    return dict(by_skill)


def class_history(cohort: Cohort, params: dict[int, mastery.BKTParams]) -> ClassHistory:
    """Three queries: the class's attempts, the course's exercise skills, the chart events."""
    course = cohort.course
    attempts = [
        AttemptRecord(*row)
        for row in Attempt.objects.filter(course=course, learner__cohorts=cohort)
        .order_by("id").values_list("id", "learner_id", "exercise_id", "correct")
    ]
    exercise_skills: dict[int, list[int]] = defaultdict(list)
    for exercise_id, skill_id in Exercise.skills.through.objects.filter(
        exercise__course=course
    ).order_by("exercise_id", "skill_id").values_list("exercise_id", "skill_id"):
        exercise_skills[exercise_id].append(skill_id)
    events: dict[int, list[EventRecord]] = defaultdict(list)
    for attempt_id, *fields in MasteryEvent.objects.filter(
        course=course, learner__cohorts=cohort
    ).order_by("attempt_id", "id").values_list("attempt_id", "skill_id", "p_mastery", "level"):
        events[attempt_id].append(EventRecord(*fields))
    return ClassHistory(
        attempts=attempts,
        exercise_skills={k: tuple(v) for k, v in exercise_skills.items()},
        events=dict(events),
        params=params,
    )


@dataclass
class _Tally:
    attempts: int = 0
    correct: int = 0
    predicted_total: float = 0.0
    predicted_count: int = 0

    def __post_init__(self) -> None:
        self.learners: set[int] = set()

    def add(self, attempt: AttemptRecord, predicted: float | None) -> None:
        self.attempts += 1
        self.correct += int(attempt.correct)
        self.learners.add(attempt.learner_id)
        if predicted is not None:
            self.predicted_total += predicted
            self.predicted_count += 1

    @property
    def success_percent(self) -> int | None:
        return _percent(self.correct / self.attempts) if self.attempts else None

    @property
    def predicted_percent(self) -> int | None:
        if not self.predicted_count:
            return None
        return _percent(self.predicted_total / self.predicted_count)


@dataclass(frozen=True)
class SkillStat:
    key: str
    name: str
    attempts: int
    learners: int
    success_percent: int | None
    predicted_percent: int | None
    mastered_learners: int
    attempts_to_mastery: float | None


@dataclass(frozen=True)
class ExerciseStat:
    key: str
    skills: str
    difficulty: int
    active: bool
    attempts: int
    correct: int
    learners: int
    success_percent: int | None
    predicted_percent: int | None
    broken: bool

    @property
    def surprise(self) -> int | None:
        """Observed minus predicted success, in points: negative = harder than predicted."""
        if self.success_percent is None or self.predicted_percent is None:
            return None
        return self.success_percent - self.predicted_percent


@dataclass(frozen=True)
class ItemStats:
    skills: list[SkillStat]
    exercises: list[ExerciseStat]
    figures: dict[str, Figure]

    @property
    def broken(self) -> list[ExerciseStat]:
        return [exercise for exercise in self.exercises if exercise.broken]


def _looks_broken(tally: _Tally) -> bool:
    return tally.attempts >= BROKEN_MIN_ATTEMPTS and (
        tally.correct < BROKEN_SUCCESS_RATE * tally.attempts
    )


def _tallies(
    history: ClassHistory, predicted: Mapping[int, float]
) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    by_exercise: dict[int, _Tally] = defaultdict(_Tally)
    by_skill: dict[int, _Tally] = defaultdict(_Tally)
    for attempt in history.attempts:
        chance = predicted.get(attempt.attempt_id)
        by_exercise[attempt.exercise_id].add(attempt, chance)
        for skill_id in history.exercise_skills.get(attempt.exercise_id, ()):
            by_skill[skill_id].add(attempt, chance)
    return by_exercise, by_skill


def item_stats(cohort: Cohort, predictor: SuccessPredictor = bkt_predicted_success) -> ItemStats:
    """Per skill and per exercise statistics of a class, in seven queries."""
    course = cohort.course
    order = {key: n for n, key in enumerate(skill_graph_for(course).topological_order())}
    skills = sorted(course.skills.values_list("id", "key", "name", "bkt_params"),
                    key=lambda s: order.get(s[1], len(order)))
    params = {sid: mastery.BKTParams(**stored) for sid, _, _, stored in skills if stored}
    history = class_history(cohort, params)
    by_exercise, by_skill = _tallies(history, predictor(history))
    to_mastery = attempts_to_mastery(history)
    skill_names = {sid: name for sid, _, name, _ in skills}
    skill_stats = [
        SkillStat(
            key=key, name=name, attempts=by_skill[sid].attempts,
            learners=len(by_skill[sid].learners), success_percent=by_skill[sid].success_percent,
            predicted_percent=by_skill[sid].predicted_percent,
            mastered_learners=len(to_mastery.get(sid, [])),
            attempts_to_mastery=statistics.median(to_mastery[sid]) if sid in to_mastery else None,
        )
        for sid, key, name, _ in skills
    ]
    exercise_stats = [
        ExerciseStat(
            key=key, skills=", ".join(sorted(skill_names[s] for s in
                                             history.exercise_skills.get(eid, ()))),
            difficulty=difficulty, active=status == Exercise.Status.ACTIVE,
            attempts=by_exercise[eid].attempts, correct=by_exercise[eid].correct,
            learners=len(by_exercise[eid].learners),
            success_percent=by_exercise[eid].success_percent,
            predicted_percent=by_exercise[eid].predicted_percent,
            broken=_looks_broken(by_exercise[eid]),
        )
        for eid, key, difficulty, status in course.exercises.order_by("key").values_list(
            "id", "key", "difficulty", "status")
        if status == Exercise.Status.ACTIVE or eid in by_exercise
    ]
    exercise_stats.sort(key=lambda e: (not e.broken, e.surprise if e.surprise is not None
                                       else 101, e.key))
    return ItemStats(
        skills=skill_stats, exercises=exercise_stats,
        figures={"skills": skill_stats_figure(skill_stats),
                 "exercises": exercise_difficulty_figure(exercise_stats)},
    )


def skill_stats_figure(stats: Sequence[SkillStat]) -> Figure:
    """Two bar panels sharing the skill axis: success rate, and median answers to mastery."""
    names = [_plain(s.name) for s in stats]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": "Success rate (%)", "y": names,
             "x": [s.success_percent for s in stats], "xaxis": "x", "yaxis": "y",
             "marker": {"color": RIGHT_COLOUR},
             "hovertemplate": "%{y}: %{x}% right<extra></extra>"},
            {"type": "scatter", "mode": "markers", "name": "Predicted success (%)", "y": names,
             "x": [s.predicted_percent for s in stats], "xaxis": "x", "yaxis": "y",
             "marker": {"color": "#1d2530", "symbol": "line-ns-open", "size": 16,
                        "line": {"width": 3}},
             "hovertemplate": "%{y}: %{x}% predicted<extra></extra>"},
            {"type": "bar", "orientation": "h", "name": "Answers to mastery (median)",
             "y": names, "x": [s.attempts_to_mastery for s in stats], "xaxis": "x2",
             "yaxis": "y", "marker": {"color": READY_COLOUR},
             "hovertemplate": "%{y}: %{x} answers to mastery<extra></extra>"},
        ],
        "layout": _layout(
            "Skills: success and answers to mastery",
            height=160 + 26 * len(stats),
            xaxis={"domain": [0, 0.48], "range": [0, 100], "ticksuffix": "%",
                   "title": {"text": "Answers right (%)"}},
            xaxis2={"domain": [0.56, 1], "rangemode": "tozero", "anchor": "y",
                    "title": {"text": "Answers until mastered (median)"}},
            yaxis={"autorange": "reversed", "automargin": True},
            legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
            margin={"l": 20, "r": 20, "t": 90, "b": 60},
        ),
    }


def exercise_difficulty_figure(stats: Sequence[ExerciseStat]) -> Figure:
    """Predicted vs observed success per exercise; below the diagonal = harder than predicted."""
    answered = [e for e in stats if e.attempts and e.predicted_percent is not None]

    def points(name: str, group: list[ExerciseStat], colour: str) -> Figure:
        return {
            "type": "scatter", "mode": "markers", "name": name,
            "x": [e.predicted_percent for e in group], "y": [e.success_percent for e in group],
            "customdata": [[e.key, _plain(e.skills), e.attempts] for e in group],
            "marker": {"color": colour, "opacity": 0.8, "line": {"width": 1, "color": "#fff"},
                       "size": [min(30, 7 + 1.5 * e.attempts ** 0.5) for e in group]},
            "hovertemplate": "<b>%{customdata[0]}</b> (%{customdata[1]})<br>predicted %{x}%, "
                             "observed %{y}% over %{customdata[2]} answers<extra></extra>",
        }

    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "As predicted", "x": [0, 100],
             "y": [0, 100], "line": {"color": "#b8c0cc", "dash": "dash"}, "hoverinfo": "skip"},
            points("Exercise", [e for e in answered if not e.broken], READY_COLOUR),
            points("Looks broken", [e for e in answered if e.broken], "#c0392b"),
        ],
        "layout": _layout(
            "Exercises: predicted vs observed success",
            height=460,
            xaxis={"title": {"text": "Predicted success before the answer (%)"},
                   "range": [0, 101], "ticksuffix": "%"},
            yaxis={"title": {"text": "Observed success (%)"}, "range": [-2, 102],
                   "ticksuffix": "%"},
            annotations=[
                {"x": 98, "y": 4, "xanchor": "right", "text": "harder than predicted",
                 "showarrow": False, "font": {"color": "#5b6675", "size": 11}},
                {"x": 2, "y": 96, "xanchor": "left", "text": "easier than predicted",
                 "showarrow": False, "font": {"color": "#5b6675", "size": 11}},
            ],
            legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
            margin={"l": 60, "r": 20, "t": 90, "b": 60},
        ),
    }
