"""The service's database: one SQLite file (WAL) in the service's folder, and the uploaded notebooks beside it,
stored by content (``files/AB/ABCDEF....ipynb``, written before the row that names them).

Tables: users (students from the roster, tutors with a password hash), sessions (the hash of each session's
cookie, its CSRF token, its expiry), login_failures (for the rate limit), submissions (who, which assignment,
when the service received it, late or not, the file's hash), jobs (one per grading of a submission: queued,
running, done; a regrade is a new job) and results (a job's ``SubmissionResult`` JSON, written in the same
transaction that marks the job done). ``meta`` holds the schema version; ``open_store`` creates or upgrades.

Exactly once: a worker claims a queued job in one statement, and records its result and marks it done in one
transaction, only while the job is still its own (``state = 'running'`` and its claim). A service killed at any
moment leaves every accepted upload with its job; on start, jobs left running by the dead process are queued
again, so each is recorded exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,                 -- the roster's student id, or the tutor's login
    kind TEXT NOT NULL CHECK (kind IN ('student', 'tutor')),
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    upload_key_hash TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (who TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_by_who ON login_failures (who, at);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL REFERENCES users (id),
    assignment TEXT NOT NULL,
    file_name TEXT NOT NULL,             -- as the student named it, for people only
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    received REAL NOT NULL,              -- the service's clock, never the upload's
    late INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions (student, assignment, received);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
    claim TEXT NOT NULL DEFAULT '',      -- which worker of which service process runs it
    progress TEXT NOT NULL DEFAULT '',
    queued REAL NOT NULL,
    started REAL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS results (
    job_id INTEGER PRIMARY KEY REFERENCES jobs (id),
    result TEXT NOT NULL,
    exported INTEGER NOT NULL DEFAULT 0  -- copied into the assignment's gradebook (for reports)
);
"""
DATABASE = "service.sqlite"
DAY_S = 86400  # the rate limit's window: any 24 hours


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    student: str
    assignment: str
    file_name: str
    content_hash: str
    size: int
    received: float
    late: bool
    job_id: int
    state: str
    progress: str
    result: dict | None


