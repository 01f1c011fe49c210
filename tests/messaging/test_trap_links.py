"""Trap-mail links point at the sandbox's public address (setting), never at the request's Host."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

from sqlalchemy import select

from sandbox.messaging.models import MessageRow


def test_trap_links_use_the_public_url_never_the_host_header(world):
    with world.web.http("facilitateur") as client:
        response = client.post("/mssante/pieges", headers={"Host": "attaquant.example"}, json={
            "modele": "faux-support-mssante", "destinataires": [world.address("kine")]})
    assert response.status_code == 201, response.text
    [sent] = response.json()
    with world.sandbox.store.session() as session:
        raw = session.scalars(select(MessageRow.raw).where(
            MessageRow.message_id == sent["message"])).first()
    text = message_from_bytes(raw, policy=email_policy.default).get_body(
        ("plain",)).get_content()
    assert f"{world.sandbox.settings.base_url}/piege/{sent['jeton']}" in text
    assert "attaquant.example" not in text
