"""qtool: authoring and validation toolchain for an interview-question bank kept in git."""

__version__ = "0.1.0"
