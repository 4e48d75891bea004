"""The class dashboard as a CSV table (a spreadsheet-safe download)."""
from __future__ import annotations

from courses.dashboards.cohort import ClassDashboard

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


