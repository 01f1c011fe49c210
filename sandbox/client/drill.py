"""`s.drill`: a drill's facilitator controls and the players' declarations."""

from __future__ import annotations

from typing import Any

from sandbox.client.transport import Resource


class Drill(Resource):
    # --- facilitator ---------------------------------------------------------------------------
    def scenarios(self) -> list[dict]:
        return self._get("/drill/scenarios")

    def start(self, scenario: str | None = None, *, text: str | None = None,
              level: str = "intermédiaire", speed: float = 1.0, seed: int = 0,
              run: str | None = None) -> dict:
        """Start a shipped scenario (its id) or one given as YAML `text`; its status."""
        body: dict[str, Any] = {"scenario": scenario, "texte": text, "niveau": level,
                                "vitesse": speed, "graine": seed, "exercice": run}
        return self._post("/drill/runs", json={k: v for k, v in body.items() if v is not None})

    def runs(self) -> list[dict]:
        return self._get("/drill/runs")

    def status(self, run: str) -> dict:
        return self._get(f"/drill/runs/{run}")

    def timeline(self, run: str) -> list[dict]:
        return self._get(f"/drill/runs/{run}/timeline")

    def pause(self, run: str) -> dict:
        return self._post(f"/drill/runs/{run}/pause")

    def resume(self, run: str) -> dict:
        return self._post(f"/drill/runs/{run}/reprise")

    def end(self, run: str) -> dict:
        return self._post(f"/drill/runs/{run}/fin")

    def inject(self, run: str, key: str) -> dict:
        """Send inject `key` now."""
        return self._post(f"/drill/runs/{run}/injects/{key}")

    def postpone(self, run: str, key: str, seconds: float) -> dict:
        return self._post(f"/drill/runs/{run}/injects/{key}/report", json={"secondes": seconds})

    def validate(self, run: str, key: str, score: int, comment: str = "") -> dict:
        """An observer's verdict on an expectation no event shows."""
        return self._post(f"/drill/runs/{run}/attentes/{key}/validation",
                          json={"score": score, "commentaire": comment})

    def console(self, run: str) -> dict:
        """What the facilitator's console shows: injects, expectations, timeline, crisis log."""
        return self._get(f"/drill/runs/{run}/console")

    def log(self, run: str, author: str, text: str, *, quality: str = "observateur") -> dict:
        """Write a line of the crisis log ("main courante"), as an observer or a facilitator."""
        return self._post(f"/drill/runs/{run}/main-courante",
                          json={"auteur": author, "qualite": quality, "texte": text})

    def debrief(self, run: str, question: str, answer: str, *, author: str = "") -> dict:
        """Record a hot-debrief answer: question "reussites", "ameliorations" or "actions"."""
        return self._post(f"/drill/runs/{run}/debriefing",
                          json={"question": question, "reponse": answer, "auteur": author})

    def debrief_answers(self, run: str) -> list[dict]:
        return self._get(f"/drill/runs/{run}/debriefing")

    # --- players ---------------------------------------------------------------------------------
    def declare(self, kind: str = "cellule_de_crise", comment: str = "") -> dict:
        """Declare the crisis cell (or "mode_degrade", "fin_de_crise")."""
        return self._post("/drill/declarations", json={"type": kind, "commentaire": comment})

    def report_incident(self, category: str, description: str, *,
                        patients_affected: bool = False) -> dict:
        """Declare a security incident on the (simulated) national portal's form."""
        return self._post("/drill/incidents", json={"categorie": category,
                                                    "description": description,
                                                    "impact_patients": patients_affected})

    def messages(self, team: str | None = None) -> list[dict]:
        """Phone calls, text messages and press articles the drills under way sent to the
        players (of `team` only, if given)."""
        return self._get("/drill/messages", params={"equipe": team} if team else None)
