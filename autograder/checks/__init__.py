"""Reusable checks for hidden tests: pure functions of arrays and numbers, with messages for students.

Each ``check_*`` raises ``CheckFailed`` (an ``AssertionError``, so the test fails with that message) or
returns nothing. They know nothing of kernels or files: tests fetch data through the bridge and pass it
in, and the exam bank uses the same functions.
"""

from autograder.checks.bands import Band
from autograder.checks.base import CheckFailed
from autograder.checks.copies import check_made_by_model, check_not_copies
from autograder.checks.history import check_decreases, check_epochs, check_finite, check_no_late_divergence
from autograder.checks.metrics import check_auc_at_least, check_in_band, check_value_range, mean_squared_error, roc_auc
from autograder.checks.models import (
                                       check_final_activation,
                                       check_layer_kinds,
                                       check_parameter_budget,
                                       check_shape,
                                       model_summary,
)
from autograder.checks.sampling import check_distribution, chi_square_pvalue

__all__ = ["Band", "CheckFailed", "check_auc_at_least", "check_decreases", "check_distribution", "check_epochs",
           "check_final_activation", "check_finite", "check_in_band", "check_layer_kinds", "check_made_by_model",
           "check_no_late_divergence", "check_not_copies", "check_parameter_budget", "check_shape", "check_value_range",
           "chi_square_pvalue", "mean_squared_error", "model_summary", "roc_auc"]
