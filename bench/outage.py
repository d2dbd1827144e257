"""A 20-second database outage in the middle of a bulk upload (issue 17): every process lives
through it, the logs stay bounded, and the upload finishes with every row exactly once.

Run: .venv/bin/python bench/outage.py [--postgres URL] [--users 300] [--cut 20]
        [--latency-ms 150]

A throw-away portal on PostgreSQL whose own database is reached through a TCP proxy this script
controls (the sandbox's database, standing in for Partner Center, is reached directly: Partner
Center does not go down with the portal's database). It starts what production runs — gunicorn
with docker/gunicorn.conf.py, `manage.py portal_worker` and `manage.py portal_maintenance --loop`
— saves a bulk upload of `--users` users (sandbox latency `--latency-ms` a call, so the upload
is still running when the cut comes), and once a tenth of its rows are done cuts the database
for `--cut` seconds: open connections are reset and new ones refused. Meanwhile it asks
`/healthz` and the sign-in page every half second. Then it waits for the upload to finish and
reports:

  - whether each process is still running (none may have exited);
  - the log lines each process wrote during the cut and in the minute after, and the longest
    run of traceback lines (one line per failed request, tracebacks rate-limited);
  - the answers `/healthz` gave during the cut, and how long after the cut the first 200 came;
  - the upload's rows: every row created, and every username exactly once in the sandbox.
"""

from __future__ import annotations

import argparse
import re
import selectors
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from portal_run import PYTHON, ROOT, Portal, database_arguments, free_port


class Proxy:
    """A TCP proxy to PostgreSQL that can be cut: while cut, every open connection is reset and
    every new one closed at once, as when the database host goes away."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.cut = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            if self.cut.is_set():
                _reset(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        chooser = selectors.DefaultSelector()
        chooser.register(client, selectors.EVENT_READ, server)
        chooser.register(server, selectors.EVENT_READ, client)
        try:
            while not self.cut.is_set():
                for key, _ in chooser.select(timeout=0.2):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            chooser.close()
            _reset(client)
            server.close()

    def down(self) -> None:
        self.cut.set()
        with self._lock:
            for client, _server in self._pairs:
                _reset(client)
            self._pairs.clear()

    def up(self) -> None:
        self.cut.clear()


def _reset(connection: socket.socket) -> None:
    try:
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        connection.close()
    except OSError:
        pass


def spawn(portal: Portal, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = portal.data_dir / f"{name}.log"
    process = subprocess.Popen(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=portal.env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines() if log.exists() else []


def commonest(rows: list[str], count: int = 3) -> list[tuple[str, int]]:
    """The lines written most often, with times, ids and numbers blanked out."""
    shapes = Counter(
        re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?", "#", row)[:140] for row in rows if row
    )
    return shapes.most_common(count)


def traceback_run(rows: list[str]) -> int:
    """The longest run of consecutive traceback lines."""
    longest = current = 0
    for row in rows:
        inside = row.startswith(("Traceback", "  ", "During handling", "The above exception"))
        current = current + 1 if inside else 0
        longest = max(longest, current)
    return longest


SAVE_UPLOAD = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from customers.directory.customer_queries import customer_get
from customers.directory.sync import directory_customer_sync, directory_customers_sync
from portal.audit.records import Actor
from portal.partnercenter import partner_center
from portal.sandbox import seed_plan
from portal.sandbox.models import FaultSettings
from users.bulk.jobs import bulk_job_create
from users.models import BulkDraft
pc = partner_center()
directory_customers_sync(pc=pc)
customer = customer_get(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID))
directory_customer_sync(pc=pc, customer=customer, concurrency=1)
customer.refresh_from_db()
faults = FaultSettings.current()
faults.latency_ms = LATENCY
faults.save()
staff, _ = User.objects.get_or_create(username="bench", is_superuser=True)
now = timezone.now()
rows = [
    {"row": n + 2, "first_name": f"Out{n}", "last_name": "Age", "display_name": f"Out{n} Age",
     "email": f"outage{n}@{seed_plan.CUSTOM_DOMAIN}"}
    for n in range(USERS)
]
draft = BulkDraft.objects.create(
    created_by=staff, customer_id=customer.tenant_id, file_name="outage.csv", rows=rows,
    created_at=now, expires_at=now + timedelta(days=1),
)
bulk_job_create(draft=draft, customer=customer, usage_location="GB", actor=Actor.for_command(staff))
"""

JOB_STATE = """
from users.bulk.models import BulkJob, BulkRow
job = BulkJob.objects.get()
print(job.state)
for state in BulkRow.objects.filter(job=job).values_list("state", flat=True):
    print(state)
"""

SANDBOX_USERS = """
from django.db.models import Count
from django.db.models.functions import Lower
from portal.sandbox.models import CustomerUser
rows = (
    CustomerUser.objects.filter(user_principal_name__istartswith="outage")
    .annotate(key=Lower("user_principal_name")).values("key").annotate(n=Count("id"))
)
print(sum(1 for row in rows), sum(1 for row in rows if row["n"] > 1))
"""


