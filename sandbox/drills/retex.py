"""The RETEX (lessons learned) of a run: a self-contained HTML report readable without an account
(printed to PDF by sandbox/pdf.py) and the crisis log as CSV.

It says what happened (the timeline plotted with matplotlib), how fast (detection, containment
and recovery times from the scenario's `jalons`; the time to report each phishing mail), how
well (the score per expectation, team and role), and what people said (observers' notes, the
crisis log, the hot-debrief answers). Times are scenario minutes, as the chronogram counts them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from sqlalchemy import select

from sandbox.drills import journal
from sandbox.drills.console import TEAM_LABELS, summary
from sandbox.drills.engine import MET, VALIDATED, Engine
from sandbox.drills.models import DrillRunRow, DrillStepRow
from sandbox.events_models import EventRow
from sandbox.services.dpi.schedule import PARIS

MILESTONES = {"detection": "Détection", "confinement": "Confinement",
              "retablissement": "Rétablissement"}
REPORT = "mssante.report"  # the phishing report a player makes from the inbox
LOG_COLUMNS = ("heure", "auteur", "qualite", "persona", "texte")


@dataclass
class Retex:
    status: dict
    title: str
    teams: dict[str, str]
    injects: list[dict]
    expectations: list[dict]
    milestones: list[tuple[str, float | None]]  # (label, minutes after the incident began)
    incident_min: float | None
    phishing: list[tuple[str, float | None]]
    timeline: list[dict]
    log: list[dict]
    debrief: dict[str, list[dict]] = field(default_factory=dict)

    def by(self, key: str) -> list[tuple[str, int, int]]:
        """(name, score, maximum) per team ("equipe") or per role ("role")."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for e in self.expectations:
            totals[e[key]][0] += e["score"]
            totals[e[key]][1] += e["points"]
        return [(name, *totals[name]) for name in sorted(totals)]


def build(engine: Engine, tenant: str, run_id: str) -> Retex:
    status = engine.status(tenant, run_id)
    scenario, injects, expectations = engine.played(tenant, run_id)
    steps = {s["cle"]: s for s in status["etapes"]}
    with engine.sandbox.store.session() as session:
        run = session.get(DrillRunRow, (tenant, run_id))
        rows = {r.key: r for r in session.scalars(select(DrillStepRow).where(
            DrillStepRow.tenant == tenant, DrillStepRow.run == run_id))}
        met_by = {}
        for e in expectations:
            row = rows.get(e.cle)
            if e.evenement and row is not None and row.state == MET:
                match = engine.first_match(session, run, e, row.done_at)
                met_by[e.cle] = (match.persona, match.role) if match else (None, None)
        mails = [(i.cle, rows[i.cle]) for i in injects
                 if i.type == "mail" and i.cle in rows and rows[i.cle].done_at]
        phishing = [(key, _report_delay(session, run, row)) for key, row in mails]
        timeline = [journal.view(r) for r in journal.timeline(session, run)]
        log = journal.written(session, run, journal.LOG)
        answers = journal.written(session, run, journal.DEBRIEF)

    def done(key: str) -> float | None:
        step = steps.get(key)
        met = step and step["etat"] in (MET, VALIDATED) and step["points"] > 0
        return step["fait_s"] if met else None

    rows_out = []
    for e in expectations:
        step = steps.get(e.cle, {})
        persona, role = met_by.get(e.cle, (None, None))
        if step.get("etat") == VALIDATED:
            role = "validée par un observateur"
        rows_out.append({"cle": e.cle, "titre": e.titre, "equipe": e.equipe, "points": e.points,
                         "etat": step.get("etat", "non ouverte"), "score": step.get("points", 0),
                         "fait_s": step.get("fait_s"), "commentaire": step.get("commentaire", ""),
                         "persona": persona or "", "role": role or "—"})
    milestones, start = [], None
    if scenario.jalons:
        start = steps.get(scenario.jalons.incident, {}).get("fait_s")
        for name, label in MILESTONES.items():
            key = getattr(scenario.jalons, name)
            if key and key in {e.cle for e in expectations}:
                end = done(key)
                milestones.append((label, None if start is None or end is None
                                   else max(0.0, end - start) / 60))
    return Retex(
        status=status, title=scenario.titre, teams=dict(scenario.equipes),
        injects=[{"cle": i.cle, "resume": summary(i), "etat": steps.get(i.cle, {}).get(
            "etat", "non envoyé"), "fait_s": steps.get(i.cle, {}).get("fait_s")}
            for i in injects],
        expectations=rows_out, milestones=milestones,
        incident_min=None if start is None else start / 60,
        phishing=[(key, None if d is None else d / 60) for key, d in phishing],
        timeline=timeline, log=log,
        debrief={q: [a for a in answers if a["question"] == q] for q in journal.QUESTIONS})


def _report_delay(session, run: DrillRunRow, sent: DrillStepRow) -> float | None:
    """Scenario seconds from a phishing mail's sending to the first report in the tenant."""
    query = select(EventRow.at).where(EventRow.tenant == run.tenant, EventRow.action == REPORT,
                                      EventRow.at >= sent.done_at)
    if run.ended_at is not None:
        query = query.where(EventRow.at <= run.ended_at)
    first = session.scalar(query.order_by(EventRow.seq).limit(1))
    return None if first is None else (first - sent.done_at).total_seconds() * run.speed


# --- rendering -------------------------------------------------------------------------------

