"""Fill a form the way an officer does, in the real LibreOffice Calc (UNO, headless).

Run with the system Python that has LibreOffice's `uno` module (not the project's venv):

    /usr/bin/python3 tests/lo_fill.py JOB.json

JOB: {"source", "target", "filter" (e.g. "Calc MS Excel 2007 XML", "MS Excel 97", "calc8")
or "targets": [[path, filter], ...] (the same filled file saved in several formats),
"locale" ("vi-VN" or "en-US": how typed numbers and dates are understood), "steps": [...]}.
Steps, in order: {"sheet", "insert_rows": INDEX, "count": N} inserts rows (0-based index,
after lifting the sheet's protection as an officer would); {"sheet", "cell": "G12", "type":
TEXT} enters TEXT as Calc does typed input (see enter(): the locale reads numbers and dates;
"\\n" is a line break); {"sheet", "heights": [ROW, ...]} records those rows' heights
(1/100 mm) into the job's "out" after the steps before it; {"sheet", "validation": [CELL,
...]} records each cell's validation as Calc holds it ([type, operator, formula 1]). The job
file is rewritten with "out" when done.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(pipe: str, proc):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # not listening yet
            if proc.poll() is not None:
                raise RuntimeError("soffice exited") from None
            time.sleep(0.1)
    raise RuntimeError("soffice did not start")


def set_locale(ctx, locale: str) -> None:
    """The locale typed input is read in; AutoInput off (its suggestions are a dialog-free
    UI feature that only makes headless runs flaky)."""
    provider = ctx.ServiceManager.createInstanceWithContext(
        "com.sun.star.configuration.ConfigurationProvider", ctx)
    for path, name, value in (("/org.openoffice.Setup/L10N", "ooSetupSystemLocale", locale),
                              ("/org.openoffice.Office.Linguistic/General", "DefaultLocale",
                               locale),
                              ("/org.openoffice.Office.Calc/Input", "AutoInput", False),
                              ("/org.openoffice.Office.Linguistic/SpellChecking",
                               "IsSpellAuto", False)):
        access = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationUpdateAccess", (prop("nodepath", path),))
        access.setPropertyValue(name, value)
        access.commitChanges()


def run(job: dict) -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="lo-fill-") as profile:
        pipe = f"lofill{os.getpid()}"
        proc = subprocess.Popen(
            ["soffice", f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--invisible", "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ctx = connect(pipe, proc)
            set_locale(ctx, job.get("locale", "vi-VN"))
            smgr = ctx.ServiceManager
            desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            # A copy: LibreOffice leaves a lock file beside what it opened.
            source = Path(profile) / f"nguon{Path(job['source']).suffix}"
            shutil.copyfile(job["source"], source)
            doc = desktop.loadComponentFromURL(source.as_uri(),
                                               "_blank", 0, (prop("Hidden", True),))
            if doc is None:
                raise RuntimeError(f"LibreOffice could not open {job['source']}")
            for step in job.get("steps", []):
                do_step(ctx, doc, step, out)
            for target, name in job.get("targets") or [(job["target"], job["filter"])]:
                doc.storeToURL(Path(target).resolve().as_uri(), (prop("FilterName", name),))
            with contextlib.suppress(Exception):  # the bridge goes away as the office quits
                desktop.terminate()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    return out


TEXT_TYPE = 100  # com.sun.star.util.NumberFormat.TEXT


def enter(ctx, doc, cell, text: str) -> None:
    """What Calc does with typed input: into a text-formatted (@) cell it goes as text;
    otherwise Calc's number formatter reads it in the cell's format and the office locale
    ("1.250" is 1250 in Vietnamese, 1,25 in English; "12/9/2022" is 12 September or
    9 December) and anything it cannot read stays text. (Typing through the selection and
    .uno:EnterString shows the cells' input help, whose timer aborts a headless office.)"""
    key = cell.getPropertyValue("NumberFormat")
    formats = doc.getNumberFormats()
    if "\n" not in text and formats.getByKey(key).getPropertyValue("Type") & TEXT_TYPE == 0:
        formatter = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.util.NumberFormatter", ctx)
        formatter.attachNumberFormatsSupplier(doc)
        try:
            cell.setValue(formatter.convertStringToNumber(key, text))
            return
        except Exception:  # not a number or a date in this locale: Calc keeps it as text
            pass
    cell.setString(text)


def do_step(ctx, doc, step: dict, out: dict) -> None:
    sheet = doc.getSheets().getByName(step["sheet"])
    if "insert_rows" in step:
        sheet.unprotect("")
        sheet.getRows().insertByIndex(step["insert_rows"], step.get("count", 1))
    elif "cell" in step:
        enter(ctx, doc, sheet.getCellRangeByName(step["cell"]), step["type"])
    elif "heights" in step:
        rows = sheet.getRows()
        out.setdefault("heights", []).append(
            {str(r): rows.getByIndex(r).Height for r in step["heights"]})
    elif "validation" in step:
        found = out.setdefault("validation", {})
        for ref in step["validation"]:
            rule = sheet.getCellRangeByName(ref).getPropertyValue("Validation")
            found[ref] = [rule.Type.value, rule.getOperator().value, rule.getFormula1()]


if __name__ == "__main__":
    path = Path(sys.argv[1])
    job = json.loads(path.read_text(encoding="utf-8"))
    job["out"] = run(job)
    path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
