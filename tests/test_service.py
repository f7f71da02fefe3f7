"""`autograder serve` for real: uvicorn on a loopback port, real graders with warm kernels, real uploads.

One service (in this process, so the tests can move its clock past a due date) grades the temperature assignment
of a copied course; students sign in with their invitation links and tutors with passwords, as in a browser.
The crash test runs the service as its own process and kills it with SIGKILL.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from autograder.build import build_assignment
from autograder.course import find_assignment
from autograder.gradebook import read_current
from autograder.results import SubmissionResult
from autograder.service import auth
from autograder.service.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "temperature" / "submissions"
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="the service's graders need bubblewrap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_course(root: Path, name: str, rubric: dict) -> None:
    (root / "rubrics").mkdir(parents=True, exist_ok=True)
    (root / "rubrics" / f"{name}.yml").write_text(yaml.safe_dump(rubric, sort_keys=False), encoding="utf-8")


def temperature_course(root: Path, due: datetime.datetime, **submissions) -> Path:
    shutil.copytree(ROOT / "solutions" / "temperature", root / "solutions" / "temperature")
    rubric = yaml.safe_load((ROOT / "rubrics" / "temperature.yml").read_text(encoding="utf-8"))
    rubric["due"] = due.isoformat()
    rubric["submissions"] = {"per_day": 3, **submissions}
    rubric["questions"]["q2"] = {"points": 1, "feedback": "visible"}
    write_course(root, "temperature", rubric)
    build_assignment(find_assignment("temperature", root))
    return root


def arguments(root: Path, data: Path, port: int, **extra) -> argparse.Namespace:
    from autograder.cli import _parser

    args = _parser().parse_args(["--root", str(root), "serve", "--data", str(data), "--port", str(port),
                                 "--workers", "2", "--cell-timeout", "20"])
    for key, value in extra.items():
        setattr(args, key, value)
    return args


def invite(root: Path, data: Path, port: int, students: list[str]) -> dict[str, str]:
    from autograder.service.server import add_tutor, invite

    roster = data.parent / "roster.csv"
    roster.write_text("student,name\n" + "".join(f"{s},{s.title()} Example\n" for s in students), encoding="utf-8")
    links = data.parent / "links.csv"
    assert invite(arguments(root, data, port, roster=roster, out=links, days=30.0, new_secret=False)) == 0
    tutor = arguments(root, data, port, login="tutor", name="Tess Tutor", password_stdin=True)
    stdin, sys.stdin = sys.stdin, io.StringIO(PASSWORD + "\n")
    try:
        assert add_tutor(tutor) == 0
    finally:
        sys.stdin = stdin
    with links.open(encoding="utf-8") as handle:
        return {row["student"]: row["link"] for row in csv.DictReader(handle)}


class Browser:
    """A person's session: cookies, the CSRF token of the last page, and what they click."""

    def __init__(self, url: str):
        self.url, self.http, self.csrf = url, requests.Session(), ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(path if path.startswith("http") else self.url + path, timeout=30, **kwargs)
        found = re.search(r'name="csrf" value="([^"]+)"', response.text)
        self.csrf = found.group(1) if found else self.csrf
        return response

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        return self.http.post(self.url + path, data={"csrf": self.csrf, **(data or {})}, timeout=60, **kwargs)

    def upload(self, assignment: str, notebook: Path | bytes, name: str = "lab.ipynb") -> requests.Response:
        self.get("/")
        content = notebook.read_bytes() if isinstance(notebook, Path) else notebook
        return self.post(f"/assignments/{assignment}/submissions", files={"notebook": (name, content)},
                         allow_redirects=False)

    def wait_done(self, submission: int, limit_s: float = 180) -> dict:
        deadline = time.monotonic() + limit_s
        seen, progress = [], []
        while time.monotonic() < deadline:
            status = self.get(f"/submissions/{submission}/status").json()
            seen.append(status["state"])
            progress.append(status["progress"])
            if status["state"] == "done":
                status["seen"], status["progress_seen"] = seen, progress
                return status
            time.sleep(0.2)
        raise AssertionError(f"submission {submission} was not graded within {limit_s} s (states: {seen[-5:]})")


def submission_id(response: requests.Response) -> int:
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return int(response.headers["location"].rsplit("/", 1)[1])


