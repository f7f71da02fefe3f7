from otter.test_files import test_case

name = "output_activation_loss"


@test_case(points=2, hidden=True)
def test_output_head_choice(output_head_choice, params):
    from autograder.checks.answers import check_choice
    check_choice(output_head_choice, params["correct"], params["choices"], "output_head_choice")
