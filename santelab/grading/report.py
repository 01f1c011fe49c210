"""`santelab report`: competency reports (HTML with matplotlib charts, CSV) from the gradebook.

One page per student (mastery per competency and per domain), one for the cohort (mastery per
domain, the class's distribution of totals, its weakest competencies), and `competences.csv`
(one row per student and competency) that a spreadsheet opens (UTF-8 with BOM).
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from matplotlib.figure import Figure

from santelab.course.framework import Framework
from santelab.grading.competency import ClassMastery, Mastery

WEAKEST = 5
STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
         ".non-note{color:#a60}")


def percent(m: Mastery | None) -> str:
    if m is None or m.ratio is None:
        return "non noté"
    return f"{100 * m.ratio:.0f} %"


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def bar_chart(title: str, values: dict[str, Mastery]) -> str:
    labels = sorted(values)
    ratios = [100 * (values[k].ratio or 0) for k in labels]
    figure = Figure(figsize=(7, 0.35 * len(labels) + 1))
    axes = figure.subplots()
    axes.barh(labels, ratios, color="#3b7dd8")
    axes.set_xlim(0, 100)
    axes.set_xlabel("maîtrise (%)")
    axes.set_title(title)
    axes.invert_yaxis()
    return _png(figure)


def histogram(title: str, totals: list[float]) -> str:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    axes.hist(totals, bins=10, range=(0, 100), color="#3b7dd8", edgecolor="white")
    axes.set_xlabel("maîtrise globale (%)")
    axes.set_ylabel("étudiants")
    axes.set_title(title)
    return _png(figure)


def _table(framework: Framework, values: dict[str, Mastery]) -> str:
    rows = []
    for code in sorted(values):
        m = values[code]
        domain = framework.domains.get(code)
        title = domain.title if domain else framework.competency_title(code)
        pending = f' <span class="non-note">({m.ungraded} à noter)</span>' if m.ungraded else ""
        rows.append(f"<tr><td>{html.escape(code)}</td><td>{html.escape(str(title or ''))}</td>"
                    f"<td>{m.earned:g} / {m.graded_max:g}</td><td>{percent(m)}{pending}</td></tr>")
    return ("<table><tr><th>code</th><th>intitulé</th><th>points</th><th>maîtrise</th></tr>"
            + "".join(rows) + "</table>")


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _img(png: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'


def student_page(framework: Framework, data: ClassMastery, student: str, scope: str) -> str:
    comps, domains = data.competencies[student], data.domains[student]
    body = (f"<p>Périmètre : {html.escape(scope)}. Maîtrise globale : "
            f"{percent(data.totals[student])}.</p>"
            "<h2>Par domaine</h2>" + _img(bar_chart("Maîtrise par domaine", domains),
                                          "maîtrise par domaine") + _table(framework, domains)
            + "<h2>Par compétence</h2>" + _img(bar_chart("Maîtrise par compétence", comps),
                                              "maîtrise par compétence")
            + _table(framework, comps))
    return _page(f"Compétences — {student}", body)


def weakest(data: ClassMastery) -> list[tuple[str, Mastery]]:
    graded = [(c, m) for c, m in data.cohort("competencies").items() if m.ratio is not None]
    return sorted(graded, key=lambda item: (item[1].ratio, item[0]))[:WEAKEST]


def cohort_page(framework: Framework, data: ClassMastery, scope: str) -> str:
    totals = [100 * data.totals[s].ratio for s in data.students
              if data.totals[s].ratio is not None]
    weak = weakest(data)
    links = "".join(f'<li><a href="etudiants/{html.escape(s)}.html">{html.escape(s)}</a> — '
                    f"{percent(data.totals[s])}</li>" for s in data.students)
    body = (f"<p>Périmètre : {html.escape(scope)}. {len(data.students)} étudiant(s).</p>"
            "<h2>Par domaine</h2>"
            + _img(bar_chart("Maîtrise de la promotion par domaine", data.cohort("domains")),
                   "maîtrise par domaine") + _table(framework, data.cohort("domains"))
            + "<h2>Répartition de la promotion</h2>"
            + _img(histogram("Maîtrise globale des étudiants", totals), "répartition")
            + "<h2>Compétences les plus fragiles</h2>"
            + _img(bar_chart("Compétences les plus fragiles", dict(weak)), "plus fragiles")
            + _table(framework, dict(weak)) + f"<h2>Étudiants</h2><ul>{links}</ul>")
    return _page("Compétences — promotion", body)


def write_csv(path: Path, framework: Framework, data: ClassMastery) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["etudiant", "domaine", "competence", "points", "points_notes",
                      "maitrise_pct", "cellules_a_noter"])
        for student in data.students:
            for code, m in sorted(data.competencies[student].items()):
                out.writerow([student, framework.domain_of(code), code, f"{m.earned:g}",
                              f"{m.graded_max:g}",
                              "" if m.ratio is None else f"{100 * m.ratio:.1f}", m.ungraded])


def write_report(out: Path, framework: Framework, data: ClassMastery, scope: str) -> Path:
    (out / "etudiants").mkdir(parents=True, exist_ok=True)
    for student in data.students:
        (out / "etudiants" / f"{student}.html").write_text(
            student_page(framework, data, student, scope), encoding="utf-8")
    (out / "promotion.html").write_text(cohort_page(framework, data, scope), encoding="utf-8")
    write_csv(out / "competences.csv", framework, data)
    return out / "promotion.html"