class Running:
    """The service in a thread of this process, on a loopback port, with a clock the tests can move."""

    def __init__(self, root: Path, data: Path, **extra):
        from autograder.cli import _grading_options
        from autograder.service.app import create_app
        from autograder.service.server import build_service

        self.offset = 0.0
        self.port = free_port()
        args = arguments(root, data, self.port, **extra)
        self.service = build_service(args, _grading_options(args, "small"), clock=lambda: time.time() + self.offset)
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(create_app(self.service), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the service did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("served")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    root = temperature_course(base / "course", due=now + datetime.timedelta(days=2),
                              closes=(now + datetime.timedelta(days=4)).isoformat())
    data = base / "data"
    running = Running(root, data)
    links = invite(root, data, running.port, ["alice", "bob", "carol", "dave", "erin"])
    yield {"running": running, "url": running.url, "links": links, "data": data, "root": root}
    running.stop()


def student(course, name: str) -> Browser:
    browser = Browser(course["url"])
    response = browser.get(course["links"][name].replace("http://127.0.0.1:" + str(course["running"].port),
                                                         course["url"]))
    assert response.status_code == 200 and "My assignments" in response.text, response.text[:300]
    return browser


def tutor(course) -> Browser:
    browser = Browser(course["url"])
    browser.get("/tutor/login")
    response = browser.post("/tutor/login", {"login": "tutor", "password": PASSWORD})
    assert response.status_code == 200 and "Dashboard" in response.text, response.text[:300]
    return browser


def test_a_student_uploads_watches_the_queue_and_reads_feedback(course):
    alice = student(course, "alice")
    submission = submission_id(alice.upload("temperature", EXAMPLES / "reference.ipynb", "reference.ipynb"))
    status = alice.wait_done(submission)
    assert status["status_of_result"] == "ok" and status["points"] == status["max_points"] == 9
    assert {"queued", "running"} & set(status["seen"]) or status["seen"] == ["done"]
    page = alice.get(f"/submissions/{submission}").text
    assert "q1: 2 of 2 points" in page and "reference.ipynb" in page
    home = alice.get("/").text
    assert f'href="/submissions/{submission}"' in home and "9 / 9" in home


def test_hidden_tests_show_their_points_now_and_their_messages_after_the_due_date(course):
    bob = student(course, "bob")
    submission = submission_id(bob.upload("temperature", EXAMPLES / "bug_unstable_softmax.ipynb"))
    bob.wait_done(submission)
    before = bob.get(f"/submissions/{submission}").text
    assert "hidden tests (" in before and "are shown after the due date" in before
    everything = tutor_session(course).get(f"/submissions/{submission}").text  # tutors see every test now
    result = Store(course["data"]).submissions(submission_id=submission)[0].result["result"]
    hidden = {q["name"]: [t["name"] for t in q["tests"] if t["hidden"]] for q in result["questions"]}
    withheld = [name for question, names in hidden.items() if question != "q2" for name in names]
    assert withheld and hidden["q2"], hidden  # q2's rubric entry says `feedback: visible`
    assert all(name in everything for name in withheld + hidden["q2"])
    assert not any(name in before for name in withheld) and all(name in before for name in hidden["q2"])
    course["running"].offset = 3 * 86400  # past the due date
    try:
        after = bob.get(f"/submissions/{submission}").text
    finally:
        course["running"].offset = 0.0
    assert "hidden tests (" not in after and all(name in after for name in withheld)


def test_late_closed_rate_limited_oversized_and_invalid_uploads_each_say_why(course):
    carol = student(course, "carol")
    not_json = carol.upload("temperature", EXAMPLES / "not_json.ipynb")
    assert not_json.status_code == 422 and "is not a notebook we can grade" in not_json.text
    too_big = carol.upload("temperature", b"{" + b" " * (21 * 1024 * 1024) + b"}")
    assert too_big.status_code == 413 and "larger than 20 MB" in too_big.text
    course["running"].offset = 3 * 86400  # after the due date, before closing: accepted, marked late
    try:
        late = submission_id(carol.upload("temperature", EXAMPLES / "cell_raises.ipynb"))
        assert 'class="flag">late' in carol.get(f"/submissions/{late}").text
        course["running"].offset = 5 * 86400  # closed
        closed = carol.upload("temperature", EXAMPLES / "reference.ipynb")
        assert closed.status_code == 403 and "closed on" in closed.text
    finally:
        course["running"].offset = 0.0
    for _ in range(2):  # per_day is 3, the late one counted
        submission_id(carol.upload("temperature", EXAMPLES / "cell_raises.ipynb"))
    limited = carol.upload("temperature", EXAMPLES / "reference.ipynb")
    assert limited.status_code == 429 and "the next one is allowed at" in limited.text
    rows = Store(course["data"]).submissions(student="carol")
    assert len(rows) == 3 and sum(row.late for row in rows) == 1


def test_no_route_shows_one_students_anything_to_another(course):
    alice, dave = student(course, "alice"), student(course, "dave")
    mine = submission_id(alice.upload("temperature", EXAMPLES / "reference.ipynb"))
    for path in (f"/submissions/{mine}", f"/submissions/{mine}/status", "/tutor", "/tutor/students/alice",
                 "/tutor/files/temperature/gradebook.csv"):
        response = dave.get(path)
        assert response.status_code in (403, 404), path
        assert "reference" not in response.text and "alice" not in response.text, path
    assert dave.post("/tutor/regrade", {"assignment": "temperature"}).status_code == 403
    assert "alice" not in dave.get("/").text
    anonymous = Browser(course["url"])
    assert anonymous.get(f"/submissions/{mine}").status_code == 401


def test_forms_without_the_sessions_csrf_token_and_forged_links_are_refused(course):
    eve = student(course, "dave")
    forged = eve.http.post(course["url"] + "/assignments/temperature/submissions", data={"csrf": "guess"},
                           files={"notebook": ("x.ipynb", (EXAMPLES / "reference.ipynb").read_bytes())},
                           allow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    link = course["links"]["alice"]
    token = link.rsplit("/", 1)[1]
    encoded, expires, signature = token.split(".")
    other = auth.sign_in_token(b"not the secret", "alice", int(expires))
    for bad in (other, f"{encoded}.{int(expires) + 1}.{signature}", "x.y.z"):
        assert Browser(course["url"]).get(f"/signin/{bad}").status_code == 403
    cookie = requests.get(course["url"] + link[link.index("/signin"):], allow_redirects=False, timeout=30)
    assert "httponly" in cookie.headers["set-cookie"].lower() and "samesite=lax" in cookie.headers["set-cookie"].lower()


def test_hostile_file_names_and_outputs_are_shown_as_text_and_never_used_as_paths(course):
    import nbformat

    notebook = nbformat.read(EXAMPLES / "reference.ipynb", as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell("print('<script>stolen()</script>')"))
    name = "../../../<img src=x onerror=stolen()>.ipynb"
    erin = student(course, "erin")
    submission = submission_id(erin.upload("temperature", nbformat.writes(notebook).encode(), name))
    erin.wait_done(submission)
    pages = [erin.get(f"/submissions/{submission}").text, erin.get("/").text]
    for page in [*pages, tutor_session(course).get(f"/submissions/{submission}").text]:
        assert "<img src=x" not in page and "<script>stolen" not in page
    assert all("&lt;img src=x onerror=stolen()&gt;" in page for page in pages)
    stored = Store(course["data"]).submissions(submission_id=submission)[0]
    assert Store(course["data"]).file_path(stored.content_hash).is_file()
    assert not list(course["data"].parent.rglob("*onerror*"))  # the name is the upload's label, never a path


def test_an_upload_bomb_is_refused_from_its_headers_before_its_body(course):
    erin = student(course, "erin")
    cookie = erin.http.cookies.get(auth.COOKIE)
    with socket.create_connection(("127.0.0.1", course["running"].port), timeout=10) as raw:
        raw.sendall(b"POST /assignments/temperature/submissions HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000000\r\n"
                    + f"Cookie: {auth.COOKIE}={cookie}\r\n\r\n".encode())
        answer = b""
        while chunk := raw.recv(4096):  # answered and closed at once: no body was sent
            answer += chunk
        answer = answer.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413") and "larger than 20 MB" in answer
    chunked = requests.post(course["url"] + "/assignments/temperature/submissions", timeout=30,
                            data=iter([b"--b\r\n"] * 3), cookies={auth.COOKIE: cookie})
    assert chunked.status_code == 411 and "Content-Length" in chunked.json()["error"]


def test_the_database_keeps_no_session_cookie_and_signing_out_ends_the_session(course):
    dave = student(course, "dave")
    cookie = dave.http.cookies.get(auth.COOKIE)
    rows = Store(course["data"]).db.execute("SELECT token_hash FROM sessions").fetchall()
    assert cookie not in {row[0] for row in rows} and auth.token_hash(cookie) in {row[0] for row in rows}
    dave.get("/")
    assert dave.post("/signout", allow_redirects=False).status_code == 303
    stolen = requests.get(course["url"] + "/", cookies={auth.COOKIE: cookie}, timeout=30)
    assert stolen.status_code == 401


def test_an_upload_key_submits_from_a_script(course):
    alice = student(course, "alice")
    alice.get("/")
    key = re.search(r'<pre id="upload-key">([^<]+)</pre>', alice.post("/upload-key").text).group(1)
    response = requests.post(course["url"] + "/assignments/temperature/submissions",
                             headers={"Authorization": f"Bearer {key}"}, timeout=60,
                             files={"notebook": ("lab.ipynb", (EXAMPLES / "alt_searchsorted.ipynb").read_bytes())})
    assert response.status_code == 201, response.text
    assert alice.wait_done(response.json()["submission"])["points"] == 9
    wrong = requests.post(course["url"] + "/assignments/temperature/submissions", timeout=60,
                          headers={"Authorization": "Bearer nonsense"},
                          files={"notebook": ("lab.ipynb", b"{}")})
    assert wrong.status_code == 401 and "upload key" in wrong.json()["error"]


def test_in_chromium_a_student_uploads_watches_and_reads_and_the_tutor_sees_it(course, chromedriver, tmp_path):
    """Real headless Chromium (Debian's, with its chromium-driver) through Selenium: the sign-in link, the file
    input, the page that updates itself, the tutor's sign-in form and dashboard. Screenshots: tmp_path/*.png."""
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1800",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=DriverService(chromedriver), options=options)
    try:
        driver.get(course["links"]["dave"])
        assert "My assignments" in driver.page_source
        driver.save_screenshot(str(tmp_path / "1-home.png"))
        form = driver.find_element(By.CSS_SELECTOR, "#assignment-temperature form.upload")
        form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(EXAMPLES / "reference.ipynb"))
        form.find_element(By.TAG_NAME, "button").click()
        WebDriverWait(driver, 30).until(lambda d: "/submissions/" in d.current_url)
        states = set()

        def graded(d) -> bool:
            cells = d.find_elements(By.ID, "state")
            if cells:
                states.add(cells[0].get_attribute("data-state"))
            return bool(d.find_elements(By.ID, "feedback"))

        # The page reloads itself when graded: an element of the old page may go stale while it is read.
        WebDriverWait(driver, 180, poll_frequency=0.1,
                      ignored_exceptions=(StaleElementReferenceException,)).until(graded)
        driver.save_screenshot(str(tmp_path / "2-feedback.png"))
        feedback = driver.find_element(By.ID, "feedback").text
        # (the state read last before the feedback appeared may be the old page's, while the new one loaded)
        assert driver.find_element(By.ID, "state").get_attribute("data-state") == "done", states
        assert "q1: 2 of 2 points" in feedback
        submission = driver.current_url.rsplit("/", 1)[1]

        driver.delete_all_cookies()
        driver.get(course["url"] + "/tutor/login")
        driver.find_element(By.NAME, "login").send_keys("tutor")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "sign-in").click()
        WebDriverWait(driver, 30).until(lambda d: d.current_url.endswith("/tutor"))
        driver.save_screenshot(str(tmp_path / "3-dashboard.png"))
        table = driver.find_element(By.ID, "submissions").text
        assert "dave" in table and submission in table
    finally:
        driver.quit()
    assert all((tmp_path / f"{shot}.png").stat().st_size > 1000 for shot in ("1-home", "2-feedback", "3-dashboard"))