class Run:
    """One outage: the portal, its processes, the proxy in front of its database."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.portal = Portal("outage", "postgres", postgres=args.postgres)
        self.direct = self.portal.env["DATABASE_URL"]
        self.proxy = Proxy(int(args.postgres.rsplit(":", 1)[1].split("/")[0]))
        host = self.direct.split("@", 1)[1].split("/", 1)[0]
        # The portal's database through the proxy; the sandbox's (Partner Center) directly.
        self.portal.env["SANDBOX_DATABASE_URL"] = f"{self.direct}_sandbox"
        self.portal.env["DATABASE_URL"] = self.direct.replace(host, f"127.0.0.1:{self.proxy.port}")
        self.processes: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        self.before: dict[str, int] = {}
        self.during: dict[str, int] = {}
        self.answers: Counter[str] = Counter()
        self.first_ok: float | None = None

    def direct_python(self, code: str) -> str:
        return self.portal.python(code, env={"DATABASE_URL": self.direct})

    def start(self) -> None:
        self.portal.migrate()
        self.portal.manage("sandbox_seed")
        self.portal.serve(log_level="info")
        assert self.portal.server is not None
        self.processes["web"] = (self.portal.server, self.portal.log)
        self.processes["worker"] = spawn(self.portal, "worker", "portal_worker")
        self.processes["maintenance"] = spawn(
            self.portal, "maintenance", "portal_maintenance", "--loop"
        )
        code = SAVE_UPLOAD.replace("LATENCY", str(self.args.latency_ms))
        self.portal.python(code.replace("USERS", str(self.args.users)))

    def job(self) -> tuple[str, Counter[str]]:
        out = self.direct_python(JOB_STATE).split()
        return out[0], Counter(out[1:])

    def wait_for_rows(self, done_at_least: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state, rows = self.job()
            done = sum(rows[s] for s in ("created", "failed", "unknown"))
            if done >= done_at_least:
                print(f"Cutting the database with {done} of {self.args.users} rows done ({state}).")
                return
            time.sleep(0.5)
        raise SystemExit("The upload did not start within two minutes.")

    def cut(self) -> None:
        """The database gone for `--cut` seconds; the web process asked every half second."""
        self.before = {name: len(lines(log)) for name, (_, log) in self.processes.items()}
        self.proxy.down()
        cut_at = time.monotonic()
        while time.monotonic() - cut_at < self.args.cut:
            for path in ("/healthz", "/sign-in/"):
                try:
                    answer = requests.get(f"{self.portal.url}{path}", timeout=5)
                    self.answers[f"{path} {answer.status_code}"] += 1
                except requests.RequestException as error:
                    self.answers[f"{path} {type(error).__name__}"] += 1
            time.sleep(0.5)
        self.during = {
            name: len(lines(log)) - self.before[name] for name, (_, log) in self.processes.items()
        }
        self.proxy.up()
        up_at = time.monotonic()
        while self.first_ok is None and time.monotonic() - up_at < 60:
            try:
                if requests.get(f"{self.portal.url}/healthz", timeout=5).status_code == 200:
                    self.first_ok = time.monotonic() - up_at
            except requests.RequestException:
                time.sleep(0.25)

    def wait_for_the_end(self) -> tuple[str, Counter[str]]:
        deadline = time.monotonic() + 600
        state, rows = self.job()
        while state not in ("finished", "cancelled") and time.monotonic() < deadline:
            time.sleep(1)
            state, rows = self.job()
        return state, rows

    def report(self, state: str, rows: Counter[str]) -> None:
        print(f"\nAfter a {self.args.cut:.0f} s cut of the portal's database:")
        for name, (process, log) in self.processes.items():
            alive = "running" if process.poll() is None else f"EXITED ({process.returncode})"
            logged = lines(log)
            after = len(logged) - self.before[name] - self.during[name]
            cut_rows = logged[self.before[name] : self.before[name] + self.during[name]]
            print(
                f"  {name:<12} {alive:<12} log lines: {self.during[name]:>5} during the cut, "
                f"{after:>5} after; longest traceback {traceback_run(cut_rows)} lines"
            )
            for shape, times in commonest(cut_rows):
                print(f"    {times:>4} x {shape}")
        print(f"  answers during the cut: {dict(self.answers)}")
        first_ok = "never" if self.first_ok is None else f"{self.first_ok:.1f} s"
        print(f"  first /healthz 200 after the cut: {first_ok}")
        print(f"  upload: {state}; rows {dict(rows)}")
        users, twice = self.direct_python(SANDBOX_USERS).split()
        print(f"  sandbox users 'outage*': {users} of {self.args.users}, {twice} twice or more")

    def stop(self) -> None:
        for name, (process, _) in self.processes.items():
            if name != "web" and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.args.keep_logs:
            kept = Path(self.args.keep_logs)
            kept.mkdir(parents=True, exist_ok=True)
            for _, log in self.processes.values():
                shutil.copy(log, kept / log.name)
        self.portal.env["DATABASE_URL"] = self.direct
        self.portal.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    database_arguments(parser, sqlite=False)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--cut", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--keep-logs", metavar="DIR", help="copy every process's log here")
    run = Run(parser.parse_args())
    try:
        run.start()
        run.wait_for_rows(run.args.users // 10)
        run.cut()
        run.report(*run.wait_for_the_end())
    finally:
        run.stop()


if __name__ == "__main__":
    main()