def plot(retex: Retex) -> str:
    """The timeline as an inline SVG: injects on the first lane, each team's expectations on
    its own (met in green, missed in red), the milestones as dashed lines."""
    import matplotlib
    from matplotlib.figure import Figure

    lanes = ["Injects", *(TEAM_LABELS.get(t, t) for t in retex.teams)]
    figure = Figure(figsize=(10, 1.2 + 0.5 * len(lanes)))
    axes = figure.add_subplot()
    sent = [i["fait_s"] / 60 for i in retex.injects if i["fait_s"] is not None]
    axes.scatter(sent, [0] * len(sent), marker="v", color="#555", label="inject envoyé")
    for e in retex.expectations:
        if e["fait_s"] is None or e["equipe"] not in retex.teams:
            continue
        lane = 1 + list(retex.teams).index(e["equipe"])
        good = e["score"] > 0
        axes.scatter([e["fait_s"] / 60], [lane], marker="o" if good else "x",
                     color="#2a8a2a" if good else "#c62828")
    for label, minutes in retex.milestones:
        if minutes is not None and retex.incident_min is not None:
            start = retex.incident_min
            axes.axvline(start + minutes, linestyle="--", color="#1f5fa8", linewidth=0.8)
            axes.annotate(label, (start + minutes, len(lanes) - 0.5), fontsize=8,
                          color="#1f5fa8", rotation=90, va="top")
    axes.set_yticks(range(len(lanes)), lanes)
    axes.set_ylim(-0.7, len(lanes) - 0.3)
    axes.set_xlabel("minutes de scénario")
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "santelab", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]


def _clock(moment) -> str:
    return moment.astimezone(PARIS).strftime("%H:%M:%S")


def _minutes(value: float | None) -> str:
    return "non atteint" if value is None else f"{value:.0f} min"


def _table(head: tuple[str, ...], rows: list[tuple]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """body{font-family:sans-serif;font-size:10.5pt;margin:1.5cm;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin-bottom:1em}
th,td{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top}
h2{border-bottom:1px solid #444;margin-top:1.4em}svg{width:100%;height:auto}"""


def to_html(retex: Retex) -> str:
    s = retex.status
    observers = [(_clock(n["a"]), n["auteur"], n["texte"]) for n in retex.log
                 if n.get("qualite") == "observateur"]
    observers += [(e["titre"], "validation", e["commentaire"]) for e in retex.expectations
                  if e["commentaire"]]
    parts = [
        f"<h1>RETEX — {escape(retex.title)}</h1>",
        f"<p>Exercice <b>{escape(s['exercice'])}</b>, niveau {escape(s['niveau'])}, "
        f"état {escape(s['etat'].replace('_', ' '))}, {s['temps_scenario_s'] / 60:.0f} minutes "
        f"de scénario. Score : <b>{s['score']} / {s['score_max']}</b>.</p>",
        "<h2>Chronologie</h2>", plot(retex),
        _table(("Heure", "Événement", "Cible", "Par"),
               [(_clock(e["a"]), e["libelle"], e["cible"] or "", e["persona"] or "")
                for e in retex.timeline]),
        "<h2>Temps clés (depuis le début de l'incident)</h2>",
        _table(("Jalon", "Délai"), [(label, _minutes(m)) for label, m in retex.milestones])
        if retex.milestones else "<p>Le scénario ne définit pas de jalons.</p>",
    ]
    if retex.phishing:
        parts += ["<h2>Hameçonnage : délai de signalement</h2>",
                  _table(("Message piège", "Premier signalement"),
                         [(key, _minutes(m)) for key, m in retex.phishing])]
    parts += [
        "<h2>Score par attente</h2>",
        _table(("Attente", "Équipe", "État", "Score", "Par", "Commentaire"),
               [(e["titre"], TEAM_LABELS.get(e["equipe"], e["equipe"]), e["etat"],
                 f"{e['score']} / {e['points']}", e["persona"] or e["role"], e["commentaire"])
                for e in retex.expectations]),
        "<h2>Score par équipe</h2>",
        _table(("Équipe", "Score"), [(TEAM_LABELS.get(t, t), f"{a} / {b}")
                                     for t, a, b in retex.by("equipe")]),
        "<h2>Score par rôle</h2>",
        _table(("Rôle", "Score"), [(r, f"{a} / {b}") for r, a, b in retex.by("role")]),
        "<h2>Notes des observateurs</h2>",
        _table(("Heure / attente", "Auteur", "Note"), observers) if observers
        else "<p>Aucune note d'observateur.</p>",
        "<h2>Débriefing à chaud</h2>",
        *(f"<h3>{escape(label)}</h3>" + ("<ul>" + "".join(
            f"<li>{escape(a['reponse'])}" + (f" — {escape(a['auteur'])}" if a["auteur"] else "")
            + "</li>" for a in retex.debrief.get(q, [])) + "</ul>"
            if retex.debrief.get(q) else "<p>Pas de réponse notée.</p>")
          for q, label in journal.QUESTIONS.items()),
        "<h2>Main courante</h2>",
        _table(("Heure", "Auteur", "Qualité", "Texte"),
               [(_clock(n["a"]), n["auteur"], n["qualite"], n["texte"])
                for n in retex.log]) if retex.log else "<p>Main courante vide.</p>",
    ]
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>RETEX '
            f'{escape(s["exercice"])}</title><style>{_STYLE}</style></head><body>'
            + "\n".join(parts) + "</body></html>")


def log_csv(retex: Retex) -> str:
    """The crisis log, one line per entry (Paris time), `;`-separated as French spreadsheets
    expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for n in retex.log:
        writer.writerow((n["a"].astimezone(PARIS).isoformat(timespec="seconds"), n["auteur"],
                         n["qualite"], n["persona"] or "", n["texte"]))
    return out.getvalue()