# Last of the tests that share the service: it locks tutor sign-ins from this address for 15 minutes.
def test_tutor_sign_in_works_and_is_rate_limited(course):
    assert 'id="assignment-temperature"' in tutor(course).get("/tutor").text
    browser = Browser(course["url"])
    browser.get("/tutor/login")
    forged = requests.post(course["url"] + "/tutor/login", data={"login": "tutor", "password": PASSWORD}, timeout=30)
    assert forged.status_code == 403 and "sign-in form is out of date" in forged.text  # no form token: login CSRF
    for _ in range(5):
        response = browser.post("/tutor/login", {"login": "tutor", "password": "wrong"})
        assert response.status_code == 401
        browser.get("/tutor/login")  # as a person does: the page again, with a new form token
    limited = browser.post("/tutor/login", {"login": "tutor", "password": PASSWORD})
    assert limited.status_code == 429 and "too many failed sign-ins" in limited.text


def test_the_tutor_sees_every_submission_downloads_the_report_and_regrades(course):
    erin = student(course, "erin")
    first = submission_id(erin.upload("temperature", EXAMPLES / "reference.ipynb"))
    erin.wait_done(first)
    store = Store(course["data"])
    done_before = store.counts().get("done", 0)
    session = tutor_session(course)
    deadline = time.monotonic() + 60  # the report is rebuilt a few seconds after each result
    while "students/erin.html" not in session.get("/tutor/files/temperature/report/index.html").text:
        assert time.monotonic() < deadline, "the report was not rebuilt"
        time.sleep(0.5)
    assert "erin" in session.get("/tutor/files/temperature/gradebook.csv").text
    dashboard = session.get("/tutor").text
    assert f'href="/submissions/{first}"' in dashboard and "erin" in dashboard
    assert f'href="/submissions/{first}"' in session.get("/tutor/students/erin").text
    assert "erin" in session.get("/tutor/files/temperature/report/grades.csv").text
    assert "erin" in session.get("/tutor/files/temperature/report/students/erin.html").text
    assert session.get("/tutor/files/temperature/../../service.sqlite").status_code == 404
    assert session.get("/tutor/files/temperature/%2e%2e/%2e%2e/secret.key").status_code == 404
    manual = session.post("/tutor/manual/temperature", files={"manual": ("manual.csv", b"student,q6\nerin,1.5\n")},
                          allow_redirects=False)
    assert manual.status_code == 303
    deadline = time.monotonic() + 60  # the report is rebuilt with the tutors' scores
    grades = "/tutor/files/temperature/report/grades.csv"
    while not re.search(r"erin,2\.0,1\.0,2\.0,2\.0,2\.0,1\.5,", session.get(grades).text):
        assert time.monotonic() < deadline, session.get(grades).text
        time.sleep(0.5)
    students = {row.student for row in store.submissions(assignment="temperature")}
    assert session.post("/tutor/regrade", {"assignment": "temperature"}, allow_redirects=False).status_code == 303
    deadline = time.monotonic() + 180
    while store.counts().get("done", 0) < done_before + len(students) or store.counts().get("queued"):
        assert time.monotonic() < deadline, store.counts()
        time.sleep(0.5)


