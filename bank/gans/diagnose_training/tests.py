from otter.test_files import test_case

name = "diagnose_training"


@test_case(points=2, hidden=True)
def test_diagnosis(gan_diagnosis, params):
    from autograder.checks.answers import check_choice
    check_choice(gan_diagnosis, params["correct"], params["choices"], "gan_diagnosis")
