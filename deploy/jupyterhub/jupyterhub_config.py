"""JupyterHub for a class: a trainer, students, nbgrader's exchange and ONE sandbox.

The sandbox runs once, as a JupyterHub service, on PostgreSQL; every student works in a tenant
of their own (named after their hub user, seeded on first login) with a password only their
server is given; the trainer's server holds the class key that opens every tenant.

Everything is read from the environment (see README.md here):
  SANTELAB_DB              PostgreSQL URL of the class's sandbox (required)
  SANTELAB_HUB_DIR         state folder: hub database, homes, exchange (default: current folder)
  SANTELAB_HUB_STUDENTS    hub users who are students, comma-separated
  SANTELAB_HUB_TRAINERS    hub users who are trainers (hub admins), comma-separated
  SANTELAB_CLASS_KEY       the class key (default: generated once into SANTELAB_HUB_DIR)
  SANTELAB_FACILITATOR_PASSWORD  the drills' facilitator, trainers only (default: generated
                           once into SANTELAB_HUB_DIR)
  SANTELAB_HUB_PORT, SANTELAB_HUB_API_PORT, SANTELAB_HUB_PROXY_API_PORT, SANTELAB_PORT,
  SANTELAB_SMTP_PORT, SANTELAB_IMAP_PORT   loopback ports (defaults 8000, 8081, 8001, 8400,
                                           2525, 1143)
  SANTELAB_HUB_ADMIN_TOKEN an API token for an admin service (scripts, tests), optional
  SANTELAB_HUB_AUTHENTICATOR  "dummy" for a trial on one machine; set a real one for a class
"""

import os
import secrets
import sys
from pathlib import Path

from sandbox.auth import tenant_password

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)

db = os.environ.get("SANTELAB_DB", "")
if not db.startswith("postgresql"):
    sys.exit("santelab : le hub d'une classe a besoin d'une base PostgreSQL pour son bac à "
             "sable partagé : définissez SANTELAB_DB=postgresql://utilisateur:motdepasse@hôte/base.")

state = Path(os.environ.get("SANTELAB_HUB_DIR", ".")).resolve()
homes, exchange = state / "homes", state / "exchange"
for folder in (homes, exchange):
    folder.mkdir(parents=True, exist_ok=True)
exchange.chmod(0o777)  # nbgrader's exchange: every user writes their own submissions there


def _secret(variable: str, file: str) -> str:
    """The environment's value, else one generated once into the state folder (mode 600)."""
    if os.environ.get(variable):
        return os.environ[variable]
    path = state / file
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _users(name: str) -> set[str]:
    return {u.strip() for u in os.environ.get(name, "").split(",") if u.strip()}


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


key = _secret("SANTELAB_CLASS_KEY", "class_key")
facilitator = _secret("SANTELAB_FACILITATOR_PASSWORD", "facilitator_password")
students, trainers = _users("SANTELAB_HUB_STUDENTS"), _users("SANTELAB_HUB_TRAINERS")
bin_dir = Path(sys.executable).parent
sandbox_port = _port("SANTELAB_PORT", 8400)
sandbox_url = f"http://127.0.0.1:{sandbox_port}"
COURSE = "santelab"

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = _port("SANTELAB_HUB_PORT", 8000)
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = _port("SANTELAB_HUB_API_PORT", 8081)
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_port('SANTELAB_HUB_PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

c.JupyterHub.authenticator_class = os.environ.get("SANTELAB_HUB_AUTHENTICATOR", "dummy")
c.Authenticator.allowed_users = students | trainers
c.Authenticator.admin_users = trainers

c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = c.Spawner.http_timeout = 180  # a class logging in at once is slow
c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]

# The sandbox, once for the whole class.
c.JupyterHub.services = [{
    "name": "santelab",
    "url": sandbox_url,
    "command": [str(bin_dir / "santelab"), "sandbox", "up", "--port", str(sandbox_port),
                "--smtp-port", str(_port("SANTELAB_SMTP_PORT", 2525)),
                "--imap-port", str(_port("SANTELAB_IMAP_PORT", 1143))],
    # The sandbox's own settings (SANTELAB_PATIENTS, SANTELAB_SEED…) pass through.
    "environment": {**{k: v for k, v in os.environ.items()
                       if k.startswith("SANTELAB_") and not k.startswith("SANTELAB_HUB_")},
                    "SANTELAB_DB": db, "SANTELAB_CLASS_KEY": key,
                    "SANTELAB_FACILITATOR_PASSWORD": facilitator,
                    # seeded at once in the background: no queue when the class logs in
                    "SANTELAB_CLASS_TENANTS": ",".join(sorted(students)),
                    "SANTELAB_TENANT": min(trainers, default="formateur")},
}]
if os.environ.get("SANTELAB_HUB_ADMIN_TOKEN"):
    c.JupyterHub.services.append({"name": "santelab-admin",
                                  "api_token": os.environ["SANTELAB_HUB_ADMIN_TOKEN"]})
    c.JupyterHub.load_roles = [{
        "name": "santelab-admin", "services": ["santelab-admin"],
        "scopes": ["admin:users", "admin:servers", "list:users", "read:users",
                   "access:servers"]}]


def _environment(spawner) -> dict[str, str]:
    """What a user's server is told: where the sandbox is, their tenant and its password."""
    name = spawner.user.name
    env = {"SANTELAB_URL": sandbox_url, "SANTELAB_TENANT": name,
           "SANTELAB_PASSWORD": tenant_password(key, name)}
    if name in trainers:
        env["SANTELAB_CLASS_KEY"] = key  # the trainer opens every student's tenant
        env["SANTELAB_FACILITATOR_PASSWORD"] = facilitator  # and runs the drills
    return env


def _nbgrader_config(spawner) -> None:
    """Write the user's nbgrader configuration: the course, the exchange, who they are."""
    name = spawner.user.name
    home = homes / name
    config = home / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    lines = [f"c.CourseDirectory.course_id = {COURSE!r}", f"c.Exchange.root = {str(exchange)!r}"]
    if name in trainers:
        (home / "course" / "source").mkdir(parents=True, exist_ok=True)  # their notebooks
        lines += [f"c.CourseDirectory.root = {str(home / 'course')!r}",
                  "c.CollectApp.check_owner = False"]  # one OS user on a single machine
    else:
        lines.append(f"c.CourseDirectory.student_id = {name!r}")
    (config / "nbgrader_config.py").write_text("c = get_config()\n" + "\n".join(lines) + "\n")
    spawner.environment.update(_environment(spawner))


c.Spawner.pre_spawn_hook = _nbgrader_config
