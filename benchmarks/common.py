"""Shared pieces of the benchmarks: results as JSON lines, options, throwaway databases, the
``bench_contact`` object and its deterministic rows, the raw (physical-limit) insert paths, and
server processes (Accord under uvicorn, the bare Starlette baseline) with their RSS.

Every benchmark compares the product against a baseline measured in the same run on the same
machine and database, and quotes the ratio (absolute numbers are printed for context only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DBS = ("sqlite", "postgresql")
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "bench-admin-password"
CONTACT = "bench_contact"
CONTACT_RAW = "bench_contact_raw"
# The same uvicorn settings for the Accord server and the bare baseline: one worker, no access
# log (uvicorn picks uvloop and httptools when installed, for both).
UVICORN_SETTINGS: dict[str, Any] = {
    "host": "127.0.0.1",
    "workers": 1,
    "log_level": "warning",
    "access_log": False,
}


# --- results --------------------------------------------------------------------------------


@dataclass
class Result:
    """One JSON line. ``goal_op`` says how ``ratio`` is judged against ``goal``: ``>=`` (a share
    of the baseline's throughput) or ``<=`` (a slowdown factor or a share of a budget)."""

    name: str
    value: float | None
    unit: str
    baseline: float | None
    ratio: float | None
    goal: float
    goal_op: str = ">="
    passed: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def judge(self) -> Result:
        if self.ratio is None or (isinstance(self.ratio, float) and math.isnan(self.ratio)):
            self.passed = None
        elif self.goal_op == ">=":
            self.passed = self.ratio >= self.goal
        else:
            self.passed = self.ratio <= self.goal
        return self

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": _round(self.baseline),
            "ratio": _round(self.ratio, 3),
            "goal": self.goal,
            "goal_op": self.goal_op,
            "passed": self.passed,
        }
        out.update(self.extra)
        return out


def _round(v: float | None, digits: int = 2) -> float | None:
    if v is None:
        return None
    return round(float(v), digits)


def measured(
    name: str,
    value: float,
    baseline: float,
    unit: str,
    goal: float,
    goal_op: str = ">=",
    **extra: Any,
) -> Result:
    ratio = value / baseline if baseline else None
    return Result(name, value, unit, baseline, ratio, goal, goal_op, extra=extra).judge()


def failed(
    name: str, unit: str, goal: float, error: str, goal_op: str = ">=", **extra: Any
) -> Result:
    """A benchmark that could not run (missing tool, server error): ``passed`` is null."""
    return Result(name, None, unit, None, None, goal, goal_op, None, {"error": error, **extra})


def emit(result: Result) -> None:
    print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)