def tutor_session(course) -> Browser:
    """A tutor signed in directly (the sign-in form's rate limit is tested on its own)."""
    browser = Browser(course["url"])
    token = auth.new_token()
    store = Store(course["data"])
    store.add_session(auth.token_hash(token), "tutor", "csrf-of-this-test", time.time() + 3600)
    browser.http.cookies.set(auth.COOKIE, token)
    browser.csrf = "csrf-of-this-test"
    return browser


def test_the_service_grades_on_a_dask_cluster(course, tmp_path):
    from tests.test_dask import running_cluster

    with running_cluster([{}, {}]) as cluster:
        running = Running(course["root"], tmp_path / "data", scheduler=cluster.client.scheduler.address)
        try:
            links = invite(course["root"], tmp_path / "data", running.port, ["fay", "gus"])
            browsers = {name: Browser(running.url) for name in links}
            submissions = {}
            for name, browser in browsers.items():
                browser.get(links[name])
                submissions[name] = submission_id(browser.upload("temperature", EXAMPLES / "reference.ipynb"))
            statuses = {name: browsers[name].wait_done(number) for name, number in submissions.items()}
        finally:
            running.stop()
    assert all(status["points"] == 9 for status in statuses.values()), statuses
    assert any("grading on the cluster" in status["progress_seen"] for status in statuses.values()), statuses


