"""`santelab sandbox up|reset`: run the mock national services, or reseed a tenant."""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from sandbox.ports import check_free
from synthetic_data.errors import SantelabError

if TYPE_CHECKING:
    from sandbox.messaging import MailServers


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="services nationaux simulés (INSi, DMP, Annuaire, MSSanté…)",
        description="Lance ou réinitialise le bac à sable des services nationaux simulés.")
    commands = parser.add_subparsers(dest="sandbox_command", metavar="ACTION",
                                     parser_class=type(parser))
    commands.required = True

    up = commands.add_parser("up", help="lancer les services (HTTP, SMTP, IMAP)",
                             description="Lance le bac à sable ; peuple le tenant s'il est vide.")
    _common(up)
    up.add_argument("--host", help="adresse d'écoute (défaut : 127.0.0.1)")
    up.add_argument("--port", type=int, help="port HTTP (défaut : 8400)")
    up.add_argument("--smtp-port", type=int, help="port SMTP MSSanté (défaut : 2525)")
    up.add_argument("--imap-port", type=int, help="port IMAP MSSanté (défaut : 1143)")
    up.set_defaults(handler=run_up)

    reset = commands.add_parser("reset", help="vider et repeupler un tenant",
                                description="Supprime les données du tenant puis le repeuple.")
    _common(reset)
    reset.set_defaults(handler=run_reset)

    upgrade = commands.add_parser(
        "upgrade", help="mettre la base au schéma de cette version (données conservées)",
        description="Applique les migrations du schéma à la base, sans rien effacer "
                    "(« up » le fait aussi à chaque démarrage).")
    upgrade.add_argument("--db", metavar="URL",
                         help="base : postgresql://… ou sqlite:///chemin (défaut : fichier SQLite)")
    upgrade.add_argument("--data-dir", type=Path, metavar="DOSSIER",
                         help="dossier des données locales (défaut : ~/.local/share/santelab)")
    upgrade.set_defaults(handler=run_upgrade)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL",
                        help="base : postgresql://… ou sqlite:///chemin (défaut : fichier SQLite)")
    parser.add_argument("--tenant", help="bac à sable : classe, établissement (défaut : demo)")
    parser.add_argument("--seed", type=int, help="graine de la population (défaut : 42)")
    parser.add_argument("--patients", type=int, metavar="N",
                        help="taille de la population (défaut : 200)")
    parser.add_argument("--data-dir", type=Path, metavar="DOSSIER",
                        help="dossier des données locales (défaut : ~/.local/share/santelab)")


def settings_from(args: argparse.Namespace):
    from sandbox.settings import Settings

    names = ("db", "tenant", "seed", "patients", "data_dir", "host", "port", "smtp_port",
             "imap_port")
    overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if overrides.get("patients", 1) <= 0:
        raise SantelabError(f"--patients doit être un entier positif (reçu : {args.patients}).")
    if "tenant" in overrides and not overrides["tenant"].strip():
        raise SantelabError("--tenant ne peut pas être vide.")
    return Settings(**overrides)


def _open(settings):
    from sandbox.template_cache import open_seeded

    try:
        return open_seeded(settings, progress=lambda line: print(line, flush=True))
    except OperationalError as exc:
        raise SantelabError(
            f"base de données injoignable ({settings.db_url.split('@')[-1]}) : vérifiez "
            f"l'adresse, l'utilisateur et le mot de passe ({exc.orig})") from exc


def _messaging(sandbox) -> MailServers:
    """Start the MSSanté mail servers (SMTP and IMAP) at the settings' addresses."""
    from sandbox import messaging

    try:
        return messaging.start(sandbox)  # refuses taken ports in French (ports.check_free)
    except OSError as exc:
        raise SantelabError(f"démarrage de la messagerie MSSanté impossible ({exc}) : "
                            "choisissez d'autres ports avec --smtp-port / --imap-port.") from exc


