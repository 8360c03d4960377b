"""Black-box tests of the `accord` command line: the real entry point, run in subprocesses.

One data dir (and, with ACCORD_TEST_DATABASE_URL, one fresh PostgreSQL database of this
module's own) is initialised once per module and shared by the tests, each of which uses its own
names.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

import accord
from accord.core.clock import SystemClock
from accord.core.context import Runtime
from accord.core.settings import Settings
from accord.db.engine import make_engine

SOURCE_ROOT = Path(accord.__file__).resolve().parent.parent  # importable from any cwd
ADMIN = "cliadmin"
PASSWORD = "cli-admin-password-1"


class Cli:
    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir, self.database_url = data_dir, database_url
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(SOURCE_ROOT), os.environ.get("PYTHONPATH")) if p
            ),
            "ACCORD_DATA_DIR": str(data_dir),
            "ACCORD_DATABASE_URL": database_url,
            "ACCORD_LOG_LEVEL": "WARNING",
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
        }

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "accord.cli.main", *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=self.env,
            cwd=self.data_dir,
            text=True,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        res = self.run(*args)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
        return res

    def runtime(self) -> Runtime:
        settings = Settings(data_dir=self.data_dir, database_url=self.database_url)
        return Runtime(
            settings=settings, engine=make_engine(self.database_url), clock=SystemClock()
        )


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('cli-db') / 'accord.db'}"
        return
    import psycopg

    url = make_url(server)
    name = f"accord_cli_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Cli:
    c = Cli(tmp_path_factory.mktemp("cli-data"), database_url)
    res = c.ok("init", "--admin-login", ADMIN, "--admin-password", PASSWORD)
    assert "created" in res.stderr, res.stderr
    return c


@pytest.fixture(scope="module")
def runtime_of_cli(cli: Cli) -> Iterator[Runtime]:
    rt = cli.runtime()
    yield rt
    rt.engine.dispose()


def _api(runtime: Runtime, token: str) -> TestClient:
    from accord.api.app import create_app

    c = TestClient(create_app(runtime), raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _token(cli: Cli, user: str, name: str = "tests") -> str:
    res = cli.ok("token", "create", "--user", user, "--name", name)
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and res.stdout.endswith("\n"), res.stdout
    assert lines[0].startswith("acc_") and lines[0] == lines[0].strip(), res.stdout
    return lines[0]


def _no_traceback(res: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in res.stderr + res.stdout, res.stderr


# --- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ("init", "serve", "worker", "demo", "migrate", "user", "token", "config")),
        (("user",), ("create",)),
        (("token",), ("create",)),
        (("config",), ("export", "import")),
    ],
)
def test_help_lists_the_commands(
    tmp_path: Path, args: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    res = Cli(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}").ok(*args, "--help")
    words = set(res.stdout.replace("│", " ").split())
    assert set(expected) <= words, res.stdout


# --- init --------------------------------------------------------------------------------------


def test_init_twice_keeps_the_admin_and_its_password(cli: Cli, runtime_of_cli: Runtime) -> None:
    from accord.auth.service import authenticate_password
    from accord.core.errors import Unauthenticated

    res = cli.ok("init", "--admin-login", ADMIN, "--admin-password", "another-password-2")
    assert "already exists" in res.stderr, res.stderr
    with runtime_of_cli.engine.connect() as conn:
        actor = authenticate_password(conn, ADMIN, PASSWORD)
        assert actor.is_admin
        with pytest.raises(Unauthenticated):
            authenticate_password(conn, ADMIN, "another-password-2")


# --- tokens and users --------------------------------------------------------------------------


def test_token_create_prints_only_a_working_token(cli: Cli, runtime_of_cli: Runtime) -> None:
    token = _token(cli, ADMIN)
    with _api(runtime_of_cli, token) as api:
        r = api.get("/api/v1/objects")
        assert r.status_code == 200, r.text
        assert "customer" in {o["name"] for o in r.json()["data"]}
    with _api(runtime_of_cli, token + "x") as api:
        assert api.get("/api/v1/objects").status_code == 401


def test_user_create_then_token_for_that_user(cli: Cli, runtime_of_cli: Runtime) -> None:
    login = f"bob{uuid.uuid4().hex[:6]}"
    res = cli.ok("user", "create", login, "--password", "bob-password-123")
    assert login in res.stderr
    token = _token(cli, login, "x")
    with _api(runtime_of_cli, token) as api:
        r = api.post("/api/v1/records/customer", json={"name": f"Bob's customer {login}"})
        assert r.status_code in (201, 403), r.text  # authenticated: not a 401


def test_token_for_unknown_user_fails_clearly(cli: Cli) -> None:
    res = cli.run("token", "create", "--user", "nobody-here", "--name", "x")
    assert res.returncode != 0
    assert res.stdout == ""
    assert "nobody-here" in res.stderr and "USER_NOT_FOUND" in res.stderr, res.stderr
    _no_traceback(res)


def test_duplicate_user_fails_clearly(cli: Cli) -> None:
    login = f"dup{uuid.uuid4().hex[:6]}"
    cli.ok("user", "create", login, "--password", "dup-password-123")
    res = cli.run("user", "create", login, "--password", "dup-password-123")
    assert res.returncode != 0, res.stderr
    assert "error" in res.stderr.lower(), res.stderr
    assert "created" not in res.stderr, res.stderr
    _no_traceback(res)


# --- config export / import --------------------------------------------------------------------


def test_config_export_then_dry_run_import_plans_nothing(cli: Cli) -> None:
    path = cli.data_dir / "export.yaml"
    cli.ok("config", "export", "-o", str(path))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "customer" in {o["name"] for o in data["objects"]}
    res = cli.ok("config", "import", str(path), "--dry-run")
    assert "0 change(s) planned" in res.stderr, (res.stdout, res.stderr)


def test_config_import_of_a_new_object_applies_once(cli: Cli, runtime_of_cli: Runtime) -> None:
    name = f"cli_{uuid.uuid4().hex[:8]}"
    path = cli.data_dir / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "objects": [
                    {
                        "name": name,
                        "label": {"en": "Cli thing", "zh": "命令行对象"},
                        "fields": [
                            {"name": "name", "type": "text", "label": "Name", "required": True},
                            {"name": "score", "type": "integer", "label": "Score"},
                        ],
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    dry = cli.ok("config", "import", str(path), "--dry-run")
    assert "0 change(s)" not in dry.stderr, dry.stderr
    res = cli.ok("config", "import", str(path))
    assert "change(s) applied" in res.stderr and "0 change(s)" not in res.stderr, res.stderr
    again = cli.ok("config", "import", str(path))
    assert "0 change(s) applied" in again.stderr, again.stderr
    with _api(runtime_of_cli, _token(cli, ADMIN)) as api:
        r = api.post(f"/api/v1/records/{name}", json={"name": "one", "score": 3})
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("text", ["objects: [unclosed\n", "\tobjects: 1\n"])
def test_config_import_of_malformed_yaml_fails_clearly(cli: Cli, text: str) -> None:
    path = cli.data_dir / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    res = cli.run("config", "import", str(path))
    assert res.returncode != 0
    assert "error" in res.stderr.lower() and str(path) in res.stderr, res.stderr
    _no_traceback(res)


@pytest.mark.parametrize(
    "text",
    [
        "just a string\n",
        "objects:\n  - 5\n",
        "objects:\n  - name: x\n    fields: 5\n",
        "objects:\n  - name: [a]\n    fields: []\n",
    ],
)
def test_config_import_of_a_wrong_shape_fails_clearly(cli: Cli, text: str) -> None:
    path = cli.data_dir / "shape.yaml"
    path.write_text(text, encoding="utf-8")
    res = cli.run("config", "import", str(path))
    assert res.returncode != 0
    assert "error" in res.stderr.lower(), res.stderr
    _no_traceback(res)


def test_config_import_of_a_missing_file_fails_clearly(cli: Cli) -> None:
    res = cli.run("config", "import", str(cli.data_dir / "no-such-file.yaml"))
    assert res.returncode != 0
    _no_traceback(res)


# --- migrate -----------------------------------------------------------------------------------


def test_migrate_dry_run_on_an_up_to_date_database_plans_nothing(cli: Cli) -> None:
    res = cli.ok("migrate", "--dry-run")
    assert "0 object change(s) planned" in res.stderr, res.stderr
    assert "apply revision" not in res.stdout, res.stdout


# --- serve -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("worker_flag", ["--no-worker", "--worker"])
def test_serve_answers_healthz_and_stops_on_sigterm(cli: Cli, worker_flag: str) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        cli.argv("serve", "--host", "127.0.0.1", "--port", str(port), worker_flag),
        env=cli.env,
        cwd=cli.data_dir,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, last = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            try:
                last = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError as exc:
                last = exc
            if last == (200, "ok"):
                break
            time.sleep(0.2)
        assert last == (200, "ok"), last
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/objects")
        assert status == 401, body
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail("accord serve did not exit within 20 s of SIGTERM")
    assert proc.returncode in (0, -signal.SIGTERM), (proc.returncode, err)
    assert "Traceback" not in err, err


# --- tokens, passwords and the audit log (issue 3) ---------------------------------------------


def test_token_list_shows_no_secret_and_revoke_stops_the_token(
    cli: Cli, runtime_of_cli: Runtime
) -> None:
    import json

    login = f"tl{uuid.uuid4().hex[:6]}"
    cli.ok("user", "create", login, "--password", "Token-list-pass-1")
    res = cli.ok("token", "create", "--user", login, "--name", "laptop", "--expires-in-days", "7")
    token = res.stdout.strip()
    assert res.stdout == token + "\n" and token.startswith("acc_")
    table = cli.ok("token", "list", "--user", login).stdout
    assert "laptop" in table and token[:10] in table and token[10:] not in table
    [row] = [
        json.loads(line)
        for line in cli.ok("token", "list", "--user", login, "--json").stdout.splitlines()
    ]
    assert row["name"] == "laptop" and row["expires_at"] and row["revoked_at"] is None
    assert "token_hash" not in row and token not in json.dumps(row)
    with _api(runtime_of_cli, token) as api:
        assert api.get("/api/v1/tokens").status_code == 200
    res = cli.ok("token", "revoke", row["id"])
    assert "revoked" in res.stderr
    runtime_of_cli.caches.pop("api_tokens", None)  # as 5 s later (ADR 0008)
    with _api(runtime_of_cli, token) as api:
        assert api.get("/api/v1/tokens").status_code == 401
    res = cli.run("token", "revoke", "not-an-id")
    assert res.returncode == 2 and "TOKEN_NOT_FOUND" in res.stderr
    _no_traceback(res)


def test_audit_search_prints_a_table_or_json_lines(cli: Cli) -> None:
    import json

    login = f"au{uuid.uuid4().hex[:6]}"
    cli.ok("user", "set-password", ADMIN, "--password", "New-admin-pass-2")
    res = cli.ok("audit", "search", "--action", "user.password_*", "--json")
    entries = [json.loads(line) for line in res.stdout.splitlines()]
    assert entries and entries[0]["action"] == "user.password_reset"
    assert entries[0]["actor_login"] == "system" and entries[0]["at"].endswith("Z")
    res = cli.ok("audit", "search", "--actor", "system", "--action", "user.password_reset",
                 "--limit", "1")  # fmt: skip
    assert "user.password_reset" in res.stdout and "system" in res.stdout
    res = cli.run("audit", "search", "--since", "yesterday", "--actor", login)
    assert res.returncode == 2 and "INVALID_AUDIT_FILTER" in res.stderr
    _no_traceback(res)


def test_user_set_password_applies_the_policy_and_unlock_reports(
    cli: Cli, runtime_of_cli: Runtime
) -> None:
    from accord.auth.service import authenticate_password

    login = f"pw{uuid.uuid4().hex[:6]}"
    cli.ok("user", "create", login, "--password", "First-pass-word-1")
    res = cli.run("user", "set-password", login, "--password", "short")
    assert res.returncode == 2 and "WEAK_PASSWORD" in res.stderr and "TOO_SHORT" in res.stderr
    cli.ok("user", "set-password", login, "--password", "Second-pass-word-2")
    with runtime_of_cli.engine.connect() as conn:
        assert authenticate_password(conn, login, "Second-pass-word-2").login == login
    assert "was not locked" in cli.ok("user", "unlock", login).stderr
    res = cli.run("user", "reset-2fa", login)
    assert res.returncode == 2 and "TOTP_NOT_ENABLED" in res.stderr
    _no_traceback(res)
