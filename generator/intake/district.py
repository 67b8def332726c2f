"""A district's consolidated return: its communes' detail on the "Chi tiết đơn vị" sheet,
read into one child Submission per commune."""

from __future__ import annotations

from generator.cells import as_text, cell_ref, find_header
from generator.forms import layout as formspec
from generator.intake.rules import Reader, check_task, indicator_value
from generator.intake.values import match_status
from generator.model import Submission, TaskReport
from generator.text import fold

_KIND_BY_FOLD = {fold(label): key for key, label in formspec.CHILD_KINDS.items()}
_KIND_BY_FOLD.update({key: key for key in formspec.CHILD_KINDS})
_CHILD_FIELD = {**{fold(k): k for k in formspec.UNIT_FIELDS},
                **{fold(label): k for k, label in formspec.UNIT_FIELDS.items()}}


def read_children(reader: Reader, sub: Submission) -> None:
    """A district's consolidated return: one child Submission per commune on SHEET_CHILDREN."""
    name = reader.book.sheet_name(formspec.SHEET_CHILDREN)
    if name is None:
        return
    rows = reader.book.rows(name)
    need = ("unit", "kind", "key")
    head, cols = find_header(rows, formspec.CHILD_COLUMNS, need)
    if head is None:
        labels = ", ".join(f"'{formspec.CHILD_COLUMNS[k]}'" for k in need)
        reader.add("F106", name, name=formspec.SHEET_CHILDREN, columns=labels)
        return
    children: dict[str, Submission] = {}
    allowed = {u.code for u in reader.plan.children(sub.unit)}
    for r in range(head + 1, len(rows)):
        code = _child_code(as_text(_at(rows[r], cols["unit"])), allowed)
        kind_text = as_text(_at(rows[r], cols["kind"]))
        if not code and not kind_text:
            continue
        if code not in allowed:
            reader.add("F108", name, cell_ref(r, cols["unit"]), unit=code,
                       parent=reader.plan.units[sub.unit].name)
            continue
        kind = _KIND_BY_FOLD.get(fold(kind_text))
        if kind is None:
            reader.add("F109", name, cell_ref(r, cols["kind"]), value=kind_text[:40],
                       kinds=", ".join(formspec.CHILD_KINDS.values()))
            continue
        child = children.get(code)
        if child is None:
            child = children[code] = Submission(code, sub.period, plan_version=sub.plan_version)
        read_child_row(reader, child, name, rows, r, cols, kind)
    sub.children = list(children.values())


def _at(row, c):
    return row[c] if c is not None and c < len(row) else None


def _child_code(code: str, allowed: set[str]) -> str:
    """A commune code that lost its leading zeros to a number format still matches."""
    if code in allowed or not code.isdigit():
        return code
    return next((c for c in allowed if c.lstrip("0") == code.lstrip("0")), code)


def read_child_row(reader: Reader, child: Submission, sheet: str, rows, r: int, cols: dict,
                   kind: str) -> None:
    key = as_text(_at(rows[r], cols["key"]))
    if kind == "task":
        roles = reader.plan.roles(child.unit)
        task = TaskReport(tt=key, role=roles.get(key, ""), row=r + 1)
        status_text = reader.text(sheet, rows, r, cols.get("status"))
        task.status = match_status(status_text) or ""
        status_cell = cell_ref(r, cols.get("status", cols["key"]))
        if status_text and not task.status:
            reader.add("R002", sheet, status_cell, value=status_text[:60], tt=key)
        elif not status_text:
            reader.add("R001", sheet, status_cell, tt=key)
        task.completed_on = reader.date(sheet, rows, r, cols.get("completed_on"))
        task.result = reader.text(sheet, rows, r, cols.get("text"))
        check_task(reader, sheet, task, r, cols.get("completed_on", cols["key"]),
                   cols.get("text", cols["key"]))
        if key in roles:
            child.tasks[key] = task
        else:
            reader.add("R009" if key in reader.plan.task_tts else "R008", sheet,
                       cell_ref(r, cols["key"]), tt=key)
            child.extra_tasks.append(task)
    elif kind == "indicator":
        if "value" in cols:
            child.indicators[key] = indicator_value(reader, sheet, rows, r, cols["value"], key,
                                                    reader.plan.indicator(key))
    else:
        field_key = _CHILD_FIELD.get(fold(key))
        if field_key == "prepared_on":
            child.prepared_on = reader.date(sheet, rows, r, cols.get("text"))
        elif field_key:
            setattr(child, field_key, reader.text(sheet, rows, r, cols.get("text")))
