"""PostgreSQL 15: a cluster of our own in the state directory, with pg_partman and the schema.

When invoked as root the server runs as the `postgres` OS user (PostgreSQL refuses root). The
superuser `postgres` connects only over the Unix socket in the state directory; the application
role (`FASTTRADING_PG_USER`) connects over TCP with a password and owns the database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from connectors.postgres.errors import PostgresError
from connectors.postgres.migrations import apply_migrations
from connectors.postgres.pool import connect
from connectors.settings import PostgresSettings, StackSettings
from infra.stack import process
from infra.stack.errors import StackError
from infra.stack.health import Health

NAME = "postgres"
PG_BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
SERVER_USER = "postgres"


def _home(stack: StackSettings) -> Path:
    return (stack.state_dir / NAME).resolve()


def _data_dir(stack: StackSettings) -> Path:
    return _home(stack) / "data"


def _socket_dir(stack: StackSettings) -> Path:
    return _home(stack) / "run"


def log_path(stack: StackSettings) -> Path:
    return _home(stack) / "server.log"


def _binary(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise StackError(
            f"PostgreSQL 15 ({name}) is not installed: apt-get install postgresql-15 postgresql-15-partman, "
            "or point FASTTRADING_PG_HOST/FASTTRADING_PG_PORT at a running server"
        )
    return found


def _as_server_user() -> dict:
    """subprocess arguments that drop root to the `postgres` user; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise StackError("running as root needs a `postgres` OS user: apt-get install postgresql-15") from None
    return {"user": account.pw_uid, "group": account.pw_gid, "env": {**os.environ, "HOME": account.pw_dir}}


def _run_as_server(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, cwd="/", **_as_server_user())


def _server_pid(stack: StackSettings) -> int | None:
    try:
        pid = int((_data_dir(stack) / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError, PermissionError):
        return None
    return pid if process.is_alive(pid) else None


def health(settings: PostgresSettings, stack: StackSettings) -> Health:
    address = f"{settings.host}:{settings.port}"
    pid = _server_pid(stack)
    try:
        with connect(settings, timeout_s=2) as conn:
            version = conn.execute("SELECT current_setting('server_version')").fetchone()[0]
    except PostgresError as exc:
        return Health(NAME, False, address, pid=pid, detail=str(exc).split(": ", 1)[-1][:80])
    return Health(NAME, True, address, version.split()[0], pid)


def start(settings: PostgresSettings, stack: StackSettings) -> Health:
    """Reuse a server that answers as the app role, else init/start ours; then apply migrations."""
    current = health(settings, stack)
    if not current.up:
        if current.pid is None:
            _launch(settings, stack)
        _bootstrap(settings, stack)
        current = health(settings, stack)
        if not current.up:
            raise StackError(f"PostgreSQL started but refuses the app role: {current.detail}")
    with connect(settings) as conn:
        apply_migrations(conn)
    return current


def _launch(settings: PostgresSettings, stack: StackSettings) -> None:
    home = _home(stack)
    for directory in (home, _socket_dir(stack)):
        directory.mkdir(parents=True, exist_ok=True)
    drop = _as_server_user()
    if drop:
        # The server user must reach its directories: chown ours, and let it traverse the parents.
        for path in (home, _socket_dir(stack), *([_data_dir(stack)] if _data_dir(stack).exists() else [])):
            os.chown(path, drop["user"], drop["group"])
        for parent in home.parents:
            if parent.stat().st_mode & 0o001 == 0:
                os.chmod(parent, parent.stat().st_mode | 0o001)
    if not (_data_dir(stack) / "PG_VERSION").exists():
        result = _run_as_server([
            _binary("initdb"), "-D", str(_data_dir(stack)), "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
        ])
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stderr[-2000:]}")
    options = " ".join([
        f"-p {settings.port}",
        f"-c listen_addresses={settings.host}",
        f"-c unix_socket_directories={_socket_dir(stack)}",
        "-c shared_preload_libraries=pg_partman_bgw",
        f"-c pg_partman_bgw.dbname={settings.database}",
        f"-c pg_partman_bgw.role={settings.user}",
        "-c pg_partman_bgw.interval=3600",
        "-c shared_buffers=256MB",
    ])
    result = _run_as_server([
        _binary("pg_ctl"), "-D", str(_data_dir(stack)), "-l", str(log_path(stack)),
        "-o", options, "-w", "-t", "60", "start",
    ])
    if result.returncode != 0:
        raise StackError(f"PostgreSQL did not start:\n{result.stdout[-1000:]}{process.tail(log_path(stack))}")


def _superuser_conninfo(settings: PostgresSettings, stack: StackSettings, database: str) -> str:
    return f"host={_socket_dir(stack)} port={settings.port} user=postgres dbname={database}"


def _bootstrap(settings: PostgresSettings, stack: StackSettings) -> None:
    """Create the app role and database, and pg_partman (which needs a superuser), idempotently."""
    deadline = time.monotonic() + 30
    while True:
        try:
            admin = psycopg.connect(_superuser_conninfo(settings, stack, "postgres"), autocommit=True)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    role, database = sql.Identifier(settings.user), sql.Identifier(settings.database)
    with admin:
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.user,)).fetchone() is None:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        admin.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(settings.password)))
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.database,)).fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
    with psycopg.connect(_superuser_conninfo(settings, stack, settings.database), autocommit=True) as db:
        db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS partman AUTHORIZATION {}").format(role))
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman")
        db.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA partman TO {}").format(role))
        db.execute(sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO {}").format(role))
        db.execute(sql.SQL("GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO {}").format(role))


def stop(settings: PostgresSettings, stack: StackSettings) -> bool:
    if _server_pid(stack) is None:
        return False
    _run_as_server([_binary("pg_ctl"), "-D", str(_data_dir(stack)), "-m", "fast", "-w", "stop"])
    return True
