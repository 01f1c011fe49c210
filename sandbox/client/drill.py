"""`s.drill` : les commandes de l'animateur d'un exercice de crise et les déclarations des
joueurs."""

from __future__ import annotations

from typing import Any

from sandbox.client.transport import Resource


class Drill(Resource):
    """Les exercices de crise cyber : l'animateur les lance et les conduit, les joueurs
    déclarent ce qu'ils font et lisent les messages reçus."""

    # --- facilitator ---------------------------------------------------------------------------
    def scenarios(self) -> list[dict]:
        """Les scénarios livrés avec leurs niveaux (animateur)."""
        return self._get("/drill/scenarios")

    def start(self, scenario: str | None = None, *, text: str | None = None,
              level: str = "intermédiaire", speed: float = 1.0, seed: int = 0,
              run: str | None = None) -> dict:
        """Lancer un scénario livré (son identifiant) ou celui donné en YAML dans `text` ;
        renvoie l'état de l'exercice."""
        body: dict[str, Any] = {"scenario": scenario, "texte": text, "niveau": level,
                                "vitesse": speed, "graine": seed, "exercice": run}
        return self._post("/drill/runs", json={k: v for k, v in body.items() if v is not None})

    def runs(self) -> list[dict]:
        """Les exercices du bac à sable, en cours ou terminés."""
        return self._get("/drill/runs")

    def status(self, run: str) -> dict:
        """L'état de l'exercice `run` : étapes, score, temps de scénario."""
        return self._get(f"/drill/runs/{run}")

    def timeline(self, run: str) -> list[dict]:
        """La chronologie de l'exercice : ses événements et les déclarations des joueurs."""
        return self._get(f"/drill/runs/{run}/timeline")

    def pause(self, run: str) -> dict:
        """Mettre l'exercice en pause : rien ne part avant la reprise."""
        return self._post(f"/drill/runs/{run}/pause")

    def resume(self, run: str) -> dict:
        """Reprendre l'exercice : les injects à venir sont décalés de la durée de la pause."""
        return self._post(f"/drill/runs/{run}/reprise")

    def end(self, run: str) -> dict:
        """Terminer l'exercice (les attentes restées ouvertes sont closes)."""
        return self._post(f"/drill/runs/{run}/fin")

    def inject(self, run: str, key: str) -> dict:
        """Envoyer l'inject `key` maintenant."""
        return self._post(f"/drill/runs/{run}/injects/{key}")

    def postpone(self, run: str, key: str, seconds: float) -> dict:
        """Reporter l'inject `key` de `seconds` secondes de scénario."""
        return self._post(f"/drill/runs/{run}/injects/{key}/report", json={"secondes": seconds})

    def validate(self, run: str, key: str, score: int, comment: str = "") -> dict:
        """Valider une attente qu'aucun événement ne montre : le score et le commentaire de
        l'observateur."""
        return self._post(f"/drill/runs/{run}/attentes/{key}/validation",
                          json={"score": score, "commentaire": comment})

    def console(self, run: str) -> dict:
        """Ce que montre la console de l'animateur : injects, attentes, chronologie, main
        courante."""
        return self._get(f"/drill/runs/{run}/console")

    def log(self, run: str, author: str, text: str, *, quality: str = "observateur") -> dict:
        """Écrire une ligne de la main courante, comme observateur ou comme animateur."""
        return self._post(f"/drill/runs/{run}/main-courante",
                          json={"auteur": author, "qualite": quality, "texte": text})

    def debrief(self, run: str, question: str, answer: str, *, author: str = "") -> dict:
        """Noter une réponse du débriefing à chaud : question « reussites », « ameliorations »
        ou « actions »."""
        return self._post(f"/drill/runs/{run}/debriefing",
                          json={"question": question, "reponse": answer, "auteur": author})

    def debrief_answers(self, run: str) -> list[dict]:
        """Les réponses notées au débriefing à chaud de l'exercice."""
        return self._get(f"/drill/runs/{run}/debriefing")

    def retex(self, run: str, format: str = "html") -> bytes:
        """Le RETEX de l'exercice `run` (octets) : « html » (chronologie tracée, délais, score
        par attente, équipe et rôle, notes des observateurs, débriefing), « pdf », ou la main
        courante en « csv »."""
        return self._raw("GET", f"/drill/runs/{run}/retex", params={"format": format}).content

    # --- players ---------------------------------------------------------------------------------
    def declare(self, kind: str = "cellule_de_crise", comment: str = "") -> dict:
        """Déclarer la cellule de crise (ou « mode_degrade », « fin_de_crise »)."""
        return self._post("/drill/declarations", json={"type": kind, "commentaire": comment})

    def report_incident(self, category: str, description: str, *,
                        patients_affected: bool = False) -> dict:
        """Déclarer un incident de sécurité sur le formulaire du portail national (simulé)."""
        return self._post("/drill/incidents", json={"categorie": category,
                                                    "description": description,
                                                    "impact_patients": patients_affected})

    def messages(self, team: str | None = None) -> list[dict]:
        """Les appels, SMS et articles de presse envoyés aux joueurs par les exercices en cours
        (ceux de l'équipe `team` seulement, si elle est donnée)."""
        return self._get("/drill/messages", params={"equipe": team} if team else None)