def log(msg: str) -> None:
    """Progress goes to stderr so stdout stays pure JSON lines."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- options --------------------------------------------------------------------------------


@dataclass
class Options:
    quick: bool = False
    dbs: tuple[str, ...] = DBS
    rows: int | None = None  # overrides the size (tests use a tiny one)
    seconds: float | None = None  # overrides wrk's duration
    requests: int | None = None  # overrides the number of timed list requests

    @property
    def scale(self) -> float:
        return 0.1 if self.quick else 1.0

    def size(self, full: int) -> int:
        return self.rows if self.rows is not None else max(1, int(full * self.scale))


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="one tenth of the sizes")
    p.add_argument("--db", choices=[*DBS, "both"], default="both")
    p.add_argument("--rows", type=int, default=None, help="override the number of rows")
    p.add_argument("--seconds", type=float, default=None, help="override wrk's duration")
    p.add_argument("--requests", type=int, default=None, help="override timed list requests")


def options_from(ns: argparse.Namespace) -> Options:
    dbs = DBS if ns.db == "both" else (ns.db,)
    return Options(quick=ns.quick, dbs=dbs, rows=ns.rows, seconds=ns.seconds, requests=ns.requests)


def main_for(run: Callable[[Options, Session], list[Result]], description: str) -> None:
    """The ``python -m benchmarks.<name>`` entry point of one benchmark."""
    p = argparse.ArgumentParser(description=description)
    add_common_args(p)
    opts = options_from(p.parse_args())
    with Session(opts) as session:
        for r in run(opts, session):
            emit(r)


# --- timing ---------------------------------------------------------------------------------


class Stopwatch:
    """Accumulates the time spent inside ``with sw:`` blocks (setup outside is not counted)."""

    def __init__(self) -> None:
        self.total = 0.0

    def __enter__(self) -> Stopwatch:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.total += time.perf_counter() - self._t0


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000.0


# --- throwaway databases ----------------------------------------------------------------------


def _pg_plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # any failure means "not available"
        return False


_db_counter = 0


@contextlib.contextmanager
def throwaway_database(kind: str) -> Iterator[tuple[str, Path]]:
    """``(SQLAlchemy URL, data dir)`` of a new empty database, removed afterwards."""
    global _db_counter
    _db_counter += 1
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-bench-{kind}-"))
    try:
        if kind == "sqlite":
            yield f"sqlite:///{tmp / 'accord.db'}", tmp
            return
        import psycopg

        name = f"bench_{os.getpid()}_{_db_counter}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        try:
            yield f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}", tmp
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_runtime(url: str, data_dir: Path) -> Any:
    from accord.core.clock import SystemClock
    from accord.core.context import Runtime
    from accord.core.settings import Settings
    from accord.db.engine import make_engine

    settings = Settings(data_dir=data_dir, database_url=url, log_level="WARNING")
    return Runtime(settings=settings, engine=make_engine(url), clock=SystemClock())


def system_ctx(runtime: Any, conn: Any) -> Any:
    from accord.core.context import Context

    return Context(runtime=runtime, conn=conn)


def install(runtime: Any) -> None:
    from accord.setup import init

    init(runtime, ADMIN_LOGIN, ADMIN_PASSWORD)


def create_token(runtime: Any) -> str:
    from accord.auth.service import create_token as _create
    from accord.db.engine import unit_of_work

    with unit_of_work(runtime.engine) as conn:
        return _create(system_ctx(runtime, conn), ADMIN_LOGIN, "bench")


def create_owners(runtime: Any, n: int) -> list[str]:
    """``n`` users; user ``i > 0`` reports to ``manager_index(i)``, so they form a reporting
    tree (a chief, directors, managers, reps) for the data-scope benchmark."""
    from accord.auth import org
    from accord.db.engine import unit_of_work

    ids: list[str] = []
    with unit_of_work(runtime.engine) as conn:
        ctx = system_ctx(runtime, conn)
        for i in range(n):
            values: dict[str, Any] = {"login": f"owner{i:03d}"}
            if i:
                values["manager_id"] = ids[manager_index(i)]
            ids.append(str(org.create_user(ctx, values)["id"]))
    return ids


def manager_index(i: int) -> int:
    """The reporting tree of the owners: 0 is the chief; 1–7 directors report to 0; 8–63
    managers, eight per director; 64 and up reps, spread over the managers (about eight each
    of 500 users)."""
    if i <= 7:
        return 0
    if i <= 63:
        return 1 + (i - 8) // 8
    return 8 + (i - 64) % 56


def subordinates_of(i: int, n: int) -> set[int]:
    below = {j for j in range(1, n) if manager_index(j) == i}
    return below | {k for j in below for k in subordinates_of(j, n)}


# --- the bench_contact object -----------------------------------------------------------------


def contact_definition(name: str) -> dict[str, Any]:
    """A contact-like custom object with nine fields (plus the system owner_id)."""
    return {
        "name": name,
        "label": {"en": "Bench contact", "zh": "基准联系人"},
        "plural_label": {"en": "Bench contacts", "zh": "基准联系人"},
        "fields": [
            {"name": "name", "type": "text", "required": True, "searchable": True},
            {"name": "email", "type": "email"},
            {"name": "mobile", "type": "phone"},
            {"name": "title", "type": "text"},
            {"name": "company", "type": "text"},
            {"name": "city", "type": "text"},
            {"name": "score", "type": "integer"},
            {"name": "birthday", "type": "date"},
            {"name": "notes", "type": "long_text"},
        ],
    }


def create_contact_objects(runtime: Any, *names: str) -> None:
    from accord.db.engine import unit_of_work
    from accord.meta.service import create_object

    for name in names:
        with unit_of_work(runtime.engine) as conn:
            create_object(system_ctx(runtime, conn), contact_definition(name))


def codec_for(runtime: Any, obj: str) -> Any:
    from accord.db.engine import unit_of_work
    from accord.meta.registry import load
    from accord.records.codec import codec

    with unit_of_work(runtime.engine, readonly=True) as conn:
        return codec(load(system_ctx(runtime, conn)), obj)


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
_TITLES = ["销售经理", "采购总监", "CEO", "工程师", "财务主管", "市场专员", "IT Manager"]
_CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州"]
FIELD_COLUMNS = (
    "name",
    "email",
    "mobile",
    "title",
    "company",
    "city",
    "score",
    "birthday",
    "notes",
)


def contact_values(i: int) -> tuple[Any, ...]:
    """The canonical field values of row ``i`` (what the service stores after coercion)."""
    city = _CITIES[i % len(_CITIES)]
    return (
        f"{_SURNAMES[i % 20]}{_GIVEN[i % 14]} {i:07d}",
        f"user{i}@example{i % 50}.com",
        f"+86138{i % 100_000_000:08d}",
        _TITLES[i % len(_TITLES)],
        f"{city}{_GIVEN[(i // 7) % 14]}科技有限公司",
        city,
        i % 100,
        date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
        f"第{i}号联系人：{city}展会认识，关注产品报价与交付周期。",
    )


def contact_api_row(i: int, owner_id: str | None) -> dict[str, Any]:
    """Row ``i`` as an API client would send it (phone as typed, date as ISO text)."""
    v = contact_values(i)
    mobile = v[2][3:]
    row = {
        "name": v[0],
        "email": v[1],
        "mobile": f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        "title": v[3],
        "company": v[4],
        "city": v[5],
        "score": v[6],
        "birthday": v[7].isoformat(),
        "notes": v[8],
    }
    if owner_id is not None:
        row["owner_id"] = owner_id
    return row


def sqlite_ts(dt: datetime) -> str:
    """How ``UTCDateTime`` stores a timestamp on SQLite (fixed-width text)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RawRows:
    """Rows of ``bench_contact`` already in database form, in the table's column order, for the
    physical-limit insert paths (``executemany`` on SQLite, ``COPY`` on PostgreSQL)."""

    def __init__(self, codec: Any, dialect: str) -> None:
        self.columns = [c.name for c in codec.table.columns]
        self.table = codec.table.name
        self.dialect = dialect
        self._fields = {n: k for k, n in enumerate(FIELD_COLUMNS)}

    def row(
        self, i: int, rid: str, created_at: datetime, owner_id: str | None, actor_id: str
    ) -> tuple[Any, ...]:
        vals = contact_values(i)
        ts: Any = created_at if self.dialect == "postgresql" else sqlite_ts(created_at)
        system = {
            "id": rid,
            "version": 1,
            "created_at": ts,
            "updated_at": ts,
            "created_by": actor_id,
            "updated_by": actor_id,
            "deleted_at": None,
            "deleted_by": None,
            "owner_id": owner_id,
        }
        out = []
        for c in self.columns:
            k = self._fields.get(c)
            if k is None:
                out.append(system[c])
                continue
            v = vals[k]
            if isinstance(v, date) and self.dialect == "sqlite":
                v = v.isoformat()
            out.append(v)
        return tuple(out)


