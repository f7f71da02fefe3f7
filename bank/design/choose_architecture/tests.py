from otter.test_files import test_case

name = "choose_architecture"


@test_case(points=2, hidden=True)
def test_architecture_choice(architecture_choice, params):
    from autograder.checks.answers import check_choice
    check_choice(architecture_choice, params["correct"], params["choices"], "architecture_choice")
