"""A small nameko service over the sample `Dossiers` app, wearing the service shell."""

from __future__ import annotations

import time
from typing import Any

import eventlet
from marshmallow import Schema, fields, validate
from nameko.rpc import rpc

from shared.audit import CommandContext
from shared.deadline import CONTEXT_KEY, parse
from shared.policy import Allow, Policy
from shared.shell import ApplicationProvider, Metrics, _current_call, entrypoint
from tests.platform.sample import Dossier, Dossiers


class ShellDossiers(Dossiers):
    """Its own schema: other platform tests reconfigure the plain `dossiers` store."""

    name = "shell_dossiers"


class RegisterDossier(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))


class DossierRef(Schema):
    dossier_id = fields.UUID(required=True)


class DossierService:
    name = "shell_dossiers"
    app = ApplicationProvider(ShellDossiers)
    metrics = Metrics()
    policy = Policy(Allow(("caseworker",), "show_name", personal="the dossier's caseworker"))

    @rpc
    @entrypoint(roles=("caseworker", "supervisor"), schema=RegisterDossier,
                command="register_dossier")
    def register(self, ctx: CommandContext, data: dict[str, Any]) -> dict[str, Any]:
        dossier = Dossier(full_name=data["full_name"], birth_year=data["birth_year"])
        self.app.save(dossier, ctx=ctx)
        return {"dossier_id": str(dossier.id)}

    @rpc
    @entrypoint(roles=("caseworker", "auditor"), schema=DossierRef)
    def show(self, ctx: CommandContext, data: dict[str, Any]) -> dict[str, Any]:
        dossier = self.app.repository.get(data["dossier_id"])
        return {"birth_year": dossier.birth_year, "notes": len(dossier.notes)}

    @rpc
    @entrypoint(schema=DossierRef)
    def show_name(self, ctx: CommandContext, data: dict[str, Any]) -> dict[str, Any]:
        """Answers with personal data: the policy below says so."""
        return {"full_name": self.app.repository.get(data["dossier_id"]).full_name}

    @rpc
    @entrypoint(roles=("caseworker",), schema=DossierRef)
    def add_note_racing(self, ctx: CommandContext, data: dict[str, Any]) -> None:
        """Two workers load the same version and both save: the second one loses."""
        first = self.app.repository.get(data["dossier_id"])
        second = self.app.repository.get(data["dossier_id"])
        first.add_note("first")
        second.add_note("second")
        self.app.save(first, ctx=ctx)
        self.app.save(second, ctx=ctx)

    @rpc
    @entrypoint(roles=("caseworker", "supervisor"), schema=RegisterDossier,
                command="register_dossier")
    def register_slowly(self, ctx: CommandContext, data: dict[str, Any]) -> dict[str, Any]:
        """Decides, and is about to save when its caller's deadline passes (the database
        slow, the worker starved): the moment after which nothing may be stored."""
        dossier = Dossier(full_name=data["full_name"], birth_year=data["birth_year"])
        deadline = parse(_current_call.get().context_data.get(CONTEXT_KEY))  # type: ignore[union-attr]
        while deadline is not None and time.time() <= deadline:
            eventlet.sleep(0.01)
        self.app.save(dossier, ctx=ctx)
        return {"dossier_id": str(dossier.id)}

    @rpc
    @entrypoint(roles=("caseworker",))
    def crash(self, ctx: CommandContext, data: dict[str, Any]) -> None:
        raise RuntimeError("Ana Popescu, born 1999, lives at the old mill")

    @rpc
    @entrypoint(roles=("caseworker",))
    def register_while_the_database_stalls(self, ctx: CommandContext,
                                           data: dict[str, Any]) -> None:
        """The database gives up on the statement (its timeout), as when it restarts or is
        out of connections: a psycopg OperationalError, nothing stored."""
        with self.app.recorder.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
            curs.execute("SET LOCAL statement_timeout = 1")
            curs.execute("SELECT pg_sleep(1)")

