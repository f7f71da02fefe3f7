from otter.test_files import test_case

name = "temperature_limits"


@test_case(points=1, hidden=True)
def test_temperature_effect(temperature_effect, params):
    from autograder.checks.answers import check_choice
    check_choice(temperature_effect, params["correct"], params["choices"], "temperature_effect")