def raw_insert(runtime: Any, raw: RawRows, rows: Sequence[tuple[Any, ...]]) -> None:
    """One transaction inserting ``rows`` the fastest way the driver offers."""
    dbapi = runtime.engine.raw_connection()
    try:
        driver = dbapi.driver_connection
        cols = ", ".join(f'"{c}"' for c in raw.columns)
        if raw.dialect == "sqlite":
            marks = ", ".join("?" for _ in raw.columns)
            cur = driver.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.executemany(f'INSERT INTO "{raw.table}" ({cols}) VALUES ({marks})', rows)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.close()
        else:
            with driver.cursor() as cur, cur.copy(f'COPY "{raw.table}" ({cols}) FROM STDIN') as cp:
                for r in rows:
                    cp.write_row(r)
            driver.commit()
    finally:
        dbapi.close()


def new_ids(n: int) -> list[str]:
    from accord.core.ids import new_id

    return [new_id() for _ in range(n)]


# --- the shared dataset for the server benchmarks ----------------------------------------------

T0 = datetime(2020, 1, 1, tzinfo=UTC)
OWNERS = 500  # a reporting tree (manager_index) for the data-scope benchmark
BIG_OWNER_SHARE = 21  # of 40: owner 0 holds 52.5 % of the rows, so page 10,000 exists at 1M


