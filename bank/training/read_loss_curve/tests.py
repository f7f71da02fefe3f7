from otter.test_files import test_case

name = "read_loss_curve"


@test_case(points=2, hidden=True)
def test_curve_reading(curve_reading, params):
    from autograder.checks.answers import check_choice
    check_choice(curve_reading, params["correct"], params["choices"], "curve_reading")


@test_case(points=1, hidden=True)
def test_best_validation_epoch(best_validation_epoch, params):
    from autograder.checks.answers import check_number
    best = min(zip(params["val"], params["epochs"]))[1]
    check_number(best_validation_epoch, best, "best_validation_epoch (the epoch of the lowest validation loss)",
                 rel=0)
