from otter.test_files import test_case

name = "name_the_term"


@test_case(points=1, hidden=True)
def test_first_term(term_for_definition_1, params):
    from autograder.checks.answers import check_word
    check_word(term_for_definition_1, params["accepted"][0], "term_for_definition_1")


@test_case(points=1, hidden=True)
def test_second_term(term_for_definition_2, params):
    from autograder.checks.answers import check_word
    check_word(term_for_definition_2, params["accepted"][1], "term_for_definition_2")