def since_process_start() -> float | None:
    """Seconds since this process started (Linux /proc), imports included."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def banner(settings, personas, *, seconds: float, seeded: bool, mail: MailServers) -> str:
    from sandbox.deployment import is_local

    base = f"http://{settings.host}:{settings.port}"
    total = since_process_start()
    ready = f"prêt en {seconds:.1f} s" + (
        f" ({total:.1f} s depuis le lancement de la commande)" if total else "")
    lines = [
        "santelab — bac à sable des services nationaux simulés (données 100 % synthétiques)",
        f"  {ready} ; tenant « {settings.tenant} » "
        f"({'peuplé à l’instant' if seeded else 'déjà peuplé'} : {settings.patients} patients, "
        f"graine {settings.seed})",
        f"  base       : {settings.db_url.split('@')[-1]}",
        f"  API        : {base}   documentation : {base}/docs",
        f"  INSi       : {base}/insi/recuperation/traits",
        f"  Annuaire   : {base}/annuaire/fhir/Practitioner",
    ]
    lines.append(f"  MSSanté    : SMTP {mail.host}:{mail.smtp_port}, IMAP "
                 f"{mail.host}:{mail.imap_port} (STARTTLS, AC : {mail.ca_file})")
    if settings.class_key:  # a class: no password is public, none is printed
        lines.append("  Personas (un mot de passe par tenant, dérivé de la clé de classe "
                     "SANTELAB_CLASS_KEY ; l'animateur : SANTELAB_FACILITATOR_PASSWORD) :")
    elif is_local(settings):
        lines.append(f"  Personas (mot de passe commun « {settings.persona_password} » ; "
                     f"animateur : « {settings.facilitator_password} », propre à ce bac à "
                     "sable) :")
    else:
        lines.append("  Personas (mots de passe de SANTELAB_PERSONA_PASSWORD et, pour "
                     "l'animateur, SANTELAB_FACILITATOR_PASSWORD) :")
    for p in personas:
        lines.append(f"    {p.login:<13} {p.display_name}")
    lines.append("  Aussi : chaque professionnel par son RPPS, chaque patient par son identifiant.")
    lines.append("  Client Python : export SANTELAB_URL=" + base
                 + " puis sandbox.client.connect(\"medecin\").  Arrêt : Ctrl+C.")
    return "\n".join(lines)


def run_up(args: argparse.Namespace) -> int:
    import uvicorn

    from sandbox.app import create_app
    from sandbox.classroom import prepare_class
    from sandbox.deployment import require_for_start
    from sandbox.personas import default_personas_of

    started = time.perf_counter()
    settings = settings_from(args)
    require_for_start(settings)
    check_free(settings.host, settings.port, "--port")
    sandbox, seeded = _open(settings)
    app = create_app(sandbox)
    mail = _messaging(sandbox)
    personas = default_personas_of(sandbox, settings.tenant)
    prepare_class(sandbox)  # a class: its students' tenants seeded in the background

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            print(banner(sandbox.settings, personas, seconds=time.perf_counter() - started,
                         seeded=seeded, mail=mail), flush=True)

    server = Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                   log_level="warning", access_log=False))
    _settle_heap()
    try:
        server.run()
    finally:
        mail.stop()
        sandbox.store.dispose()
    return 0


def _settle_heap() -> None:
    """Move what start-up built (modules, FHIR models, seeding) out of the collector's sight.

    A long-running server otherwise rescans those objects at every full collection, a pause
    that lands on whichever request triggered it: part of the p99 under load.
    """
    gc.collect()
    gc.freeze()


def run_upgrade(args: argparse.Namespace) -> int:
    from sandbox.store import Store
    from sandbox.store.migrate import head

    settings = settings_from(args)
    store = Store(settings.db_url)
    try:
        before = store.migrate()
    except OperationalError as exc:
        raise SantelabError(f"base de données injoignable : {exc.orig}") from exc
    finally:
        store.dispose()
    where = settings.db_url.split("@")[-1]
    if before == head():
        print(f"Base {where} déjà à jour (révision {before}).")
    else:
        print(f"Base {where} mise à jour : révision {before or 'aucune (0.1 ou neuve)'} → "
              f"{head()}.")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from sandbox.deployment import require_for_start
    from sandbox.runtime import Sandbox
    from sandbox.seeding import reset_tenant

    settings = settings_from(args)
    require_for_start(settings)
    started = time.perf_counter()
    try:
        sandbox = Sandbox.open(settings)
        reset_tenant(sandbox, settings.tenant)
    except OperationalError as exc:
        raise SantelabError(f"base de données injoignable : {exc.orig}") from exc
    sandbox.store.dispose()
    print(f"Tenant « {settings.tenant} » réinitialisé et repeuplé ({settings.patients} "
          f"patients, graine {settings.seed}) en {time.perf_counter() - started:.1f} s.")
    return 0
