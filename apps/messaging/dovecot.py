"""A throwaway Dovecot IMAP server on a loopback port: what the tests and the sync benchmark read mail from.

Debian's `dovecot-imapd` with a generated configuration (no system config is read), one passwd-file user and a
Maildir under a temporary directory. `deliver()` drops messages straight into the Maildir (as a mail delivery
agent would), so filling it with 10,000 messages takes seconds; everything else goes through IMAP.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
last_valid_uid = 0
mail_privileged_group =
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
{root_settings}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
    mode = 0660
  }}
  unix_listener stats-writer {{
    user = {user}
    mode = 0660
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    """A running server: connect to 127.0.0.1:`port` as `username`/`password`."""

    root: Path
    port: int
    username: str
    password: str
    uid: int
    gid: int
    process: subprocess.Popen | None = None
    _counter: int = field(default=0)

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.username

    def deliver(self, raw: bytes, *, folder: str = "", seen: bool = False) -> None:
        """Put one message into the mailbox (INBOX, or a Maildir++ folder), as new mail or already read."""
        base = self.maildir / f".{folder}" if folder else self.maildir
        self._counter += 1
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.{self._counter}.local"
        tmp = base / "tmp" / name
        tmp.write_bytes(raw)
        target = base / "cur" / f"{name}:2,S" if seen else base / "new" / name
        os.chown(tmp, self.uid, self.gid)
        os.replace(tmp, target)

    def reset_mailbox(self) -> None:
        """Forget the mailbox entirely: Dovecot starts a new one with a new UIDVALIDITY. Dovecot takes UIDVALIDITY
        from the clock in whole seconds, so wait for the next second: a mailbox rebuilt within the second that made
        the old one would get the same UIDVALIDITY (a real server's rebuild is never that quick)."""
        time.sleep(1.01 - time.time() % 1)
        shutil.rmtree(self.maildir, ignore_errors=True)
        self._make_maildir()

    def _make_maildir(self) -> None:
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        for path in (self.root / "mail", self.maildir, *(self.maildir / s for s in ("cur", "new", "tmp"))):
            os.chown(path, self.uid, self.gid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def start(*, username: str = "inbox@insureops.test", password: str = "secret-pass") -> Dovecot:  # noqa: S107 (a throwaway test login)
    """Start Dovecot in the foreground on a free loopback port and wait until it greets."""
    root = Path(tempfile.mkdtemp(prefix="insureops-dovecot-"))
    os.chmod(root, 0o755)  # noqa: S103 (dovecot's unprivileged processes must traverse it; nothing secret inside)
    if os.geteuid() == 0:
        account = pwd.getpwnam("dovecot")  # the package's unprivileged user owns the mail
        user, group, uid, gid = "dovecot", "dovecot", account.pw_uid, account.pw_gid
        root_settings = ""
    else:
        account = pwd.getpwuid(os.getuid())
        user, group, uid, gid = account.pw_name, str(os.getgid()), account.pw_uid, os.getgid()
        root_settings = f"default_login_user = {user}\n"
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    (root / "passwd").write_text(f"{username}:{{PLAIN}}{password}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(root=root, port=port, uid=uid, gid=gid, user=user, group=group, root_settings=root_settings)
    )
    server = Dovecot(root=root, port=port, username=username, password=password, uid=uid, gid=gid)
    server._make_maildir()
    os.chown(root / "home", uid, gid)
    server.process = subprocess.Popen(  # noqa: S603 (our own binary and generated config)
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            error = server.process.stderr.read().decode(errors="replace") if server.process.stderr else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"dovecot exited: {error} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("dovecot did not start within 20 s")
