"""Trap mails: injection by the facilitator only, visits vs clicks in a real browser, reports."""

from __future__ import annotations

from email.utils import parseaddr

import httpx
import pytest
from mss_helpers import TENANT

from sandbox import events as stream
from sandbox import messaging
from sandbox.client import connect
from sandbox.client.errors import AccessDenied, NotFound
from sandbox.messaging import traps


def _events(world, action: str) -> list:
    with world.sandbox.store.session() as session:
        return [e for e in stream.stream(session, TENANT, service="mssante", limit=100_000)
                if e.action == action]


def _inject(world, template: str, login: str) -> dict:
    with world.web.http("facilitateur") as client:
        response = client.post("/mssante/pieges", json={
            "modele": template, "destinataires": [world.address(login)]})
    assert response.status_code == 201, response.text
    [sent] = response.json()
    return sent


def test_templates_are_data_with_clues():
    found = traps.templates()
    assert {"faux-support-mssante", "virement-urgent-direction"} <= set(found)
    senders = " ".join(t["from"] for t in found.values())
    assert "mssante-fr.com" in senders and "ch-exemp1e.mssante.fr" in senders
    assert all(t["indices"] and "{lien}" in t["body"] for t in found.values())


@pytest.mark.parametrize("login", ["medecin", "secretaire", "etudiant"])
def test_only_the_facilitator_injects(world, login):
    with world.web.http(login) as client:
        response = client.post("/mssante/pieges", json={
            "modele": "faux-support-mssante", "destinataires": [world.address("kine")]})
    assert response.status_code == 403
    assert "animateur" in response.json()["issue"][0]["diagnostics"]


def test_unknown_template_and_recipient_are_french_404s(world):
    with world.web.http("facilitateur") as client:
        unknown = client.post("/mssante/pieges", json={
            "modele": "inexistant", "destinataires": [world.address("kine")]})
        nobody = client.post("/mssante/pieges", json={
            "modele": "faux-support-mssante", "destinataires": ["x@medecin.bac-a-sable.mssante.fr"]})
    assert unknown.status_code == 404 and "faux-support-mssante" in unknown.text
    assert nobody.status_code == 404 and "Annuaire" in nobody.text


def test_facilitator_client_lists_templates_and_injects(world):
    facilitator = connect("facilitateur", url=world.url, tenant=TENANT)
    templates = {t["modele"]: t for t in facilitator.admin.trap_templates()}
    assert set(templates) == set(traps.templates())
    [sent] = facilitator.admin.inject_mail("virement-urgent-direction", to=world.address("kine"))
    inbox = connect("kine", url=world.url, tenant=TENANT).mssante.inbox()
    template = templates["virement-urgent-direction"]
    sender = parseaddr(template["de"])[1]  # "Direction … <direction@ch-exemp1e.mssante.fr>"
    assert any(m.subject == template["objet"] and m.sender == sender for m in inbox), inbox[-3:]
    assert sent["boite"] == world.address("kine")
    with pytest.raises(AccessDenied):
        connect("medecin", url=world.url, tenant=TENANT).admin.inject_mail(
            "virement-urgent-direction", to=[world.address("kine")])
    with pytest.raises(NotFound, match="faux-support-mssante"):
        facilitator.admin.inject_mail("inexistant", to=world.address("kine"))


def test_trap_arrives_over_imap_with_its_own_link_and_inert_attachment(world):
    sent = _inject(world, "resultats-piece-jointe", "urgentiste")
    with world.imap("urgentiste") as imap:
        _typ, data = imap.uid("SEARCH", None, "FROM", "labo-biomed-analyses.com")
        uid = data[0].split()[-1].decode()
        _typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = data[0][1]
    assert f"/piege/{sent['jeton']}".encode() in raw
    assert b"Resultats_analyses.pdf.js" in raw


@pytest.mark.browser
def test_scanner_get_is_a_visit_and_only_the_button_is_a_click(world, page):
    sent = _inject(world, "faux-support-mssante", "sage-femme")
    url = f"{world.url}/piege/{sent['jeton']}"

    def count(action: str) -> int:
        return sum(1 for e in _events(world, action) if e.detail.get("jeton") == sent["jeton"])

    assert httpx.get(url, headers={"User-Agent": "scanner-antivirus"}).status_code == 200
    assert (count(traps.VISIT), count(traps.CLICK)) == (1, 0)
    page.goto(url)
    assert page.locator("#valider").is_visible()
    assert (count(traps.VISIT), count(traps.CLICK)) == (2, 0)
    page.click("#valider")
    page.locator("#revelation").wait_for(state="visible")
    assert "exercice" in page.locator("#revelation").inner_text()
    assert "mssante-fr.com" in page.locator("#revelation").inner_text()  # the clues
    assert (count(traps.VISIT), count(traps.CLICK)) == (2, 1)
    click = next(e for e in _events(world, traps.CLICK) if e.detail["jeton"] == sent["jeton"])
    assert click.persona == "sage-femme" and click.detail["modele"] == "faux-support-mssante"


def test_unknown_trap_link_is_a_404(world):
    response = httpx.get(f"{world.url}/piege/inconnu")
    assert response.status_code == 404


def test_report_through_the_http_client_without_mail_servers(world, monkeypatch):
    _inject(world, "identifiants-e-cps", "pharmacien")
    monkeypatch.setattr(messaging, "_RUNNING", {})  # as in-process / Binder: no SMTP server
    pharmacist = connect("pharmacien", url=world.url, tenant=TENANT)
    assert pharmacist.mssante.mode == "http"
    trap = [m for m in pharmacist.mssante.inbox() if "e-CPS" in m.subject][-1]
    result = pharmacist.mssante.report(trap.id)
    assert "$Phishing" in result["drapeaux"]
    reports = [e for e in _events(world, "mssante.report") if e.persona == "pharmacien"]
    assert reports and reports[-1].detail["via"] == "api"
    message = pharmacist.mssante.read(trap.id)
    assert "$Phishing" in message.flags and "\\Seen" in message.flags
