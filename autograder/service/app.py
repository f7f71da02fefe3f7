"""The web application of ``autograder serve`` (FastAPI on uvicorn, Jinja2 templates with autoescape).

Routes, each with who may use it:
    GET  /health                                  anyone: the queue's counts
    GET  /signin/{token}                          anyone with a valid sign-in link: starts a student session
    GET  /tutor/login, POST /tutor/login          anyone (rate limited): starts a tutor session
    POST /signout                                 a session
    GET  /                                        a student: open assignments, upload forms, their submissions
    POST /assignments/{name}/submissions          a student (session + CSRF token, or their upload key)
    POST /upload-key                              a student: a new upload key for curl or Python
    GET  /submissions/{id}, .../status            the submission's student, or a tutor
    GET  /tutor, /tutor/students/{id}             a tutor: the dashboard, one student's history
    POST /tutor/regrade, /tutor/manual/{name}     a tutor: regrade, upload manual scores
    GET  /tutor/files/{name}/{path}               a tutor: the gradebook, the report and LMS exports

Every route that names a submission checks that it is the asker's (or the asker is a tutor) and answers 404
otherwise, so nobody learns whether another student's submission exists. Student text (ids, names, file names,
messages, notebook output) reaches pages only through Jinja2's autoescape or ``report.html.escape``.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import UploadFile

from autograder.notebook import InvalidNotebook, read_submission
from autograder.report import html as report_html
from autograder.rubric import Rubric
from autograder.service import auth, views
from autograder.service.queue import MANUAL_FILE, Graders
from autograder.service.store import Store, SubmissionRow

log = logging.getLogger("autograder.service")
DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # multipart headers and the CSRF field around the notebook


@dataclass
class Service:
    """Everything the application needs: the course, its open assignments, the database, the graders."""

    root: Path
    store: Store
    graders: Graders
    rubrics: dict[str, Rubric]  # the open assignments
    public_url: str = "http://127.0.0.1:8000"
    max_upload: int = DEFAULT_MAX_UPLOAD
    secret: bytes = field(default=b"", repr=False)
    clock: object = time.time  # tests move it past a due date

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def now(self) -> float:
        return self.clock()


class Refused(Exception):
    """A request we answer with a clear message and an HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def create_app(service: Service) -> FastAPI:
    templates = Environment(loader=PackageLoader("autograder.service", "templates"),
                            autoescape=select_autoescape(default=True, default_for_string=True))
    templates.globals.update(style=report_html.STYLE, when=views.when)

    @asynccontextmanager
    async def lifespan(app):
        service.graders.start()
        log.info("serving %s on %s (%d grader(s))", ", ".join(service.rubrics) or "no assignment",
                 service.public_url, service.graders.count)
        yield
        service.graders.stop()

    app = FastAPI(title="autograder", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(UploadLimit, limit=service.max_upload + FORM_OVERHEAD, notebook_limit=service.max_upload)
    store = service.store

    def page(name: str, request: Request, code: int = 200, **values) -> HTMLResponse:
        user = values.pop("user", None)
        csrf = values.pop("csrf", user["csrf"] if user else "")
        body = templates.get_template(name).render(user=user, csrf=csrf, **values)
        return HTMLResponse(body, status_code=code, headers=_NO_STORE)

    def home_page(request: Request, user, upload_key: str | None) -> HTMLResponse:
        rows = store.submissions(student=user["id"])
        return page("home.html", request, user=user, assignments=views.open_assignments(service, user["id"]),
                    submissions=[views.summary(row) for row in rows], public_url=service.public_url,
                    upload_key=upload_key)

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "") or _bearer(request) is not None

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused):
        if wants_json(request):
            return JSONResponse({"error": error.message}, status_code=error.status, headers=_NO_STORE)
        return page("message.html", request, error.status, user=_session(store, request), title="Not accepted",
                    message=error.message)

    def signed_in(request: Request, kind: str | None = None):
        user = _session(store, request)
        if user is None:
            raise Refused(401, "you are not signed in: open the sign-in link your course sent you "
                               "(tutors: /tutor/login)")
        if kind and user["kind"] != kind:
            raise Refused(403, f"this page is for {kind}s")
        return user

    def checked_form(user, form) -> None:
        if not auth.same(str(form.get("csrf", "")), user["csrf"]):
            raise Refused(403, "the form is out of date or did not come from this site (no valid CSRF token); "
                               "reload the page and try again")

    def own_submission(user, submission_id: int) -> SubmissionRow:
        rows = store.submissions(submission_id=submission_id)
        if not rows or (user["kind"] != "tutor" and rows[0].student != user["id"]):
            raise Refused(404, f"there is no submission {submission_id} of yours")
        return rows[0]

    @app.get("/health")
    async def health():
        return {"status": "ok", "jobs": store.counts(), "graders": service.graders.count}

    @app.get("/signin/{token}")
    async def sign_in(token: str):
        student = auth.read_sign_in_token(service.secret, token, service.now())
        user = store.user(student) if student else None
        if user is None or user["kind"] != "student":
            log.info("sign-in refused: a link that is invalid or expired")
            raise Refused(403, "this sign-in link is not valid or has expired; ask your tutor for a new one")
        log.info("student %r signed in", student)
        return _start_session(service, student, "/", auth.STUDENT_SESSION_S)

    def login_page(request: Request, code: int = 200, error: str = "") -> HTMLResponse:
        """The sign-in form, with a CSRF token of its own (there is no session yet) in a cookie and the form."""
        token = auth.new_token()
        response = page("login.html", request, code, user=None, csrf=token, error=error)
        response.set_cookie(auth.LOGIN_COOKIE, token, max_age=3600, path="/tutor/login", httponly=True,
                            samesite="strict", secure=service.secure_cookies)
        return response

    @app.get("/tutor/login", response_class=HTMLResponse)
    async def tutor_login_form(request: Request):
        return login_page(request)

    @app.post("/tutor/login")
    async def tutor_login(request: Request):
        form = await request.form(max_files=0, max_fields=5)
        if not auth.same(str(form.get("csrf", "")), request.cookies.get(auth.LOGIN_COOKIE, "")) or not form.get("csrf"):
            raise Refused(403, "the sign-in form is out of date or did not come from this site; reload "
                               "/tutor/login and sign in again")
        login, password = str(form.get("login", "")), str(form.get("password", ""))
        address = request.client.host if request.client else "?"
        since = service.now() - auth.LOGIN_WINDOW_S
        for who in (f"login:{login}", f"address:{address}"):
            if store.login_failures(who, since) >= auth.LOGIN_FAILURES:
                log.info("tutor sign-in refused (too many failures): login=%r address=%s", login, address)
                raise Refused(429, f"too many failed sign-ins; wait {auth.LOGIN_WINDOW_S // 60} minutes and "
                                   "try again")
        user = store.user(login)
        if user is None or user["kind"] != "tutor" or not auth.password_matches(user["password_hash"], password):
            store.add_login_failure(f"login:{login}")
            store.add_login_failure(f"address:{address}")
            log.info("tutor sign-in failed: login=%r address=%s", login, address)
            return login_page(request, 401, "wrong login or password")
        log.info("tutor %r signed in", login)
        return _start_session(service, login, "/tutor", auth.TUTOR_SESSION_S)

    @app.post("/signout")
    async def sign_out(request: Request):
        user = signed_in(request)
        checked_form(user, await request.form(max_files=0, max_fields=5))
        store.end_session(auth.token_hash(request.cookies.get(auth.COOKIE, "")))
        response = RedirectResponse("/tutor/login" if user["kind"] == "tutor" else "/", status_code=303)
        response.delete_cookie(auth.COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request):
        user = _session(store, request)
        if user is None:
            return page("message.html", request, 401, user=None, title="Sign in",
                        message="Open the sign-in link your course sent you. Tutors sign in at /tutor/login.")
        if user["kind"] == "tutor":
            return RedirectResponse("/tutor", status_code=303)
        return home_page(request, user, upload_key=None)

    @app.post("/upload-key", response_class=HTMLResponse)
    async def upload_key(request: Request):
        user = signed_in(request, "student")
        checked_form(user, await request.form(max_files=0, max_fields=5))
        key = auth.new_token()
        store.set_upload_key(user["id"], auth.token_hash(key))
        return home_page(request, user, upload_key=key)

    @app.post("/assignments/{name}/submissions")
    async def submit(name: str, request: Request):
        key = _bearer(request)
        if key is not None:
            user = store.user_by_upload_key(auth.token_hash(key))
            if user is None:
                raise Refused(401, "this upload key is not valid; make a new one on your course page")
        else:
            user = signed_in(request, "student")
        if user["kind"] != "student":
            raise Refused(403, "only students submit")
        rubric = service.rubrics.get(name)
        if rubric is None:
            raise Refused(404, f"there is no open assignment {name!r}; the open ones are "
                               f"{', '.join(service.rubrics) or 'none'}")
        form = await request.form(max_files=1, max_fields=5)
        if key is None:
            checked_form(user, form)
        upload = form.get("notebook")
        if not isinstance(upload, UploadFile):
            raise Refused(400, "no notebook in the upload: send the .ipynb file as the form field `notebook`")
        data = await upload.read(service.max_upload + 1)
        file_name = (upload.filename or "notebook.ipynb")[-200:]
        if len(data) > service.max_upload:
            raise Refused(413, f"{file_name} is larger than {service.max_upload // (1024 * 1024)} MB; clear "
                               "the notebook's outputs (Kernel > Restart & Clear Output) and upload it again")
        received = service.now()
        closes = rubric.submissions.closes
        if closes is not None and received > closes.timestamp():
            log.info("upload refused (closed): student=%r assignment=%s", user["id"], name)
            raise Refused(403, f"{rubric.title} closed on {views.when(closes.timestamp())}; no more submissions "
                               "are accepted")
        try:
            read_submission(data)
        except InvalidNotebook as error:
            log.info("upload refused (invalid notebook): student=%r assignment=%s", user["id"], name)
            raise Refused(422, f"{file_name} is not a notebook we can grade: {error}. Save it from Jupyter "
                               "(File > Save) and upload the .ipynb file") from None
        late = received > rubric.due.timestamp()
        accepted = store.add_submission(user["id"], name, file_name, data, received, late,
                                        rubric.submissions.per_day)
        if isinstance(accepted, float):
            log.info("upload refused (rate limit): student=%r assignment=%s", user["id"], name)
            raise Refused(429, f"you have made {rubric.submissions.per_day} submissions of {rubric.title} in "
                               f"the last 24 hours; the next one is allowed at {views.when(accepted)}")
        submission, job = accepted
        service.graders.notify()
        log.info("upload accepted: submission=%d job=%d student=%r assignment=%s bytes=%d late=%s", submission, job,
                 user["id"], name, len(data), late)
        url = f"/submissions/{submission}"
        if wants_json(request):
            return JSONResponse({"submission": submission, "late": late, "url": service.public_url + url,
                                 "status": service.public_url + url + "/status"}, status_code=201)
        return RedirectResponse(url, status_code=303)

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    async def submission_page(submission_id: int, request: Request):
        user = signed_in(request)
        row = own_submission(user, submission_id)
        feedback = views.feedback(service, row, user["kind"] == "tutor") if row.result else ""
        return page("submission.html", request, user=user, row=views.summary(row), status=views.status(store, row),
                    feedback=feedback, title=service.rubrics.get(row.assignment, None))

    @app.get("/submissions/{submission_id}/status")
    async def submission_status(submission_id: int, request: Request):
        user = signed_in(request)
        return JSONResponse(views.status(store, own_submission(user, submission_id)), headers=_NO_STORE)

    @app.get("/tutor", response_class=HTMLResponse)
    async def dashboard(request: Request):
        user = signed_in(request, "tutor")
        rows = store.submissions()
        assignments = [{"name": name, "title": rubric.title, "due": rubric.due.timestamp(),
                        "report": (service.graders.grades / name / "report" / "index.html").is_file(),
                        "submissions": sum(1 for row in rows if row.assignment == name)}
                       for name, rubric in service.rubrics.items()]
        return page("tutor.html", request, user=user, assignments=assignments, counts=store.counts(),
                    submissions=[views.summary(row) for row in rows[:200]], student=None)

    @app.get("/tutor/students/{student}", response_class=HTMLResponse)
    async def student_history(student: str, request: Request):
        user = signed_in(request, "tutor")
        rows = store.submissions(student=student)
        return page("tutor.html", request, user=user, assignments=[], counts=store.counts(),
                    submissions=[views.summary(row) for row in rows], student=student)

    @app.post("/tutor/regrade")
    async def regrade(request: Request):
        user = signed_in(request, "tutor")
        form = await request.form(max_files=0, max_fields=5)
        checked_form(user, form)
        name, student = str(form.get("assignment", "")), str(form.get("student", "")) or None
        if name not in service.rubrics:
            raise Refused(404, f"there is no open assignment {name!r}")
        newest: dict[str, int] = {}
        for row in store.submissions(student=student, assignment=name):
            newest.setdefault(row.student, row.id)  # newest first: each student's latest submission
        service.graders.reload(name)
        count = store.queue_again(sorted(newest.values()))
        service.graders.notify()
        log.info("tutor %r queued %d regrade(s) of %s", user["id"], count, name)
        return RedirectResponse("/tutor", status_code=303)

    @app.post("/tutor/manual/{name}")
    async def manual_scores(name: str, request: Request):
        user = signed_in(request, "tutor")
        form = await request.form(max_files=1, max_fields=5)
        checked_form(user, form)
        upload = form.get("manual")
        if name not in service.rubrics or not isinstance(upload, UploadFile):
            raise Refused(400, "send the manual scores as the form field `manual` (a CSV file: student, then "
                               "one column per question graded by hand)")
        folder = service.graders.grades / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANUAL_FILE).write_bytes(await upload.read(service.max_upload))
        service.graders.rebuild_report(name)
        log.info("tutor %r uploaded manual scores of %s", user["id"], name)
        return RedirectResponse("/tutor", status_code=303)

    @app.get("/tutor/files/{name}/{path:path}")
    async def tutor_file(name: str, path: str, request: Request):
        signed_in(request, "tutor")
        if name not in service.rubrics:
            raise Refused(404, f"there is no open assignment {name!r}")
        folder = (service.graders.grades / name).resolve()
        target = (folder / path).resolve()
        allowed = (folder / "gradebook.csv", folder / "gradebook.sqlite")
        if not (target in allowed or target.is_relative_to(folder / "report")) or not target.is_file():
            raise Refused(404, f"there is no file {path!r} of {name}")
        # Read whole (reports are small): the graders replace these files while they are being served, and a
        # response that took the size before the file was replaced would send the wrong length.
        media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(target.read_bytes(), media_type=media, headers=_NO_STORE)

    return app


