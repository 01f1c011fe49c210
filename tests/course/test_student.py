"""The helpers of the notebooks' set-up cells: sessions, or one French message and no trace."""

from __future__ import annotations

import pytest

from sandbox.ports import free_port
from santelab.course.student import StudentError, connect_personas


def test_sessions_come_in_the_order_asked():
    doctor, patient = connect_personas("medecin", "patient")
    assert (doctor.persona, patient.persona) == ("medecin", "patient")
    assert connect_personas("pharmacien").persona == "pharmacien"


def test_unreachable_sandbox_is_a_french_message_without_traceback(monkeypatch):
    monkeypatch.setenv("SANTELAB_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens
    with pytest.raises(StudentError) as caught:
        connect_personas("medecin")
    assert "Impossible de joindre le bac à sable" in str(caught.value)
    assert "santelab sandbox up" in str(caught.value)
    assert caught.value._render_traceback_() == [f"⚠️  {caught.value}"]