def owner_index(i: int) -> int:
    """Owner 0 holds 52.5 % of the rows; the other 499 share the rest evenly."""
    k = i % 40
    if k < BIG_OWNER_SHARE:
        return 0
    return 1 + ((i // 40) * (40 - BIG_OWNER_SHARE) + k - BIG_OWNER_SHARE) % (OWNERS - 1)


@dataclass
class Dataset:
    kind: str
    url: str
    data_dir: Path
    runtime: Any
    n: int
    owners: list[str]
    token: str
    table: str
    sample_ids: list[str]

    @property
    def big_owner(self) -> str:
        return self.owners[0]


def build_dataset(kind: str, n: int, stack: contextlib.ExitStack) -> Dataset:
    """``n`` bench_contact rows owned by 500 users (one holds 52.5 %), inserted with the raw path
    (the data only has to exist); created_at spread over ~years in an order unrelated to ids."""
    url, data_dir = stack.enter_context(throwaway_database(kind))
    runtime = make_runtime(url, data_dir)
    stack.callback(runtime.engine.dispose)
    install(runtime)
    create_contact_objects(runtime, CONTACT)
    owners = create_owners(runtime, OWNERS)
    token = create_token(runtime)
    codec = codec_for(runtime, CONTACT)
    raw = RawRows(codec, kind)
    from accord.core.context import SYSTEM_USER_ID

    t0 = time.perf_counter()
    batch = 20_000
    step = 7919  # a prime: i → (i * step) % n is a permutation when n is not a multiple of it
    perm_n = n if n % step else n + 1
    sample: list[str] = []
    for start in range(0, n, batch):
        stop = min(n, start + batch)
        ids = new_ids(stop - start)
        rows = [
            raw.row(
                i,
                rid,
                T0 + timedelta(seconds=30 * ((i * step) % perm_n)),
                owners[owner_index(i)],
                SYSTEM_USER_ID,
            )
            for i, rid in zip(range(start, stop), ids, strict=True)
        ]
        raw_insert(runtime, raw, rows)
        sample += ids[:: max(1, (stop - start) // 100)]
    if kind == "postgresql":
        with runtime.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql(f'VACUUM ANALYZE "{raw.table}"')
    log(f"dataset {kind}: {n} rows in {time.perf_counter() - t0:.1f}s")
    return Dataset(kind, url, data_dir, runtime, n, owners, token, raw.table, sample[:2000])


# --- server processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A uvicorn server in a child process (``python -m benchmarks.<module>``)."""

    def __init__(self, module: str, env: dict[str, str], health: str = "/healthz") -> None:
        self.port = free_port()
        self.module = module
        full_env = {
            **os.environ,
            **env,
            "BENCH_PORT": str(self.port),
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"benchmarks.{module}"],
            cwd=REPO,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait(health)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self, health: str) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.module} exited: {self.output()[-2000:]}")
            try:
                if httpx.get(self.base + health, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.module} did not start: {self.output()[-2000:]}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def memory_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the server process in MB, from /proc."""
        rss = hwm = 0.0
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
        return rss, hwm

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def server_env(ds: Dataset) -> dict[str, str]:
    return {
        "ACCORD_DATABASE_URL": ds.url,
        "ACCORD_DATA_DIR": str(ds.data_dir),
        "ACCORD_LOG_LEVEL": "WARNING",
        "ACCORD_EMBEDDED_WORKER": "false",
        "BENCH_TABLE": ds.table,
    }


# --- wrk ---------------------------------------------------------------------------------------


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class WrkResult:
    requests_per_s: float
    requests: int
    errors: int
    non_2xx: int
    latency: str


def run_wrk(
    url_base: str,
    path_prefix: str,
    ids: Sequence[str],
    seconds: float,
    token: str | None = None,
    threads: int = 2,
    connections: int = 16,
) -> WrkResult:
    """wrk for ``seconds`` over GET ``path_prefix + id``, rotating over ``ids``."""
    wrk = wrk_path()
    if wrk is None:
        raise FileNotFoundError("wrk")
    lines = [
        "local ids = {" + ",".join(json.dumps(i) for i in ids) + "}",
        "local n = #ids",
        "local i = 0",
    ]
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    lines += [
        "init = function(args) i = math.random(n) end",
        "request = function()",
        "  i = (i % n) + 1",
        f'  return wrk.format("GET", "{path_prefix}" .. ids[i])',
        "end",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        script = f.name
    try:
        out = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                script,
                url_base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    rps = requests = errors = non2xx = 0
    latency = ""
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Requests/sec:"):
            rps = float(s.split()[1])
        elif "requests in" in s:
            requests = int(s.split()[0])
        elif s.startswith("Non-2xx or 3xx responses:"):
            non2xx = int(s.split(":")[1])
        elif s.startswith("Socket errors:"):
            errors = sum(int(p.split()[-1]) for p in s.split(":", 1)[1].split(","))
        elif s.startswith("Latency"):
            latency = " ".join(s.split()[1:3])
    return WrkResult(rps, requests, errors, non2xx, latency)


# --- the session: shared datasets and servers, cleaned up at the end -------------------------


class Session:
    """Holds what several benchmarks share in one run (the big dataset, the servers)."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.stack = contextlib.ExitStack()
        self._datasets: dict[str, Dataset] = {}
        self._servers: dict[tuple[str, str], Server] = {}
        self.exercised: set[tuple[str, str]] = set()  # (benchmark, db) already run on a server

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for s in self._servers.values():
            s.stop()
        self._servers.clear()
        self.stack.close()

    def dataset(self, kind: str) -> Dataset:
        ds = self._datasets.get(kind)
        if ds is None:
            n = self.opts.size(1_000_000)
            log(f"building the {kind} dataset of {n} rows")
            ds = self._datasets[kind] = build_dataset(kind, n, self.stack)
        return ds

    def server(self, kind: str, which: str = "accord") -> Server:
        """The Accord server (``serve_app``) or the bare baseline (``bare_app``) on the dataset."""
        key = (kind, which)
        srv = self._servers.get(key)
        if srv is None:
            ds = self.dataset(kind)
            module = "serve_app" if which == "accord" else "bare_app"
            srv = self._servers[key] = Server(module, server_env(ds))
        return srv

    def stop_server(self, kind: str, which: str) -> None:
        srv = self._servers.pop((kind, which), None)
        if srv is not None:
            srv.stop()


def available_dbs(opts: Options) -> tuple[list[str], list[str]]:
    """(databases to run on, databases skipped because they are not reachable)."""
    run, skipped = [], []
    for kind in opts.dbs:
        if kind == "postgresql" and not pg_available():
            skipped.append(kind)
        else:
            run.append(kind)
    return run, skipped


def each_db(
    opts: Options,
    session: Session,
    name: str,
    unit: str,
    goal: float,
    goal_op: str,
    bench: Callable[[Options, Session, str], list[Result]],
    parts: Sequence[str] = (),
) -> list[Result]:
    """``bench(opts, session, kind)`` on each database of the run. An unreachable database
    gives a failed line per part (``name.part.kind``); a benchmark that raises gives one failed
    line and the others still run."""
    dbs, skipped = available_dbs(opts)
    labels = [f"{name}.{p}" for p in parts] or [name]
    out = [
        failed(f"{label}.{k}", unit, goal, f"{k} is not reachable", goal_op)
        for k in skipped
        for label in labels
    ]
    for kind in dbs:
        log(f"{name}.{kind}")
        try:
            out += bench(opts, session, kind)
        except Exception as exc:  # report it, keep the other benchmarks running
            out.append(failed(f"{name}.{kind}", unit, goal, repr(exc)[:500], goal_op))
    return out
