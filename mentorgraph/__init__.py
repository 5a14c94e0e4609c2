"""mentorgraph: a skills graph and recommendation engine for two-way (reverse) mentoring."""

__version__ = "0.1.0"