_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
             "X-Frame-Options": "DENY"}


class UploadLimit:
    """Refuses a POST whose body is larger than ``limit`` before reading it (and one that says no length), so an
    upload bomb costs nothing; uvicorn holds the body to the length it declared."""

    def __init__(self, app, limit: int, notebook_limit: int):
        self.app, self.limit, self.notebook_limit = app, limit, notebook_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            message = None
            if length is None:
                message, status = "the upload has no Content-Length; send it as a normal form upload", 411
            elif not length.isdigit() or int(length) > self.limit:
                message = (f"the upload is larger than {self.notebook_limit // (1024 * 1024)} MB; clear the "
                           "notebook's outputs (Kernel > Restart & Clear Output) and upload it again")
                status = 413
            if message is not None:
                response = JSONResponse({"error": message}, status_code=status, headers={"Connection": "close"})
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _session(store: Store, request: Request):
    token = request.cookies.get(auth.COOKIE)
    return store.session(auth.token_hash(token)) if token else None


def _start_session(service: Service, user_id: str, target: str, seconds: int) -> Response:
    token = auth.new_token()
    service.store.add_session(auth.token_hash(token), user_id, auth.new_token(), time.time() + seconds)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(auth.COOKIE, token, max_age=seconds, path="/", httponly=True, samesite="lax",
                        secure=service.secure_cookies)
    return response