class Store:
    """One connection per thread (SQLite's rule), all to the same file."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DATABASE
        self.files = self.folder / "files"
        self._local = threading.local()
        with self.db:
            self.db.executescript(SCHEMA)
            version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(version[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema version {version[0]}; this autograder knows "
                                   f"{SCHEMA_VERSION}: upgrade autograder")

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = FULL")  # a returned upload survives a power cut, not only a kill
            db.row_factory = sqlite3.Row
        return db

    def transaction(self):
        """``with store.transaction() as db:`` runs its statements in one IMMEDIATE transaction."""
        return _Transaction(self.db)

    # -- users and sessions -----------------------------------------------------------------------------------

    def add_user(self, user_id: str, kind: str, name: str = "", password_hash: str = "") -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO users (id, kind, name, password_hash, created) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                       "password_hash = CASE WHEN excluded.password_hash != '' THEN excluded.password_hash "
                       "ELSE users.password_hash END", (user_id, kind, name, password_hash, time.time()))

    def user(self, user_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()

    def set_upload_key(self, user_id: str, key_hash: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE users SET upload_key_hash = ? WHERE id = ?", (key_hash, user_id))

    def user_by_upload_key(self, key_hash: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM users WHERE upload_key_hash = ? AND upload_key_hash != ''",
                               (key_hash,)).fetchone()

    def add_session(self, token_hash: str, user_id: str, csrf: str, expires: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (token_hash, user_id, csrf, expires))

    def session(self, token_hash: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT sessions.csrf, users.* FROM sessions JOIN users ON users.id = sessions.user_id "
                               "WHERE token_hash = ? AND expires > ?", (token_hash, time.time())).fetchone()

    def end_session(self, token_hash: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def login_failures(self, who: str, since: float) -> int:
        return self.db.execute("SELECT COUNT(*) FROM login_failures WHERE who = ? AND at > ?",
                               (who, since)).fetchone()[0]

    def add_login_failure(self, who: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM login_failures WHERE at < ?", (time.time() - 86400,))
            db.execute("INSERT INTO login_failures VALUES (?, ?)", (who, time.time()))

    # -- submissions and jobs ---------------------------------------------------------------------------------

    def save_file(self, data: bytes) -> str:
        """Store the bytes under their SHA-256 (once; written and synced before any row names them)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.file_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        return digest

    def artifacts(self, job_id: int) -> Path:
        """The folder of a job's arrays (``QUESTION.NAME.npy``), for its feedback page."""
        return self.folder / "artifacts" / str(int(job_id))

    def file_path(self, digest: str) -> Path:
        return self.files / digest[:2] / f"{digest}.ipynb"

    def add_submission(self, student: str, assignment: str, file_name: str, data: bytes, received: float,
                       late: bool, per_day: int) -> tuple[int, int] | float:
        """Store an upload and queue its job, in one transaction; or, when ``student`` already has ``per_day``
        submissions of ``assignment`` in the 24 hours before ``received``, the time the next one is allowed (and
        nothing is stored)."""
        with self.transaction() as db:
            recent = self.recent(student, assignment, received)
            if len(recent) >= per_day:
                return next_allowed(recent, per_day)
            digest = self.save_file(data)
            cursor = db.execute("INSERT INTO submissions (student, assignment, file_name, content_hash, size, "
                                "received, late) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (student, assignment, file_name, digest, len(data), received, int(late)))
            submission = cursor.lastrowid
            job = db.execute("INSERT INTO jobs (submission_id, state, queued) VALUES (?, 'queued', ?)",
                             (submission, received)).lastrowid
        return submission, job

    def recent(self, student: str, assignment: str, now: float) -> list[float]:
        """When ``student`` submitted ``assignment`` in the 24 hours before ``now``, oldest first."""
        return [row[0] for row in self.db.execute(
            "SELECT received FROM submissions WHERE student = ? AND assignment = ? AND received > ? "
            "ORDER BY received", (student, assignment, now - DAY_S))]

    def queue_again(self, submission_ids: list[int]) -> int:
        """A new job for each submission (a regrade after the tests changed); returns how many were queued."""
        now = time.time()
        with self.transaction() as db:
            for submission in submission_ids:
                db.execute("INSERT INTO jobs (submission_id, state, queued) VALUES (?, 'queued', ?)",
                           (submission, now))
        return len(submission_ids)

    def requeue_abandoned(self) -> int:
        """Jobs a dead service process was running go back to the queue (called once, when the service starts)."""
        with self.transaction() as db:
            return db.execute("UPDATE jobs SET state = 'queued', claim = '', progress = '', started = NULL "
                              "WHERE state = 'running'").rowcount

    def claim(self, claim: str) -> sqlite3.Row | None:
        """The oldest queued job, now running under ``claim``; None when the queue is empty."""
        with self.transaction() as db:
            row = db.execute("UPDATE jobs SET state = 'running', claim = ?, started = ?, progress = 'starting' "
                             "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1) "
                             "RETURNING id, submission_id", (claim, time.time())).fetchone()
        if row is None:
            return None
        return self.db.execute("SELECT jobs.id AS job_id, submissions.* FROM jobs JOIN submissions ON "
                               "submissions.id = jobs.submission_id WHERE jobs.id = ?", (row["id"],)).fetchone()

    def release(self, job_id: int, claim: str) -> None:
        """A job its worker could not finish goes back to the queue (if it is still that worker's)."""
        with self.transaction() as db:
            db.execute("UPDATE jobs SET state = 'queued', claim = '', progress = '', started = NULL "
                       "WHERE id = ? AND claim = ? AND state = 'running'", (job_id, claim))

    def set_progress(self, job_id: int, claim: str, progress: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE jobs SET progress = ? WHERE id = ? AND claim = ? AND state = 'running'",
                       (progress, job_id, claim))

    def finish(self, job_id: int, claim: str, result: dict) -> bool:
        """Record ``result`` and mark the job done, in one transaction, only if the job is still ours."""
        with self.transaction() as db:
            done = db.execute("UPDATE jobs SET state = 'done', finished = ?, progress = '' "
                              "WHERE id = ? AND claim = ? AND state = 'running'",
                              (time.time(), job_id, claim)).rowcount
            if done:
                db.execute("INSERT INTO results (job_id, result) VALUES (?, ?)", (job_id, json.dumps(result)))
        return bool(done)

    def unexported(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT results.job_id, results.result, submissions.assignment FROM results "
                               "JOIN jobs ON jobs.id = results.job_id JOIN submissions ON "
                               "submissions.id = jobs.submission_id WHERE exported = 0 ORDER BY job_id").fetchall()

    def mark_exported(self, job_id: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE results SET exported = 1 WHERE job_id = ?", (job_id,))

    def queue_position(self, job_id: int) -> int:
        """How many jobs are ahead of this queued job (0: it is next)."""
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND id < ?", (job_id,)).fetchone()[0]

    def submissions(self, student: str | None = None, assignment: str | None = None,
                    submission_id: int | None = None) -> list[SubmissionRow]:
        """Submissions, newest first, each with its newest job and that job's result."""
        where, values = [], []
        for column, value in (("student", student), ("assignment", assignment), ("id", submission_id)):
            if value is not None:
                where.append(f"submissions.{column} = ?")
                values.append(value)
        rows = self.db.execute(
            "SELECT submissions.*, jobs.id AS job_id, jobs.state, jobs.progress, results.result FROM submissions "
            "JOIN jobs ON jobs.id = (SELECT MAX(id) FROM jobs WHERE submission_id = submissions.id) "
            "LEFT JOIN results ON results.job_id = jobs.id "
            + (f"WHERE {' AND '.join(where)} " if where else "") + "ORDER BY submissions.id DESC", values).fetchall()
        return [SubmissionRow(row["id"], row["student"], row["assignment"], row["file_name"], row["content_hash"],
                              row["size"], row["received"], bool(row["late"]), row["job_id"], row["state"],
                              row["progress"], json.loads(row["result"]) if row["result"] else None)
                for row in rows]

    def counts(self) -> dict[str, int]:
        return {row[0]: row[1] for row in self.db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state")}


def next_allowed(recent: list[float], per_day: int) -> float:
    """When the next submission is allowed, given the times of those in the last 24 hours (at least ``per_day``)."""
    return recent[len(recent) - per_day] + DAY_S


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db_connection = db

    def __enter__(self) -> sqlite3.Connection:
        self.db_connection.execute("BEGIN IMMEDIATE")
        return self.db_connection

    def __exit__(self, kind, value, traceback) -> None:
        self.db_connection.execute("COMMIT" if kind is None else "ROLLBACK")