def test_results_graded_before_the_service_stay_in_the_gradebook_beside_its_own(course, tmp_path):
    from autograder.batch import grade_batch
    from autograder.grading import GradingOptions
    from autograder.ingest import Submission

    grades = tmp_path / "grades"
    earlier = Submission("hal", "hal.ipynb", (EXAMPLES / "reference.ipynb").read_bytes())
    grade_batch(find_assignment("temperature", course["root"]), [earlier], grades / "temperature",
                GradingOptions(cell_timeout_s=20))
    running = Running(course["root"], tmp_path / "data", grades=grades)
    try:
        links = invite(course["root"], tmp_path / "data", running.port, ["ivy"])
        ivy = Browser(running.url)
        ivy.get(links["ivy"])
        ivy.wait_done(submission_id(ivy.upload("temperature", EXAMPLES / "alt_searchsorted.ipynb")))
    finally:
        running.stop()
    assert sorted(r["student"] for r in read_current(grades / "temperature", "temperature")) == ["hal", "ivy"]


def test_a_stored_notebook_that_cannot_be_read_costs_only_its_student(course, tmp_path):
    """The disk lost one upload: its student gets a grader error (graded again on a regrade), the others are graded."""
    from autograder.cli import _grading_options
    from autograder.service.queue import Graders

    store = Store(tmp_path / "data")
    for name, notebook in (("kim", "cell_raises.ipynb"), ("lee", "reference.ipynb")):
        store.add_user(name, "student")
        store.add_submission(name, "temperature", "lab.ipynb", (EXAMPLES / notebook).read_bytes(), time.time(),
                             False, 10)
    lost = store.submissions(student="kim")[0]
    store.file_path(lost.content_hash).unlink()
    args = arguments(course["root"], tmp_path / "data", 0)
    graders = Graders(store, course["root"], tmp_path / "grades", 1, _grading_options(args, "small"))
    graders.start()
    try:
        deadline = time.monotonic() + 120
        while store.counts().get("done", 0) < 2:
            assert time.monotonic() < deadline, store.counts()
            time.sleep(0.2)
    finally:
        graders.stop()
    results = {row.student: row.result["result"] for row in store.submissions()}
    assert results["kim"]["grader_failed"] and results["kim"]["status"] == "error"
    assert "No such file" in results["kim"]["message"] and results["kim"]["content_hash"] == lost.content_hash
    assert results["lee"]["status"] == "ok" and SubmissionResult.from_json(results["lee"]).total == 9


