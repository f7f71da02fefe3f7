"""autograder: grade Jupyter notebooks with hidden tests that student code never touches."""

__version__ = "0.1.0"
