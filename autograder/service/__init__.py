"""``autograder serve``: the submission service (students upload and read feedback; tutors watch and regrade).

    store    the database (SQLite, WAL): users, sessions, submissions, jobs, results; notebooks stored by content
    auth     sign-in links, tutors' passwords, session cookies, CSRF tokens, upload keys
    queue    worker threads that grade queued jobs with ``grading.run_job`` and record each exactly once
    app      the FastAPI application: routes, who may use each, the pages (templates/)
    views    what the pages show: open assignments, a submission's status, feedback as its student sees it
    server   the command line: ``serve``, ``serve invite``, ``serve tutor``
"""