# -- SIGKILL with jobs queued --------------------------------------------------------------------------------


def test_a_service_killed_with_sigkill_loses_no_upload_and_grades_each_exactly_once(tmp_path, mini_course):
    import nbformat

    from tests.conftest import mini_notebook

    root = tmp_path / "course"
    shutil.copytree(mini_course / "solutions", root / "solutions")
    shutil.copytree(mini_course / "dist", root / "dist")
    shutil.copytree(mini_course / "assignments", root / "assignments")
    write_course(root, "mini", {"assignment": "mini", "due": "2099-01-01T00:00:00+00:00",
                                "questions": {"q1": 2, "q2": 2}, "grades": {"P": 50, "F": 0},
                                "submissions": {"per_day": 100}})
    data = tmp_path / "data"
    port = free_port()
    students = [f"student{n:02d}" for n in range(20)]
    invite(root, data, port, students)
    store = Store(data)
    keys = {}
    for name in students:
        keys[name] = auth.new_token()
        store.set_upload_key(name, auth.token_hash(keys[name]))
    notebook = nbformat.writes(mini_notebook(root)).encode()

    def start() -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "autograder.cli", "--root", str(root), "serve", "--data",
                                    str(data), "--port", str(port), "--workers", "2"],
                                   stdout=subprocess.DEVNULL, stderr=open(tmp_path / "service.log", "ab"),
                                   start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                return process
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "service.log").read_text()
                time.sleep(0.2)

    service = start()
    try:
        for name in students:
            response = requests.post(f"http://127.0.0.1:{port}/assignments/mini/submissions", timeout=30,
                                     headers={"Authorization": f"Bearer {keys[name]}"},
                                     files={"notebook": (f"{name}.ipynb", notebook)})
            assert response.status_code == 201, response.text
        os.killpg(service.pid, signal.SIGKILL)
        service.wait(timeout=30)
        counts = store.counts()
        assert counts.get("done", 0) < 20, "all were graded before the kill: the test proves nothing"
        service = start()
        deadline = time.monotonic() + 240
        while store.counts().get("done", 0) < 20:
            assert time.monotonic() < deadline and service.poll() is None, store.counts()
            time.sleep(0.5)
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        service.wait(timeout=60)
    rows = store.submissions()
    assert sorted(row.student for row in rows) == students
    results = store.db.execute("SELECT COUNT(*), COUNT(DISTINCT job_id) FROM results").fetchone()
    assert tuple(results) == (20, 20)
    assert all(row.result["result"]["status"] == "ok" and row.state == "done" for row in rows)
    assert sorted(r["student"] for r in read_current(data / "grades" / "mini", "mini")) == students
