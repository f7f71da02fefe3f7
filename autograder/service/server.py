"""``autograder serve`` and its subcommands: set the service up from the command line and run it on uvicorn."""

from __future__ import annotations

import csv
import getpass
import logging
import sys
import time
from pathlib import Path

from autograder.assignment import AssignmentError
from autograder.rubric import load_rubric
from autograder.service import auth
from autograder.service.store import Store


def service_folder(args) -> Path:
    return Path(args.data) if args.data else Path(args.root) / "grades" / "service"


def open_rubrics(root: Path, names: list[str] | None) -> dict:
    """The rubric of each open assignment: those named, else every rubric whose assignment is in the course."""
    from autograder.course import find_assignment

    root = Path(root)
    if not names:
        names = sorted(path.stem for path in (root / "rubrics").glob("*.yml")
                       if (root / "solutions" / path.stem).is_dir())
    rubrics = {}
    for name in names:
        find_assignment(name, root)  # an unknown name says which are known
        path = root / "rubrics" / f"{name}.yml"
        if not path.is_file():
            raise AssignmentError(f"assignment {name} has no rubric ({path}); the service needs its due date and "
                                  "points (rubrics/temperature.yml shows every key)")
        rubrics[name] = load_rubric(path)
    return rubrics


def build_service(args, options, clock=time.time):
    from autograder.batch import ensure_built
    from autograder.course import find_assignment
    from autograder.kernel_pool import kernel_sandbox
    from autograder.service.app import Service
    from autograder.service.queue import Graders

    folder = service_folder(args)
    rubrics = open_rubrics(args.root, args.assignments)
    kernel_sandbox(options).check()  # before accepting anything: kernels can run here (else it says what to do)
    for name in rubrics:
        ensure_built(find_assignment(name, args.root))
    cluster = None
    if getattr(args, "scheduler", None):
        from autograder.scheduler.dask import DaskScheduler

        cluster = DaskScheduler(args.scheduler)
    store = Store(folder)
    grades = Path(args.grades) if getattr(args, "grades", None) else folder / "grades"
    graders = Graders(store, args.root, grades, args.workers, options, args.scale, cluster)
    public_url = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    return Service(Path(args.root).resolve(), store, graders, rubrics, public_url, int(args.max_upload * 1024 * 1024),
                   auth.load_secret(folder), clock)


def serve(args, options) -> int:
    import uvicorn

    from autograder.service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    service = build_service(args, options)
    print(f"serving on {service.public_url} (data: {service.store.folder})", file=sys.stderr, flush=True)
    uvicorn.run(create_app(service), host=args.host, port=args.port, log_config=None, access_log=True,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return 0


def invite(args) -> int:
    from autograder.exam import read_roster

    folder = service_folder(args)
    store = Store(folder)
    secret = auth.load_secret(folder, renew=args.new_secret)
    public_url = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    expires = int(time.time() + args.days * 86400)
    rows = []
    for student in read_roster(args.roster):
        store.add_user(student.id, "student", student.name)
        rows.append([student.id, student.name, f"{public_url}/signin/{auth.sign_in_token(secret, student.id, expires)}",
                     time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))])
    handle = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["student", "name", "link", "expires"])
        writer.writerows(rows)
    finally:
        if args.out:
            handle.close()
    print(f"{len(rows)} student(s) invited; their links work until {rows[0][3] if rows else '-'}"
          + (f" ({args.out})" if args.out else ""), file=sys.stderr)
    return 0


def add_tutor(args) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    if len(password) < 10:
        raise ValueError("a tutor's password needs at least 10 characters")
    store = Store(service_folder(args))
    existing = store.user(args.login)
    if existing is not None and existing["kind"] != "tutor":
        raise ValueError(f"{args.login!r} is a student's id; choose another login for the tutor")
    store.add_user(args.login, "tutor", args.name, auth.hash_password(password))
    print(f"tutor {args.login} can sign in at /tutor/login", file=sys.stderr)
    return 0
