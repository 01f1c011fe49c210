"""MSSanté-over-HTTP shapes (a message to send, a trap to inject), shared by the router and the client."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

OneLine = Annotated[str, StringConstraints(max_length=998, pattern=r"^[^\r\n]*$")]


HeaderName = Annotated[str, StringConstraints(pattern=r"^X-[A-Za-z0-9-]{1,60}$")]


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^\r\n/\\]+$")
    content_type: str = Field("application/octet-stream",
                              pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$")
    data: str = Field(description="Contenu en base64")


class Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: list[Annotated[str, StringConstraints(max_length=256)]] = Field(min_length=1,
                                                                        max_length=100)
    subject: OneLine = ""
    body: str = Field("", max_length=5_000_000)
    attachments: list[Attachment] = Field([], max_length=20)
    headers: dict[HeaderName, OneLine] = Field({}, description="En-têtes X-MSS-* par exemple")


class TrapRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modele: str
    destinataires: list[str] = Field(min_length=1, max_length=500)

